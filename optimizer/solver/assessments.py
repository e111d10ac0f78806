"""AB 560: pending initial assessments shared equally at each site.

A small assignment of its own, made after the caseload plan: each
pending initial assessment goes to a staff member of the kinds the
district names (resource specialists by default) who serves its site and
grade. Hard: at every site, the people who may take its assessments end
the year within ``max_difference`` assessments of one another (1: equal
shares, AB 560's "in an equal manner"). Soft: the meeting calendar, S5
(``objectives.calendar_term``) of each person's IEP meetings from the
caseload plan plus the initial IEP meeting of each assessment in the
period it is due. CP-SAT, one worker and a fixed seed: the same files
give the same assignment. Re-checked by ``verify.audit_assessments``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.domain import Assessment, Staff, assessors
from optimizer.objectives import period_of


class NotSolved(Exception):
    """No assignment found in the time given, none proven impossible."""


@dataclass
class AssessmentPlan:
    assignment: dict[str, str]  # assessment id -> staff id
    optimal: bool
    objective: int  # S5 with the assessments (the plan's meetings too)
    unassignable: list[Assessment]  # nobody of the kinds at site/grade


def assign_assessments(assessments: list[Assessment],
                       staff: tuple[Staff, ...], kinds: tuple[str, ...],
                       max_difference: int,
                       meetings: dict[tuple[str, str], int], period: str,
                       time_limit: float = 20.0, seed: int = 0,
                       limit: int | None = None,
                       months: dict[tuple[str, str], int] | None = None
                       ) -> AssessmentPlan:
    """Assign every assessment someone can take (see module docstring);
    ``meetings`` are the plan's meetings per (staff id, period). With
    ``limit`` (H8), nobody's meetings in a month, the plan's (``months``,
    per (staff id, month)) and the initial ones together, exceed it."""
    who = assessors(assessments, staff, kinds)
    stuck = [a for a in assessments if not who[a.assessment_id]]
    todo = [a for a in assessments if who[a.assessment_id]]
    if not todo:
        return AssessmentPlan({}, True, 0, stuck)
    model = cp_model.CpModel()
    x: dict[tuple[str, str], cp_model.IntVar] = {}
    for a in todo:
        for c in who[a.assessment_id]:
            x[a.assessment_id, c.staff_id] = model.new_bool_var(
                f"x_{a.assessment_id}_{c.staff_id}")
        model.add_exactly_one(x[a.assessment_id, c.staff_id]
                              for c in who[a.assessment_id])
    people = sorted({c.staff_id for a in todo for c in who[a.assessment_id]})
    # Each person's (assessment, variable) pairs, in the order of ``x``.
    mine: dict[str, list[tuple[str, cp_model.IntVar]]] = {}
    for (a, s), v in x.items():
        mine.setdefault(s, []).append((a, v))
    count = {p: sum(v for _, v in mine[p]) for p in people}
    # Equal shares at each site: everyone who may take its assessments.
    pools: dict[str, set[str]] = {}
    for a in todo:
        pools.setdefault(a.site, set()).update(
            c.staff_id for c in who[a.assessment_id])
    for site in sorted(pools):
        pool = sorted(pools[site])
        low = model.new_int_var(0, len(todo), f"low_{site}")
        for p in pool:
            model.add(count[p] >= low)
            model.add(count[p] <= low + max_difference)
    # S5: the plan's meetings plus each assessment's initial IEP meeting.
    due = {a.assessment_id: period_of(a.due_date, period) for a in todo}
    squares = []
    for p in people:
        for t in sorted({due[a] for a, _ in mine[p]}):
            new = [v for a, v in mine[p] if due[a] == t]
            base = meetings.get((p, t), 0)
            top = base + len(new)
            sq = model.new_int_var(0, top * top, f"sq_{p}_{t}")
            total = base + sum(new)
            for k in range(top):
                model.add(sq >= (2 * k + 1) * total - k * (k + 1))
            squares.append(sq - base * base)
    if limit is not None:  # H8 holds for the whole year's meetings
        month = {a.assessment_id: period_of(a.due_date, "month")
                 for a in todo}
        for p in people:
            for m in sorted({month[a] for a, _ in mine[p]}):
                model.add(sum(v for a, v in mine[p] if month[a] == m)
                          + (months or {}).get((p, m), 0) <= limit)
    model.minimize(sum(squares))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE,
                    cp_model.INFEASIBLE):
        # Out of time before any assignment: not a proof that the
        # settings are impossible, so not said to be.
        raise NotSolved(
            f"no assignment of the {len(todo)} assessments was found in "
            f"{time_limit:g} s; this does not show that the settings are "
            "impossible")
    if code == cp_model.INFEASIBLE:
        raise ValueError(
            "no assignment gives everyone at each site a share within "
            f"{max_difference} of the others (people who serve several "
            "sites count once)"
            + (f" and keeps everyone within {limit} IEP meetings a month "
               "(H8)" if limit is not None else "")
            + "; raise assessment_max_difference"
            + (" or max_meetings_per_month" if limit is not None else ""))
    assignment = {a: s for (a, s), v in x.items() if solver.value(v)}
    base_s5 = sum(n * n for n in meetings.values())
    return AssessmentPlan(assignment, code == cp_model.OPTIMAL,
                          base_s5 + round(solver.objective_value), stuck)
