"""Students arriving mid-year: read them against the roster they join,
and write the roster with them added (``caseload place --out``).

A new student's site must be one the roster knows (``Lincoln`` for
``LIN`` would leave the student with nobody who serves the site), and
an id already on the roster is reported with both rows.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from optimizer.csvtext import csv_text
from optimizer.domain import Student
from optimizer.errors import InputError, Problem
from optimizer.inputs.roster import (
    Roster,
    read_roster_tables,
    read_student_file,
)
from optimizer.inputs.tables import (
    Table,
    header_key,
)


@dataclass(frozen=True)
class Arrivals:
    """New students, as read from their file (rows and cells kept)."""

    students: list[Student]
    extras: dict[str, tuple[str, ...]]
    table: Table


def load_arrivals(path: Path | str, roster: Roster) -> Arrivals:
    """New students from a CSV with the students.csv columns, checked
    against ``roster``: known sites, ids not already on it.

    Raises
    ------
    InputError
        Every problem, located in the new file (and the roster's row for
        an id that is already there).
    """
    table, students, extras = read_student_file(path)
    problems: list[Problem] = []
    rows = [r for r, _ in table.rows]
    known = _sites(roster)
    for row, s in zip(rows, students):
        if s.student_id in roster.rows:
            problems.append(Problem(
                table.file, row, "student_id", s.student_id,
                f'student_id "{s.student_id}" is already on the roster '
                f"({roster.students_file}, row "
                f"{roster.rows[s.student_id]})"))
        if s.site not in known:
            problems.append(Problem(
                table.file, row, "site", s.site,
                f'site "{s.site}" is not on the roster'
                f"{_site_hint(s.site, known)}; sites: "
                f"{', '.join(sorted(known))}"))
    if problems:
        raise InputError(problems)
    return Arrivals(students, extras, table)


def _sites(roster: Roster) -> set[str]:
    inst = roster.instance
    return ({s.site for s in inst.students}
            | {site for c in inst.staff for site in c.sites if site != "*"})


def _site_hint(site: str, known: set[str]) -> str:
    """A site code the name starts with ("Lincoln" -> LIN), or a close
    spelling."""
    up = site.strip().upper()
    starts = sorted(k for k in known if up.startswith(k.upper()))
    if not starts:
        hit = difflib.get_close_matches(
            up, [k.upper() for k in known], n=1, cutoff=0.6)
        starts = [k for k in known if hit and k.upper() == hit[0]]
    return f' (did you mean "{max(starts, key=len)}"?)' if starts else ""


def updated_roster_files(roster: Roster, arrivals: Arrivals
                         ) -> dict[str, str]:
    """``students.csv`` with the new students added at the end, and
    ``staff.csv``, as CSV text: a roster folder ``caseload check`` reads
    with the plan made for it.

    The roster's own columns are kept; a new student's cell goes under
    the roster header it matches (same name once case, spaces, hyphens
    and underscores are ignored), blank where the new file has none.
    """
    students, staff, _files = read_roster_tables(roster.path)
    new_pos = {header_key(h): i for i, h in enumerate(arrivals.table.header)}
    added = []
    for _row, cells in arrivals.table.rows:
        added.append([
            cells[new_pos[header_key(h)]].strip()
            if header_key(h) in new_pos
            and new_pos[header_key(h)] < len(cells) else ""
            for h in students.header])
    return {
        "students.csv": csv_text([students.header,
                                  *(cells for _, cells in students.rows),
                                  *added], safe=False),
        "staff.csv": csv_text([staff.header,
                               *(cells for _, cells in staff.rows)],
                              safe=False),
    }
