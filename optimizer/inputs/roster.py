"""Read a roster (students.csv and staff.csv, or a workbook) into the
domain: every problem located, legal-but-suspicious input warned about.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import ValidationError

from optimizer.domain import Instance, Staff, Student
from optimizer.errors import InputError, Problem
from optimizer.inputs import codesets, limits, parse
from optimizer.inputs.columns import clean_students
from optimizer.inputs.csv_cells import (
    Column,
    Table,
    check_unique,
    formula_cells,
    header_key,
    overflow_problems,
    parse_rows,
    parse_rows_one_by_one,
    read_table,
    resolve_columns,
    validation_problems,
)
from optimizer.reasons.coverage import Coverage, service_coverage
from optimizer.rules import PairJudge, RuleSet
from optimizer.vocab import INSTRUCTS, SERVICES

STUDENT_COLUMNS: tuple[Column, ...] = (
    Column("student_id", True, parse.identifier),
    Column("site", True, parse.code),
    Column("grade", True, parse.grade),
    Column("primary_disability", True, parse.disability),
    Column("secondary_disability", False, parse.secondary_disability),
    Column("support_level", False, parse.support_level),
    Column("setting", True, parse.setting),
    Column("services", False, parse.services),
    Column("alt_placement_secondary", False, parse.boolean),
    Column("teacher_of_record", False, parse.code),
    Column("prior_case_manager", False, parse.code),
    Column("home_language", False, parse.code),
    Column("weight", False, parse.weight),
    Column("annual_review_date", False, parse.meeting_date),
    Column("reevaluation_date", False, parse.meeting_date),
)
STAFF_COLUMNS: tuple[Column, ...] = (
    Column("staff_id", True, parse.identifier),
    Column("name", True),
    Column("sites", True, parse.code_list),
    Column("provides", True, parse.provides),
    Column("credentials", False),  # parsed against the rules table
    Column("max_caseload", False, parse.non_negative_int),
    Column("fte", False, parse.fte),
    Column("grades", False, parse.grades),
    Column("languages", False, parse.code_list),
    Column("can_case_manage", False, parse.boolean),
)


@dataclass(frozen=True)
class Roster:
    """A loaded roster: the instance, its warnings and where it came from."""

    instance: Instance
    warnings: tuple[Problem, ...]
    input_hash: str
    path: Path
    files: tuple[Path, ...]
    rows: dict[str, int] = field(default_factory=dict)  # student -> row
    students_file: str = "students.csv"  # as problems name it
    # Contract column -> the export's own header, when the roster came
    # from a district's export (a mapping, or an export's headers); and
    # the student's name columns the reader chose for the change list
    # (first_name, last_name, student_name -> the column).
    headers: dict[str, str] = field(default_factory=dict)
    # Loaded with ``defer_warnings``: where in ``warnings`` the judged
    # warnings go, and what judges them (``with_warnings``).
    later_at: int | None = None
    later: Callable[[], list[Problem]] | None = field(
        default=None, compare=False, repr=False)


def with_warnings(roster: Roster) -> Roster:
    """``roster`` with every warning, in the order ``load_roster`` gives
    them; itself when none was left for later."""
    if roster.later is None or roster.later_at is None:
        return roster
    warnings = list(roster.warnings)
    warnings[roster.later_at:roster.later_at] = roster.later()
    return replace(roster, warnings=tuple(warnings), later_at=None,
                   later=None)


# --------------------------------------------------------------- reading

def _find_roster_files(path: Path) -> tuple[Path, Path]:
    if path.is_file():
        raise InputError([Problem(path.name, None, None, None,
                                  "a roster is a folder holding students.csv "
                                  "and staff.csv, or an .xlsx workbook with "
                                  "sheets students and staff")])
    files = {p.name.lower(): p for p in path.iterdir() if p.is_file()}
    missing = [n for n in ("students.csv", "staff.csv") if n not in files]
    if missing:
        raise InputError([Problem(str(path), None, None, None,
                                  "the roster folder has no "
                                  + " or ".join(missing))])
    return files["students.csv"], files["staff.csv"]


def read_roster_tables(path: Path, layout: dict | None = None
                       ) -> tuple[Table, Table, tuple[Path, ...]]:
    """The students and staff tables of a roster folder or workbook, as
    text cells, and the files read.

    A folder or workbook as the district downloaded it (other file or
    sheet names, title rows, SEIS's services report) is read by
    ``exports.read_export``; ``layout`` is the mapping's word on sheets
    and header rows.
    """
    from optimizer.inputs import export_headers, exports

    if not path.exists():
        raise InputError([Problem(str(path), None, None, None,
                                  "no such file or folder")])
    if exports.needs_export_reading(path, layout):
        return exports.read_export(path, layout)
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        from optimizer.inputs.excel import read_workbook

        try:
            student_table, staff_table = read_workbook(path)
        except InputError as exc:  # a blank first row: titles below?
            return exports.read_export_or(path, layout, exc)
        if layout or not all(export_headers.is_header(t.header)
                             for t in (student_table, staff_table)):
            # Title rows above the header: the sheets as they are.
            return exports.read_export_or(path, layout, None)
        return student_table, staff_table, (path,)
    students_path, staff_path = _find_roster_files(path)
    _check_size(students_path)
    staff_table = read_table(staff_path, [c.name for c in STAFF_COLUMNS])
    student_table = read_table(students_path,
                               [c.name for c in STUDENT_COLUMNS])
    return (*exports.header_rows(student_table, staff_table, layout),
            (students_path, staff_path))


def load_roster(path: Path | str, rules: RuleSet,
                mapping=None, *, defer_warnings: bool = False) -> Roster:
    """Load a roster folder (``students.csv``, ``staff.csv``) into a Roster.

    ``mapping`` (an ``inputs.mapping.Mapping``) renames the district's
    headers and values to the contract's before anything is checked;
    problems still name the district's own headers. An export's own
    headers (SEIS, CALPADS, HR) are read without one.

    With ``defer_warnings`` the warnings that judge the roster under the
    rules (teachers of record, authorizations, the service coverage:
    about a second on a 70,000-student roster) are left for
    ``with_warnings``, so a caller can judge them while the plan is
    being solved (``operations.SolveAhead``).

    Raises
    ------
    InputError
        With every problem found in both files.
    """
    from optimizer.inputs.mapping import Mapping, mapped_roster

    def load(path, rules, transform=None, layout=None):
        return _load_roster(path, rules, transform, layout,
                            defer_warnings=defer_warnings)

    return mapped_roster(path, rules, mapping or Mapping(), load)


def _load_roster(path: Path | str, rules: RuleSet,
                 transform=None, layout: dict | None = None, *,
                 defer_warnings: bool = False) -> Roster:
    from optimizer.inputs import export_headers, staff_names

    path = Path(path)
    student_table, staff_table, files = read_roster_tables(path, layout)
    if transform is not None:
        student_table, staff_table = transform(student_table, staff_table)
    if len(student_table.rows) > MAX_STUDENT_ROWS:
        raise InputError([Problem(student_table.file, None, None, None,
                                  f"{len(student_table.rows):,} rows; the "
                                  f"limit is {MAX_STUDENT_ROWS:,} students")])
    problems: list[Problem] = [*overflow_problems(staff_table),
                               *overflow_problems(student_table)]
    staff_found, _ = resolve_columns(staff_table, STAFF_COLUMNS, problems)
    student_cols = resolve_columns(student_table, STUDENT_COLUMNS, problems)
    problems += _too_wide_for_plan(student_table, student_cols[1])
    if problems:  # rows read under unmatched headers would only cascade
        raise InputError(export_headers.at_header_rows(
            problems, student_table, staff_table))
    # Staff named where ids are expected; staff sites no student has.
    student_table, problems, named = staff_names.resolve_names(
        student_table, staff_table)
    nowhere: list[Problem] = []
    problems += staff_names.site_problems(student_table, staff_table,
                                          nowhere)
    staff = _build_staff(staff_table, staff_found, rules, problems)
    students, extra_cols, extras = build_students(student_table,
                                                   student_cols, problems)
    repairs = _repair_dropped_zeros(students, student_table, staff)
    if problems:
        raise InputError(problems)
    try:
        instance = Instance(students=tuple(students), staff=tuple(staff),
                            extra_columns=extra_cols, extras=extras)
    except ValidationError as exc:  # only cross-record invariants remain
        raise InputError(validation_problems(
            path.name, None, exc.errors(), key="")) from None
    contract = {c.name for c in STUDENT_COLUMNS}
    gone = {w.value for w in named}
    rows = {s.student_id: r for r, s in
            zip([r for r, _ in student_table.rows], students)}
    warnings = [*staff_table.notes, *student_table.notes, *named,
                *nowhere, *repairs,
                *formula_cells(staff_table, {"name"}),
                *formula_cells(student_table, {
                    h for h in student_table.header
                    if header_key(h) not in contract})]
    files_named = (student_table.file, staff_table.file)  # not the tables

    def judged() -> list[Problem]:
        return [w for w in roster_warnings(instance, rules, *files_named,
                                           rows)
                # a name nobody has: warned once per name above
                if not (w.column == "prior_case_manager"
                        and w.value in gone)]

    digest = hashlib.sha256(
        (student_table.digest + staff_table.digest).encode()).hexdigest()
    roster = Roster(instance, tuple(warnings), digest, path, files, rows,
                    student_table.file, later_at=len(warnings),
                    later=judged)
    return roster if defer_warnings else with_warnings(roster)


def _repair_dropped_zeros(students: list[Student], table: Table,
                          staff: list[Staff]) -> list[Problem]:
    """Excel drops leading zeros ("007" -> "7"): re-link such references
    when exactly one staff id matches once zeros are ignored."""
    ids = {c.staff_id for c in staff}
    by_digits: dict[str, list[str]] = {}
    for i in ids:
        by_digits.setdefault(i.lstrip("0"), []).append(i)
    notes: list[Problem] = []
    # Most rosters have no such reference: find that out per distinct
    # reference before going student by student for the notes.
    refs = ({s.prior_case_manager for s in students}
            | {s.teacher_of_record for s in students})
    if not any(ref and ref not in ids
               and len(by_digits.get(ref.lstrip("0"), [])) == 1
               for ref in refs):
        return notes
    rows = [r for r, _ in table.rows]
    for pos, s in enumerate(students):
        for column in ("prior_case_manager", "teacher_of_record"):
            ref = getattr(s, column)
            if not ref or ref in ids:
                continue
            match = by_digits.get(ref.lstrip("0"), [])
            if len(match) == 1:
                students[pos] = s = s.model_copy(update={column: match[0]})
                notes.append(Problem(
                    table.file, rows[pos] if pos < len(rows) else None,
                    column, ref,
                    f'staff_id "{ref}" is not in staff.csv but '
                    f'"{match[0]}" is; Excel may have dropped leading '
                    f'zeros, so "{match[0]}" is used'))
    return notes


MAX_STUDENT_ROWS = limits.MAX_STUDENT_ROWS
# assignments.csv's own columns around the roster's extra ones
# (outputs.plan_files: ASSIGNMENT_COLUMNS and PRODUCT_COLUMNS; tested equal).
PLAN_OWN_COLUMNS = 11


def _too_wide_for_plan(table: Table, extra: list[int]) -> list[Problem]:
    """plan.xlsx holds at most 16,384 columns: the plan's own and the
    roster's extra columns must fit, or plan.xlsx would drop the last
    ones (the plan's reason among them)."""
    room = limits.MAX_COLUMNS - PLAN_OWN_COLUMNS
    if len(extra) <= room:
        return []
    return [Problem(table.file, 1, table.header[extra[room]], None,
                    f"{len(extra):,} columns of your own; a plan has room "
                    f"for {room:,} beside its {PLAN_OWN_COLUMNS} columns "
                    f"(a sheet holds {limits.MAX_COLUMNS:,}, Excel's "
                    "limit): remove the columns the plan does not need")]


def _check_size(path: Path) -> None:
    """Refuse rosters far beyond any California district, before parsing."""
    with open(path, "rb") as fh:
        rows = sum(chunk.count(b"\n") for chunk in iter(
            lambda: fh.read(1 << 20), b""))
    if rows - 1 > MAX_STUDENT_ROWS:
        raise InputError([Problem(
            path.name, None, None, None,
            f"{path.name} has {rows - 1:,} rows; the limit is "
            f"{MAX_STUDENT_ROWS:,} students (the largest California "
            "district has about 65,000 students with IEPs). Split the "
            "roster by SELPA or region and plan each part")])


def credential_codes(text: str, rules: RuleSet) -> tuple[str, ...]:
    """A ``;`` list of codes or aliases -> canonical codes.

    Raises ``ValueError`` whose argument lists (code, message) pairs.
    """
    codes: list[str] = []
    bad = []
    for code in parse.split_list(text):
        canon = rules.alias_to_code.get(code.upper())
        if canon is None:  # a CTC title in words
            canon = codesets.credential_titles(rules.credentials).get(
                codesets.credential_key(code))
        if canon is None:
            hint = parse.suggest(code, list(rules.alias_to_code))
            bad.append((code, f'unknown credential code "{code}"{hint}; '
                        "see data/rules/credentials.csv"))
        elif canon not in codes:
            codes.append(canon)
    if bad:
        raise ValueError(bad)
    return tuple(codes)


def _build_staff(table: Table, found: dict[str, int], rules: RuleSet,
                 problems: list[Problem]) -> list[Staff]:
    parsed = parse_rows(table, STAFF_COLUMNS, found, problems)
    if not parsed:
        problems.append(Problem(table.file, None, None, None,
                                "no staff rows: the file has only a header"))
    check_unique(table, parsed, "staff_id", problems)
    staff = []
    # Rows already given a problem (a set: not a scan of every problem
    # for every row, quadratic on a large file with a problem per row).
    flagged = {p.row for p in problems if p.file == table.file}
    for row, values in parsed:
        try:
            values["credentials"] = credential_codes(
                values.pop("credentials", ""), rules)
        except ValueError as exc:
            problems.extend(Problem(table.file, row, "credentials", code,
                                    msg) for code, msg in exc.args[0])
            flagged.add(row)
            values["credentials"] = ()
        for key in ("sites", "provides", "languages"):
            if key in values:
                values[key] = tuple(values[key])
        try:
            staff.append(Staff(**values))
        except ValidationError as exc:
            if row not in flagged:
                problems.extend(validation_problems(
                    table.file, row, exc.errors(), default_column="staff_id"))
                flagged.add(row)
            continue
        issue = rules.legal_cap_issue(staff[-1])
        if issue is not None:  # caps set by law (EC 56362(c), 56441.7(a))
            level, why = issue
            (problems if level == "error" else table.notes).append(Problem(
                table.file, row, "max_caseload",
                str(staff[-1].max_caseload), why))
            if level == "error":
                flagged.add(row)
    return staff


def build_students(table: Table,
                    columns: tuple[dict[str, int], list[int]],
                    problems: list[Problem]
                    ) -> tuple[list[Student], tuple[str, ...],
                               dict[str, tuple[str, ...]]]:
    found, extra_pos = columns
    fast = clean_students(table, STUDENT_COLUMNS, found, extra_pos)
    if fast is not None:
        return fast
    parsed = parse_rows_one_by_one(table, STUDENT_COLUMNS, found, problems)
    if not parsed:
        problems.append(Problem(table.file, None, None, None,
                                "no student rows: the file has only a "
                                "header"))
    check_unique(table, parsed, "student_id", problems)
    students: list[Student] = []
    extras: dict[str, tuple[str, ...]] = {}
    # The file's rows already given a problem: a set, not a scan of
    # every problem for every row (quadratic: a 70,000-row file with a
    # bad code in every row took a minute here).
    flagged = {p.row for p in problems if p.file == table.file}
    for (row, values), (_, cells) in zip(parsed, table.rows):
        if "services" in values:
            values["services"] = tuple(values["services"])
        try:
            student = Student(**values)
        except ValidationError as exc:
            if row not in flagged:
                problems.extend(validation_problems(
                    table.file, row, exc.errors(),
                    default_column="alt_placement_secondary"))
                flagged.add(row)
            continue
        students.append(student)
        extras[student.student_id] = tuple(
            cells[p] if p < len(cells) else "" for p in extra_pos)
    extra_cols = tuple(table.header[p] for p in extra_pos)
    return students, extra_cols, extras


def read_student_file(path: Path | str) -> tuple[
        Table, list[Student], dict[str, tuple[str, ...]]]:
    """A CSV with the students.csv columns: its table (rows kept for
    messages), the students and their extra columns."""
    table = read_table(Path(path), [c.name for c in STUDENT_COLUMNS])
    problems: list[Problem] = overflow_problems(table)
    columns = resolve_columns(table, STUDENT_COLUMNS, problems)
    if problems:
        raise InputError(problems)
    students, _cols, extras = build_students(table, columns, problems)
    if problems:
        raise InputError(problems)
    return table, students, extras


def load_student_file(path: Path | str) -> tuple[list[Student],
                                                  dict[str, tuple[str, ...]]]:
    """New students from a CSV with the students.csv columns."""
    _table, students, extras = read_student_file(path)
    return students, extras


def roster_warnings(instance: Instance, rules: RuleSet, students_file: str,
                    staff_file: str, rows: dict[str, int]) -> list[Problem]:
    """Legal but suspicious input: the plan goes ahead, the user is told.

    Messages name student ids only, never values of the roster's own
    columns (names and the like stay out of logs).
    """
    out: list[Problem] = []
    staff = instance.staff_by_id()
    sites_served = {site for c in staff.values() for site in c.sites}
    everywhere = "*" in sites_served
    judge = _TeacherJudge(rules)
    for s in instance.students:
        row = rows.get(s.student_id)
        if s.prior_case_manager and s.prior_case_manager not in staff:
            out.append(Problem(
                students_file, row, "prior_case_manager",
                s.prior_case_manager,
                f'staff_id "{s.prior_case_manager}" is not in '
                f"{staff_file}; continuity (S3) cannot apply"))
        tor = s.teacher_of_record
        if tor and tor not in staff:
            out.append(Problem(
                students_file, row, "teacher_of_record", tor,
                f'staff_id "{tor}" is not in {staff_file}; no one on the '
                "roster instructs this student, so a case manager can only "
                "serve or coordinate"))
        elif tor:
            relation, h4 = judge(s, staff[tor])
            if relation != INSTRUCTS:
                out.append(Problem(
                    students_file, row, "teacher_of_record", tor,
                    f'"{tor}" does not provide {s.setting}, so they do not '
                    "instruct this student"))
            elif h4:
                out.append(Problem(
                    students_file, row, "teacher_of_record", tor,
                    f'"{tor}" is not authorized to instruct student '
                    f"{s.student_id} (H4): the placement itself needs "
                    "review; they cannot case-manage and another person "
                    "may coordinate"))
        if not everywhere and s.site not in sites_served:
            out.append(Problem(
                students_file, row, "site", s.site,
                f'no staff member serves site "{s.site}"; student '
                f"{s.student_id} cannot be given a case manager there"))
    # Staff hold a few dozen distinct credential lists between them.
    authorized: dict[tuple[str, tuple[str, ...]], bool] = {}
    for c in instance.staff:
        for service in c.provides:
            if service not in SERVICES:
                continue
            key = (service, c.credentials)
            if key not in authorized:
                authorized[key] = any(
                    r.activity == service and r.credentials
                    & set(c.credentials) for r in rules.authorizations)
            if not authorized[key]:
                held = ";".join(c.credentials) or "no credentials"
                out.append(Problem(
                    staff_file, None, "provides", service,
                    f"{c.staff_id} provides {service} but holds no "
                    f"authorization for it ({held}); they cannot "
                    "case-manage as its provider (H5)"))
    out += coverage_warnings(service_coverage(instance, rules),
                             students_file, rows)
    return out


class _TeacherJudge:
    """``check_pair`` on a student and their teacher of record, through
    the one cache of judgements (``rules.PairJudge``): the relation and
    whether H4 excludes the pair are the same for every pair of a key.
    ``tests/test_fast_reading.py`` checks every pair of a generated
    district against ``check_pair``.
    """

    def __init__(self, rules: RuleSet):
        self._judge = PairJudge(rules)

    def __call__(self, student: Student, teacher: Staff
                 ) -> tuple[str, bool]:
        """(relation, whether H4 excludes the pair)."""
        check = self._judge.verdict(student, teacher)
        return check.relation, any(e.rule == "H4" for e in check.exclusions)


def coverage_warnings(cov: Coverage, students_file: str,
                      rows: dict[str, int]) -> list[Problem]:
    """IEP services nobody at the site may provide, and alternate
    placements missing the primary category's related service (issue
    13): warnings, never a reason to refuse a plan."""
    out = [Problem(students_file, rows.get(g.student_id), "services", None,
                   str(g)) for g in cov.gaps]
    out += [Problem(students_file, rows.get(g.student_id),
                    "alt_placement_secondary", None, str(g))
            for g in cov.placement_gaps]
    # issue 21: students nobody may instruct, EMD past 3-5, OI placements
    out += [Problem(students_file, rows.get(f.student_id), f.column, None,
                    str(f)) for f in cov.flags]
    return out


