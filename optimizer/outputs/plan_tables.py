"""A plan as rows to browse: one per site, one per student.

Pure functions over the checker's ``Audit`` (the same figures
``caseload check`` and ``summary.json`` report), so the workbench shows
nothing it computes itself. Sorting, filtering and paging are here too,
so a 70,000-student plan is sliced on the server, never sent whole.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from optimizer.domain import Instance
from optimizer.objectives import period_range
from optimizer.rules import RuleSet
from optimizer.verify import Audit


@dataclass(frozen=True)
class SiteRow:
    """One site of a plan, with figures over its students."""

    site: str
    students: int
    case_managers: int  # staff with at least one student at the site
    util_min: float | None  # of those case managers, over their caseload
    util_median: float | None
    util_max: float | None
    over_90: int
    best_practice: int
    prior_given: int
    continuity_kept: int
    language_wanted: int
    language_matches: int
    unverified: int  # students whose authorization rests on such a row
    unassigned: int


def site_rows(audit: Audit, instance: Instance,
              rules: RuleSet) -> list[SiteRow]:
    """One row per site, in site order."""
    util = {}
    for c in instance.staff:
        _n, wl, cap = audit.loads.get(c.staff_id, (0, 0.0, 0))
        if cap > 0:
            util[c.staff_id] = wl / cap
    groups: dict[str, list] = defaultdict(list)
    for ln in audit.lines:
        groups[ln.student.site].append(ln)
    out = []
    for site in sorted(groups):
        lines = groups[site]
        managers = sorted({ln.staff.staff_id for ln in lines if ln.staff})
        u = [util[m] for m in managers if m in util]
        placed = [ln for ln in lines if ln.check is not None]
        wanting = [ln for ln in placed if ln.check.wants_language]
        out.append(SiteRow(
            site=site, students=len(lines), case_managers=len(managers),
            util_min=min(u) if u else None,
            util_median=statistics.median(u) if u else None,
            util_max=max(u) if u else None,
            over_90=sum(x > 0.9 for x in u),
            best_practice=sum(ln.check.best_practice for ln in placed),
            prior_given=sum(bool(ln.student.prior_case_manager)
                            for ln in lines),
            continuity_kept=sum(ln.prior_kept is True for ln in lines),
            language_wanted=len(wanting),
            language_matches=sum(ln.check.language_match
                                 for ln in wanting),
            unverified=sum(not ln.check.verified for ln in placed),
            unassigned=len(lines) - len(placed)))
    return out


SITE_SORTS = ("site", "students", "case_managers", "util_min",
              "util_median", "util_max", "over_90", "best_practice",
              "continuity_kept", "language_matches", "unverified")


def sort_sites(rows: list[SiteRow], query: str = "", sort: str = "site",
               descending: bool = False) -> list[SiteRow]:
    """Rows whose site code contains ``query``, sorted by a column."""
    if sort not in SITE_SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    q = query.strip().casefold()
    picked = [r for r in rows if q in r.site.casefold()] if q else rows

    def key(r: SiteRow):
        value = getattr(r, sort)
        return (value is None, value if value is not None else 0, r.site)
    return sorted(picked, key=key, reverse=descending)


@dataclass(frozen=True)
class StudentRow:
    """One student of a plan as the student table shows it."""

    student_id: str
    site: str
    grade: str
    disability: str
    setting: str
    services: str
    case_manager_id: str
    case_manager_name: str
    kind: str
    relation: str
    best_practice: bool
    changed: str  # vs last year's case manager: "yes" / "no" / "" (none)
    moved: bool  # vs the plan this one was re-planned from
    name: str = ""  # the student's name from the roster's own columns


def student_rows(audit: Audit,
                 previous: dict[str, str] | None = None,
                 names: Callable[[str], str | None] | None = None
                 ) -> list[StudentRow]:
    """One row per student in roster order; ``moved`` vs ``previous``;
    ``names`` gives a student's name (the roster's own columns)."""
    previous = previous or {}
    out = []
    for ln in audit.lines:
        s, c = ln.student, ln.staff
        cm = c.staff_id if c else ""
        out.append(StudentRow(
            s.student_id, s.site, s.grade, s.primary_disability, s.setting,
            ";".join(s.services), cm, c.name if c else "",
            c.kind if c else "", ln.check.relation if ln.check else "",
            bool(ln.check and ln.check.best_practice),
            {True: "no", False: "yes", None: ""}[ln.prior_kept],
            bool(previous) and previous.get(s.student_id, cm) != cm,
            (names(s.student_id) or "") if names else ""))
    return out


@dataclass(frozen=True)
class StudentFilter:
    """What the student table is narrowed to (blank = any)."""

    query: str = ""  # part of a student's id or name, or case manager's
    site: str = ""
    kind: str = ""
    case_manager: str = ""
    best_practice: str = ""  # "met" / "missed"
    changed: str = ""  # "yes" / "no" (vs last year) / "moved"


def filter_students(rows: list[StudentRow], f: StudentFilter
                    ) -> list[StudentRow]:
    """The rows ``f`` selects, in roster order."""
    q = f.query.strip().casefold()
    out = []
    for r in rows:
        if f.site and r.site != f.site:
            continue
        if f.kind and r.kind != f.kind:
            continue
        if f.case_manager and r.case_manager_id != f.case_manager:
            continue
        if f.best_practice == "met" and not r.best_practice:
            continue
        if f.best_practice == "missed" and r.best_practice:
            continue
        if f.changed == "moved" and not r.moved:
            continue
        if f.changed in ("yes", "no") and r.changed != f.changed:
            continue
        if q and q not in r.student_id.casefold() and \
                q not in r.name.casefold() and \
                q not in r.case_manager_id.casefold() and \
                q not in r.case_manager_name.casefold():
            continue
        out.append(r)
    return out


def page(rows: list, number: int, size: int = 50) -> tuple[list, int]:
    """Page ``number`` (from 1) of ``rows`` and the count of pages."""
    pages = max(1, -(-len(rows) // size))
    number = min(max(1, number), pages)
    return rows[(number - 1) * size:number * size], pages


def term_changes(before: Audit, after: Audit) -> dict[str, int]:
    """The change in each of S1-S4 from one plan to another."""
    return {t: after.terms[t] - before.terms[t] for t in before.terms}


def moved_students(before: dict[str, str], after: dict[str, str]
                   ) -> list[tuple[str, str, str]]:
    """(student, old case manager, new case manager) for each change."""
    return [(sid, before.get(sid, ""), cm) for sid, cm in after.items()
            if before.get(sid, "") != cm]


def kinds(rows: list[StudentRow]) -> list[str]:
    return sorted({r.kind for r in rows if r.kind})


def case_manager_counts(rows: list[StudentRow]) -> Counter[str]:
    return Counter(r.case_manager_id for r in rows if r.case_manager_id)


def utilization_changes(before: Audit, after: Audit
                        ) -> list[tuple[str, float, float]]:
    """(staff id, utilization before, after) for each case manager whose
    caseload changed: S2 in units a person reads ("64% -> 61%")."""
    out = []
    for cid, (n, wl, cap) in sorted(after.loads.items()):
        n0, wl0, _cap0 = before.loads.get(cid, (0, 0.0, cap))
        if (n0, wl0) != (n, wl) and cap > 0:
            out.append((cid, wl0 / cap, wl / cap))
    return out


def calendar_rows(audit, staff: list[tuple[str, str]]) -> dict | None:
    """The IEP meeting calendar as a table (a row per case manager with
    meetings, a column per month, the busiest month marked); None
    without meeting dates (issue 23)."""
    if audit.meetings is None:
        return None
    periods = period_range(p for _, p in audit.meetings)
    busiest = audit.busiest()
    rows = []
    for sid, name in staff:
        counts = [audit.meetings.get((sid, p), 0) for p in periods]
        if any(counts):
            top = busiest.get(sid, ("", 0))
            rows.append({"staff_id": sid, "name": name,
                         "cells": [(n, (p, n) == top)
                                   for p, n in zip(periods, counts)],
                         "total": sum(counts)})
    unit = audit.calendar.period if audit.calendar else "month"
    return {"periods": periods, "rows": rows, "unit": unit,
            "most": max(audit.meetings.values(), default=0)}


def person_calendar(audit, staff_id: str, names: dict[str, str] | None = None
                    ) -> dict | None:
    """One case manager's IEP meetings per period, for the workbench's
    heat strip beside their caseload: every period of the plan (so two
    people's strips line up), each cell's count and the students whose
    meetings fall in it, the busiest period, and H8's limit (per month)
    when set. None without meeting dates or for someone with no
    caseload."""
    if audit.meetings is None or staff_id not in audit.loads:
        return None
    calendar = audit.calendar
    unit = calendar.period if calendar else "month"
    periods = period_range(p for _, p in audit.meetings)
    names = names or {}
    who: dict[str, list[str]] = {p: [] for p in periods}
    for line in audit.lines:
        if line.staff is not None and line.staff.staff_id == staff_id:
            s = line.student
            for p in (calendar.periods(s) if calendar else ()):
                shown = names.get(s.student_id) or s.student_id
                who.setdefault(p, []).append(shown)
    counts = [audit.meetings.get((staff_id, p), 0) for p in periods]
    most = max(counts, default=0)
    top = max(audit.meetings.values(), default=0) or 1
    limit = calendar.max_per_month if calendar else None
    months = audit.months or {}
    width = 46 if unit == "month" else 30
    return {
        "unit": unit, "limit": limit, "most": most, "total": sum(counts),
        "width": width * len(periods) + 2, "cell_w": width,
        "busiest_month": max((n for (c, _), n in months.items()
                              if c == staff_id), default=0),
        "cells": [{"x": i * width + 1, "period": p, "n": n,
                   "label": _short(p),
                   "opacity": round(0.08 + 0.92 * n / top, 3),
                   "dark": n / top > 0.55,
                   "busiest": n == most and n > 0,
                   "students": who.get(p, [])}
                  for i, (p, n) in enumerate(zip(periods, counts))]}


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
           "Oct", "Nov", "Dec")


def _short(period: str) -> str:
    """``2026-09`` -> ``Sep``; ``2026-W37`` -> ``W37`` (the full period
    is in each cell's title)."""
    rest = period.partition("-")[2]
    return rest if rest.startswith("W") else _MONTHS[int(rest) - 1]
