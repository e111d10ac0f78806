"""A district's own export, mapped onto the roster contract.

A mapping file is a small TOML file that says which of the district's
column headers is which contract column, and which of its values is which
contract code::

    # caseload mapping: district export -> roster contract
    [students.columns]           # the district's header = contract column
    "Student Number" = "student_id"
    "School" = "site"

    [students.values.services]   # the district's value = contract code
    "Speech and Language" = "SPEECH"
    "Specialized Academic Instruction" = "RSP"

    [staff.columns]
    "Employee ID" = "staff_id"

It is applied to the raw tables before the normal loader, so every check
is the loader's own; problems the loader finds are then relabelled with
the district's header, so a message still names the user's own file, row
and column. ``caseload plan ROSTER --mapping FILE`` and the workbench read
the same file.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.inputs import parse, toml_text
from optimizer.inputs.csv_cells import EXTRA_PREFIX, header_key, near_name
from optimizer.vocab import (
    DISABILITY_ABBREVIATIONS,
    GRADES,
    PROVIDES,
    SERVICES,
    SETTINGS,
    SUPPORT_LEVELS,
)

TABLES = ("students", "staff")
# Columns whose cells are ";" lists: a value mapping applies per item.
LIST_COLUMNS = frozenset({"services", "provides", "sites", "languages",
                          "credentials"})
# Columns with a fixed vocabulary: the workbench offers these codes.
CODES: dict[str, tuple[str, ...]] = {
    "grade": GRADES,
    "primary_disability": DISABILITY_ABBREVIATIONS,
    "secondary_disability": DISABILITY_ABBREVIATIONS,
    "support_level": SUPPORT_LEVELS,
    "setting": SETTINGS,
    "services": SERVICES,
    "provides": PROVIDES,
    "alt_placement_secondary": ("yes", "no"),
    "can_case_manage": ("yes", "no"),
}


def contract_columns() -> dict[str, tuple]:
    from optimizer.inputs.roster import STAFF_COLUMNS, STUDENT_COLUMNS

    return {"students": STUDENT_COLUMNS, "staff": STAFF_COLUMNS}


def normalize_header(text: str) -> str:
    """Headers as people write them, compared as the loader compares them
    (case, spaces, hyphens, dots, underscores do not matter)."""
    return header_key(text)


@dataclass(frozen=True)
class TableMapping:
    """One table's mapping: headers to columns, values to codes."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    # Headers the district keeps as its own columns: carried through as
    # "x_" + header, the loader's mark for "not a contract column".
    own: tuple[str, ...] = ()
    # Where the table is: a sheet (or a file, in a folder), its header
    # row; for students, the SEIS services report to join. Empty: found
    # by content (``exports``).
    sheet: str = ""
    header_row: int = 0
    services: str = ""

    @property
    def layout(self) -> dict[str, Any]:
        return {k: v for k, v in (("sheet", self.sheet),
                                  ("header_row", self.header_row),
                                  ("services", self.services)) if v}


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file (``students`` and ``staff`` parts)."""

    students: TableMapping = field(default_factory=TableMapping)
    staff: TableMapping = field(default_factory=TableMapping)
    file: str = "mapping.toml"
    digest: str = ""

    def part(self, which: str) -> TableMapping:
        return self.students if which == "students" else self.staff

    @property
    def empty(self) -> bool:
        return not any(p.columns or p.values or p.own or p.layout
                       for p in (self.students, self.staff))

    def layout(self) -> dict[str, dict[str, Any]]:
        """Per table, the sheet, header row and services report named."""
        return {w: self.part(w).layout for w in TABLES
                if self.part(w).layout}


def load_mapping(path: Path | str) -> Mapping:
    """Read and check a mapping file.

    Raises
    ------
    InputError
        Naming the mapping file, the key and the value, for every problem
        at once: not TOML, unknown sections, a header mapped to something
        that is not a contract column, two headers for one column, or a
        value mapped to a code the contract does not know.
    """
    path = Path(path)
    raw = path.read_bytes()
    data = toml_text.read(path, raw)
    return mapping_from_dict(data, path.name,
                             hashlib.sha256(raw).hexdigest())


def mapping_from_dict(data: dict[str, Any], file: str = "mapping.toml",
                      digest: str = "") -> Mapping:
    """A ``Mapping`` from parsed TOML, with every problem reported."""
    problems: list[Problem] = []
    for key in sorted(set(data) - set(TABLES)):
        problems.append(Problem(file, None, key, None,
                                "unknown key; expected [students.columns], "
                                "[students.values.COLUMN], [staff.columns] "
                                "or [staff.values.COLUMN]"))
    parts = {which: _table_part(data.get(which, {}), which, file, problems)
             for which in TABLES}
    if problems:
        raise InputError(problems)
    return Mapping(parts["students"], parts["staff"], file, digest)


def _table_part(data: Any, which: str, file: str,
                problems: list[Problem]) -> TableMapping:
    columns = {c.name: c for c in contract_columns()[which]}
    if not isinstance(data, dict):
        problems.append(Problem(file, None, which, None,
                                "expected a table with columns and values"))
        return TableMapping()
    layout_keys = {"sheet", "header_row"} | (
        {"services"} if which == "students" else set())
    for key in sorted(set(data) - {"columns", "values", "own_columns"}
                      - layout_keys):
        problems.append(Problem(file, None, f"{which}.{key}", None,
                                "unknown key; expected columns, values, "
                                "own_columns, " + ", ".join(
                                    sorted(layout_keys))))
    layout: dict[str, Any] = {}
    for key in sorted(layout_keys & set(data)):
        value = data[key]
        if key == "header_row":
            if isinstance(value, bool) or not isinstance(value, int) \
                    or value < 1:
                problems.append(Problem(file, None, f"{which}.{key}",
                                        str(value), "expected a row "
                                        "number (1 is the first row)"))
                continue
        elif not isinstance(value, str) or not value.strip():
            problems.append(Problem(file, None, f"{which}.{key}",
                                    str(value), "expected a sheet or "
                                    "file name"))
            continue
        layout[key] = value.strip() if isinstance(value, str) else value
    own = data.get("own_columns", [])
    if not (isinstance(own, list) and all(isinstance(h, str) for h in own)):
        problems.append(Problem(file, None, f"{which}.own_columns", None,
                                'expected a list of headers: ["Notes"]'))
        own = []
    heads = data.get("columns", {})
    out_columns: dict[str, str] = {}
    if not isinstance(heads, dict):
        problems.append(Problem(file, None, f"{which}.columns", None,
                                'expected "their header" = "column" pairs'))
        heads = {}
    for head, target in heads.items():
        where = f"{which}.columns"
        if not isinstance(target, str):
            problems.append(Problem(file, None, where, str(target),
                                    f'"{head}": expected a column name'))
            continue
        name = normalize_header(target)
        if name not in columns:
            hint = parse.suggest(target, list(columns))
            problems.append(Problem(
                file, None, where, target,
                f'"{head}" is mapped to "{target}", which is not a '
                f"{which} column{hint}; expected one of "
                + ", ".join(columns)))
            continue
        out_columns[head.strip()] = name
    problems += _one_per_key(file, f"{which}.columns", out_columns,
                             normalize_header, "header")
    for name, n in Counter(out_columns.values()).items():
        if n > 1:
            heads_for = [h for h, t in out_columns.items() if t == name]
            problems.append(Problem(
                file, None, f"{which}.columns", name,
                f'{n} headers are mapped to "{name}" ('
                + ", ".join(f'"{h}"' for h in heads_for) + "); map one"))
    values = data.get("values", {})
    out_values: dict[str, dict[str, str]] = {}
    if not isinstance(values, dict):
        problems.append(Problem(file, None, f"{which}.values", None,
                                "expected [values.COLUMN] tables"))
        values = {}
    for col, table in values.items():
        where = f"{which}.values.{col}"
        name = normalize_header(col)
        if name not in columns:
            hint = parse.suggest(col, list(columns))
            problems.append(Problem(file, None, where, col,
                                    f"not a {which} column{hint}"))
            continue
        if not isinstance(table, dict):
            problems.append(Problem(file, None, where, None,
                                    'expected "their value" = "code" pairs'))
            continue
        checker = columns[name].parse
        good = {}
        for their, code in table.items():
            if not isinstance(code, str):
                problems.append(Problem(file, None, where, str(code),
                                        f'"{their}": expected a code'))
                continue
            if checker is not None and code.strip():
                try:
                    checker(code)
                except ValueError as exc:
                    problems.append(Problem(
                        file, None, where, code,
                        f'"{their}" is mapped to an invalid code: {exc}'))
                    continue
            good[their.strip()] = code.strip()
        problems += _one_per_key(file, where, good, _value_key, "value")
        out_values[name] = good
    by_key = {normalize_header(h): h for h in out_columns}
    for head in own:
        mapped = by_key.get(normalize_header(head))
        if mapped is not None:
            problems.append(Problem(file, None, f"{which}.own_columns", head,
                                    f'"{head}" is also mapped to '
                                    f'"{out_columns[mapped]}"; keep one'))
    return TableMapping(out_columns, out_values,
                        tuple(h.strip() for h in own), **layout)


def _value_key(text: str) -> str:
    return " ".join(text.strip().casefold().split())


def _one_per_key(file: str, where: str, pairs: dict[str, str], key,
                 what: str) -> list[Problem]:
    """Keys that are one as the loader compares them (case, spaces) but
    given different answers: the last would win silently, so both are
    named and one is asked for."""
    groups: dict[str, list[str]] = {}
    for theirs in pairs:
        groups.setdefault(key(theirs), []).append(theirs)
    out = []
    for same in groups.values():
        answers = list(dict.fromkeys(pairs[t] for t in same))
        if len(answers) > 1:
            out.append(Problem(
                file, None, where, same[0],
                " and ".join(f'"{t}"' for t in same) + f" are one {what} "
                "as compared (case and spaces do not matter), given "
                + " and ".join(f'"{a}"' for a in answers) + "; keep one"))
    return out


# ---------------------------------------------------------------- apply


def apply_to_table(table, part: TableMapping):
    """The table with mapped headers and values (a new ``io.Table``).

    Headers are renamed to contract columns (or marked as the district's
    own with ``x_``); cells of a mapped column have their values replaced
    by codes (item by item in ``;`` lists). Rows, row numbers and the
    file name are unchanged.
    """
    if not part.columns and not part.values and not part.own:
        return table
    by_norm = {normalize_header(h): t for h, t in part.columns.items()}
    own_keys = {normalize_header(h) for h in part.own}
    header = [_own(h) if normalize_header(h) in own_keys
              else by_norm.get(normalize_header(h), h)
              for h in table.header]
    targets = {normalize_header(h) for h in header}
    todo = []
    for col, table_map in part.values.items():
        if col in targets and table_map:
            pos = [normalize_header(h) for h in header].index(col)
            lookup = {_value_key(k): v for k, v in table_map.items()}
            todo.append((pos, col in LIST_COLUMNS, lookup))
    rows = table.rows
    if todo:
        rows = []
        for row, cells in table.rows:
            cells = list(cells)
            for pos, is_list, table_map in todo:
                if pos < len(cells) and cells[pos].strip():
                    cells[pos] = _map_cell(cells[pos], is_list, table_map)
            rows.append((row, cells))
    return replace(table, header=header, rows=rows)


def _own(header: str) -> str:
    """A district's own column as the loader marks it ("x_" in front)."""
    return header if header_key(header).startswith(EXTRA_PREFIX) \
        else f"{EXTRA_PREFIX}{header}"


def _map_cell(cell: str, is_list: bool, table_map: dict[str, str]) -> str:
    if not is_list:
        return table_map.get(_value_key(cell), cell)
    items = parse.split_list(cell)
    return ";".join(table_map.get(_value_key(i), i) for i in items)


def relabel(problems: list[Problem] | tuple[Problem, ...], table,
            part: TableMapping) -> list[Problem]:
    """Problems about a mapped table, named with the district's headers."""
    back = {}
    for head in table.header:
        target = part.columns.get(head.strip()) or next(
            (t for h, t in part.columns.items()
             if normalize_header(h) == normalize_header(head)), None)
        if target:
            back[target] = head
    if not back:
        return list(problems)
    return [replace(p, column=back.get(p.column, p.column))
            if p.file == table.file else p for p in problems]


# ------------------------------------------------- proposing a mapping


def propose_columns(header: list[str], which: str, near: bool = True
                    ) -> dict[str, str | None]:
    """For each contract column, the district header that looks like it.

    Exact matches (ignoring case, spaces, hyphens, underscores) first,
    then (with ``near``) the closest spelling; ``None`` where nothing is
    close.
    """
    columns = [c.name for c in contract_columns()[which]]
    norm = {normalize_header(h): h for h in header if h.strip()}
    out: dict[str, str | None] = {}
    taken: set[str] = set()
    for name in columns:
        if name in norm:
            out[name] = norm[name]
            taken.add(norm[name])
    for name in columns:
        if name in out:
            continue
        if not near:
            out[name] = None
            continue
        free = [n for n, h in norm.items() if h not in taken]
        # The loader's own idea of "near" (misspellings, every word of the
        # name, everyday synonyms such as "Student Number"), then spelling.
        hit = [n for n in free if near_name(n, [name]) == name] or \
            difflib.get_close_matches(name, free, n=1, cutoff=0.75)
        out[name] = norm[hit[0]] if hit else None
        if hit:
            taken.add(norm[hit[0]])
    return out


@dataclass(frozen=True)
class UnknownValue:
    """A district value the loader does not understand, with a guess."""

    column: str
    value: str
    rows: int
    suggestion: str | None


def unknown_values(table, part: TableMapping, which: str
                   ) -> list[UnknownValue]:
    """Distinct values of coded columns the loader would reject.

    The test is the loader's own parser for that column, so what is
    listed here is exactly what would be an error.
    """
    mapped = apply_to_table(table, part)
    columns = {c.name: c for c in contract_columns()[which]}
    header = [normalize_header(h) for h in mapped.header]
    out = []
    for name, codes in CODES.items():
        if name not in columns or name not in header:
            continue
        pos = header.index(name)
        checker: Callable[[str], Any] = columns[name].parse
        seen: Counter[str] = Counter()
        for _row, cells in mapped.rows:
            cell = cells[pos].strip() if pos < len(cells) else ""
            items = (parse.split_list(cell) if name in LIST_COLUMNS
                     else [cell] if cell else [])
            for item in items:
                seen[item] += 1
        for value, n in sorted(seen.items()):
            try:
                checker(value)
            except ValueError as exc:
                # The parser's own suggestion first (it knows spelled-out
                # names), then the nearest spelling among the codes.
                said = re.search(r'did you mean "([^"]+)"', str(exc))
                guess = said.group(1) if said and said.group(1) in codes \
                    else _guess(value, codes)
                out.append(UnknownValue(name, value, n, guess))
    return out


def _guess(value: str, codes: tuple[str, ...]) -> str | None:
    hint = parse.suggest(value, list(codes))
    match = re.search(r'"([^"]+)"', hint)
    return match.group(1) if match else None


# ---------------------------------------------------------------- write


def to_toml(mapping: Mapping) -> str:
    """The mapping as the TOML file ``--mapping`` reads (stable order)."""
    lines = ["# caseload mapping: the district's export -> the roster "
             "contract.", "# Use with: caseload plan ROSTER --mapping "
             "THIS_FILE", ""]
    for which in TABLES:
        part = mapping.part(which)
        if part.own or part.layout:
            lines.append(f"[{which}]")
            for key, value in part.layout.items():
                lines.append(f"{key} = " + (str(value) if isinstance(
                    value, int) else _quote(value)))
            if part.own:
                lines.append("own_columns = [" + ", ".join(
                    _quote(h) for h in part.own) + "]")
            lines.append("")
        if part.columns:
            lines.append(f"[{which}.columns]")
            lines += [f"{_quote(h)} = {_quote(t)}"
                      for h, t in part.columns.items()]
            lines.append("")
        for col, table_map in part.values.items():
            if not table_map:
                continue
            lines.append(f"[{which}.values.{col}]")
            lines += [f"{_quote(v)} = {_quote(c)}"
                      for v, c in table_map.items()]
            lines.append("")
    return "\n".join(lines)


def _quote(text: str) -> str:
    return toml_text.quote(text)  # one writer: headers may hold anything


# ------------------------------------------------------- load a roster


def mapped_roster(path, rules, mapping: Mapping, load):
    """``load`` (the roster loader) with ``mapping`` applied to its tables.

    An export's own headers (``export_headers.export_columns``) are read where
    the mapping says nothing. Problems and warnings name the district's
    headers; the input hash covers the mapping file too, since it changes
    what the roster means.
    """
    from optimizer.inputs import export_headers, services_join

    seen: dict[str, Any] = {}

    def transform(students, staff):
        seen["tables"] = (students, staff)
        eff = seen["mapping"] = effective(mapping, students, staff)
        asked = [p for which, table in zip(TABLES, (students, staff))
                 for p in export_headers.export_questions(
                     table, which, mapping.part(which).columns)]
        if asked:
            raise InputError(asked)
        return (apply_to_table(students, eff.students),
                apply_to_table(staff, eff.staff))

    try:
        roster = load(path, rules, transform, mapping.layout())
    except InputError as exc:
        if "tables" not in seen:
            raise
        raise InputError(services_join.at_service_rows(
            _relabel_both(exc.problems, seen["tables"], seen["mapping"]),
            seen["tables"][0])) from None
    notes = [*_unused_headers(seen["tables"], mapping),
             *_export_headers_read(seen["tables"], mapping,
                                   seen["mapping"])]
    warnings = services_join.at_service_rows(
        _relabel_both([*notes, *roster.warnings], seen["tables"],
                      seen["mapping"]), seen["tables"][0])
    if mapping.empty and seen["mapping"].empty:
        return roster
    eff = seen["mapping"]
    later = {}
    if roster.later is not None:  # judged later, named the same way
        tables, judged = seen["tables"], roster.later

        def named(tables=tables, eff=eff, judged=judged):
            return services_join.at_service_rows(
                _relabel_both(judged(), tables, eff), tables[0])

        later = {"later_at": len(notes) + roster.later_at, "later": named}
    headers = {t: h for h, t in eff.staff.columns.items()
               if t == "staff_id"}
    headers.update({t: h for h, t in eff.students.columns.items()})
    # The student's name in the change list: the columns chosen here,
    # once, and said where it cannot be told.
    names, said = export_headers.student_name_columns(
        roster.students_file, roster.instance.extra_columns)
    headers.update(names)
    warnings += said
    digest = hashlib.sha256((roster.input_hash + mapping.digest).encode()
                            ).hexdigest() if not mapping.empty else \
        roster.input_hash
    return replace(roster, warnings=tuple(warnings), input_hash=digest,
                   headers=headers, **later)


def effective(mapping: Mapping, students, staff) -> Mapping:
    """``mapping`` with an export's own headers read where it says
    nothing (``export_headers.export_columns``)."""
    from optimizer.inputs import export_headers

    parts = {}
    for which, table in zip(TABLES, (students, staff)):
        part = mapping.part(which)
        auto, own = export_headers.export_columns(table, which,
                                                  part.columns)
        if auto or own:
            part = replace(part, columns={**auto, **part.columns},
                           own=tuple(dict.fromkeys([*part.own, *own])))
        parts[which] = part
    return replace(mapping, students=parts["students"],
                   staff=parts["staff"])


def _export_headers_read(tables, mapping: Mapping, eff: Mapping
                         ) -> list[Problem]:
    """Says which of an export's headers were read as which column (the
    mapping did not say; ``export_headers.export_columns`` did)."""
    out = []
    for which, table in zip(TABLES, tables):
        auto = {h: c for h, c in eff.part(which).columns.items()
                if h not in mapping.part(which).columns}
        if auto:
            out.append(Problem(table.file, None, None, None,
                               "read as an export: " + ", ".join(
                                   f'"{h}" = {c}' + (
                                       " (last year's)" if
                                       c == "prior_case_manager" else "")
                                   for h, c in auto.items())))
    return out


def _relabel_both(problems, tables, mapping: Mapping) -> list[Problem]:
    students, staff = tables
    out = relabel(problems, students, mapping.students)
    return relabel(out, staff, mapping.staff)


def _unused_headers(tables, mapping: Mapping) -> list[Problem]:
    """Headers the mapping names that the export no longer has."""
    out = []
    for which, table in zip(TABLES, tables):
        present = {normalize_header(h) for h in table.header}
        for head, target in mapping.part(which).columns.items():
            if normalize_header(head) not in present:
                out.append(Problem(
                    mapping.file, None, f"{which}.columns", head,
                    f'{table.file} has no column "{head}" (mapped to '
                    f'"{target}")'))
    return out


def raw_tables(path: Path | str, layout: dict | None = None):
    """A roster's two tables as read, before any mapping or checking.

    Raises
    ------
    InputError
        When the files cannot be read at all (missing, binary, empty),
        or which sheet is which must be asked.
    """
    from optimizer.inputs.roster import read_roster_tables

    students, staff, _files = read_roster_tables(Path(path), layout)
    return students, staff


def from_choices(columns: dict[str, dict[str, str]],
                 values: dict[str, list[tuple[str, str, str]]],
                 file: str = "mapping.toml",
                 own: dict[str, list[str]] | None = None,
                 layout: dict[str, dict[str, Any]] | None = None
                 ) -> Mapping:
    """A mapping from a form: per table, contract column -> their header,
    and (column, their value, code) triples; checked like a file."""
    data: dict[str, Any] = {}
    problems: list[Problem] = []
    for which in TABLES:
        part: dict[str, Any] = {k: v for k, v in (layout or {}).get(
            which, {}).items() if v}
        chosen = {col: head for col, head in columns.get(which, {}).items()
                  if head and head.strip()}
        for head, n in Counter(h.strip() for h in chosen.values()).items():
            if n > 1:  # one header for two columns: the last would win
                problems.append(Problem(
                    file, None, f"{which}.columns", head,
                    f'"{head}" is chosen for {n} columns (' + ", ".join(
                        c for c, h in chosen.items() if h.strip() == head)
                    + "); choose one header per column"))
        heads = {head: col for col, head in chosen.items()
                 if head.strip().lower() != col}
        if heads:
            part["columns"] = heads
        table_values: dict[str, dict[str, str]] = {}
        for col, their, code in values.get(which, []):
            if their.strip() and code.strip():
                table_values.setdefault(col, {})[their.strip()] = code
        if table_values:
            part["values"] = table_values
        keep = [h for h in (own or {}).get(which, []) if h.strip()]
        if keep:
            part["own_columns"] = keep
        if part:
            data[which] = part
    if problems:
        raise InputError(problems)
    return mapping_from_dict(data, file)
