"""The planning year (``[calendar] planning_year``) against the roster's
IEP meeting dates and the pending assessments' due dates.

A meeting date outside the planning year is not this year's work: S5,
H8 and meetings.csv do not count it, and each is a located warning (file,
row, column, value), so none is left out without a word. A date that
cannot be a *next* annual review (more than a year from the planning
year) or a *next* reevaluation (more than a year before it, or more than
three years after it: reevaluations are triennial) is a typing error
("2062", "2016"): a located error, all of them at once.
"""

from __future__ import annotations

from datetime import date

from optimizer.errors import Problem
from optimizer.objectives import ObjectiveWeights

# (years before the planning year, years after it) a next meeting may be
_REACH = {"annual_review_date": (1, 1), "reevaluation_date": (1, 3)}
SHOWN = 20  # warnings listed one by one; the rest counted on one line


def _shift(day: date, years: int) -> date:
    return day.replace(year=day.year + years, day=min(day.day, 28)
                       if day.month == 2 else day.day)


def planning_year_problems(roster, weights: ObjectiveWeights
                           ) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of the roster's meeting dates against the
    planning year (``weights.calendar``: the setting, else the default
    derived from the dates). Both empty without dates."""
    students = roster.instance.students
    calendar = weights.calendar(students)
    if calendar is None or calendar.year is None:
        return [], []
    errors: list[Problem] = []
    notes: list[Problem] = []
    for s in students:
        row = roster.rows.get(s.student_id)
        for column in _REACH:
            day = getattr(s, column)
            found = _outside(day, column, calendar.year, weights)
            if found is None:
                continue
            is_error, message = found
            (errors if is_error else notes).append(Problem(
                roster.students_file, row, roster.headers.get(column, column),
                day.isoformat(), message))
    return errors, _counted(notes, roster.students_file, calendar.year)


def scenario_date_problems(file: str, base: tuple, students: tuple,
                           weights: ObjectiveWeights
                           ) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of the meeting dates a scenario sets (a date
    moved by ``[[update_students]]``, or an added student's) against the
    scenario's planning year, as ``planning_year_problems`` judges a
    roster's: located by the scenario file, key and value. Dates the
    base roster already had were judged with it."""
    calendar = weights.calendar(students)
    if calendar is None or calendar.year is None:
        return [], []
    before = {s.student_id: s for s in base}
    errors: list[Problem] = []
    notes: list[Problem] = []
    for s in students:
        old = before.get(s.student_id)
        key = "add_students" if old is None else "update_students"
        for column in _REACH:
            day = getattr(s, column)
            if old is not None and getattr(old, column) == day:
                continue
            found = _outside(day, column, calendar.year, weights)
            if found is None:
                continue
            is_error, message = found
            (errors if is_error else notes).append(Problem(
                file, None, f"{key}.{column}", day.isoformat(),
                f"student {s.student_id}: {message}"))
    return errors, _counted(notes, file, calendar.year)


def arrival_date_problems(arrivals, roster, weights: ObjectiveWeights
                          ) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of the roster's meeting dates and the new
    students' (``place``: ``inputs.arrivals.Arrivals``, located in their
    own file) against the roster's planning year, as ``plan`` judges
    a roster's."""
    errors, notes = planning_year_problems(roster, weights)
    calendar = weights.calendar(roster.instance.students)
    if calendar is None or calendar.year is None:
        return errors, notes
    file = arrivals.table.file
    more: list[Problem] = []
    for (row, _cells), s in zip(arrivals.table.rows, arrivals.students):
        for column in _REACH:
            day = getattr(s, column)
            found = _outside(day, column, calendar.year, weights)
            if found is not None:
                is_error, message = found
                (errors if is_error else more).append(Problem(
                    file, row, column, day.isoformat(), message))
    return errors, [*notes, *_counted(more, file, calendar.year)]


def _outside(day: date | None, column: str, year: tuple[date, date],
             weights: ObjectiveWeights) -> tuple[bool, str] | None:
    """None for a date in the planning year (or none); else (whether it
    is an error, the words)."""
    first, last = year
    if day is None or first <= day <= last:
        return None
    before, after = _REACH[column]
    name = f"{first.year}-{(first.year + 1) % 100:02d}"
    how = ("[calendar] planning_year" if weights.planning_year else
           "the year of most annual reviews; set [calendar] planning_year "
           "to choose another")
    if not _shift(first, -before) <= day <= _shift(last, after):
        return True, (f"not a date of a next {_WORDS[column]} for the "
                      f"planning year {name} ({first} to {last}; {how}): "
                      "a mistyped year?")
    return False, (f"outside the planning year {name} ({first} to "
                   f"{last}; {how}): this meeting is not counted in "
                   "the meeting calendar (S5, H8, meetings.csv)")


def _counted(notes: list[Problem], file: str,
             year: tuple[date, date]) -> list[Problem]:
    """The first ``SHOWN`` warnings, the rest counted on one line."""
    if len(notes) <= SHOWN:
        return notes
    name = f"{year[0].year}-{(year[0].year + 1) % 100:02d}"
    more = len(notes) - SHOWN
    return [*notes[:SHOWN], Problem(
        file, None, None, None,
        f"{more:,} more meeting date(s) outside the planning year "
        f"{name}, not counted either")]


_WORDS = {"annual_review_date": "annual review",
          "reevaluation_date": "reevaluation"}


def due_date_problems(file: str, parsed: list[tuple[int, dict]],
                      year: tuple[date, date] | None) -> list[Problem]:
    """Pending assessments due outside the planning year: located
    errors (an initial assessment is this year's work)."""
    if year is None:
        return []
    first, last = year
    name = f"{first.year}-{(first.year + 1) % 100:02d}"
    return [Problem(file, row, "due_date", v["due_date"].isoformat(),
                    f"outside the planning year {name} ({first} to "
                    f"{last}); set [calendar] planning_year if another "
                    "year is meant")
            for row, v in parsed
            if "due_date" in v and not first <= v["due_date"] <= last]

