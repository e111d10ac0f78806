"""The meeting calendar (S5) and its monthly limit (H8) on one part.

Groups are alike in their meetings' periods (``Calendar.key``), so one
student of a local group holds ``meet[g, t]`` meetings in period ``t``
(0, 1 or 2) and ``month[g, m]`` in calendar month ``m``. A case
manager's meetings in a period are ``sum_p meet[group(p), t] * x_p`` over
their pairs; S5 is the sum of their squares (``objectives.calendar_term``)
and H8 bounds the monthly sums. The MIP and CP-SAT read these arrays;
``flow.term_values`` prices S5 with them, exactly as the checker counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.objectives import calendar_term
from optimizer.solver.structure import Component, Structure


@dataclass
class CalendarView:
    """Meetings per local group and period (and month, for H8)."""

    periods: list[str]
    meet: np.ndarray  # local groups x periods
    months: list[str]
    month: np.ndarray  # local groups x months
    limit: int | None


def calendar_view(structure: Structure, component: Component
                  ) -> CalendarView | None:
    """The part's meetings as arrays; None without meeting dates."""
    cal = structure.calendar
    if cal is None:
        return None
    # Made once per part (the MIP, CP-SAT and every pricing read it).
    key = (component.groups[0] if component.groups else -1,
           len(component.groups))
    view = structure.calendar_views.get(key)
    if view is None:
        groups = structure.groups
        reps = [groups[g].student for g in component.groups]
        view = structure.calendar_views[key] = CalendarView(
            *_matrix([cal.periods(s) for s in reps]),
            *_matrix([cal.months(s) for s in reps]), cal.max_per_month)
    return view


def _matrix(labels: list[tuple[str, ...]]) -> tuple[list[str], np.ndarray]:
    names = sorted({p for ps in labels for p in ps})
    index = {p: i for i, p in enumerate(names)}
    out = np.zeros((len(labels), len(names)), dtype=np.int64)
    for g, ps in enumerate(labels):
        for p in ps:
            out[g, index[p]] += 1
    return names, out


def staff_meetings(table: np.ndarray, group: np.ndarray,
                   staff: np.ndarray, n: np.ndarray, num_staff: int
                   ) -> np.ndarray:
    """Meetings per local staff and period (or month) of the counts ``n``
    per pair (``group``, ``staff``: each pair's local group and staff)."""
    out = np.zeros((num_staff, table.shape[1]), dtype=np.int64)
    used = np.flatnonzero(n)
    np.add.at(out, staff[used], n[used, None] * table[group[used]])
    return out


def calendar_value(cv: CalendarView | None, group: np.ndarray,
                   staff: np.ndarray, n: np.ndarray, num_staff: int) -> int:
    """S5 of the counts ``n`` per pair (0 without dates)."""
    if cv is None:
        return 0
    m = staff_meetings(cv.meet, group, staff, n, num_staff)
    return calendar_term(m.ravel().tolist())


def within_limit(cv: CalendarView | None, group: np.ndarray,
                 staff: np.ndarray, n: np.ndarray, num_staff: int) -> bool:
    """Whether the counts keep every case manager within H8."""
    if cv is None or cv.limit is None:
        return True
    m = staff_meetings(cv.month, group, staff, n, num_staff)
    return bool((m <= cv.limit).all())


def calendar_active(structure: Structure, levels: list[dict[str, int]]
                    ) -> bool:
    """Whether S5 is in the levels or H8 applies: the flow then cannot
    be the plan's optimum (neither is a flow cost or capacity)."""
    cal = structure.calendar
    return cal is not None and (cal.max_per_month is not None or any(
        "S5" in lv for lv in levels))


def calendar_lower_bound(structure: Structure, component: Component,
                         level: dict[str, int]) -> int:
    """A valid lower bound of S5's share of ``level`` on a part (0
    without S5 in it): every student is placed, so each period's meetings
    are fixed, and no plan spreads them more evenly than equal shares
    among the staff who may hold any of them. Added to the token bound,
    which leaves S5 out (the least of a sum is at least the sum of the
    least of each)."""
    cal = calendar_view(structure, component)
    coef = level.get("S5", 0)
    if cal is None or not coef:
        return 0
    a = structure.arrays
    groups = np.asarray(component.groups, dtype=np.int64)
    local = np.full(len(a.size), -1, dtype=np.int64)
    local[groups] = np.arange(len(groups), dtype=np.int64)
    pairs = np.asarray(component.pairs, dtype=np.int64)
    pg, ps = local[a.group[pairs]], a.staff[pairs]
    total = 0
    for t in range(cal.meet.shape[1]):
        meetings = int((a.size[groups] * cal.meet[:, t]).sum())
        staff = len(np.unique(ps[cal.meet[pg, t] > 0]))
        if meetings and staff:
            q, r = divmod(meetings, staff)
            total += r * (q + 1) ** 2 + (staff - r) * q * q
    return coef * total
