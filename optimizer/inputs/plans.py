"""Read plans back: a published plan folder or any assignments file."""

from __future__ import annotations

import csv
import io as _io
import json
from pathlib import Path

from optimizer.errors import InputError, Problem
from optimizer.inputs.tables import read_table


def read_assignment(path: Path) -> tuple[dict[str, str | None],
                                         dict[str, int]]:
    """A hand-made or produced assignments.csv: student -> case manager."""
    table = read_table(path, ["student_id", "case_manager_id"])
    header = [h.strip().lower() for h in table.header]
    problems = [Problem(table.file, 1, col, None,
                        f'required column "{col}" is missing')
                for col in ("student_id", "case_manager_id")
                if col not in header]
    if problems:
        raise InputError(problems)
    i, j = header.index("student_id"), header.index("case_manager_id")
    assignment: dict[str, str | None] = {}
    counts: dict[str, int] = {}
    for _row, cells in table.rows:
        sid = cells[i].strip() if i < len(cells) else ""
        cm = cells[j].strip() if j < len(cells) else ""
        if not sid:
            continue
        counts[sid] = counts.get(sid, 0) + 1
        assignment.setdefault(sid, cm or None)
    duplicates = {s: n for s, n in counts.items() if n > 1}
    return assignment, duplicates


def published_assignment(folder: Path) -> dict[str, str]:
    """A published plan folder's assignment (students with a manager)."""
    assignment, _ = read_assignment(folder / "assignments.csv")
    return {k: v for k, v in assignment.items() if v}


def compare_with_published(new_csv: str, published: Path
                           ) -> tuple[list[str], str | None]:
    """Students whose case manager differs from a published plan folder,
    and the input hash that plan recorded (None if unknown)."""
    def table(text: str) -> dict[str, str]:
        return {r["student_id"]: r["case_manager_id"]
                for r in csv.DictReader(_io.StringIO(text))}

    file = published / "assignments.csv"
    if not file.is_file():
        raise InputError([Problem(str(published), None, None, None,
                                  "not a plan folder (no assignments.csv)")])
    old = table(file.read_text(encoding="utf-8"))
    new = table(new_csv)
    differ = sorted(s for s in old.keys() | new.keys()
                    if old.get(s) != new.get(s))
    same_input = None
    summary = published / "summary.json"
    if summary.is_file():
        same_input = json.loads(summary.read_text()).get("input_hash")
    return differ, same_input
