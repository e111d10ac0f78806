"""Mid-year changes: place new students, re-plan after roster changes.

``rank_placements`` ranks who can take a new student without moving
anyone else. ``replan_instance`` prepares a re-plan that keeps a
published plan wherever it remains valid: each student's published case
manager stands in as the "prior", and the priorities are best practice
(S1), then changes from the published plan (S3), then balance and
language, so only students who must change move, plus moves that gain
best practice. ``change_reasons`` says why each student moved.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.domain import Instance, Student, weight_scale
from optimizer.objectives import (
    ObjectiveWeights,
    Seat,
    move_deltas,
)
from optimizer.rules import RuleSet, check_pair
from optimizer.verify import Audit, prior_allowed

REPLAN_WEIGHTS = ObjectiveWeights(mode="priority",
                                  priority=("S1", "S3", "S2", "S4"))


def replan_weights(weights: ObjectiveWeights | None) -> ObjectiveWeights:
    """A re-plan's priorities (``REPLAN_WEIGHTS``) with the district's
    meeting-calendar settings: the period S5 balances, the hard monthly
    limit H8 and AB 560's settings are the district's, not the re-plan's
    to drop."""
    if weights is None:
        return REPLAN_WEIGHTS
    return REPLAN_WEIGHTS.model_copy(update={
        f: getattr(weights, f) for f in ObjectiveWeights.CALENDAR_FIELDS})


@dataclass(frozen=True)
class Placement:
    """One staff member who could take a new student, and the cost."""

    staff_id: str
    name: str
    relation: str
    best_practice: bool
    deltas: dict[str, int]
    room: int
    # (staff_id, utilization before, after): what the S2 change means
    utilization: tuple[tuple[str, float, float], ...] = ()


def rank_placements(student: Student, instance: Instance, rules: RuleSet,
                    audit: Audit, weights: ObjectiveWeights | None = None
                    ) -> list[Placement]:
    """Who can take ``student`` now (eligible, with room), best first.

    Nobody else moves: the cost is what adding this one student changes
    in each term; the order is best practice first, then the weighted sum
    of the other terms (``weights``: the plan's own settings). With the
    district's monthly limit (``audit.calendar``, H8), a case manager the
    student's meetings would put over it cannot take them.
    """
    weights = weights or ObjectiveWeights()
    # S3 counts only a prior who could take the student, as the checker
    # counts it (verify.prior_allowed), so a reported S3 +1 is one the
    # checker would count after the placement.
    allowed = prior_allowed(student, instance, rules,
                            instance.staff_by_id())
    # S2 in the units of the roster with the student (what ``check`` of
    # the placed plan reports).
    scale = weight_scale(instance, student)
    units = round(student.weight * scale)
    # With meeting dates, S5 as the checker counts it (``audit.held``):
    # what the student's meetings add to each case manager's calendar.
    periods = (audit.calendar.periods(student)
               if audit.calendar is not None else None)
    held = audit.held()
    over = _over_limit(student, instance, audit)
    out = []
    for c in instance.staff:
        n, wl, cap = audit.loads.get(c.staff_id, (0, 0.0, 0))
        if n >= cap or not rules.may_case_manage(c) or c.staff_id in over:
            continue
        check = check_pair(student, c, rules)
        if not check.eligible:
            continue
        deltas = move_deltas(units, Seat(c.staff_id, check,
                                         round(wl * scale), cap,
                                         held.get(c.staff_id, {})), None,
                             student.prior_case_manager, allowed, periods)
        out.append(Placement(c.staff_id, c.name, check.relation,
                             check.best_practice, deltas, cap - n,
                             ((c.staff_id, wl / cap,
                               (wl + student.weight) / cap),)))
    def cost(p: Placement) -> tuple:
        costs = weights.weighted_costs(p.deltas, scale)
        return (p.deltas["S1"], sum(v for t, v in costs.items()
                                    if t != "S1"), p.staff_id)
    return sorted(out, key=cost)


def _over_limit(student: Student, instance: Instance, audit: Audit
                ) -> set[str]:
    """H8 as the plan keeps it: the case managers one of the student's
    meetings would put over the district's monthly limit."""
    limit = (audit.calendar.max_per_month if audit.calendar is not None
             else None)
    if limit is None:
        return set()
    adds: dict[str, int] = {}
    for m in audit.calendar.months(student):
        adds[m] = adds.get(m, 0) + 1
    months = audit.months or {}
    return {c.staff_id for c in instance.staff
            if any(months.get((c.staff_id, m), 0) + k > limit
                   for m, k in adds.items())}


def held_back_by_h8(student: Student, instance: Instance, rules: RuleSet,
                    audit: Audit) -> list[str]:
    """Who could take ``student`` (eligible, with room) but for the
    monthly limit (H8): ``rank_placements`` leaves them out, and the
    user is told so rather than shown fewer candidates without a word."""
    over = _over_limit(student, instance, audit)
    out = []
    for c in instance.staff:
        n, _wl, cap = audit.loads.get(c.staff_id, (0, 0.0, 0))
        if c.staff_id in over and n < cap and rules.may_case_manage(c) \
                and check_pair(student, c, rules).eligible:
            out.append(c.staff_id)
    return out


def pin_published(instance: Instance, published: dict[str, str]
                  ) -> Instance:
    """Everyone already placed stays with their published case manager."""
    staff = instance.staff_by_id()
    students = instance.student_by_id()  # (once: not per student)
    pins = {sid: cm for sid, cm in published.items()
            if cm in staff and sid in students}
    return instance.replace(pins={**instance.pins, **pins})


def replan_instance(instance: Instance, published: dict[str, str]
                    ) -> Instance:
    """The roster with each student's published case manager as "prior"."""
    staff = instance.staff_by_id()
    students = tuple(
        s.model_copy(update={"prior_case_manager": (
            published[s.student_id] if published.get(s.student_id)
            in staff else None)})
        for s in instance.students)
    return instance.replace(students=students)


def change_reasons(instance: Instance, rules: RuleSet,
                   published: dict[str, str], assignment: dict[str, str],
                   audit: Audit, chosen: dict[str, str] | None = None
                   ) -> list[list[str]]:
    """Rows (student, published, new, reason) for every change.

    ``chosen`` are the planner's own choices (pins of a re-plan): their
    reason is that choice, not a rule."""
    chosen = chosen or {}
    staff = instance.staff_by_id()
    lines = {ln.student.student_id: ln for ln in audit.lines}
    rows = [["student_id", "published_case_manager", "new_case_manager",
             "reason"]]
    for s in instance.students:
        sid = s.student_id
        before, after = published.get(sid, ""), assignment.get(sid, "")
        if before == after:
            continue
        if chosen.get(sid) == after:
            reason = "chosen by the planner"
        elif not before:
            reason = "new student"
        elif before not in staff:
            reason = f"{before} is no longer on the staff roster"
        else:
            check = check_pair(s, staff[before], rules)
            cap = rules.effective_cap(staff[before])
            if check.exclusions:
                reason = "; ".join(str(e) for e in check.exclusions)
            elif cap == 0:
                reason = f"{before} now has a caseload cap of 0 (H6)"
            elif lines[sid].check is not None and lines[
                    sid].check.best_practice and not check.best_practice:
                reason = ("moved to the provider of the student's most "
                          "intensive service (best practice, S1)")
            else:
                reason = (f"{before} is over the cap after the changes "
                          "(H6)")
        rows.append([sid, before, after, reason])
    return rows
