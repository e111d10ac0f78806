"""Read a file of pending initial assessments (AB 560).

Columns: ``assessment_id`` (a student or referral id; ``student_id`` or
``referral_id`` read too), ``site``, ``grade``, ``due_date``, ``areas``
(a ``;`` list, optional). Every problem is located (file, row, column,
value) and reported at once.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pydantic import ValidationError

from optimizer.domain import Assessment
from optimizer.errors import InputError, Problem
from optimizer.inputs import parse
from optimizer.inputs.tables import (
    Column,
    check_unique,
    header_key,
    parse_rows_one_by_one,
    read_table,
    resolve_columns,
    validation_problems,
)

ASSESSMENT_COLUMNS: tuple[Column, ...] = (
    Column("assessment_id", True, parse.identifier),
    Column("site", True),
    Column("grade", True, parse.grade),
    Column("due_date", True, parse.meeting_date),
    Column("areas", False, parse.split_list),
)
_IDS = ("student_id", "referral_id")
MAX_ASSESSMENT_ROWS = 50_000


def load_assessments(path: Path | str) -> list[Assessment]:
    """The pending assessments of a CSV file, in file order."""
    path = Path(path)
    table = read_table(path, [c.name for c in ASSESSMENT_COLUMNS])
    if len(table.rows) > MAX_ASSESSMENT_ROWS:
        raise InputError([Problem(table.file, None, None, None,
                                  f"{len(table.rows):,} rows; the limit is "
                                  f"{MAX_ASSESSMENT_ROWS:,} assessments")])
    # A student or referral id stands for assessment_id.
    header = list(table.header)
    keys = [header_key(h) for h in header]
    if "assessment_id" not in keys:
        for i, k in enumerate(keys):
            if k in _IDS:
                header[i] = "assessment_id"
                break
    table = replace(table, header=header)
    problems: list[Problem] = []
    found, _extra = resolve_columns(table, ASSESSMENT_COLUMNS, problems)
    if problems:
        raise InputError(problems)
    parsed = parse_rows_one_by_one(table, ASSESSMENT_COLUMNS, found,
                                   problems)
    check_unique(table, parsed, "assessment_id", problems)
    out = []
    for row, values in parsed:
        if "areas" in values:
            values["areas"] = tuple(values["areas"])
        try:
            out.append(Assessment(**values))
        except ValidationError as exc:
            if not any(p.row == row for p in problems):
                problems.extend(validation_problems(
                    table.file, row, exc.errors(),
                    default_column="assessment_id"))
    if not parsed:
        problems.append(Problem(table.file, None, None, None,
                                "no assessment rows: the file has only a "
                                "header"))
    if problems:
        raise InputError(problems)
    return out
