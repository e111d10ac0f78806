"""A district's files as downloaded: which table is which.

On top of the readers (``csv_cells.read_table`` for CSV, ``excel`` for
workbooks), this module picks the students, staff and services tables
of a folder or workbook by their content (``export_headers.role_of``),
says which it took, and asks (a problem naming them) when two could be,
or when a hidden or look-alike sheet could be; the header rows are
found below title rows (``export_headers.find_header``) and SEIS's
services report is joined to the student report (``services_join``).
A file or sheet named like a services report, or a spreadsheet in a
format not read here, is never passed over without a word.

What a mapping file says (a sheet, a header row) always wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from optimizer.errors import InputError, Problem
from optimizer.inputs.csv_cells import Table, read_table
from optimizer.inputs.export_headers import (
    ALL_KEYS,
    HEADER_NOTE,
    find_header,
    role_of,
)
from optimizer.inputs.services_join import join_services

ROLES = ("students", "staff")
# The files of a folder read as tables, and spreadsheets in formats
# not read here (said, never passed over: a district's report saved as
# .xls would otherwise vanish from the plan without a word).
_TABLE_FILES = (".csv", ".txt", ".xlsx", ".xlsm")
_UNREAD_FILES = (".xls", ".xlsb", ".ods", ".numbers")


def read_export_or(path: Path, layout: dict | None,
                   error: InputError | None):
    """``read_export``, or ``error`` (the plain reader's) when the
    export reading finds no better."""
    try:
        return read_export(path, layout)
    except InputError:
        if error is not None:
            raise error from None
        raise


def header_rows(students: Table, staff: Table, layout: dict | None
                ) -> tuple[Table, Table]:
    """Both tables with their header rows found (or as the mapping's
    ``header_row`` says)."""
    layout = layout or {}
    return tuple(find_header(t, int(layout.get(role, {}).get(
        "header_row", 0) or 0)) for role, t in
        zip(ROLES, (students, staff)))  # type: ignore[return-value]


def needs_export_reading(path: Path, layout: dict | None) -> bool:
    """Whether ``path`` is not a plain roster (students.csv and staff.csv,
    or a workbook with sheets students and staff and no look-alike), or
    holds a file or sheet named like a services report (joined, or said
    why not; never passed over), or the mapping names its sheets: then
    ``read_export`` picks by content.
    """
    layout = layout or {}
    if any(layout.get(r, {}).get(k) for r in ROLES
           for k in ("sheet", "services")):
        return True
    if path.is_file():
        if path.suffix.lower() not in (".xlsx", ".xlsm"):
            return False
        from optimizer.inputs.excel import sheet_states

        states = sheet_states(path)
        if states is None:  # the workbook reader words the problem
            return False
        keys = [sheet_key(n) for n in states]
        if any("service" in k for k in keys):
            return True
        like = [k for k in keys if "student" in k or "staff" in k]
        plain = sorted(like) == ["staff", "students"] and all(
            states[n] == "visible" for n in states
            if sheet_key(n) in ROLES)
        return not plain
    if not path.is_dir():
        return False
    names = {p.name.lower() for p in path.iterdir() if p.is_file()}
    if any("service" in n for n in names if n.endswith(_TABLE_FILES)) \
            or any(n.endswith(_UNREAD_FILES) for n in names):
        return True
    return not {"students.csv", "staff.csv"} <= names


# ------------------------------------------------------- whole tables

@dataclass(frozen=True)
class Source:
    """One table a district gave: a CSV file or one sheet of a workbook."""

    label: str            # as problems name it: "x.csv" or "x.xlsx [S]"
    name: str             # the file or sheet name a mapping uses
    table: Table
    hidden: bool = False


def sheet_key(name: str) -> str:
    """Sheet names as a person reads them (case, spaces do not matter)."""
    return " ".join(name.casefold().split())


def read_export(path: Path, layout: dict[str, dict] | None = None
                ) -> tuple[Table, Table, tuple[Path, ...]]:
    """The students and staff tables of a folder or workbook as the
    district downloaded it (``layout``: per role, the mapping's
    ``sheet``, ``header_row`` and, for students, ``services``)."""
    layout = layout or {}
    sources, files = _sources(path)
    problems: list[Problem] = []
    notes: list[Problem] = []
    chosen: dict[str, Source] = {}
    tables: dict[str, Table] = {}
    roles = {}
    for src in sources:
        try:
            table = find_header(src.table)
        except InputError as exc:  # pragma: no cover - no header_row yet
            problems += exc.problems
            continue
        roles[src.label] = (role_of(table.header), table)
    wanted = {"students": layout.get("students", {}).get("sheet"),
              "staff": layout.get("staff", {}).get("sheet"),
              "services": layout.get("students", {}).get("services")}
    where = str(path.name if path.is_file() else path)
    for role, named in wanted.items():
        if named:
            hit = [s for s in sources if sheet_key(s.name) == sheet_key(
                named) or s.label == named]
            if not hit:
                problems.append(Problem(
                    where, None, None, named,
                    f'the mapping names "{named}" for the {role}, which '
                    "is not there; its sheets/files: " + ", ".join(
                        f'"{s.name}"' for s in sources)))
                continue
            exact = [s for s in hit if s.label == named]
            if len(hit) > 1 and len(exact) != 1:
                problems.append(Problem(
                    where, None, None, named,
                    f'the mapping names "{named}" for the {role}, which '
                    f"{len(hit)} sheets/files are called: " + ", ".join(
                        f'"{s.label}"' for s in hit) + "; name it as "
                    "listed here"))
                continue
            chosen[role] = (exact or hit)[0]
            continue
        fits = [s for s in sources if roles.get(s.label, (None,))[0] == role]
        if role == "services" and not fits:
            notes.extend(Problem(
                s.label, None, None, None,
                "named like a services report but no column of it reads "
                "as the service code; not read (no services joined "
                "from it)")
                for s in sources if "service" in sheet_key(s.name)
                and all(s is not c for c in chosen.values()))
            continue
        tables_read = {s.label for s in sources
                       if roles.get(s.label, (None,))[0] is not None}
        problem = _choose(role, fits, sources, where, notes, tables_read)
        if isinstance(problem, Problem):
            problems.append(problem)
        elif problem is not None:
            chosen[role] = problem
    if not path.is_file():
        notes.extend(Problem(
            p.name, None, None, None,
            f"not read: {p.suffix.lower()} spreadsheets are not read "
            "here; if it holds roster data, save it as .xlsx or CSV")
            for p in sorted(path.iterdir())
            if p.is_file() and p.suffix.lower() in _UNREAD_FILES)
    if problems:
        raise InputError(problems)
    for role, src in chosen.items():
        key = "students" if role == "services" else role
        row = int(layout.get(key, {}).get(
            "services_header_row" if role == "services" else "header_row",
            0) or 0)
        tables[role] = find_header(src.table, row) if row else \
            roles[src.label][1]
    students, staff = tables["students"], tables["staff"]
    if "services" in tables:
        students = join_services(students, tables["services"])
    students = replace(students, notes=[*notes, *students.notes])
    return students, staff, files


def _choose(role: str, fits: list[Source], sources: list[Source],
            where: str, notes: list[Problem], tables_read: set[str]
            ) -> Source | Problem | None:
    """The one table for ``role``, or the question to ask
    (``tables_read``: the labels of the tables that read as one)."""
    visible = [s for s in fits if not s.hidden]
    hidden = [s for s in fits if s.hidden]
    named = [s for s in sources if sheet_key(s.name) == role or sheet_key(
        Path(s.name).stem) == role]
    table = "staff" if role == "staff" else "students"
    how = (f"name it in the mapping file: [{table}] "
           + ("services" if role == "services" else "sheet")
           + ' = "..." (or choose it on the workbench mapping page)')
    if not fits:
        return Problem(where, None, None, None,
                       f"no sheet or file reads as the {role} (sheets/files: "
                       + ", ".join(f'"{s.label}"' for s in sources)
                       + f"); {how}")
    if len(visible) == 1 and len({sheet_key(s.name) for s in fits}) == \
            len(fits):
        took = visible[0]
        also = [s for s in hidden]
        if also:
            return Problem(where, None, None, None,
                           f'"{took.label}" and the hidden sheet(s) '
                           + ", ".join(f'"{s.label}"' for s in also)
                           + f" could be the {role}; {how}")
        word = {"staff": "staff", "students": "student"}.get(role,
                                                             "service")
        alike = [s for s in sources if s is not took
                 and word in sheet_key(s.name)
                 and s.label not in tables_read]
        if alike or not (len(named) == 1 and named[0] is took):
            notes.append(Problem(
                took.label, None, None, None, f"read as the {role}" + (
                    f"; named like it but holding no {role} table, not "
                    "read: " + ", ".join(
                        f'"{s.label}"' + (" (hidden)" if s.hidden else "")
                        for s in alike) if alike else "")))
        return took
    listed = ", ".join(f'"{s.label}"' + (" (hidden)" if s.hidden else "")
                       for s in fits)
    return Problem(where, None, None, None,
                   f"{len(fits)} sheets/files could be the {role}: "
                   f"{listed}; {how}")


def _sources(path: Path) -> tuple[list[Source], tuple[Path, ...]]:
    if path.is_file():
        return _book_sources(path), (path,)
    files = sorted(p for p in path.iterdir() if p.is_file()
                   and p.suffix.lower() in _TABLE_FILES)
    out: list[Source] = []
    for f in files:
        if f.suffix.lower() in (".xlsx", ".xlsm"):
            out += _book_sources(f)
        else:
            out.append(Source(f.name, f.name, read_table(f, ALL_KEYS)))
    return out, tuple(files)


def _book_sources(path: Path) -> list[Source]:
    """Every sheet of a workbook as a table, with whether it is hidden."""
    from optimizer.inputs.excel import read_sheets

    out = []
    for title, hidden, table in read_sheets(path):
        out.append(Source(table.file, title, table, hidden))
    return out


# ------------------------------------------------- for the mapping page

_JOIN_NOTE = re.compile(r"^services joined from (.+) on ")
_LABEL = re.compile(r"^(.*) \[(.*)\]$")
_PLAIN = {"students", "staff", "students.csv", "staff.csv"}


def _name_in(label: str) -> str:
    m = _LABEL.match(label)
    return m.group(2) if m else label


def found_layout(students: Table, staff: Table) -> dict[str, dict]:
    """Where the reader found each table (sheets or files other than the
    plain names, header rows below titles, the services report joined),
    as a mapping file's ``[students]``/``[staff]`` keys say it."""
    out: dict[str, dict] = {}
    for role, table in zip(ROLES, (students, staff)):
        found: dict = {}
        name = _name_in(table.file)
        if sheet_key(name) not in _PLAIN:
            found["sheet"] = name
        for note in table.notes:
            m = HEADER_NOTE.match(note.message)
            if m and note.file == table.file:
                found["header_row"] = int(m.group(1))
            m = _JOIN_NOTE.match(note.message)
            if m and role == "students":
                found["services"] = _name_in(m.group(1))
        out[role] = found
    return out


def list_sources(path: Path) -> list[tuple[str, str, str | None, bool]]:
    """Each sheet or file of a roster: (name, label, what it reads as,
    hidden), for a page that asks which is which."""
    sources, _files = _sources(path)
    out = []
    for src in sources:
        table = find_header(src.table)
        out.append((src.name, src.label, role_of(table.header), src.hidden))
    return out
