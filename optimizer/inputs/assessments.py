"""Read a file of pending initial assessments (AB 560).

Columns: ``assessment_id`` (a student or referral id; ``student_id`` or
``referral_id`` read too), ``site``, ``grade``, ``due_date``, ``areas``
(a ``;`` list, optional). Every problem is located (file, row, column,
value) and reported at once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from optimizer.domain import Assessment, Instance
from optimizer.errors import InputError, Problem
from optimizer.inputs import parse
from optimizer.inputs.csv_cells import (
    Column,
    check_unique,
    header_key,
    parse_rows_one_by_one,
    read_table,
    resolve_columns,
    validation_problems,
)
from optimizer.inputs.dates import due_date_problems
from optimizer.inputs.parse import suggest

ASSESSMENT_COLUMNS: tuple[Column, ...] = (
    Column("assessment_id", True, parse.identifier),
    Column("site", True),
    Column("grade", True, parse.grade),
    Column("due_date", True, parse.meeting_date),
    Column("areas", False, parse.split_list),
)
_IDS = ("student_id", "referral_id")
MAX_ASSESSMENT_ROWS = 50_000


def load_assessments(path: Path | str, instance: Instance | None = None,
                     kinds: tuple[str, ...] = ("RSP",),
                     year: tuple[date, date] | None = None
                     ) -> list[Assessment]:
    """The pending assessments of a CSV file, in file order.

    With ``instance`` (the roster), an assessment at a site no staff
    member serves (not in the roster, or only its students there) is a
    located error: it could never be assigned, and a misspelt site would
    otherwise only be a warning. With ``year`` (the planning year's
    first and last day), a due date outside it is a located error."""
    return _load(path, instance, kinds, year=year)[0]


def load_assessment_assignment(path: Path | str, instance: Instance,
                               kinds: tuple[str, ...] = ("RSP",)
                               ) -> tuple[list[Assessment], dict[str, str]]:
    """An assessments.csv as ``plan --assessments`` writes it: the
    assessments and who takes each (``staff_id``; empty: unassigned).
    A staff id the roster does not have is a located error."""
    out, _table, taken = _load(path, instance, kinds, with_staff=True)
    return out, {aid: who for aid, who in taken.values() if who}


def _load(path: Path | str, instance: Instance | None,
          kinds: tuple[str, ...], with_staff: bool = False,
          year: tuple[date, date] | None = None):
    """The assessments, their table, and (``with_staff``) each row's
    (assessment id, staff id)."""
    path = Path(path)
    columns = ASSESSMENT_COLUMNS + ((Column("staff_id", True),)
                                    if with_staff else ())
    table = read_table(path, [c.name for c in columns])
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
    found, _extra = resolve_columns(table, columns, problems)
    if problems:
        raise InputError(problems)
    if with_staff:  # an empty staff_id is an unassigned assessment
        columns = ASSESSMENT_COLUMNS
        at = found.pop("staff_id")
    parsed = parse_rows_one_by_one(table, columns, found, problems)
    check_unique(table, parsed, "assessment_id", problems)
    taken = {}
    if with_staff:
        cells = dict(table.rows)
        taken = {row: (values.get("assessment_id", ""),
                       cells[row][at].strip() if at < len(cells[row])
                       else "") for row, values in parsed}
    out = []
    if instance is not None:
        problems += _unknown_sites(table.file, parsed, instance, kinds)
    if with_staff and instance is not None:  # with the rest, at once
        staff = instance.staff_by_id()
        problems += [Problem(table.file, row, "staff_id", who,
                             f'staff_id "{who}" is not on the staff roster'
                             f"{suggest(who, sorted(staff))}")
                     for row, (_aid, who) in taken.items()
                     if who and who not in staff]
    problems += due_date_problems(table.file, parsed, year)
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
    return out, table, taken


def _unknown_sites(file: str, parsed: list[tuple[int, dict]],
                   instance: Instance, kinds: tuple[str, ...]
                   ) -> list[Problem]:
    """Rows at a site no staff member serves (a site the roster does not
    have, or only its students have): located (file, row, column,
    value). A site someone serves is planned; if none of them may take
    the assessment, the plan says why it is left unassigned."""
    served = {x for c in instance.staff for x in c.sites} - {"*"}
    students = {s.site for s in instance.students}
    known = sorted(served | students)
    anywhere = any("*" in c.sites and any(k in c.provides for k in kinds)
                   for c in instance.staff)
    out = []
    for row, values in parsed:
        site = values.get("site")
        if site is None or site in served or anywhere:
            continue
        why = ("the roster's students are there, but no staff member "
               "serves it" if site in students else
               f"it is not in the roster{suggest(site, known)}")
        out.append(Problem(
            file, row, "site", site,
            f'site "{site}": {why}, so the assessment could never be '
            f"assigned; staffed sites: {', '.join(sorted(served))}"))
    return out
