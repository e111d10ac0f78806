"""Every value of every vocabulary column, as the loader reads it.

For the workbench's mapping page: per table, each distinct value of a
column with a vocabulary (grades, disabilities, support levels, settings,
services, provides, credentials, yes/no columns, and staff sites), how
many rows use it, and what it reads as: *certain* when the loader reads
it (a code, a CALPADS/SEIS code or label, a CTC title), else *a guess*
(the nearest code, or none) that is left unchosen until the user picks.
A staff site no student attends ("All Sites") is a question; words for
every site are offered as ``*``.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass

from optimizer.inputs import codesets, parse
from optimizer.inputs.mapping import (
    CODES,
    LIST_COLUMNS,
    TABLES,
    Mapping,
    apply_to_table,
    contract_columns,
    effective,
    normalize_header,
)
from optimizer.inputs.staff_names import ALL_SITES


@dataclass(frozen=True)
class Reading:
    """One distinct value of a vocabulary column."""

    column: str
    value: str
    rows: int
    code: str | None      # what it reads as (certain) or the guess
    certain: bool
    why: str = ""         # the loader's reason, for a value it refuses


def readings(students, staff, mapping: Mapping, rules
             ) -> dict[str, tuple[list[Reading], dict[str, tuple]]]:
    """Per table: the readings of its vocabulary values, and the codes
    each column offers (sites and credentials come from the roster and
    the rules)."""
    eff = effective(mapping, students, staff)
    tables = {w: apply_to_table(t, eff.part(w))
              for w, t in zip(TABLES, (students, staff))}
    sites = sorted(_column_items(tables["students"], "site"))
    out = {}
    for which in TABLES:
        table = tables[which]
        columns = {c.name: c for c in contract_columns()[which]}
        offers: dict[str, tuple] = dict(CODES)
        found: list[Reading] = []
        for name in [*CODES, "credentials", "sites"]:
            if name not in columns:
                continue
            counts = _column_items(table, name)
            if not counts:
                continue
            for value, n in sorted(counts.items()):
                if name == "sites":
                    reading = _site(value, n, set(sites))
                elif name == "credentials":
                    reading = _credential(value, n, rules)
                else:
                    reading = _coded(name, value, n, columns[name].parse,
                                     CODES[name])
                if reading is not None:
                    found.append(reading)
        offers["sites"] = (*sites, "*")
        offers["credentials"] = tuple(sorted(rules.credentials))
        out[which] = (found, offers)
    return out


def _column_items(table, name: str) -> Counter[str]:
    header = [normalize_header(h) for h in table.header]
    if name not in header:
        return Counter()
    pos = header.index(name)
    seen: Counter[str] = Counter()
    for _row, cells in table.rows:
        cell = cells[pos].strip() if pos < len(cells) else ""
        items = (parse.split_list(cell) if name in LIST_COLUMNS
                 else [cell] if cell else [])
        seen.update(items)
    return seen


def _coded(name: str, value: str, n: int, checker, codes) -> Reading:
    try:
        read = checker(value) if checker else value
    except ValueError as exc:
        said = re.search(r'did you mean "([^"]+)"', str(exc))
        guess = said.group(1) if said and said.group(1) in codes else None
        if guess is None:
            if "choose RSP" in str(exc):
                guess = "RSP"
            else:
                hint = parse.suggest(value, list(codes))
                hit = re.search(r'"([^"]+)"', hint)
                guess = hit.group(1) if hit else None
        return Reading(name, value, n, guess, False, str(exc))
    if isinstance(read, bool):
        code = "yes" if read else "no"
    elif isinstance(read, list | tuple):
        code = ";".join(read)
    elif isinstance(read, frozenset):
        code = value
    else:
        code = "" if read is None else str(read)
    return Reading(name, value, n, code, True)


def _site(value: str, n: int, sites: set[str]) -> Reading | None:
    if value == "*" or value in sites:
        return None  # nothing to ask
    plain = " ".join(re.sub(r"[^a-z]+", " ", value.casefold()).split())
    if plain in ALL_SITES:
        return Reading("sites", value, n, "*", False,
                       f'"{value}" is no student\'s site; "*" means every '
                       "site")
    folded = {s.casefold(): s for s in sites}
    near = difflib.get_close_matches(value.casefold(), list(folded), n=1,
                                     cutoff=0.6)
    return Reading("sites", value, n, folded[near[0]] if near else None,
                   False, f'"{value}" is no student\'s site')


def _credential(value: str, n: int, rules) -> Reading:
    code = rules.alias_to_code.get(value.upper())
    titles = codesets.credential_titles(rules.credentials)
    if code is None:
        code = titles.get(codesets.credential_key(value))
    if code is not None:
        return Reading("credentials", value, n, code, True)
    near = difflib.get_close_matches(codesets.credential_key(value),
                                     list(titles), n=1, cutoff=0.6)
    return Reading("credentials", value, n,
                   titles[near[0]] if near else None, False,
                   f'unknown credential "{value}"')
