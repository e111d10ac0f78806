"""Read rosters and rules tables into the domain; write plan files safely.

Every problem in a file is collected before anything is raised, and each
names the file, the row as a spreadsheet shows it (header = row 1), the
column and the value. Legal but suspicious input becomes a warning.
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from optimizer import parse
from optimizer.domain import Instance, Staff, Student
from optimizer.errors import InputError, Problem
from optimizer.rules import (
    AuthorizationRule,
    CaseloadDefault,
    CredentialInfo,
    RuleSet,
    check_pair,
)
from optimizer.vocab import INSTRUCTS, SERVICES

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RULES_DIR = PACKAGE_ROOT / "data" / "rules"
DEFAULT_SAMPLE_DIR = PACKAGE_ROOT / "data" / "sample"

Parser = Callable[[str], Any]


@dataclass(frozen=True)
class Column:
    """A contract column: its name, whether required, how to parse it."""

    name: str
    required: bool
    parse: Parser | None = None  # None = plain text


def _text(value: str) -> str:
    return value.strip()


STUDENT_COLUMNS: tuple[Column, ...] = (
    Column("student_id", True),
    Column("site", True),
    Column("grade", True, parse.grade),
    Column("primary_disability", True, parse.disability),
    Column("secondary_disability", False, parse.disability),
    Column("support_level", False, parse.support_level),
    Column("setting", True, parse.setting),
    Column("services", False, parse.services),
    Column("alt_placement_secondary", False, parse.boolean),
    Column("teacher_of_record", False),
    Column("prior_case_manager", False),
    Column("home_language", False),
    Column("weight", False, parse.weight),
)
STAFF_COLUMNS: tuple[Column, ...] = (
    Column("staff_id", True),
    Column("name", True),
    Column("sites", True, parse.split_list),
    Column("provides", True, parse.provides),
    Column("credentials", False),  # parsed against the rules table
    Column("max_caseload", False, parse.non_negative_int),
    Column("fte", False, parse.fte),
    Column("grades", False, parse.grades),
    Column("languages", False, parse.split_list),
    Column("can_case_manage", False, parse.boolean),
)


@dataclass
class Table:
    """A CSV file as text cells, with spreadsheet row numbers."""

    file: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    digest: str
    notes: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Roster:
    """A loaded roster: the instance, its warnings and where it came from."""

    instance: Instance
    warnings: tuple[Problem, ...]
    input_hash: str
    path: Path
    files: tuple[Path, ...]


# --------------------------------------------------------------- reading


def _decode(raw: bytes, file: str, notes: list[Problem]) -> str | None:
    if b"\x00" in raw[:4096]:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        notes.append(Problem(file, None, None, None,
                             "file is not UTF-8; read it as Windows-1252 "
                             "(save as CSV UTF-8 to silence this)"))
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def _pick_delimiter(first_line: str, known: set[str]) -> str:
    def score(d: str) -> tuple[int, int]:
        cells = [c.strip().strip('"').lower() for c in first_line.split(d)]
        return (sum(c in known for c in cells), len(cells))
    return max([",", ";", "\t", "|"], key=score)


def read_table(path: Path, known: Iterable[str]) -> Table:
    """Read a CSV file into text cells; raise ``InputError`` if unreadable."""
    file = path.name
    raw = path.read_bytes()
    notes: list[Problem] = []
    text = _decode(raw, file, notes)
    if text is None:
        raise InputError([Problem(file, None, None, None,
                                  "this is not a CSV text file (it holds "
                                  "binary data); export the sheet as CSV")])
    if not text.strip():
        raise InputError([Problem(file, None, None, None,
                                  "the file is empty; it needs a header row "
                                  "and one row per record")])
    first = text.lstrip("\ufeff").splitlines()[0]
    delimiter = _pick_delimiter(first, set(known))
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise InputError([Problem(file, reader.line_num, None, None,
                                  f"cannot be read as CSV: {exc}")]) from None
    header = [h.strip() for h in records[0]]
    rows = [(i + 2, r) for i, r in enumerate(records[1:])
            if any(c.strip() for c in r)]
    return Table(file, header, rows, hashlib.sha256(raw).hexdigest(), notes)


def _resolve_columns(table: Table, columns: tuple[Column, ...],
                     problems: list[Problem]) -> tuple[dict[str, int],
                                                       list[int]]:
    """Map contract names to positions; the rest are extra columns."""
    names = [c.name for c in columns]
    found: dict[str, int] = {}
    extra: list[int] = []
    for pos, head in enumerate(table.header):
        key = head.strip().lower()
        if key in found:
            problems.append(Problem(table.file, 1, head, None,
                                    f'column "{key}" appears twice'))
        elif key in names:
            found[key] = pos
        elif key:
            extra.append(pos)
    for col in columns:
        if col.required and col.name not in found:
            near = [table.header[p] for p in extra]
            hint = parse.suggest(col.name, near)
            problems.append(Problem(
                table.file, 1, col.name, None,
                f'required column "{col.name}" is missing{hint}; expected '
                f"columns: {', '.join(names)}"))
    return found, extra


def _parse_rows(table: Table, columns: tuple[Column, ...],
                found: dict[str, int], problems: list[Problem]
                ) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for row, cells in table.rows:
        values: dict[str, Any] = {}
        for col in columns:
            pos = found.get(col.name)
            cell = cells[pos].strip() if pos is not None and pos < len(cells) \
                else ""
            if not cell:
                if col.required:
                    problems.append(Problem(table.file, row, col.name, "",
                                            "a value is required"))
                continue
            try:
                values[col.name] = (col.parse or _text)(cell)
            except ValueError as exc:
                problems.append(Problem(table.file, row, col.name, cell,
                                        str(exc)))
        out.append((row, values))
    return out


def _check_unique(table: Table, parsed: list[tuple[int, dict[str, Any]]],
                  key: str, problems: list[Problem]) -> None:
    first: dict[str, int] = {}
    for row, values in parsed:
        ident = values.get(key)
        if ident is None:
            continue
        if ident in first:
            problems.append(Problem(
                table.file, row, key, ident,
                f'duplicate {key} "{ident}" (first on row {first[ident]})'))
        else:
            first[ident] = row


def _model_problems(file: str, row: int, exc: ValidationError,
                    default_column: str) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
        column = loc[0] if loc else default_column
        msg = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        out.append(Problem(file, row, column,
                           value if isinstance(value, str) else None, msg))
    return out


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


def load_roster(path: Path | str, rules: RuleSet) -> Roster:
    """Load a roster folder (``students.csv``, ``staff.csv``) into a Roster.

    Raises
    ------
    InputError
        With every problem found in both files.
    """
    path = Path(path)
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        from optimizer.excel import read_workbook

        student_table, staff_table = read_workbook(path)
        files: tuple[Path, ...] = (path,)
    else:
        students_path, staff_path = _find_roster_files(path)
        _check_size(students_path)
        staff_table = read_table(staff_path, [c.name for c in STAFF_COLUMNS])
        student_table = read_table(students_path,
                                   [c.name for c in STUDENT_COLUMNS])
        files = (students_path, staff_path)
    if len(student_table.rows) > MAX_STUDENT_ROWS:
        raise InputError([Problem(student_table.file, None, None, None,
                                  f"{len(student_table.rows):,} rows; the "
                                  f"limit is {MAX_STUDENT_ROWS:,} students")])
    problems: list[Problem] = []
    staff = _build_staff(staff_table, rules, problems)
    students, extra_cols, extras = _build_students(student_table, problems)
    repairs = _repair_dropped_zeros(students, student_table, staff)
    if problems:
        raise InputError(problems)
    try:
        instance = Instance(students=tuple(students), staff=tuple(staff),
                            extra_columns=extra_cols, extras=extras)
    except ValidationError as exc:  # only cross-record invariants remain
        raise InputError([Problem(path.name, None, None, None,
                                  e["msg"]) for e in exc.errors()]) from None
    warnings = [*staff_table.notes, *student_table.notes, *repairs,
                *roster_warnings(instance, rules, student_table.file,
                                 staff_table.file,
                                 {s.student_id: r for r, s in
                                  zip([r for r, _ in student_table.rows],
                                      students)})]
    digest = hashlib.sha256(
        (student_table.digest + staff_table.digest).encode()).hexdigest()
    return Roster(instance, tuple(warnings), digest, path, files)


def _repair_dropped_zeros(students: list[Student], table: Table,
                          staff: list[Staff]) -> list[Problem]:
    """Excel drops leading zeros ("007" -> "7"): re-link such references
    when exactly one staff id matches once zeros are ignored."""
    ids = {c.staff_id for c in staff}
    by_digits: dict[str, list[str]] = {}
    for i in ids:
        by_digits.setdefault(i.lstrip("0"), []).append(i)
    notes = []
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


MAX_STUDENT_ROWS = 250_000


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
        if canon is None:
            hint = parse.suggest(code, list(rules.alias_to_code))
            bad.append((code, f'unknown credential code "{code}"{hint}; '
                        "see data/rules/credentials.csv"))
        elif canon not in codes:
            codes.append(canon)
    if bad:
        raise ValueError(bad)
    return tuple(codes)


def _build_staff(table: Table, rules: RuleSet, problems: list[Problem]
                 ) -> list[Staff]:
    found, _extra = _resolve_columns(table, STAFF_COLUMNS, problems)
    parsed = _parse_rows(table, STAFF_COLUMNS, found, problems)
    if not parsed:
        problems.append(Problem(table.file, None, None, None,
                                "no staff rows: the file has only a header"))
    _check_unique(table, parsed, "staff_id", problems)
    staff = []
    for row, values in parsed:
        try:
            values["credentials"] = credential_codes(
                values.pop("credentials", ""), rules)
        except ValueError as exc:
            problems.extend(Problem(table.file, row, "credentials", code,
                                    msg) for code, msg in exc.args[0])
            values["credentials"] = ()
        for key in ("sites", "provides", "languages"):
            if key in values:
                values[key] = tuple(values[key])
        try:
            staff.append(Staff(**values))
        except ValidationError as exc:
            if not any(p.row == row for p in problems):
                problems.extend(_model_problems(table.file, row, exc,
                                                "staff_id"))
    return staff


def _build_students(table: Table, problems: list[Problem]
                    ) -> tuple[list[Student], tuple[str, ...],
                               dict[str, tuple[str, ...]]]:
    found, extra_pos = _resolve_columns(table, STUDENT_COLUMNS, problems)
    parsed = _parse_rows(table, STUDENT_COLUMNS, found, problems)
    if not parsed:
        problems.append(Problem(table.file, None, None, None,
                                "no student rows: the file has only a "
                                "header"))
    _check_unique(table, parsed, "student_id", problems)
    students: list[Student] = []
    extras: dict[str, tuple[str, ...]] = {}
    for (row, values), (_, cells) in zip(parsed, table.rows):
        if "services" in values:
            values["services"] = tuple(values["services"])
        try:
            student = Student(**values)
        except ValidationError as exc:
            if not any(p.row == row and p.file == table.file
                       for p in problems):
                problems.extend(_model_problems(
                    table.file, row, exc, "alt_placement_secondary"))
            continue
        students.append(student)
        extras[student.student_id] = tuple(
            cells[p] if p < len(cells) else "" for p in extra_pos)
    extra_cols = tuple(table.header[p] for p in extra_pos)
    return students, extra_cols, extras


def load_student_file(path: Path | str) -> tuple[list[Student],
                                                  dict[str, tuple[str, ...]]]:
    """New students from a CSV with the students.csv columns."""
    path = Path(path)
    table = read_table(path, [c.name for c in STUDENT_COLUMNS])
    problems: list[Problem] = []
    students, _cols, extras = _build_students(table, problems)
    if problems:
        raise InputError(problems)
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
            check = check_pair(s, staff[tor], rules)
            if check.relation != INSTRUCTS:
                out.append(Problem(
                    students_file, row, "teacher_of_record", tor,
                    f'"{tor}" does not provide {s.setting}, so they do not '
                    "instruct this student"))
            elif any(e.rule == "H4" for e in check.exclusions):
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
    for c in instance.staff:
        for service in c.provides:
            if service not in SERVICES:
                continue
            if not any(r.activity == service and r.credentials
                       & set(c.credentials) for r in rules.authorizations):
                held = ";".join(c.credentials) or "no credentials"
                out.append(Problem(
                    staff_file, None, "provides", service,
                    f"{c.staff_id} provides {service} but holds no "
                    f"authorization for it ({held}); they cannot "
                    "case-manage as its provider (H5)"))
    return out


# ----------------------------------------------------------------- rules


def load_rules(path: Path | str | None = None) -> RuleSet:
    """Load the rules tables from a folder (default: the bundled copy)."""
    path = Path(path) if path is not None else DEFAULT_RULES_DIR
    problems: list[Problem] = []
    names = ["credentials.csv", "authorizations.csv", "caseload_defaults.csv",
             "best_practice.csv"]
    tables = {}
    for name in names:
        file = path / name
        if not file.is_file():
            problems.append(Problem(name, None, None, None,
                                    f"missing from the rules folder {path}"))
            continue
        tables[name] = read_table(file, [])
    if problems:
        raise InputError(problems)
    digest = hashlib.sha256("".join(
        tables[n].digest for n in names).encode()).hexdigest()
    creds = _rows_as_models(tables["credentials.csv"], problems, _credential)
    credentials = {c.code: c for c in creds}
    auths = _rows_as_models(tables["authorizations.csv"], problems,
                            _authorization)
    for rule, (row, _) in zip(auths, tables["authorizations.csv"].rows):
        for code in rule.credentials - set(credentials):
            problems.append(Problem("authorizations.csv", row,
                                    "credentials", code,
                                    "not listed in credentials.csv"))
    defaults = _rows_as_models(tables["caseload_defaults.csv"], problems,
                               _caseload_default)
    ranks = {}
    for row, rec in _records(tables["best_practice.csv"]):
        try:
            ranks[rec["provides"].upper()] = int(rec["rank"])
        except (KeyError, ValueError):
            problems.append(Problem("best_practice.csv", row, "rank",
                                    rec.get("rank"), "expected a whole "
                                    "number"))
    if problems:
        raise InputError(problems)
    return RuleSet(credentials=credentials, authorizations=tuple(auths),
                   caseload_defaults=tuple(defaults),
                   best_practice_rank=ranks, source_hash=digest)


def _records(table: Table) -> Iterable[tuple[int, dict[str, str]]]:
    header = [h.lower() for h in table.header]
    for row, cells in table.rows:
        yield row, {h: (cells[i].strip() if i < len(cells) else "")
                    for i, h in enumerate(header)}


def _rows_as_models(table: Table, problems: list[Problem],
                    build: Callable[[dict[str, str]], Any]) -> list[Any]:
    out = []
    for row, rec in _records(table):
        try:
            out.append(build(rec))
        except (KeyError, ValueError) as exc:
            problems.append(Problem(table.file, row, None, None, str(exc)))
    return out


def _yes(text: str) -> bool:
    return parse.boolean(text) if text else False


def _credential(rec: dict[str, str]) -> CredentialInfo:
    return CredentialInfo(code=rec["code"], name=rec["name"],
                          kind=rec["kind"],
                          aliases=tuple(parse.split_list(rec["aliases"])),
                          source=rec["source"])


def _authorization(rec: dict[str, str]) -> AuthorizationRule:
    cats = frozenset(parse.split_list(rec["categories"]))
    return AuthorizationRule(
        rule_id=rec["rule_id"],
        credentials=frozenset(parse.split_list(rec["credentials"])),
        activity=rec["activity"].upper(),
        categories=cats if "*" in cats else frozenset(
            parse.disability(c) for c in cats),
        support_levels=frozenset(parse.split_list(rec["support_levels"])),
        grades=parse.grades(rec["grades"]),
        requires_base=_yes(rec["requires_base"]),
        requires_secondary=frozenset(
            parse.disability(c)
            for c in parse.split_list(rec["requires_secondary"])),
        verified=_yes(rec["verified"]),
        source=rec["source"], note=rec.get("note", ""))


def _caseload_default(rec: dict[str, str]) -> CaseloadDefault:
    only = rec.get("only_grades", "")
    return CaseloadDefault(
        provides=rec["provides"].upper(),
        only_grades=parse.grades(only) if only else None,
        default_cap=parse.non_negative_int(rec["default_cap"]),
        verified=_yes(rec["verified"]), source=rec["source"])


def load_weights_file(path: Path | str) -> dict[str, Any]:
    """Read an objective-settings TOML file (see data/rules/weights.toml)."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(path.name, None, None, None,
                                  f"not valid TOML: {exc}")]) from None
