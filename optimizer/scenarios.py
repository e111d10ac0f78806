"""What-if scenarios: a TOML file of changes applied to a base roster.

A scenario names a base roster (relative to the file) and changes: add,
remove or update staff; add or remove students; pin a student to a case
manager; forbid a pair; change objective settings. Every problem in a
scenario file is reported at once, naming the file, the key and the value.

Example::

    name = "Hire an SLP at Lincoln"
    description = "One more speech-language pathologist at LIN."
    roster = "../data/sample"
    remove_staff = ["T0005"]
    pins = { "100001" = "T0003" }
    forbid = [["100002", "T0004"]]

    [[add_staff]]
    staff_id = "NEW-SLP"
    name = "New SLP"
    sites = "LIN"
    provides = "SPEECH"
    credentials = "SLP-LSH"

    [[update_staff]]
    staff_id = "T0001"
    max_caseload = 32

    [objective]
    mode = "priority"
    priority = ["S1", "S3", "S2", "S4"]
    weights = { S3 = 2.0 }
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from optimizer import io
from optimizer.domain import Instance, Staff, Student
from optimizer.errors import InputError, Problem
from optimizer.rules import RuleSet

KEYS = {"name", "description", "roster", "add_staff", "remove_staff",
        "update_staff", "add_students", "remove_students", "pins", "forbid",
        "objective"}
OBJECTIVE_KEYS = {"mode", "priority", "weights"}


@dataclass
class Scenario:
    """A parsed scenario file (changes not yet applied)."""

    name: str
    description: str
    path: Path
    roster: Path
    data: dict[str, Any] = field(repr=False)

    @property
    def slug(self) -> str:
        return self.path.stem

    def objective(self) -> dict[str, Any]:
        return dict(self.data.get("objective", {}))


def load_scenario(path: Path | str) -> Scenario:
    """Read and shape-check a scenario file (values checked by ``apply``)."""
    path = Path(path)
    file = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(file, None, None, None,
                                  f"not valid TOML: {exc}")]) from None
    problems = [Problem(file, None, key, None, "unknown key; expected one of "
                        + ", ".join(sorted(KEYS)))
                for key in sorted(set(data) - KEYS)]
    for key in sorted(set(data.get("objective", {}) if isinstance(
            data.get("objective"), dict) else ()) - OBJECTIVE_KEYS):
        problems.append(Problem(file, None, f"objective.{key}", None,
                                "unknown key; expected mode, priority or "
                                "weights"))
    objective = data.get("objective", {})
    if not isinstance(objective, dict) or not isinstance(
            objective.get("weights", {}), dict):
        problems.append(Problem(file, None, "objective", str(objective),
                                "expected [objective] with mode, priority "
                                "and a weights table { S3 = 2.0 }"))
    for key in ("add_staff", "update_staff", "add_students"):
        if key in data and not (isinstance(data[key], list) and all(
                isinstance(x, dict) for x in data[key])):
            problems.append(Problem(file, None, key, None,
                                    f"expected [[{key}]] tables"))
    for key in ("remove_staff", "remove_students"):
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
        raise InputError(problems)
    return Scenario(str(data.get("name", path.stem)),
                    str(data.get("description", "")), path, roster_path,
                    data)


def _cells(record: dict[str, Any]) -> dict[str, str]:
    """TOML values as roster cells: lists joined with ';'."""
    out = {}
    for key, value in record.items():
        if isinstance(value, list):
            value = ";".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        out[key.strip().lower()] = str(value)
    return out


def _parse_record(record: dict[str, Any], columns: tuple[io.Column, ...],
                  file: str, key: str, problems: list[Problem],
                  rules: RuleSet | None = None) -> dict[str, Any]:
    names = {c.name for c in columns}
    cells = _cells(record)
    values: dict[str, Any] = {}
    for name in sorted(set(cells) - names):
        problems.append(Problem(file, None, f"{key}.{name}", cells[name],
                                "unknown field"))
    for col in columns:
        if col.name not in cells or cells[col.name] == "":
            continue
        raw = cells[col.name]
        try:
            if col.name == "credentials" and rules is not None:
                values[col.name] = io.credential_codes(raw, rules)
            else:
                values[col.name] = (col.parse or str.strip)(raw)
        except ValueError as exc:
            problems.append(Problem(file, None, f"{key}.{col.name}", raw,
                                    str(exc)))
    for name in ("sites", "provides", "languages", "credentials",
                 "services"):
        if isinstance(values.get(name), list):
            values[name] = tuple(values[name])
    return values


def apply(base: Instance, scenario: Scenario, rules: RuleSet) -> Instance:
    """The base roster with the scenario's changes, re-validated."""
    file, data = scenario.path.name, scenario.data
    problems: list[Problem] = []
    staff = {c.staff_id: c for c in base.staff}
    students = {s.student_id: s for s in base.students}
    for sid in data.get("remove_staff", []):
        if staff.pop(sid, None) is None:
            problems.append(Problem(file, None, "remove_staff", sid,
                                    f'unknown staff_id "{sid}"'))
    for record in data.get("update_staff", []):
        sid = str(record.get("staff_id", ""))
        if sid not in staff:
            problems.append(Problem(file, None, "update_staff.staff_id", sid,
                                    f'unknown staff_id "{sid}"'))
            continue
        values = _parse_record(record, io.STAFF_COLUMNS, file,
                               "update_staff", problems, rules)
        try:
            staff[sid] = Staff(**{**dict(staff[sid]), **values})
        except ValidationError as exc:
            problems += _located(file, "update_staff", exc)
    for record in data.get("add_staff", []):
        values = _parse_record(record, io.STAFF_COLUMNS, file, "add_staff",
                               problems, rules)
        sid = values.get("staff_id", "")
        if sid in staff:
            problems.append(Problem(file, None, "add_staff.staff_id", sid,
                                    f'staff_id "{sid}" already exists'))
            continue
        try:
            staff[sid] = Staff(**values)
        except ValidationError as exc:
            problems += _located(file, "add_staff", exc)
    for sid in data.get("remove_students", []):
        if students.pop(sid, None) is None:
            problems.append(Problem(file, None, "remove_students", sid,
                                    f'unknown student_id "{sid}"'))
    extras = dict(base.extras)
    for record in data.get("add_students", []):
        values = _parse_record(record, io.STUDENT_COLUMNS, file,
                               "add_students", problems)
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
            problems += _located(file, "add_students", exc)
    pins = dict(base.pins)
    for sid, cid in data.get("pins", {}).items():
        problems += _known(file, "pins", sid, str(cid), students, staff)
        pins[sid] = str(cid)
    forbidden = set(base.forbidden)
    for sid, cid in data.get("forbid", []):
        problems += _known(file, "forbid", str(sid), str(cid), students,
                           staff)
        forbidden.add((str(sid), str(cid)))
    if problems:
        raise InputError(problems)
    kept = [s for s in base.students if s.student_id in students]
    added = [s for sid, s in students.items()
             if sid not in {b.student_id for b in base.students}]
    return base.replace(
        students=tuple(kept + added), staff=tuple(staff.values()),
        pins=pins, forbidden=frozenset(forbidden),
        extras={s.student_id: extras[s.student_id] for s in kept + added})


def _known(file: str, key: str, sid: str, cid: str, students, staff
           ) -> list[Problem]:
    out = []
    if sid not in students:
        out.append(Problem(file, None, key, sid,
                           f'unknown student_id "{sid}"'))
    if cid not in staff:
        out.append(Problem(file, None, key, cid, f'unknown staff_id "{cid}"'))
    return out


def _located(file: str, key: str, exc: ValidationError) -> list[Problem]:
    return [Problem(file, None, ".".join([key, *map(str, e["loc"])]),
                    str(e.get("input")) if not isinstance(e.get("input"),
                                                          dict) else None,
                    e["msg"].removeprefix("Value error, "))
            for e in exc.errors()]


# ------------------------------------------------------------- comparing


def kpi_row(name: str, result, audit, instance: Instance,
            base_assignment: dict[str, str] | None, rules: RuleSet,
            diagnosis: str = "") -> dict[str, Any]:
    """One row of the comparison table (None where there is no plan)."""
    caps = sum(rules.effective_cap(c) for c in instance.staff
               if rules.may_case_manage(c))
    row: dict[str, Any] = {
        "scenario": name,
        "status": result.status.value,
        "proven_optimal": result.proven_optimal,
        "gap": round(result.gap, 6),
        "students": len(instance.students),
        "students_unassigned": (len(instance.students) - len(
            result.assignment)),
        "spare_places": caps - len(instance.students),
        "best_practice": None, "continuity_kept": None,
        "language_matches": None, "changed_vs_base": None,
        "runtime_seconds": round(result.runtime, 2),
        "diagnosis": diagnosis,
    }
    if audit is None:
        return row
    k = audit.kpis
    row.update(best_practice=k["best_practice_matches"],
               continuity_kept=k["continuity_kept"],
               language_matches=k["language_matches"])
    for kind, u in k["utilization_by_kind"].items():
        row[f"{kind}_util_min"] = u["min"]
        row[f"{kind}_util_median"] = u["median"]
        row[f"{kind}_util_max"] = u["max"]
        row[f"{kind}_over_90"] = u["over_90_percent"]
    if base_assignment is not None:
        row["changed_vs_base"] = sum(
            1 for sid, cm in result.assignment.items()
            if base_assignment.get(sid) not in (None, cm))
    return row


def comparison_frame(rows: list[dict[str, Any]]):
    """The rows as a tidy DataFrame: fixed columns first, then per kind."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    fixed = [c for c in rows[0] if not c.endswith(
        ("_util_min", "_util_median", "_util_max", "_over_90"))]
    fixed.remove("diagnosis")
    per_kind = sorted(c for c in frame.columns if c not in fixed
                      and c != "diagnosis")
    # Counts stay whole numbers even where a row has none (no plan).
    for col in ("best_practice", "continuity_kept", "language_matches",
                "changed_vs_base", *(c for c in per_kind
                                     if c.endswith("_over_90"))):
        frame[col] = frame[col].astype("Int64")
    return frame[[*fixed, *per_kind, "diagnosis"]]


def changes_rows(base: dict[str, str], name: str,
                 assignment: dict[str, str]) -> list[list[str]]:
    """Students whose case manager differs from the base (or who were
    added or removed by the scenario)."""
    out = []
    for sid in sorted(base.keys() | assignment.keys()):
        before, after = base.get(sid, ""), assignment.get(sid, "")
        if before != after:
            out.append([sid, name, before, after])
    return out
