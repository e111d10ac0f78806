"""The small TOML files the product reads (settings, scenarios,
mappings): the one function that reads them, and the writer.

``read`` is the only place a TOML file is parsed (the CLI and the
workbench both come here): its size, and how deeply its arrays and
tables nest, are checked before ``tomllib`` sees it (``tomllib``
recurses once per level and a few thousand ``[`` end in a
RecursionError), and every failure is a located ``InputError``.

The writer covers what those files use: strings, numbers, booleans,
lists of them, lists of pairs, inline tables of strings, ``[table]``
and ``[[array of tables]]``. What it writes, ``tomllib`` reads back
equal (tested).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.inputs import limits

# Strings and comments (skipped), brackets and braces (counted), line
# ends (for the line number): enough of TOML to measure nesting.
_TOKENS = re.compile(
    r'"""(?:[^\\]|\\.)*?"""'       # a multi-line basic string
    r"|'''[\s\S]*?'''"              # a multi-line literal string
    r'|"(?:[^"\\\n]|\\.)*"'         # a basic string
    r"|'[^'\n]*'"                   # a literal string
    r"|#[^\n]*|[\[\]{}\n]")


def read(path: Path | str, raw: bytes | None = None) -> dict[str, Any]:
    """A TOML file as a dict; ``raw`` is its bytes when already read.

    Raises
    ------
    InputError
        Naming the file: larger than ``limits.MAX_TOML_BYTES``, nested
        deeper than ``limits.MAX_TOML_DEPTH`` (with the line), not UTF-8
        or not valid TOML.
    """
    path = Path(path)
    file = path.name
    if raw is None:
        size = path.stat().st_size
        if size > limits.MAX_TOML_BYTES:
            raise _error(file, f"the file is {size:,} bytes; a settings, "
                         f"scenario or mapping file has at most "
                         f"{limits.MAX_TOML_BYTES:,}")
        raw = path.read_bytes()
    if len(raw) > limits.MAX_TOML_BYTES:
        raise _error(file, f"the file is {len(raw):,} bytes; a settings, "
                     f"scenario or mapping file has at most "
                     f"{limits.MAX_TOML_BYTES:,}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(file, f"not valid TOML: not UTF-8 text ({exc.reason} "
                     f"at byte {exc.start})") from None
    line, depth = _deepest(text)
    if depth > limits.MAX_TOML_DEPTH:
        raise _error(file, f"line {line}: arrays and tables nested "
                     f"{depth} deep; the limit is {limits.MAX_TOML_DEPTH} "
                     "(no setting needs more than 3)")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _error(file, f"not valid TOML: {exc}") from None
    except RecursionError:  # should the measure above ever miss a form
        raise _error(file, "not valid TOML: nested too deeply; the limit "
                     f"is {limits.MAX_TOML_DEPTH}") from None
    depth = _data_depth(data)
    if depth > limits.MAX_TOML_DEPTH:  # dotted keys nest without brackets
        raise _error(file, f"keys nested {depth} deep; the limit is "
                     f"{limits.MAX_TOML_DEPTH}")
    return data


def _error(file: str, message: str) -> InputError:
    return InputError([Problem(file, None, None, None, message)])


def _deepest(text: str) -> tuple[int, int]:
    """(line, depth) of the deepest bracket nesting outside strings."""
    depth = deepest = 0
    line = at = 1
    for m in _TOKENS.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > deepest:
                deepest, at = depth, line
                if deepest > limits.MAX_TOML_DEPTH:
                    break
        elif tok in "]}":
            depth = max(0, depth - 1)
        elif tok == "\n":
            line += 1
        else:
            line += tok.count("\n")
    return at, deepest


def _data_depth(data: Any) -> int:
    """How deeply dicts and lists nest in ``data`` (without recursion)."""
    deepest = 0
    todo = [(data, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > limits.MAX_TOML_DEPTH:
                return depth
            values = item.values() if isinstance(item, dict) else item
            todo.extend((v, depth + 1) for v in values)
    return deepest


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
