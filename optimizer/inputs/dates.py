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
    first, last = calendar.year
    name = f"{first.year}-{(first.year + 1) % 100:02d}"
    how = ("[calendar] planning_year" if weights.planning_year else
           "the year of most annual reviews; set [calendar] planning_year "
           "to choose another")
    errors: list[Problem] = []
    notes: list[Problem] = []
    for s in students:
        row = roster.rows.get(s.student_id)
        for column, (before, after) in _REACH.items():
            day = getattr(s, column)
            if day is None or first <= day <= last:
                continue
            shown = roster.headers.get(column, column)
            if not _shift(first, -before) <= day <= _shift(last, after):
                errors.append(Problem(
                    roster.students_file, row, shown, day.isoformat(),
                    f"not a date of a next {_WORDS[column]} for the "
                    f"planning year {name} ({first} to {last}; {how}): "
                    "a mistyped year?"))
            else:
                notes.append(Problem(
                    roster.students_file, row, shown, day.isoformat(),
                    f"outside the planning year {name} ({first} to "
                    f"{last}; {how}): this meeting is not counted in "
                    "the meeting calendar (S5, H8, meetings.csv)"))
    if len(notes) > SHOWN:
        more = len(notes) - SHOWN
        notes = [*notes[:SHOWN], Problem(
            roster.students_file, None, None, None,
            f"{more:,} more meeting date(s) outside the planning year "
            f"{name}, not counted either")]
    return errors, notes


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

