"""Read plans back: a published plan folder or any assignments file."""

from __future__ import annotations

import csv
import io as _io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.csvtext import undefused
from optimizer.domain import Staff
from optimizer.errors import InputError, Problem, UsageError
from optimizer.inputs.tables import header_key, read_table

_NAME = "case_manager_name"


@dataclass
class AssignmentFile:
    """An assignments file as read: the assignment, and what a dict of
    student -> case manager cannot hold."""

    assignment: dict[str, str | None]
    # students listed with more than one case manager: how many (H1)
    duplicates: dict[str, int]
    # rows that repeat a student with the same case manager (warnings)
    repeats: list[Problem] = field(default_factory=list)
    # (row, staff_id, case_manager_name) where the file gives a name
    names: list[tuple[int, str, str]] = field(default_factory=list)
    file: str = ""


def load_assignment_file(path: Path) -> AssignmentFile:
    """A hand-made or produced assignments.csv, with its row numbers.

    A row repeated for the same student and case manager is a repeat
    (counted once, warned about), not a second case manager.
    """
    table = read_table(path, ["student_id", "case_manager_id"])
    header = [header_key(h) for h in table.header]
    problems = [Problem(table.file, 1, col, None,
                        f'required column "{col}" is missing')
                for col in ("student_id", "case_manager_id")
                if col not in header]
    if problems:
        raise InputError(problems)
    i, j = header.index("student_id"), header.index("case_manager_id")
    k = header.index(_NAME) if _NAME in header else None
    out = AssignmentFile({}, {}, file=table.file)
    managers: dict[str, set[str]] = {}
    first: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for row, cells in table.rows:
        sid = cells[i].strip() if i < len(cells) else ""
        cm = cells[j].strip() if j < len(cells) else ""
        if not sid:
            continue
        if (sid, cm) in first:
            seen, seen_cells = first[(sid, cm)]
            out.repeats.append(Problem(
                table.file, row, None, None,
                f"duplicate row (the same as row {seen}); counted once"
                if seen_cells == cells else
                f"student {sid} is listed again with the same case manager "
                f"(first on row {seen}); counted once"))
            continue
        first[(sid, cm)] = (row, cells)
        managers.setdefault(sid, set()).add(cm)
        out.assignment.setdefault(sid, cm or None)
        if k is not None and cm and k < len(cells) and cells[k].strip():
            out.names.append((row, cm, cells[k].strip()))
    out.duplicates = {s: len(m) for s, m in managers.items() if len(m) > 1}
    return out


def read_assignment(path: Path) -> tuple[dict[str, str | None],
                                         dict[str, int]]:
    """A hand-made or produced assignments.csv: student -> case manager,
    and the students listed with more than one case manager."""
    sheet = load_assignment_file(path)
    return sheet.assignment, sheet.duplicates


def name_mismatches(sheet: AssignmentFile, staff: dict[str, Staff]
                    ) -> list[Problem]:
    """Rows whose case_manager_name is not the name of the staff member
    the case_manager_id names: one of the two was edited, not both."""
    def same(a: str, b: str) -> bool:
        a = undefused(a)  # a plan's own '=name (csvtext)
        return " ".join(a.lower().split()) == " ".join(b.lower().split())

    out = []
    for row, cm, name in sheet.names:
        member = staff.get(cm)
        if member is not None and not same(name, member.name):
            out.append(Problem(
                sheet.file, row, _NAME, name,
                f'"{name}" is not the name of {cm} ({member.name} on the '
                "staff roster); the case_manager_id decides, so check "
                "which of the two was meant"))
    return out


def plan_assignments(folder: Path) -> Path:
    """The assignments.csv of a plan folder.

    Raises
    ------
    UsageError
        When the folder holds no assignments.csv (not a plan folder).
    """
    file = Path(folder) / "assignments.csv"
    if not file.is_file():
        raise UsageError(f"{folder} is not a plan folder (it has no "
                         "assignments.csv); give a folder caseload plan "
                         "wrote")
    return file


def published_assignment(folder: Path) -> dict[str, str]:
    """A published plan folder's assignment (students with a manager)."""
    assignment, _ = read_assignment(plan_assignments(folder))
    return {k: v for k, v in assignment.items() if v}


def published_names(folder: Path) -> dict[str, str]:
    """Staff names a published plan recorded (``case_manager_name``), so
    a report can name people who have since left the roster."""
    file = folder / "assignments.csv"
    if not file.is_file():
        return {}
    with file.open(encoding="utf-8", newline="") as fh:
        return {r["case_manager_id"]: r["case_manager_name"]
                for r in csv.DictReader(fh)
                if r.get("case_manager_id") and r.get("case_manager_name")}


def published_summary(published: Path) -> dict:
    """A plan folder's summary.json ({} when it has none)."""
    summary = published / "summary.json"
    if not summary.is_file():
        return {}
    return json.loads(summary.read_text(encoding="utf-8"))


def compare_with_published(new_csv: str, published: Path,
                           rename: Callable[[str], str] | None = None
                           ) -> tuple[list[str], str | None]:
    """Students whose case manager differs from a published plan folder,
    and the input hash that plan recorded (None if unknown).

    ``rename`` turns the new plan's student ids into the published
    plan's pseudonyms when that plan was written with ``--redact``.
    """
    def table(text: str, ids=lambda x: x) -> dict[str, str]:
        return {ids(r["student_id"]): r["case_manager_id"]
                for r in csv.DictReader(_io.StringIO(text))}

    file = plan_assignments(published)
    old = table(file.read_text(encoding="utf-8"))
    new = table(new_csv, rename or (lambda x: x))
    differ = sorted(s for s in old.keys() | new.keys()
                    if old.get(s) != new.get(s))
    return differ, published_summary(published).get("input_hash")
