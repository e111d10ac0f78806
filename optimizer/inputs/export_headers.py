"""The headers of a district's exports: where the header row is, and
which header is which contract column.

- ``find_header``: the header row below title rows and blank rows (or
  the row the mapping names);
- ``EXPORT_HEADERS``: the headers SEIS reports, CALPADS files and HR
  spreadsheets use (``"SEIS ID"``, ``"School of Attendance"``,
  ``"Disability 1"``, ``"Employee ID"``), read as the contract's columns
  when the table reads as such an export (``export_columns``); two
  headers that read as one column are asked (``export_questions``);
- ``role_of``: what a table holds (students, staff or services) by its
  headers;
- ``student_name_columns``: the columns holding the student's own name,
  for the change list.

What a mapping file says (a header row, a column) always wins.
"""

from __future__ import annotations

import re
from dataclasses import replace

from optimizer.errors import InputError, Problem
from optimizer.inputs.csv_cells import (
    _SYNONYMS,
    EXTRA_PREFIX,
    Table,
    header_key,
)

MAX_TITLE_ROWS = 25

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
ALL_KEYS = (set(_BY_KEY["students"]) | set(_BY_KEY["staff"])
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
        scores = [sum(export_key(c) in ALL_KEYS for c in cells if c)
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
    return sum(export_key(c) in ALL_KEYS for c in header if c) >= 2


# The note find_header leaves (the mapping page and problems read it).
HEADER_NOTE = re.compile(r"^the header is row (\d+);")


def at_header_rows(problems: list[Problem], *tables: Table
                   ) -> list[Problem]:
    """Header problems (the matcher says row 1) on the row the header
    really is, for a table whose header is below title rows."""
    rows = {}
    for table in tables:
        for note in table.notes:
            m = HEADER_NOTE.match(note.message)
            if m and note.file == table.file:
                rows[table.file] = int(m.group(1))
    return [replace(p, row=rows[p.file]) if p.row == 1 and p.file in rows
            else p for p in problems]


# ------------------------------------------------------ export headers

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
