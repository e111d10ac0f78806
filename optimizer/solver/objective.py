"""One expression per soft term (S1-S5), each to be minimised."""

from __future__ import annotations

from functools import reduce
from math import gcd

from ortools.sat.python import cp_model

from optimizer.objectives import (
    balance_coefficient,
    balance_increment,
    best_practice_miss,
    group_reference_changes,
    language_miss,
)
from optimizer.solver.calendar import calendar_view
from optimizer.solver.variables import AssignmentVars

# Above this many integer load units per case manager, the convex square
# is a multiplication constraint rather than its tangent cuts.
_MAX_CUTS = 120
# Tangent cuts per case manager for weighted loads.
_GRID_CUTS = 10


def best_practice_misses(v: AssignmentVars) -> cp_model.LinearExpr:
    """S1: students not case-managed by their most intensive provider."""
    return sum(best_practice_miss(v.structure.pairs[p].check) * x
               for p, x in v.x.items())


def continuity_losses(v: AssignmentVars) -> cp_model.LinearExpr:
    """S3: students whose allowed prior case manager is not kept.

    A prior is allowed exactly when its pair is eligible, so the students
    with an allowed prior are the upper bounds of the ``keep`` counts.
    """
    if not v.keep:
        return 0
    allowed = sum(v.keep_upper.values())
    return allowed - sum(v.keep.values())


def reference_changes(v: AssignmentVars) -> cp_model.LinearExpr:
    """R: students not placed with their case manager of the reference
    plan (groups are split by it, so this is per group)."""
    groups, pairs = v.structure.groups, v.structure.pairs
    staff = v.structure.instance.staff
    given = {pairs[p].group: x for p, x in v.x.items()
             if groups[pairs[p].group].reference
             == staff[pairs[p].staff].staff_id}
    return sum(group_reference_changes(groups[g].size, given.get(g, 0))
               for g in v.component.groups
               if groups[g].reference is not None)


def language_misses(v: AssignmentVars) -> cp_model.LinearExpr:
    """S4: students wanting their home language who do not get it."""
    return sum(language_miss(v.structure.pairs[p].check) * x
               for p, x in v.x.items())


def balance(model: cp_model.CpModel, v: AssignmentVars
            ) -> cp_model.LinearExpr:
    """S2: sum of a_c * load_c^2, a_c = round(BALANCE_SCALE / cap_c).

    Loads are counted in units of the part's common divisor ``d`` of the
    weight units (weights 1 and 1.5 are 10 and 15 units, so 2 and 3 of
    5), and ``a_c * load**2 == a_c * d**2 * (load / d)**2``. A case
    manager carries at most ``cap`` students, so the divided load stays
    small; its square is then the maximum of its tangent lines at the
    integers, ``sq >= (2k+1) L - k(k+1)``: exact at every integer load,
    and the linear relaxation is the convex piecewise-linear one, which
    is what lets the solver prove weighted plans optimal. Larger loads use
    a multiplication constraint.
    """
    terms = []
    structure = v.structure
    units = {structure.groups[structure.pairs[p].group].weight_units
             for p in v.x}
    d = reduce(gcd, units, 0) or 1
    for staff, pairs in sorted(v.pairs_of_staff.items()):
        cap = structure.caps[staff]
        if cap <= 0 or not pairs:
            continue
        weights = [structure.groups[structure.pairs[p].group].weight_units
                   // d for p in pairs]
        top = min(sum(w * v.upper[p] for w, p in zip(weights, pairs)),
                  cap * max(weights))
        load = sum(w * v.x[p] for w, p in zip(weights, pairs))
        sq, exact = _square(model, load, top, f"sq_{staff}",
                            f"load_{staff}")
        v.squares[staff] = (sq, exact, list(zip(pairs, weights)))
        terms.append(balance_coefficient(cap) * d * d * sq)
    return sum(terms)


def _square(model: cp_model.CpModel, expr, top: int, name: str,
            exact_name: str):
    """A variable equal to ``expr**2`` at every integer ``expr`` in
    [0, top], and the exact ``expr`` variable if one was needed.

    Up to ``_MAX_CUTS`` it is the maximum of the tangent lines at the
    integers, ``sq >= (2k+1) e - k(k+1)`` (the linear relaxation is the
    convex piecewise-linear one); above, a multiplication constraint,
    with tangents at a grid of values that are redundant for integers
    but give the relaxation a tight lower bound.
    """
    sq = model.new_int_var(0, top * top, name)
    exact = None
    if top <= _MAX_CUTS:
        for k in range(top):
            # the line through (k, k*k) and (k+1, (k+1)**2)
            model.add(sq >= balance_increment(1, k + 1) * expr
                      - k * (k + 1))
    else:
        exact = model.new_int_var(0, top, exact_name)
        model.add(exact == expr)
        model.add_multiplication_equality(sq, [exact, exact])
        if _GRID_CUTS:
            step = max(1, top // _GRID_CUTS)
            for k in range(0, top + 1, step):
                model.add(sq >= 2 * k * exact - k * k)
    return sq, exact


def meeting_calendar(model: cp_model.CpModel, v: AssignmentVars
                     ) -> cp_model.LinearExpr:
    """S5: sum over case managers and periods of meetings**2.

    A case manager's meetings in a period are ``sum meet[g, t] * x_p``
    over their pairs (``solver.calendar``); each square is S2's
    (``_square``), exact at every integer.
    """
    cal = calendar_view(v.structure, v.component)
    if cal is None:
        return 0
    local = {g: i for i, g in enumerate(v.component.groups)}
    terms = []
    for staff, pairs in sorted(v.pairs_of_staff.items()):
        cap = v.structure.caps[staff]
        for t in range(cal.meet.shape[1]):
            parts = [(p, int(cal.meet[local[v.structure.pairs[p].group], t]))
                     for p in pairs]
            parts = [(p, m) for p, m in parts if m]
            if not parts:
                continue
            top = min(sum(m * v.upper[p] for p, m in parts),
                      cap * max(m for _, m in parts))
            meetings = sum(m * v.x[p] for p, m in parts)
            sq, _ = _square(model, meetings, top, f"meet_{staff}_{t}",
                            f"meetings_{staff}_{t}")
            v.calendar_squares.append((sq, parts))
            terms.append(sq)
    return sum(terms)
