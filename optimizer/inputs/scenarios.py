"""What-if scenarios: a TOML file of changes applied to a base roster.

A scenario names a base roster (relative to the file) and changes: add,
remove or update staff; add, remove or update students (e.g. move a
student's IEP meeting dates); add, remove or update pending initial
assessments (AB 560); pin a student to a case
manager; forbid a pair; change objective settings or the
``authorizations`` setting (``all`` or ``verified-only``). Every problem in a
scenario file is reported at once, naming the file, the key and the value.

Example::

    name = "Hire an SLP at Lincoln"
    description = "One more speech-language pathologist at LIN."
    roster = "../data/sample"
    remove_staff = ["T0005"]
    pins = { "100001" = "T0003" }
    forbid = [["100002", "T0004"]]
    authorizations = "verified-only"
    # pending initial assessments (AB 560): the base's (compare
    # --assessments) or this file's own (relative to it), then changed
    assessments = "pending.csv"
    remove_assessments = ["R0003"]

    [[add_staff]]
    staff_id = "NEW-SLP"
    name = "New SLP"
    sites = "LIN"
    provides = "SPEECH"
    credentials = "SLP-LSH"

    [[update_staff]]
    staff_id = "T0001"
    max_caseload = 32

    [[update_students]]
    student_id = "100001"
    annual_review_date = "2026-11-10"    # "" clears a date

    [[add_assessments]]
    assessment_id = "R0100"
    site = "LIN"
    grade = "2"
    due_date = "2027-03-01"
    areas = ["speech and language"]

    [[update_assessments]]
    assessment_id = "R0001"
    due_date = "2027-05-03"

    [objective]
    mode = "priority"
    priority = ["S1", "S3", "S2", "S4"]
    weights = { S3 = 2.0 }
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from optimizer.domain import Assessment, Instance, Staff, Student
from optimizer.errors import InputError, Problem, printable
from optimizer.inputs import toml_text
from optimizer.inputs.csv_cells import Column, match_key, validation_problems
from optimizer.inputs.parse import suggest
from optimizer.inputs.roster import (
    STAFF_COLUMNS,
    STUDENT_COLUMNS,
    credential_codes,
)
from optimizer.inputs.settings import authorization_problem
from optimizer.rules import RuleSet

KEYS = {"name", "description", "roster", "add_staff", "remove_staff",
        "update_staff", "add_students", "remove_students", "pins", "forbid",
        "objective", "authorizations", "update_students", "assessments",
        "add_assessments", "remove_assessments", "update_assessments"}
# A student's meeting dates a scenario may clear with "" (no meeting).
CLEARABLE = ("annual_review_date", "reevaluation_date")
OBJECTIVE_KEYS = {"mode", "priority", "weights"}


@dataclass
class Scenario:
    """A parsed scenario file (changes not yet applied)."""

    name: str
    description: str
    path: Path
    roster: Path
    data: dict[str, Any] = field(repr=False)
    # problems found while reading (unknown keys), reported by ``apply``
    # together with every other problem of the file
    notes: list[Problem] = field(default_factory=list, repr=False)

    @property
    def slug(self) -> str:
        return self.path.stem

    def objective(self) -> dict[str, Any]:
        return dict(self.data.get("objective", {}))


def load_scenario(path: Path | str) -> Scenario:
    """Read and shape-check a scenario file (values checked by ``apply``)."""
    path = Path(path)
    file = path.name
    data = toml_text.read(path)
    # Keys are matched like headers ("Remove Staff" is remove_staff);
    # an unknown key is reported, and the rest is still checked by apply.
    notes: list[Problem] = []
    data = _known_keys(data, KEYS, file, "", notes)
    if isinstance(data.get("objective"), dict):
        data["objective"] = _known_keys(data["objective"], OBJECTIVE_KEYS,
                                        file, "objective.", notes)
    problems: list[Problem] = []
    objective = data.get("objective", {})
    if not isinstance(objective, dict) or not isinstance(
            objective.get("weights", {}), dict):
        problems.append(Problem(file, None, "objective", str(objective),
                                "expected [objective] with mode, priority "
                                "and a weights table { S3 = 2.0 }"))
    for key in ("add_staff", "update_staff", "add_students",
                "update_students", "add_assessments", "update_assessments"):
        if key in data and not (isinstance(data[key], list) and all(
                isinstance(x, dict) for x in data[key])):
            problems.append(Problem(file, None, key, None,
                                    f"expected [[{key}]] tables"))
    for key in ("remove_staff", "remove_students", "remove_assessments"):
        if key in data and not (isinstance(data[key], list) and all(
                isinstance(x, str) for x in data[key])):
            problems.append(Problem(file, None, key, str(data[key]),
                                    "expected a list of ids"))
    if "pins" in data and not isinstance(data["pins"], dict):
        problems.append(Problem(file, None, "pins", str(data["pins"]),
                                'expected a table: { "student" = "staff" }'))
    if "forbid" in data and not (isinstance(data["forbid"], list) and all(
            isinstance(x, list) and len(x) == 2 for x in data["forbid"])):
        problems.append(Problem(file, None, "forbid", str(data["forbid"]),
                                'expected [["student", "staff"], ...]'))
    if "authorizations" in data:
        bad = authorization_problem(file, "authorizations",
                                    data["authorizations"])
        problems += [bad] if bad is not None else []
    if "assessments" in data:  # a file of pending assessments
        own = data["assessments"]
        if not isinstance(own, str):
            problems.append(Problem(file, None, "assessments", str(own),
                                    "expected the path of a CSV of pending "
                                    "assessments (relative to this file)"))
        elif not (path.parent / own).is_file():
            problems.append(Problem(file, None, "assessments", own,
                                    "no such file: "
                                    f"{(path.parent / own).resolve()}"))
    roster = data.get("roster")
    if not isinstance(roster, str):
        problems.append(Problem(file, None, "roster", None,
                                "the base roster folder is required "
                                "(relative to this file)"))
        roster_path = path.parent
    else:
        roster_path = (path.parent / roster).resolve()
        if not roster_path.exists():
            problems.append(Problem(file, None, "roster", roster,
                                    f"no roster folder at {roster_path}"))
    if problems:
        raise InputError(notes + problems)
    return Scenario(str(data.get("name", path.stem)),
                    str(data.get("description", "")), path, roster_path,
                    data, notes)


def _known_keys(data: dict[str, Any], valid: set[str], file: str,
                prefix: str, notes: list[Problem]) -> dict[str, Any]:
    """``data`` with its keys matched to ``valid``; unknown keys dropped
    and noted with "did you mean" and the valid keys."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name, hint = match_key(key, sorted(valid))
        if name is None:
            notes.append(Problem(file, None, prefix + key, None,
                                 f"unknown key{hint}; keys: "
                                 + ", ".join(sorted(valid))))
        else:
            out[name] = value
    return out


def _cells(record: dict[str, Any], names: list[str], file: str, key: str,
           problems: list[Problem]) -> dict[str, str]:
    """TOML values as roster cells (lists joined with ';'), under the
    contract's field names; unknown fields noted with "did you mean"."""
    out = {}
    for field_key, value in record.items():
        if isinstance(value, list):
            value = ";".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        name, hint = match_key(field_key, names)
        if name is None:
            problems.append(Problem(file, None, f"{key}.{field_key}",
                                    str(value), f"unknown field{hint}; "
                                    f"fields: {', '.join(names)}"))
        else:
            out[name] = str(value)
    return out


def _parse_record(record: dict[str, Any], columns: tuple[Column, ...],
                  file: str, key: str, problems: list[Problem],
                  rules: RuleSet | None = None,
                  refused: list[str] | None = None) -> dict[str, Any]:
    """The record's values by field; a value refused is left out with
    its problem listed, and its field named in ``refused`` (so the caller
    does not add "Field required" for it)."""
    cells = _cells(record, [c.name for c in columns], file, key, problems)
    values: dict[str, Any] = {}
    refused = refused if refused is not None else []
    for col in columns:
        if col.name not in cells or cells[col.name] == "":
            continue
        raw = cells[col.name]
        try:
            if col.name == "credentials" and rules is not None:
                values[col.name] = credential_codes(raw, rules)
            else:
                values[col.name] = (col.parse or str.strip)(raw)
        except ValueError as exc:
            detail = exc.args[0] if exc.args else str(exc)
            if isinstance(detail, list):  # credential_codes: (code, words)
                problems += [Problem(file, None, f"{key}.{col.name}",
                                     code, words) for code, words in detail]
            else:
                problems.append(Problem(file, None, f"{key}.{col.name}",
                                        raw, str(exc)))
            # Not left out silently: the record is already refused, and a
            # "Field required" for the same field would only mislead.
            refused.append(col.name)
    for name in ("sites", "provides", "languages", "credentials",
                 "services"):
        if isinstance(values.get(name), list):
            values[name] = tuple(values[name])
    return values


def apply(base: Instance, scenario: Scenario, rules: RuleSet) -> Instance:
    """The base roster with the scenario's changes, re-validated."""
    file, data = scenario.path.name, scenario.data
    problems: list[Problem] = list(scenario.notes)
    staff = {c.staff_id: c for c in base.staff}
    students = {s.student_id: s for s in base.students}
    unknown = _Unknowns(file, base)
    for sid in data.get("remove_staff", []):
        if staff.pop(sid, None) is None:
            unknown.add("remove_staff", "staff_id", sid)
    for record in data.get("update_staff", []):
        sid = str(next((v for k, v in record.items()
                        if match_key(k, ["staff_id"])[0]), ""))
        refused: list[str] = []
        values = _parse_record(record, STAFF_COLUMNS, file,
                               "update_staff", problems, rules, refused)
        problems += _unknown_sites(file, "update_staff", values, base)
        if sid not in staff:  # its fields are checked all the same
            unknown.add("update_staff.staff_id", "staff_id", sid)
            continue
        if refused:
            continue
        try:
            staff[sid] = Staff(**{**dict(staff[sid]), **values})
        except ValidationError as exc:
            problems += validation_problems(
                file, None, exc.errors(), key="update_staff")
            continue
        problems += _legal_cap(file, "update_staff", staff[sid], rules)
    for record in data.get("add_staff", []):
        refused = []
        values = _parse_record(record, STAFF_COLUMNS, file, "add_staff",
                               problems, rules, refused)
        if refused:  # its fields' problems are already listed
            problems += _unknown_sites(file, "add_staff", values, base)
            continue
        sid = values.get("staff_id", "")
        if sid in staff:
            problems.append(Problem(file, None, "add_staff.staff_id", sid,
                                    f'staff_id "{sid}" already exists'))
            continue
        problems += _unknown_sites(file, "add_staff", values, base)
        try:
            staff[sid] = Staff(**values)
        except ValidationError as exc:
            problems += validation_problems(
                file, None, exc.errors(), key="add_staff")
            continue
        problems += _legal_cap(file, "add_staff", staff[sid], rules)
    for sid in data.get("remove_students", []):
        if students.pop(sid, None) is None:
            unknown.add("remove_students", "student_id", sid)
    for record in data.get("update_students", []):
        # e.g. a student's IEP meeting dates moved (S5, H8)
        sid = str(next((v for k, v in record.items()
                        if match_key(k, ["student_id"])[0]), ""))
        values = _parse_record(record, STUDENT_COLUMNS, file,
                               "update_students", problems)
        # "" clears a meeting date (the meeting is not held this year)
        values.update({name: None for name in CLEARABLE if any(
            match_key(k, [name])[0] and v == "" for k, v in record.items())})
        if sid not in students:
            unknown.add("update_students.student_id", "student_id", sid)
            continue
        try:
            students[sid] = Student(**{**dict(students[sid]), **values})
        except ValidationError as exc:
            problems += validation_problems(
                file, None, exc.errors(), key="update_students")
    extras = dict(base.extras)
    for record in data.get("add_students", []):
        refused = []
        values = _parse_record(record, STUDENT_COLUMNS, file,
                               "add_students", problems, refused=refused)
        if refused:
            continue
        sid = values.get("student_id", "")
        if sid in students:
            problems.append(Problem(file, None, "add_students.student_id",
                                    sid, f'student_id "{sid}" already '
                                    "exists"))
            continue
        try:
            students[sid] = Student(**values)
            extras[sid] = ("",) * len(base.extra_columns)
        except ValidationError as exc:
            problems += validation_problems(
                file, None, exc.errors(), key="add_students")
    pins = dict(base.pins)
    for sid, cid in data.get("pins", {}).items():
        unknown.known("pins", sid, str(cid), students, staff)
        pins[sid] = str(cid)
    forbidden = set(base.forbidden)
    for sid, cid in data.get("forbid", []):
        unknown.known("forbid", str(sid), str(cid), students, staff)
        forbidden.add((str(sid), str(cid)))
    problems += unknown.problems()
    if problems:
        raise InputError(problems)
    kept = [students[s.student_id] for s in base.students
            if s.student_id in students]
    # (one set: rebuilt for every student, 70,000 of them took minutes)
    before = {b.student_id for b in base.students}
    added = [s for sid, s in students.items() if sid not in before]
    return base.replace(
        students=tuple(kept + added), staff=tuple(staff.values()),
        pins=pins, forbidden=frozenset(forbidden),
        extras={s.student_id: extras[s.student_id] for s in kept + added})


def _legal_cap(file: str, key: str, staff: Staff, rules: RuleSet
               ) -> list[Problem]:
    """A cap set by law that the scenario's cap passes (EC 56362(c))."""
    issue = rules.legal_cap_issue(staff)
    if issue is None or issue[0] != "error":
        return []  # within a waiver: the scenario is the district's call
    return [Problem(file, None, f"{key}.max_caseload",
                    str(staff.max_caseload), issue[1])]


class _Unknowns:
    """Ids a scenario names that the roster does not have, reported by
    key: the first ``SHOWN`` each with the closest id the roster has,
    then one line with how many more (200,000 unknown ids are one
    summary, not 200,000 lines, nor 200,000 searches of the roster)."""

    SHOWN = 20

    def __init__(self, file: str, base: Instance):
        self.file = file
        self.ids = {"student_id": [s.student_id for s in base.students],
                    "staff_id": [c.staff_id for c in base.staff]}
        self.found: dict[tuple[str, str], list[str]] = {}

    def add(self, key: str, kind: str, ident: str) -> None:
        self.found.setdefault((key, kind), []).append(ident)

    def known(self, key: str, sid: str, cid: str, students, staff) -> None:
        if sid not in students:
            self.add(key, "student_id", sid)
        if cid not in staff:
            self.add(key, "staff_id", cid)

    def problems(self) -> list[Problem]:
        out = []
        for (key, kind), idents in self.found.items():
            known = self.ids[kind]
            by_bare: dict[str, list[str]] = {}
            for k in known:
                by_bare.setdefault(_bare(k), []).append(k)
            out += [_unknown(self.file, key, kind, i, known, by_bare)
                    for i in idents[:self.SHOWN]]
            if len(idents) > self.SHOWN:
                more = len(idents) - self.SHOWN
                out.append(Problem(
                    self.file, None, key, None,
                    f"{len(idents):,} unknown {kind}s in all; "
                    f"the first {self.SHOWN} are listed, {more:,} more "
                    f"are not (first not listed: "
                    f"{printable(str(idents[self.SHOWN]))[:40]})"))
        return out


def _bare(x: str) -> str:
    return re.sub(r"(?<!\d)0+(?=\d)", "", x.strip().upper())


def _unknown_sites(file: str, key: str, values: dict[str, Any],
                   base: Instance) -> list[Problem]:
    """A hire at a site that exists nowhere in the roster (a misspelt
    "Jeferson High") would serve no one: refused, with the nearest."""
    known = sorted({s.site for s in base.students}
                   | {x for c in base.staff for x in c.sites} - {"*"})
    return [Problem(file, None, f"{key}.sites", site,
                    f'site "{site}" is not in the roster{suggest(site, known)}'
                    '; use a site of its students or "*" for every site')
            for site in values.get("sites", ()) if site != "*"
            and site not in known]


def _unknown(file: str, key: str, kind: str, ident: str,
             known: list[str],
             by_bare: dict[str, list[str]] | None = None) -> Problem:
    """An id the roster does not have, with the closest one it has: the
    same id but for leading zeros ("T001" -> "T0001") first."""
    if by_bare is None:
        by_bare = {}
        for k in known:
            by_bare.setdefault(_bare(k), []).append(k)
    same = by_bare.get(_bare(ident), [])
    hint = (f' (did you mean "{same[0]}"?)' if len(same) == 1
            else suggest(ident, known))
    return Problem(file, None, key, ident, f'unknown {kind} "{ident}"{hint}')


def apply_assessments(base: list[Assessment] | None, scenario: Scenario,
                      instance: Instance,
                      kinds: tuple[str, ...] = ("RSP",),
                      year: tuple[date, date] | None = None
                      ) -> list[Assessment] | None:
    """The pending assessments of a scenario: its own file
    (``assessments``) or the base's, with ``remove_assessments``,
    ``[[update_assessments]]`` and ``[[add_assessments]]`` applied; None
    when there are none at all. Every problem located (file, key,
    value) and reported at once; a site no staff member of the scenario's
    roster serves is refused, as in a pending file, and so is a due
    date outside the planning year (``year``: its first and last day)."""
    from optimizer.inputs.assessments import (
        ASSESSMENT_COLUMNS,
        load_assessments,
    )

    file, data = scenario.path.name, scenario.data
    keys = ("assessments", "add_assessments", "remove_assessments",
            "update_assessments")
    if not any(k in data for k in keys):
        return base
    problems: list[Problem] = []
    pending = base or []
    if "assessments" in data:
        try:
            pending = load_assessments(scenario.path.parent
                                       / data["assessments"], year=year)
        except InputError as exc:
            problems += exc.problems
    found = {a.assessment_id: a for a in pending}
    ids = list(found)
    origin: dict[str, str] = {}  # the key an assessment was last set by
    for aid in data.get("remove_assessments", []):
        if found.pop(aid, None) is None:
            problems.append(_unknown(file, "remove_assessments",
                                     "assessment_id", aid, ids))
    for record in data.get("update_assessments", []):
        aid = str(next((v for k, v in record.items()
                        if match_key(k, ["assessment_id"])[0]), ""))
        refused: list[str] = []
        values = _parse_record(record, ASSESSMENT_COLUMNS, file,
                               "update_assessments", problems,
                               refused=refused)
        if aid not in found:
            problems.append(_unknown(file, "update_assessments."
                                     "assessment_id", "assessment_id", aid,
                                     ids))
            continue
        if refused:
            continue
        values["areas"] = tuple(values.get("areas", found[aid].areas))
        try:
            found[aid] = Assessment(**{**dict(found[aid]), **values})
            origin[aid] = "update_assessments"
        except ValidationError as exc:
            problems += validation_problems(file, None, exc.errors(),
                                            key="update_assessments")
    for record in data.get("add_assessments", []):
        refused = []
        values = _parse_record(record, ASSESSMENT_COLUMNS, file,
                               "add_assessments", problems, refused=refused)
        if refused:
            continue
        aid = values.get("assessment_id", "")
        if aid in found:
            problems.append(Problem(file, None,
                                    "add_assessments.assessment_id", aid,
                                    f'assessment_id "{aid}" already exists'))
            continue
        values["areas"] = tuple(values.get("areas", ()))
        try:
            found[aid] = Assessment(**values)
            origin[aid] = "add_assessments"
        except ValidationError as exc:
            problems += validation_problems(file, None, exc.errors(),
                                            key="add_assessments")
    if year is not None:  # those it adds or changes; a file's: above
        first, last = year
        name = f"{first.year}-{(first.year + 1) % 100:02d}"
        problems += [Problem(
            file, None, f"{key}.due_date", found[aid].due_date.isoformat(),
            f"assessment {aid}: outside the planning year {name} ({first} "
            f"to {last}); set [calendar] planning_year if another year is "
            "meant") for aid, key in origin.items()
            if not first <= found[aid].due_date <= last]
    served = _served_sites(instance)
    anywhere = any("*" in c.sites and any(k in c.provides for k in kinds)
                   for c in instance.staff)
    if not anywhere:
        problems += [Problem(file, None, origin.get(a.assessment_id,
                                                    "assessments") + ".site",
                             a.site,
                             f'assessment {a.assessment_id}: no staff '
                             f'member of this scenario serves site '
                             f'"{a.site}"{suggest(a.site, sorted(served))}, '
                             "so it could never be assigned")
                     for a in found.values() if a.site not in served]
    if problems:
        raise InputError(problems)
    return list(found.values())


def _served_sites(instance: Instance) -> set[str]:
    return {x for c in instance.staff for x in c.sites} - {"*"}
