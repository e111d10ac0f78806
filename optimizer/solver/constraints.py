"""One builder per hard rule, named for the rule, in the district's words."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.solver.calendar import calendar_view
from optimizer.solver.variables import AssignmentVars


def add_one_manager_per_student(model: cp_model.CpModel,
                                v: AssignmentVars) -> None:
    """H1: every student has exactly one case manager.

    A group of n identical students is split among eligible staff so the
    counts add up to n.
    """
    for g in v.component.groups:
        size = v.structure.groups[g].size
        model.add(sum(v.x[p] for p in v.pairs_of_group.get(g, [])) == size)


def add_eligible_pairs_only(model: cp_model.CpModel,
                            v: AssignmentVars) -> None:
    """H2, H3, H4, H5, H7: only permitted pairings exist.

    The case manager may case-manage (H2), serves the student's site (H3),
    is authorized to instruct (H4) or to serve (H5) the student, and works
    with the student's grade (H7). ``structure.build_structure`` creates a
    pair only when ``rules.check_pair`` finds no exclusion, so there is no
    variable to constrain; this guard keeps the promise checkable.
    """
    for p in v.x:
        check = v.structure.pairs[p].check
        if not check.eligible:
            raise AssertionError(f"ineligible pair {p} reached the model")


def add_caseload_cap(model: cp_model.CpModel, v: AssignmentVars) -> None:
    """H6: a case manager's caseload, in students, stays within the cap."""
    for staff, pairs in v.pairs_of_staff.items():
        if pairs:
            model.add(v.caseload(staff) <= v.structure.caps[staff])


def add_continuity_link(model: cp_model.CpModel, v: AssignmentVars) -> None:
    """S3 bookkeeping: a kept prior case manager is an actual assignment."""
    for p, keep in v.keep.items():
        model.add(keep <= v.x[p])


def add_meeting_limit(model: cp_model.CpModel, v: AssignmentVars) -> None:
    """H8: a case manager holds at most the district's
    ``max_meetings_per_month`` IEP meetings in any calendar month."""
    cal = calendar_view(v.structure, v.component)
    if cal is None or cal.limit is None:
        return
    local = {g: i for i, g in enumerate(v.component.groups)}
    for _staff, pairs in sorted(v.pairs_of_staff.items()):
        for m in range(cal.month.shape[1]):
            parts = [(p, int(cal.month[local[v.structure.pairs[p].group],
                                       m])) for p in pairs]
            if any(a for _, a in parts):
                model.add(sum(a * v.x[p] for p, a in parts if a)
                          <= cal.limit)


def add_constraints(model: cp_model.CpModel, v: AssignmentVars) -> None:
    """Every hard rule, in order (H1, then H2-H5/H7, then H6, H8)."""
    add_one_manager_per_student(model, v)
    add_eligible_pairs_only(model, v)
    add_caseload_cap(model, v)
    add_meeting_limit(model, v)
    add_continuity_link(model, v)
