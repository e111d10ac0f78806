"""A district's files as downloaded: which table is which, where its
header is, SEIS's one-row-per-service report, staff names.

On top of the readers (``tables.read_table`` for CSV, ``excel`` for
workbooks), this module

- finds the header row below title rows and blank rows;
- picks the students, staff and services tables of a folder or workbook
  by their content, says which it took, and asks (a problem naming them)
  when two could be, or when a hidden or look-alike sheet could be;
- joins SEIS's *Special Education Services* report (one row per student
  and service) to the student report on SEIS ID (or SSID): a student's
  services are the union of their rows;
- reads the headers SEIS, CALPADS and HR exports use (``"SEIS ID"``,
  ``"School of Attendance"``, ``"Disability 1"``, ``"Employee ID"``) as
  the contract's columns, when the table reads as such an export;
- reads staff names where a column holds a staff member
  (teacher of record, last year's case manager).

What a mapping file says (a sheet, a header row, a column) always wins.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from optimizer.errors import InputError, Problem
from optimizer.inputs.csv_cells import (
    _SYNONYMS,
    EXTRA_PREFIX,
    Table,
    header_key,
    read_table,
)

ROLES = ("students", "staff")
MAX_TITLE_ROWS = 25
# The files of a folder read as tables, and spreadsheets in formats
# not read here (said, never passed over: a district's report saved as
# .xls would otherwise vanish from the plan without a word).
_TABLE_FILES = (".csv", ".txt", ".xlsx", ".xlsm")
_UNREAD_FILES = (".xls", ".xlsb", ".ods", ".numbers")

# Headers of SEIS reports, CALPADS files and HR spreadsheets, by the
# contract column each means (keys compared as ``header_key`` gives them,
# with a trailing school year such as "2024-25" left out). In order of
# preference when a table has two (SEIS ID before SSID).
EXPORT_HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "students": {
        "student_id": ("seis_id", "local_special_education_student_id",
                       "district_id", "student_number", "student_id",
                       "local_student_id", "ssid"),
        "site": ("school_of_attendance", "school", "school_name", "site"),
        "grade": ("grade", "grade_level"),
        "primary_disability": ("disability_1", "primary_disability",
                               "disability1", "primary_eligibility",
                               "eligibility_1"),
        "secondary_disability": ("disability_2", "disability2",
                                 "secondary_eligibility",
                                 "eligibility_2"),
        "support_level": ("disability_degree_of_support",
                          "degree_of_support", "support_needs"),
        "setting": ("program_setting", "setting", "program_setting_code"),
        "services": ("special_education_service_code",
                     "special_education_services", "service_code",
                     "services"),
        "teacher_of_record": ("teacher_of_record", "sdc_teacher",
                              "special_class_teacher"),
        "prior_case_manager": ("case_manager", "prior_case_manager",
                               "last_year's_case_manager"),
        "home_language": ("home_language", "primary_language",
                          "language"),
        # SEIS's IEP Dates report
        "annual_review_date": ("date_of_next_annual_plan_review",
                               "annual_review_date"),
        "reevaluation_date": ("date_of_next_reevaluation",
                              "reevaluation_date"),
    },
    "staff": {
        "staff_id": ("employee_id", "staff_id", "employee_number",
                     "emp_id"),
        "name": ("name", "staff_name", "employee_name", "full_name"),
        "sites": ("sites", "site", "school", "schools", "work_location",
                  "location", "assigned_sites", "assigned_site"),
        "provides": ("position", "position_title", "assignment",
                     "job_title", "provides"),
        "credentials": ("credentials", "credential", "credential_title",
                        "credential_titles", "authorizations"),
        "max_caseload": ("caseload_max", "max_caseload", "caseload_cap"),
        "fte": ("fte",),
        "grades": ("grades", "grade_levels", "grade_span"),
        "languages": ("languages", "languages_spoken"),
        "can_case_manage": ("can_case_manage",),
    },
}
# Headers that say a table is a SEIS/CALPADS or HR export, whose other
# headers are then read as such exports write them.
_SIGNATURE = {"students": ("seis_id", "ssid",
                           "local_special_education_student_id"),
              "staff": ("employee_id", "employee_number", "emp_id")}
_YEAR = re.compile(r"_?\(?(19|20)\d\d(_\d{2,4})?\)?$")


def export_key(header: str) -> str:
    """``"Case Manager 2024-25"`` -> ``case_manager``."""
    return _YEAR.sub("", header_key(header).replace("#", "")).strip("_")


_BY_KEY = {role: {k: col for col, keys in cols.items() for k in keys}
           for role, cols in EXPORT_HEADERS.items()}
_ALL_KEYS = (set(_BY_KEY["students"]) | set(_BY_KEY["staff"])
             | set(_SYNONYMS))


# ----------------------------------------------------------- header row

def find_header(table: Table, header_row: int = 0) -> Table:
    """``table`` with its header taken from the row that reads as one.

    ``header_row`` (spreadsheet numbering) when the mapping gives it;
    else the first row among the first few with the most cells that are
    headers an export or the contract uses, when it has at least two
    (rows above it are titles). Rows keep their numbers.
    """
    rows = [(1, table.header), *table.rows] if table.header else \
        list(table.rows)
    if header_row:
        pos = next((i for i, (r, _c) in enumerate(rows) if r == header_row),
                   None)
        if pos is None:
            raise InputError([Problem(
                table.file, header_row, None, None,
                f"the mapping says the header is row {header_row}, which "
                "is blank or past the end")])
    else:
        scores = [sum(export_key(c) in _ALL_KEYS for c in cells if c)
                  for _r, cells in rows[:MAX_TITLE_ROWS]]
        if not scores or max(scores) < 2 or scores[0] == max(scores):
            return table
        pos = scores.index(max(scores))
    number, header = rows[pos]
    header = [h.strip() for h in header]
    while header and not header[-1]:
        header.pop()
    note = Problem(table.file, number, None, None,
                   f"the header is row {number}; rows above it are "
                   "titles, not read")
    return replace(table, header=header, rows=rows[pos + 1:],
                   notes=[*table.notes, note])


def is_header(header: list[str]) -> bool:
    """Whether a first row reads as a header (two or more cells an
    export or the contract uses)."""
    return sum(export_key(c) in _ALL_KEYS for c in header if c) >= 2


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


def _positions(header: list[str], role: str) -> dict[str, list[int]]:
    """Contract column -> the positions of the headers read as it: its
    exact name, else the first export header in ``EXPORT_HEADERS`` order
    the table has (two positions when the table has that header twice,
    as "Case Manager 2024-25" and "Case Manager 2025-26")."""
    keys = [export_key(h) for h in header]
    out: dict[str, list[int]] = {}
    for col, names in EXPORT_HEADERS[role].items():
        for name in (col, *names):
            at = [i for i, k in enumerate(keys) if k == name]
            if at:
                out[col] = at
                break
    return out


def recognised(header: list[str], role: str) -> dict[str, int]:
    """Contract column -> position, by exact name or an export's header
    (the first in ``EXPORT_HEADERS`` order when several)."""
    return {col: at[0] for col, at in _positions(header, role).items()}


def role_of(header: list[str]) -> str | None:
    """What a table holds, by its headers: students, staff, services."""
    stu = recognised(header, "students")
    staff = recognised(header, "staff")
    if {"staff_id", "name"} <= set(staff) and (
            {"sites", "provides", "credentials"} & set(staff)):
        return "staff"
    if {"student_id", "primary_disability"} <= set(stu):
        return "students"
    if {"student_id", "services"} <= set(stu):
        return "services"
    return None


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
            chosen[role] = hit[0]
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
            out.append(Source(f.name, f.name, read_table(f, _ALL_KEYS)))
    return out, tuple(files)


def _book_sources(path: Path) -> list[Source]:
    """Every sheet of a workbook as a table, with whether it is hidden."""
    from optimizer.inputs.excel import read_sheets

    out = []
    for title, hidden, table in read_sheets(path):
        out.append(Source(table.file, title, table, hidden))
    return out


# --------------------------------------------------- SEIS services join

def join_services(students: Table, services: Table) -> Table:
    """The student report with each student's services: the union of
    their rows in the services report, joined on SEIS ID or SSID.

    Service rows of a student the student report does not have are
    problems (nothing is dropped silently).
    """
    s_cols = recognised(students.header, "students")
    v_cols = recognised(services.header, "students")
    keys = [export_key(h) for h in students.header]
    vkeys = [export_key(h) for h in services.header]
    on = next((k for k in ("seis_id", "ssid",
                           "local_special_education_student_id")
               if k in keys and k in vkeys), None)
    if on is None:
        raise InputError([Problem(
            services.file, None, None, None,
            "the services report and the student report share no SEIS "
            "ID or SSID column to join them on")])
    if "services" not in v_cols:  # only a mapping names such a table
        raise InputError([Problem(
            services.file, None, None, None,
            "named as the services report in the mapping, but no column "
            "of it reads as the service code (" + ", ".join(
                f'"{h}"' for h in ("Special Education Service Code",
                                   "Service Code", "services"))
            + "); name the report that lists each student's services")])
    spos, vpos = keys.index(on), vkeys.index(on)
    code = v_cols["services"]
    union: dict[str, list[str]] = {}
    first_row: dict[str, int] = {}
    service_row: dict[tuple[str, str], int] = {}
    unkeyed: list[Problem] = []
    uncoded: list[Problem] = []
    for row, cells in services.rows:
        sid = cells[vpos].strip() if vpos < len(cells) else ""
        value = cells[code].strip() if code < len(cells) else ""
        if not sid:
            if any(c.strip() for c in cells):  # a row, not a blank line
                unkeyed.append(Problem(
                    services.file, row, services.header[vpos], None,
                    f"a service row without a {services.header[vpos]}: "
                    "whose service it is cannot be told"))
            continue
        items = union.setdefault(sid, [])
        first_row.setdefault(sid, row)
        if not value:
            uncoded.append(Problem(
                services.file, row, services.header[code], None,
                f"a service row of {services.header[vpos]} {sid} with no "
                "service code: no service read from it"))
        elif value not in items:
            items.append(value)
            service_row[sid, value] = row
    on_rows: dict[str, list[int]] = {}
    for r, cells in students.rows:
        if spos < len(cells) and cells[spos].strip():
            on_rows.setdefault(cells[spos].strip(), []).append(r)
    problems = [Problem(services.file, first_row[sid],
                        services.header[vpos], sid,
                        f"{services.header[vpos]} {sid} has services here "
                        f"but is not in {students.file}")
                for sid in union if sid not in on_rows]
    if s_cols.get("student_id") != spos:  # else: a duplicate student id
        problems += [Problem(
            students.file, on_rows[sid][0], students.header[spos], sid,
            f"{students.header[spos]} {sid} is on {len(on_rows[sid])} rows "
            f"(rows {', '.join(map(str, on_rows[sid]))}): whose services "
            f"in {services.file} these are cannot be told")
            for sid in union if len(on_rows.get(sid, ())) > 1]
    problems = sorted(unkeyed + problems, key=lambda p: p.row or 0)
    if not union and not unkeyed:  # a header and no rows
        problems.append(Problem(
            services.file, None, None, None,
            "the services report has a header and no service rows, so "
            "no student's services can be read from it (the wrong report "
            "exported, or a filter that left nothing?); export it again "
            "with its rows, or leave it out to plan without services"))
    if problems:
        raise InputError(problems)
    head = services.header[code]
    header = list(students.header)
    own = s_cols.get("services")
    if own is None:
        header.append(head)
    rows = []
    origin: dict[tuple[int, str], int] = {}
    for row, cells in students.rows:
        cells = list(cells) + [""] * (len(header) - len(cells))
        sid = cells[spos].strip()
        got = union.get(sid, [])
        mine: list[str] = []
        if own is not None:
            mine = [i for i in re.split(r"[;]", cells[own]) if i.strip()]
            cells[own] = ";".join(dict.fromkeys([*mine, *got]))
        else:
            cells[-1] = ";".join(got)
        origin.update(((row, v), service_row[sid, v]) for v in got
                      if v not in {m.strip() for m in mine})
        rows.append((row, cells))
    digest = hashlib.sha256((students.digest + services.digest).encode()
                            ).hexdigest()
    note = Problem(students.file, None, head, None,
                   f"services joined from {services.file} on "
                   f"{services.header[vpos]} ({len(services.rows)} service "
                   f"rows, {len(union)} students)")
    return replace(students, header=header, rows=rows, digest=digest,
                   notes=[*students.notes, *services.notes, note, *uncoded],
                   joined=(services.file, head if own is None
                           else students.header[own], origin))


def at_service_rows(problems: list[Problem], students: Table
                    ) -> list[Problem]:
    """A problem with a service joined from SEIS's services report named
    where the user can fix it: that report and its rows, not the student
    report's row (which has no such cell)."""
    if students.joined is None:
        return problems
    file, column, origin = students.joined
    out = []
    for p in problems:
        rows = p.rows or ((p.row,) if p.row is not None else ())
        found = [origin.get((r, p.value or "")) for r in rows]
        if (p.file != students.file or p.column != column or not rows
                or None in found):
            out.append(p)
            continue
        where = sorted(set(found))
        out.append(replace(p, file=file, row=where[0],
                           rows=tuple(where) if len(where) > 1 else ()))
    return out


# ------------------------------------------------------ export headers

def export_columns(table: Table, role: str, taken: dict[str, str]
                   ) -> tuple[dict[str, str], list[str]]:
    """District header -> contract column for a table that reads as an
    export (its required columns found only by an export's headers),
    and the headers to keep as the district's own (SSID beside SEIS ID).

    ``taken``: the mapping's own choices (header -> column), which win.
    Two headers that read as one column are left for the mapping to
    choose (``export_questions`` asks). The services joined from a
    services report are read as ``services`` whatever the student
    report's headers (it may have the contract's).
    """
    out, own, _asked = _export_columns(table, role, taken)
    if role == "students" and table.joined is not None:
        head = table.joined[1]
        said = {*taken.values(), *out.values(),
                *(header_key(h) for h in table.header)}
        if head not in taken and "services" not in said:
            out[head] = "services"
    return out, own


def export_questions(table: Table, role: str, taken: dict[str, str]
                     ) -> list[Problem]:
    """Two headers of an export that read as one column ("Case Manager
    2024-25" and "Case Manager 2025-26" both as last year's case
    manager): which one is meant is asked, never taken by position."""
    return _export_columns(table, role, taken)[2]


def _export_columns(table: Table, role: str, taken: dict[str, str]
                    ) -> tuple[dict[str, str], list[str], list[Problem]]:
    from optimizer.inputs.roster import STAFF_COLUMNS, STUDENT_COLUMNS

    columns = STUDENT_COLUMNS if role == "students" else STAFF_COLUMNS
    keys = [header_key(h) for h in table.header]
    have = {c for c in taken.values()} | {
        k for k in keys if k in {c.name for c in columns}}
    found = _positions(table.header, role)
    if not set(_SIGNATURE[role]) & {export_key(h) for h in table.header}:
        return {}, [], []
    missing_required = [c.name for c in columns
                        if c.required and c.name not in have]
    if not missing_required or not all(c in found
                                       for c in missing_required):
        return {}, [], []
    out = {}
    asked: list[Problem] = []
    left: set[str] = set()
    for col, at in found.items():
        heads = [table.header[p] for p in at]
        if col in have or any(h in taken for h in heads):
            continue
        if len(heads) > 1:
            left.update(heads)
            what = " (last year's case manager)" if \
                col == "prior_case_manager" else ""
            asked.append(Problem(
                table.file, 1, None, None,
                f"{len(heads)} columns read as {col}{what}: " + ", ".join(
                    f'"{h}"' for h in heads) + "; say which in the "
                f'mapping file ([{role}.columns] "..." = "{col}") or on '
                "the workbench mapping page"))
            continue
        if keys[at[0]] != col:
            out[heads[0]] = col
    used = set(out) | set(taken) | left
    own = [h for h in table.header if h.strip() and h not in used
           and export_key(h) in _BY_KEY[role]
           and header_key(h) not in {c.name for c in columns}]
    return out, own, asked


# ------------------------------------------------------- staff names

def name_key(text: str) -> str:
    """"Park, Rosa", "rosa  PARK" and "Rosa Park" compare equal."""
    text = " ".join(text.replace("\u00a0", " ").split())
    if text.count(",") == 1:
        last, first = (p.strip() for p in text.split(","))
        text = f"{first} {last}"
    return text.casefold()


def _looks_like_name(text: str) -> bool:
    return bool(re.search(r"[A-Za-z]", text)) and (
        " " in text.strip() or "," in text)


# "Ms. Garcia", "Dr Ito": a courtesy title before a name.
_TITLE = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr)\.?\s+", re.IGNORECASE)
# One word of a name: letters, with inner apostrophes or hyphens.
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")


def _name_words(name: str) -> set[str]:
    """The words one word of a cell may name a staff member by: their
    first name and last name ("Maria Garcia", "Garcia, Maria" ->
    maria, garcia; "De la Cruz, Ana" -> ana, de la cruz, cruz)."""
    text = name_key(name)
    words = text.split()
    if not words:
        return set()
    if name.count(",") == 1:  # name_key put the last name last
        last = name.split(",")[0].strip().casefold()
        last = " ".join(last.split())
        return {words[0], last, last.split()[-1]} if last else {words[0]}
    return {words[0], words[-1]}


@dataclass
class _Staff:
    """The staff list as names are matched against it."""

    ids: set[str]
    names: dict[str, str]                # id -> name
    by_name: dict[str, list[str]]        # name_key -> ids
    by_word: dict[str, list[str]]        # first or last name -> ids

    @classmethod
    def of(cls, staff: Table) -> _Staff | None:
        skeys = [header_key(h) for h in staff.header]
        if "staff_id" not in skeys or "name" not in skeys:
            return None
        ipos, npos = skeys.index("staff_id"), skeys.index("name")
        out = cls(set(), {}, {}, {})
        for _row, cells in staff.rows:
            sid = cells[ipos].strip() if ipos < len(cells) else ""
            name = cells[npos].strip() if npos < len(cells) else ""
            if not sid:
                continue
            out.ids.add(sid)
            out.names[sid] = name
            if name:
                out.by_name.setdefault(name_key(name), []).append(sid)
                for word in _name_words(name):
                    ids = out.by_word.setdefault(word, [])
                    if sid not in ids:
                        ids.append(sid)
        return out

    def lookup(self, cell: str) -> tuple[list[str], bool]:
        """The staff a cell names, and whether by one word only (a first
        or last name, "Garcia", "Ms. Garcia", which is then said)."""
        hits = self.by_name.get(name_key(cell), [])
        if hits:
            return hits, False
        bare = _TITLE.sub("", cell.strip()).strip()
        if bare != cell.strip():
            hits = self.by_name.get(name_key(bare), [])
            if hits:
                return hits, False
        if _WORD.fullmatch(bare):
            return self.by_word.get(bare.casefold(), []), True
        return [], False

    def listed(self, ids: list[str]) -> str:
        return ", ".join(f'"{self.names[i]}" ({i})' for i in ids)


def resolve_names(students: Table, staff: Table
                  ) -> tuple[Table, list[Problem], list[Problem]]:
    """Staff names in the teacher_of_record and prior_case_manager
    columns replaced by staff ids, with the problems (a teacher of record
    nobody is called; a name two staff share; one word that is the first
    or last name of several staff) and warnings (last year's case
    manager by a name nobody has now, once per name; one word read as
    the one staff member of that first or last name, once per word)."""
    known = _Staff.of(staff)
    if known is None:
        return students, [], []
    keys = [header_key(h) for h in students.header]
    todo = [(c, keys.index(c)) for c in ("teacher_of_record",
                                         "prior_case_manager")
            if c in keys]
    problems: list[Problem] = []
    notes: list[Problem] = []
    if not todo:
        return students, problems, notes
    warned: set[tuple[int, str]] = set()
    counts: dict[int, Counter[str]] = {}

    def count(pos: int, cell: str) -> int:
        if pos not in counts:
            counts[pos] = Counter(c[pos].strip() for _r, c in students.rows
                                  if pos < len(c))
        return counts[pos][cell]

    rows = []
    changed = False
    for row, cells in students.rows:
        new = None
        for col, pos in todo:
            cell = cells[pos].strip() if pos < len(cells) else ""
            if not cell or cell in known.ids:
                continue
            hits, by_word = known.lookup(cell)
            head = students.header[pos]
            if len(hits) == 1:
                new = new or list(cells)
                new[pos] = hits[0]
                if by_word and (pos, cell) not in warned:
                    warned.add((pos, cell))
                    notes.append(Problem(
                        students.file, row, head, cell,
                        f'"{cell}" read as {known.listed(hits)}, the only '
                        f"staff member of that name ({count(pos, cell)} "
                        "student(s)); write the staff id or the full "
                        "name to be certain"))
                continue
            if len(hits) > 1:
                problems.append(Problem(
                    students.file, row, head, cell,
                    (f'"{cell}" could be {len(hits)} staff ('
                     + known.listed(hits) + "): write the staff id or the "
                     "full name instead") if by_word else
                    (f'{len(hits)} staff are called "{cell}" ('
                     + ", ".join(hits) + "): write the staff id instead")))
                continue
            if not _looks_like_name(cell):
                continue  # an unknown id: the loader's own warning
            near = _closest(cell, known.names)
            if col == "teacher_of_record":
                problems.append(Problem(
                    students.file, row, head, cell,
                    f'no one on the staff list is called "{cell}"'
                    + (f"; closest: {near}" if near else "")
                    + "; write the staff id or the name as the staff "
                    "list spells it"))
            elif (pos, cell) not in warned:
                warned.add((pos, cell))
                typo = _closest(cell, known.names, cutoff=0.85, n=1)
                notes.append(Problem(
                    students.file, row, head, cell,
                    f'"{cell}" (last year\'s case manager of '
                    f"{count(pos, cell)} student(s)) is not on the staff "
                    "list"
                    + (f"; perhaps {typo}, a near spelling" if typo
                       else "; case managers who have left keep no "
                       "continuity")
                    + "; continuity (S3) cannot apply"))
        if new is not None:
            changed = True
            rows.append((row, new))
        else:
            rows.append((row, cells))
    if changed:
        students = replace(students, rows=rows)
    return students, problems, notes


def _closest(cell: str, names: dict[str, str], cutoff: float = 0.6,
             n: int = 3) -> str:
    keyed = {name_key(v): k for k, v in names.items() if v}
    hits = difflib.get_close_matches(name_key(cell), list(keyed), n=n,
                                     cutoff=cutoff)
    return ", ".join(f'"{names[keyed[h]]}" ({keyed[h]})' for h in hits)


# ----------------------------------------------------- student names

# The columns holding the student's own name, as exports and rosters
# write them (keys as ``export_key`` gives them, a leading "x_" left
# out): a parent's, a teacher's or a preferred name is not it.
STUDENT_NAMES = {
    "student_name": ("student_name", "name", "student",
                     "student_full_name", "full_name"),
    "last_name": ("last_name", "lastname", "student_last_name",
                  "legal_last_name", "student_legal_last_name"),
    "first_name": ("first_name", "firstname", "student_first_name",
                   "legal_first_name", "student_legal_first_name"),
}
_NAME_WORDS = {"last_name": "last name", "first_name": "first name",
               "student_name": "name"}


def student_name_columns(file: str, columns: tuple[str, ...]
                         ) -> tuple[dict[str, str], list[Problem]]:
    """The roster's own columns that hold the student's name (for the
    change list): ``student_name``, else ``last_name`` and
    ``first_name`` -> the column, and what cannot be told said (two
    columns that could be one of them: neither is taken; a first or
    last name column that is someone else's is not read as it).
    """
    keys = [export_key(c).removeprefix(EXTRA_PREFIX) for c in columns]
    out: dict[str, str] = {}
    said: list[Problem] = []
    for part, names in STUDENT_NAMES.items():
        if part != "student_name" and "student_name" in out:
            break  # the full name is the student's name
        fits = [c for c, k in zip(columns, keys) if k in names]
        word = _NAME_WORDS[part]
        if len(fits) == 1:
            out[part] = fits[0]
        elif fits:
            said.append(Problem(
                file, None, None, None,
                f"{len(fits)} columns could be the student's {word} ("
                + ", ".join(f'"{c}"' for c in fits) + "); the change "
                f"list (changes_for_district.csv) leaves the {word} out: "
                "keep one of them (rename or remove the others)"))
        elif part != "student_name":
            others = [c for c, k in zip(columns, keys) if part in k]
            if others:
                said.append(Problem(
                    file, None, None, None,
                    "no column is the student's own " + word + " ("
                    + ", ".join(f'"{c}"' for c in others) + " not read "
                    "as it); the change list leaves it out"))
    return out, said


# ------------------------------------------------------- staff sites

ALL_SITES = {"all sites", "all", "district wide", "districtwide",
             "all schools", "every site", "all campuses"}


def site_problems(students: Table, staff: Table,
                  warnings: list[Problem] | None = None) -> list[Problem]:
    """A staff site no student attends: "All Sites" is asked (it may
    mean ``*``), a near spelling of a real site is a problem with it, any
    other is a warning (into ``warnings``), once per site."""
    skeys = [header_key(h) for h in staff.header]
    ukeys = [header_key(h) for h in students.header]
    if "sites" not in skeys or "site" not in ukeys:
        return []
    spos, upos = skeys.index("sites"), ukeys.index("site")
    real = {c[upos].strip() for _r, c in students.rows if upos < len(c)}
    real.discard("")
    out = []
    told: set[str] = set()
    for row, cells in staff.rows:
        cell = cells[spos] if spos < len(cells) else ""
        sep = ";" if ";" in cell or "," not in cell else ","
        for site in (s.strip() for s in cell.split(sep)):
            if not site or site == "*" or site in real:
                continue
            plain = " ".join(re.sub(r"[^a-z]+", " ", site.casefold())
                             .split())
            if plain in ALL_SITES:
                out.append(Problem(
                    staff.file, row, staff.header[spos], site,
                    f'"{site}" is not a site of any student; if it means '
                    'every site, write "*" (or match it to * in the '
                    "mapping)"))
                continue
            folded = {r.casefold(): r for r in sorted(real)}
            near = difflib.get_close_matches(site.casefold(), list(folded),
                                             n=1, cutoff=0.8)
            if near:
                out.append(Problem(
                    staff.file, row, staff.header[spos], site,
                    f'"{site}" is not a site of any student (did you mean '
                    f'"{folded[near[0]]}"?)'))
            elif warnings is not None and site not in told:
                told.add(site)
                warnings.append(Problem(
                    staff.file, row, staff.header[spos], site,
                    f'no student attends "{site}"; staff there serve no '
                    'one (write "*" for every site, or check the name)'))
    return out


# ------------------------------------------------- for the mapping page

_HEADER_NOTE = re.compile(r"^the header is row (\d+);")
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
            m = _HEADER_NOTE.match(note.message)
            if m and note.file == table.file:
                found["header_row"] = int(m.group(1))
            m = _JOIN_NOTE.match(note.message)
            if m and role == "students":
                found["services"] = _name_in(m.group(1))
        out[role] = found
    return out


def at_header_rows(problems: list[Problem], *tables: Table
                   ) -> list[Problem]:
    """Header problems (the matcher says row 1) on the row the header
    really is, for a table whose header is below title rows."""
    rows = {}
    for table in tables:
        for note in table.notes:
            m = _HEADER_NOTE.match(note.message)
            if m and note.file == table.file:
                rows[table.file] = int(m.group(1))
    return [replace(p, row=rows[p.file]) if p.row == 1 and p.file in rows
            else p for p in problems]


def list_sources(path: Path) -> list[tuple[str, str, str | None, bool]]:
    """Each sheet or file of a roster: (name, label, what it reads as,
    hidden), for a page that asks which is which."""
    sources, _files = _sources(path)
    out = []
    for src in sources:
        table = find_header(src.table)
        out.append((src.name, src.label, role_of(table.header), src.hidden))
    return out
