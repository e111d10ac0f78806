"""Write the small TOML files the product reads (scenarios, mappings).

Only what those files use: strings, numbers, booleans, lists of them,
lists of pairs, inline tables of strings, ``[table]`` and
``[[array of tables]]``. What it writes, ``tomllib`` reads back equal
(tested).
"""

from __future__ import annotations

from typing import Any


def quote(text: str) -> str:
    """A TOML basic string that reads back as ``text``: backslash,
    quote and every control character (which TOML forbids raw) are
    escaped."""
    return '"' + text.translate(_ESCAPES) + '"'


_ESCAPES = {c: f"\\u{c:04x}" for c in (*range(0x20), 0x7F)}
_ESCAPES.update({ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n",
                 ord("\r"): "\\r", ord("\t"): "\\t"})


def value(v: Any) -> str:
    """One TOML value (inline)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return quote(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{quote(str(k))} = {value(x)}"
                                for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def dumps(data: dict[str, Any]) -> str:
    """A document: plain keys, then tables, then arrays of tables."""
    lines = []
    tables, arrays = [], []
    for key, v in data.items():
        if isinstance(v, dict) and key in _TABLE_KEYS:
            tables.append((key, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict)
                                               for x in v):
            arrays.append((key, v))
        else:
            lines.append(f"{key} = {value(v)}")
    for key, items in arrays:
        for item in items:
            lines += ["", f"[[{key}]]"]
            lines += [f"{k} = {value(x)}" for k, x in item.items()]
    for key, table in tables:
        lines += ["", f"[{key}]"]
        lines += [f"{k} = {value(x)}" for k, x in table.items()]
    return "\n".join(lines) + "\n"


# Tables written as [section] rather than inline ({ ... }).
_TABLE_KEYS = {"objective"}
