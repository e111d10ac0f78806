"""Objective settings: weights of the soft terms S1-S4, or a priority order.

The soft terms, all computed from a plan alone (see ``verify``):

- S1 best practice: students *not* case-managed by the provider of their
  most intensive service (minimise).
- S2 balance: the sum over case managers of ``a_c * load_c**2`` with
  ``a_c = round(BALANCE_SCALE / cap_c)`` and ``load_c`` the weighted load
  in integer units. Its minimum spreads utilization evenly: the marginal
  cost of one more student is proportional to ``load_c / cap_c``.
- S3 continuity: students whose allowed prior case manager is not kept.
- S4 language: students with a home language other than English whose
  case manager does not speak it.
- S5 meeting calendar (only when the roster has IEP meeting dates): the
  sum over case managers and months (or weeks, ``[calendar] period``) of
  ``meetings**2``, the meetings a case manager holds in that month for
  the students they case-manage (each distinct annual-review or
  reevaluation date is one meeting). Like S2, its minimum spreads the
  year's meetings evenly. ``[calendar] max_meetings_per_month`` is the
  district's hard limit (H8) on one case manager's meetings in a month.
  Without dates there is no S5 and no H8: the levels, and so the plan,
  are exactly those of a roster without the columns.

A last level, after S1-S4, when a plan has a reference (the base plan of
a comparison, the published plan of ``plan --from``):

- R closeness: students whose case manager differs from the reference.
  Among plans with the same S1-S4 values the one closest to the reference
  is chosen, so "changed vs base" counts only the changes a scenario
  causes, never a tie broken another way. Students without a reference
  case manager are not counted. A yearly plan needs no such level: its
  changes from last year's case managers are S3 plus the students whose
  prior case manager may not take them (a constant), so S3 already
  decides them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from math import gcd
from typing import ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from optimizer.rules import PairCheck
from optimizer.vocab import PROVIDES

TERMS: tuple[str, ...] = ("S1", "S2", "S3", "S4")
# The meeting-calendar term: a level of its own only with meeting dates.
CALENDAR = "S5"
TERM_NAMES: dict[str, str] = {
    "S1": "best practice",
    "S2": "caseload balance",
    "S3": "continuity",
    "S4": "language",
    "S5": "meeting calendar",
    "R": "changes vs reference",
}
# The closeness term's id; it is never weighted, only solved last.
REFERENCE = "R"
BALANCE_SCALE = 1000


# ------------------------------------------------------------ the terms
# Each soft term is defined here once. The checker (verify), the flow and
# CP-SAT models, the local search, the bound, the explanations and the
# mid-year placement all call these functions; tests hold the solver's
# objective and every reported change equal to the checker's.


def best_practice_miss(check: PairCheck) -> int:
    """S1 for one student with this case manager: 1 when the case manager
    is not the provider of the student's most intensive service."""
    return int(not check.best_practice)


def language_miss(check: PairCheck) -> int:
    """S4 for one student: 1 when the family has a home language other
    than English and the case manager does not speak it."""
    return int(check.wants_language and not check.language_match)


def continuity_loss(prior_allowed: bool, case_manager: str | None,
                    prior: str | None) -> int:
    """S3 for one student: 1 when the prior case manager could take the
    student (``prior_allowed``, see ``verify.prior_allowed``) and is not
    the case manager."""
    return int(prior_allowed and case_manager != prior)


def reference_change(case_manager: str | None,
                     reference: str | None) -> int:
    """R for one student: 1 when the student has a reference case manager
    (base or published plan) and the case manager differs from it."""
    return int(reference is not None and case_manager != reference)


def group_reference_changes(students: int, given_to_reference: int) -> int:
    """R of a group whose ``students`` share one reference case manager:
    those not among the ``given_to_reference`` placed with that person
    (``structure`` splits groups by reference case manager)."""
    return students - given_to_reference


def continuity_kept(students: int, priors: int) -> int:
    """Students of a group kept with a prior case manager when ``students``
    of them go to a staff member who was the prior of ``priors`` of them
    (group members are interchangeable, so the kept count is the min)."""
    return min(students, priors)


def balance_coefficient(cap: int) -> int:
    """``a_c`` of S2 for a case manager with this (positive) cap."""
    return round(BALANCE_SCALE / cap)


def balance_term(cap: int, load: int) -> int:
    """S2 of one case manager: ``a_c * load**2`` (load in integer units)."""
    return balance_coefficient(cap) * load * load if cap > 0 else 0


def balance_increment(coefficient, place):
    """S2 added by the ``place``-th unit of one case manager's load
    (1-based): ``a * (k**2 - (k-1)**2) = a * (2k - 1)``, with ``a`` the
    coefficient times the unit's size squared. The increments rise, so
    filling places in order sums to ``balance_term``: the flow's place
    arcs, the MIP's load segments, the token bound's places and CP-SAT's
    tangent cuts all price S2 with it. Elementwise on numpy arrays."""
    return coefficient * (2 * place - 1)


def balance_change(coefficient: int, load: int, delta: int) -> int:
    """Change in a case manager's S2 term when its load moves by delta."""
    return coefficient * ((load + delta) ** 2 - load ** 2)


# Every level's value, and every coefficient, must be counted exactly in
# 64-bit integers (numpy, OR-Tools); 2**62 leaves room for a sum of two.
LEVEL_CEILING = 2**62


def level_ceiling(level: dict[str, int], students: int, caps: list[int],
                  most_units: int, meetings: int) -> dict[str, int]:
    """The most each term of ``level`` can add on a roster of
    ``students`` (each a best-practice miss, a continuity loss, a
    language miss and off the reference at most once), staff with
    ``caps`` (S2: each at most its cap of the heaviest student, of
    ``most_units``) and ``meetings`` IEP meetings in all (S5: at most
    their number squared), in Python's integers."""
    s2 = sum(balance_term(cap, min(cap, students) * most_units)
             for cap in caps if cap > 0)
    most = {"S1": students, "S2": s2, "S3": students, "S4": students,
            CALENDAR: meetings * meetings, REFERENCE: students}
    return {t: abs(c) * most.get(t, students) for t, c in level.items()}


# ------------------------------------------------- S5, the meeting calendar

PERIODS = ("month", "week")


def meeting_dates(student) -> tuple[date, ...]:
    """The student's IEP meetings this year: the annual review and the
    reevaluation, one meeting when both fall on the same day."""
    days = {d for d in (student.annual_review_date,
                        student.reevaluation_date) if d is not None}
    return tuple(sorted(days))


def period_of(day: date, period: str) -> str:
    """The month (``2026-09``) or ISO week (``2026-W37``) of a date."""
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def period_range(periods: Iterable[str]) -> list[str]:
    """Every month (``2026-09``) or ISO week (``2026-W37``) from the
    first of ``periods`` to the last, in order: a calendar with no gap
    where nobody has a meeting (a quiet week is shown as 0)."""
    found = sorted(set(periods))
    if not found:
        return []
    if "-W" in found[0]:
        def day(p: str) -> date:
            year, week = p.split("-W")
            return date.fromisocalendar(int(year), int(week), 1)
        out, d, last = [], day(found[0]), day(found[-1])
        while d <= last:
            out.append(period_of(d, "week"))
            d += timedelta(days=7)
        return out
    (y, m), (y1, m1) = (map(int, found[0].split("-")),
                        map(int, found[-1].split("-")))
    out = []
    while (y, m) <= (y1, m1):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


PERIOD_WORDS = {"month": ("month", "months"), "week": ("week", "weeks")}


def meeting_periods(student, period: str = "month") -> tuple[str, ...]:
    """The period of each of the student's meetings (a period twice when
    two meetings fall in it)."""
    return tuple(period_of(d, period) for d in meeting_dates(student))


def has_meeting_dates(students: Iterable) -> bool:
    """Whether any student has a meeting date (then S5 exists)."""
    return any(s.annual_review_date is not None
               or s.reevaluation_date is not None for s in students)


def calendar_term(meetings: Iterable[int]) -> int:
    """S5: the sum of squares of the meetings each case manager holds in
    each period (``meetings``: one count per case manager and period)."""
    return sum(m * m for m in meetings)


def calendar_change(meetings: int, delta: int) -> int:
    """Change in S5 when one case manager's meetings in one period move
    from ``meetings`` by ``delta``."""
    return (meetings + delta) ** 2 - meetings ** 2


def school_year(name: str) -> tuple[date, date]:
    """``2026-27`` -> (2026-07-01, 2027-06-30): a California school year
    (EC 37200: July 1 to June 30)."""
    first = int(name[:4])
    return date(first, 7, 1), date(first + 1, 6, 30)


def school_year_of(day: date) -> str:
    """The school year (``2026-27``) a date falls in."""
    first = day.year if day.month >= 7 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def default_planning_year(students: Iterable) -> str | None:
    """The planning year when the district names none: the school year
    holding the most annual reviews (every student has one a year), else
    the most reevaluations; the earlier on a tie. None without dates."""
    students = list(students)
    # a school year by its first calendar year (July on: that year's)
    years = Counter(d.year - (d.month < 7) for d in
                    (s.annual_review_date for s in students) if d)
    if not years:
        years = Counter(d.year - (d.month < 7) for d in
                        (s.reevaluation_date for s in students) if d)
    if not years:
        return None
    first = min(years, key=lambda y: (-years[y], y))
    return f"{first}-{(first + 1) % 100:02d}"


@dataclass(frozen=True)
class Calendar:
    """How S5 and H8 read the dates: the balancing period, the
    district's monthly limit (None: no limit) and the planning year
    (first and last day; None: every date counts). A meeting outside the
    planning year is not this year's work: S5 and H8 do not count it."""

    period: str = "month"
    max_per_month: int | None = None
    year: tuple[date, date] | None = None

    def periods(self, student) -> tuple[str, ...]:
        return tuple(period_of(d, self.period) for d in self.dates(student))

    def months(self, student) -> tuple[str, ...]:
        return tuple(period_of(d, "month") for d in self.dates(student))

    def dates(self, student) -> tuple[date, ...]:
        """The student's meetings in the planning year."""
        days = meeting_dates(student)
        if self.year is None:
            return days
        first, last = self.year
        return tuple(d for d in days if first <= d <= last)

    def key(self, student) -> tuple:
        """What makes two students alike for S5 and H8."""
        return (self.periods(student),
                self.months(student) if self.max_per_month is not None
                and self.period != "month" else ())


def meeting_counts(pairs: Iterable[tuple[str, object]], calendar: Calendar,
                   months: bool = False) -> dict[tuple[str, str], int]:
    """Meetings per (case manager, period): ``pairs`` are (case manager,
    student); with ``months`` per calendar month (H8's count)."""
    out: dict[tuple[str, str], int] = {}
    for cm, student in pairs:
        for p in (calendar.months(student) if months
                  else calendar.periods(student)):
            out[cm, p] = out.get((cm, p), 0) + 1
    return out


@dataclass(frozen=True)
class Seat:
    """A case manager as one student sees them: the pair's judgement, and
    the case manager's current load (integer units) and cap."""

    staff_id: str
    check: PairCheck
    load: int
    cap: int
    # With meeting dates: the case manager's meetings per period (S5).
    meetings: Mapping[str, int] | None = None


def meetings_change(meetings: Mapping[str, int], periods: tuple[str, ...],
                    sign: int) -> int:
    """Change in one case manager's S5 when a student whose meetings
    fall in ``periods`` joins (``sign`` 1) or leaves (-1)."""
    added: dict[str, int] = {}
    for p in periods:
        added[p] = added.get(p, 0) + 1
    return sum(calendar_change(meetings.get(p, 0), sign * k)
               for p, k in added.items())


def busiest_period(meetings: Mapping[str, int]) -> tuple[str, int]:
    """A case manager's busiest period (earliest of equals) and its
    meetings (``("", 0)`` without any), from their meetings per period."""
    return min(meetings.items(), key=lambda pn: (-pn[1], pn[0]),
               default=("", 0))


def busiest_after(meetings: Mapping[str, int], periods: tuple[str, ...],
                  sign: int) -> tuple[tuple[str, int], tuple[str, int]]:
    """A case manager's busiest period and its meetings
    (``busiest_period``), before and after a student with meetings in
    ``periods`` joins (``sign`` 1) or leaves (-1)."""
    after = dict(meetings)
    for p in periods:
        after[p] = after.get(p, 0) + sign
    return busiest_period(meetings), busiest_period(after)


def move_deltas(units: int, to: Seat, origin: Seat | None,
                prior: str | None, prior_allowed: bool,
                periods: tuple[str, ...] | None = None) -> dict[str, int]:
    """Change of S1-S4 when one student (``units`` of load) goes to ``to``
    (and of S5 when ``periods``, the student's meetings, are given).

    ``origin`` is the case manager the student leaves (None for a student
    not yet placed, as in mid-year placement); everyone else stays. The
    result equals the checker's terms after the move minus before it.
    """
    deltas = {
        "S1": best_practice_miss(to.check),
        "S2": balance_change(balance_coefficient(to.cap), to.load, units),
        "S3": continuity_loss(prior_allowed, to.staff_id, prior),
        "S4": language_miss(to.check),
    }
    if origin is not None:
        deltas["S1"] -= best_practice_miss(origin.check)
        deltas["S2"] += balance_change(balance_coefficient(origin.cap),
                                       origin.load, -units)
        deltas["S3"] -= continuity_loss(prior_allowed, origin.staff_id,
                                        prior)
        deltas["S4"] -= language_miss(origin.check)
    if periods is not None:
        deltas[CALENDAR] = meetings_change(to.meetings or {}, periods, 1)
        if origin is not None:
            deltas[CALENDAR] += meetings_change(origin.meetings or {},
                                                periods, -1)
    return deltas
Mode = Literal["priority-then-weights", "weights", "priority"]
MODES: tuple[str, ...] = get_args(Mode)


class ObjectiveWeights(BaseModel):
    """How the soft terms are combined (see data/rules/weights.toml)."""

    # inf and nan are no weight a district means (and would overflow).
    model_config = ConfigDict(frozen=True, extra="forbid",
                              allow_inf_nan=False)

    mode: Mode = Field(
        default="priority-then-weights",
        description="S1 first then weighted S2-S4; all weighted; or strict",
    )
    S1: float = Field(default=10.0, ge=0, description="Per best-practice miss")
    S2: float = Field(default=1.0, ge=0, description="Per unit of sum l^2/cap")
    S3: float = Field(default=0.5, ge=0, description="Per continuity loss")
    S4: float = Field(default=0.3, ge=0, description="Per language miss")
    S5: float = Field(default=0.1, ge=0,
                      description="Per unit of sum of meetings^2 (S5)")
    priority: tuple[str, ...] = Field(
        default=("S1", "S3", "S2", "S4"),
        description="Order for mode = priority",
    )
    calendar_period: Literal["month", "week"] = Field(
        default="month", description="S5 balances meetings per period")
    max_meetings_per_month: int | None = Field(
        default=None, ge=1,
        description="H8: most meetings one case manager holds in a month")
    assessment_kinds: tuple[str, ...] = Field(
        default=("RSP",),
        description="AB 560: who takes pending initial assessments")
    assessment_max_difference: int = Field(
        default=1, ge=0,
        description="AB 560: most assessments one person at a site may "
        "have beyond another (1: equal shares, within one)")
    planning_year: str | None = Field(
        default=None, pattern=r"^\d{4}-\d{2}$",
        description="The school year planned, e.g. 2026-27 (July 1 to "
        "June 30); default: the year of most annual reviews")

    @field_validator("planning_year")
    @classmethod
    def _year_is_a_school_year(cls, v: str | None):
        if v is not None and (int(v[:4]) + 1) % 100 != int(v[5:]):
            raise ValueError(
                f"planning_year {v} is not a school year: write the first "
                f"year and the next, e.g. {v[:4]}-"
                f"{(int(v[:4]) + 1) % 100:02d}")
        return v

    @field_validator("priority")
    @classmethod
    def _priority_is_a_permutation_of_terms(cls, v: tuple[str, ...]):
        v = tuple(t.upper() for t in v)
        # Each term once: a shorter list would drop terms silently. S5
        # may be listed; unlisted, it comes last.
        if len(v) != len(set(v)) or set(v) - {CALENDAR} != set(TERMS):
            raise ValueError(
                "priority must list distinct terms from S1, S2, S3, S4, "
                "each of them once (and S5, the meeting calendar, "
                "if wanted elsewhere than last)"
            )
        return v

    @field_validator("assessment_kinds")
    @classmethod
    def _kinds_are_known(cls, v: tuple[str, ...]):
        v = tuple(k.strip().upper() for k in v)
        unknown = [k for k in v if k not in PROVIDES]
        if unknown or not v:
            raise ValueError(
                f"assessment_kinds must name kinds of staff from "
                f"{', '.join(PROVIDES)}; got {', '.join(unknown) or 'none'}")
        return v

    # The settings of S5 and H8, left out of summary.json without dates.
    CALENDAR_FIELDS: ClassVar[tuple[str, ...]] = (
        "S5", "calendar_period", "max_meetings_per_month",
        "assessment_kinds", "assessment_max_difference", "planning_year")

    def calendar(self, students: Iterable) -> Calendar | None:
        """S5 and H8's settings when the roster has meeting dates."""
        students = list(students)
        if not has_meeting_dates(students):
            return None
        year = self.planning_year or default_planning_year(students)
        return Calendar(self.calendar_period, self.max_meetings_per_month,
                        school_year(year) if year else None)

    def weighted_costs(self, deltas: dict[str, int],
                       weight_scale: int) -> dict[str, float]:
        """Each term's change times its weight, in S2's units, as
        ``levels`` combines them (S2 is already in units of
        ``weight_scale**2 * BALANCE_SCALE``; the others are scaled up)."""
        unit = weight_scale ** 2 * BALANCE_SCALE
        return {t: getattr(self, t) * deltas[t] * (1 if t == "S2" else unit)
                for t in (*TERMS, CALENDAR) if t in deltas}

    def levels(self, weight_scale: int, closest: bool = False,
               calendar: bool = False) -> list[dict[str, int]]:
        """Integer objective levels, solved in order (lexicographically).

        ``weight_scale`` is the integer scale of student weights; S2 is
        in units of ``weight_scale**2 * BALANCE_SCALE`` per unit of
        ``sum load**2 / cap``, so the other terms are scaled to match.
        With ``closest`` (a reference plan is given), R is the last level.
        With ``calendar`` (the roster has meeting dates), S5 is weighed
        with S2-S4 (or takes its place in the priority order).
        """
        tail = [{REFERENCE: 1}] if closest else []
        return self._levels(weight_scale, calendar) + tail

    def _levels(self, weight_scale: int, calendar: bool
                ) -> list[dict[str, int]]:
        if self.mode == "priority":
            order = [t for t in self.priority if calendar or t != CALENDAR]
            if calendar and CALENDAR not in order:
                order.append(CALENDAR)
            return [{t: 1} for t in order]
        unit = weight_scale**2 * BALANCE_SCALE
        raw = {
            "S1": round(self.S1 * 1000 * unit),
            "S2": round(self.S2 * 1000),
            "S3": round(self.S3 * 1000 * unit),
            "S4": round(self.S4 * 1000 * unit),
            CALENDAR: round(self.S5 * 1000 * unit),
        }
        terms = ["S2", "S3", "S4"] if self.mode != "weights" else list(TERMS)
        if calendar:
            terms.append(CALENDAR)
        combined = {t: raw[t] for t in terms if raw[t] > 0}
        divisor = 0
        for v in combined.values():
            divisor = gcd(divisor, v)
        combined = {t: v // divisor for t, v in combined.items()}
        head = [{"S1": 1}] if self.mode == "priority-then-weights" else []
        return [*head, combined] if combined else head or [{"S1": 1}]
