"""The min-cost-flow core: exact for unit weights, a hint otherwise.

With eligibility fixed and caps counted in students, the planning problem
is a transportation problem. Its default objective fits a min-cost flow:

- source -> group: the group's students;
- group -> staff: one arc per eligible pair, costing the pair's S1 miss
  (times ``M``) and S4 miss; a parallel, cheaper arc with capacity equal to
  the group's students whose prior case manager this is carries S3;
- staff -> sink: one unit arc per place, the k-th costing
  ``a_c * w^2 * (2k - 1)``, the increments of the convex S2 term, so
  filling places in order is optimal.

Lexicographic S1-first is exact with ``M`` larger than the whole range of
the second level, so any plan with fewer S1 misses costs less. OR-Tools'
min-cost-flow solver is exact: its OPTIMAL is a proof.

The closeness level R (a reference plan, see ``objectives``) comes last
the same way: every cost above is multiplied by ``K``, one more than the
students with a reference, and each arc to a group's reference case
manager costs 1 less, so R decides only between plans equal in the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from optimizer.objectives import (
    REFERENCE,
    balance_coefficient,
    balance_term,
    best_practice_miss,
    continuity_kept,
    group_reference_changes,
    language_miss,
)
from optimizer.result import LevelOutcome
from optimizer.structure import Component, Structure


@dataclass
class FlowOutcome:
    counts: dict[int, int]
    levels: list[LevelOutcome]
    optimal: bool


# Costs times (nodes + 1) must stay in int64 inside OR-Tools' solver.
_MAX_COST = 2**62


def exact_for(structure: Structure, component: Component,
              levels: list[dict[str, int]]) -> bool:
    """Whether the flow's optimum is the plan's optimum for these levels
    (with R last, also only when its costs fit, see ``solve_flow``)."""
    weights = {structure.groups[g].weight_units for g in component.groups}
    if len(weights) != 1:
        return False  # weighted workloads: balance is not a flow cost
    levels = _without_reference(levels)
    if len(levels) == 1:
        return True
    return len(levels) == 2 and levels[0] == {"S1": 1}


def _without_reference(levels: list[dict[str, int]]
                       ) -> list[dict[str, int]]:
    return levels[:-1] if levels and levels[-1] == {REFERENCE: 1} \
        else levels


def solve_flow(structure: Structure, component: Component,
               levels: list[dict[str, int]]) -> FlowOutcome:
    """Min-cost flow for one component (see module docstring).

    For levels it cannot represent exactly (strict priorities, weighted
    loads) the caller uses the result only as a CP-SAT hint: it is always
    a plan that satisfies H1-H7.
    """
    groups, pairs, caps = structure.groups, structure.pairs, structure.caps
    inst = structure.instance
    closest = levels[-1:] == [{REFERENCE: 1}]
    core = _without_reference(levels)
    if len(core) == 2 and core[0] == {"S1": 1}:
        head, tail = core
    elif len(core) == 1:
        head, tail = {}, core[0]
    else:  # strict priorities: approximate with the first two levels
        head, tail = {"S1": 1}, {"S2": 1, "S3": 1, "S4": 1}
    c1 = tail.get("S1", 0)
    c2, c3, c4 = (tail.get(t, 0) for t in ("S2", "S3", "S4"))
    w = max(groups[g].weight_units for g in component.groups)
    g_node = {g: i for i, g in enumerate(component.groups)}
    s_node = {c: len(g_node) + i for i, c in enumerate(component.staff)}
    sink = len(g_node) + len(s_node)
    # Upper bound of the second level, to make S1 strictly first.
    reach: dict[int, int] = dict.fromkeys(component.staff, 0)
    for p in component.pairs:
        reach[pairs[p].staff] += groups[pairs[p].group].size
    places = {c: min(caps[c], reach[c]) for c in component.staff}
    bal = {c: balance_coefficient(caps[c]) * w * w for c in component.staff}
    allowed = 0
    tails, heads, capacity, cost, pair_of_arc = [], [], [], [], []
    for p in component.pairs:
        pair = pairs[p]
        group = groups[pair.group]
        upper = min(group.size, caps[pair.staff])
        check = pair.check
        base = c4 * language_miss(check) + c1 * best_practice_miss(check)
        prior = group.priors.get(inst.staff[pair.staff].staff_id, 0)
        allowed += prior
        for cap_arc, arc_cost in (((min(prior, upper), base - c3),)
                                  if prior else ()) + ((upper, base),):
            tails.append(g_node[pair.group])
            heads.append(s_node[pair.staff])
            capacity.append(cap_arc)
            cost.append(arc_cost)
            pair_of_arc.append(p)
    ub_tail = (sum(c2 * bal[c] * places[c] ** 2 for c in component.staff)
               + c3 * allowed + c4 * sum(groups[g].size
                                         for g in component.groups)
               + c1 * sum(groups[g].size for g in component.groups))
    big_m = ub_tail + 1 if head else 0
    for i, p in enumerate(pair_of_arc):
        if head:
            cost[i] += big_m * best_practice_miss(pairs[p].check)
    num_pair_arcs = len(tails)
    for c in component.staff:
        if c2 and bal[c]:
            for k in range(1, places[c] + 1):
                tails.append(s_node[c])
                heads.append(sink)
                capacity.append(1)
                cost.append(c2 * bal[c] * (2 * k - 1))
        elif places[c]:
            tails.append(s_node[c])
            heads.append(sink)
            capacity.append(places[c])
            cost.append(0)
    exact = exact_for(structure, component, levels)
    if closest:
        closest = _add_reference_costs(structure, component, cost,
                                       pair_of_arc, sink + 1)
        exact = exact and closest
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int64), np.array(heads, dtype=np.int64),
        np.array(capacity, dtype=np.int64), np.array(cost, dtype=np.int64))
    total = sum(groups[g].size for g in component.groups)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    for g, n in g_node.items():
        supplies[n] = groups[g].size
    supplies[sink] = -total
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    flows = flow.flows(arcs[:num_pair_arcs])
    counts: dict[int, int] = {p: 0 for p in component.pairs}
    for p, f in zip(pair_of_arc, flows.tolist()):
        counts[p] += int(f)
    return FlowOutcome(counts, _levels(structure, component, counts,
                                       levels, exact), exact)


def _add_reference_costs(structure: Structure, component: Component,
                         cost: list[int], pair_of_arc: list[int],
                         num_nodes: int) -> bool:
    """Make R the last level (module docstring), in place; False, with
    the costs unchanged, when the scaled costs would not fit."""
    groups, pairs = structure.groups, structure.pairs
    staff_ids = [c.staff_id for c in structure.instance.staff]
    k = 1 + sum(groups[g].size for g in component.groups
                if groups[g].reference is not None)
    top = max((abs(c) for c in cost), default=0)
    if (top * k + 1) * num_nodes >= _MAX_COST:
        return False
    for i, c in enumerate(cost):
        pair = pairs[pair_of_arc[i]] if i < len(pair_of_arc) else None
        cost[i] = c * k
        if pair is not None and groups[pair.group].reference == staff_ids[
                pair.staff]:
            cost[i] -= 1
    return True


def term_values(structure: Structure, component: Component,
                counts: dict[int, int]) -> dict[str, int]:
    """S1-S4 of a component's counts, as the model defines them."""
    groups, pairs, caps = structure.groups, structure.pairs, structure.caps
    inst = structure.instance
    s1 = s4 = 0
    load: dict[int, int] = {}
    allowed = kept = 0
    for p in component.pairs:
        pair, n = pairs[p], counts.get(p, 0)
        group = groups[pair.group]
        s1 += n * best_practice_miss(pair.check)
        s4 += n * language_miss(pair.check)
        load[pair.staff] = load.get(pair.staff, 0) + n * group.weight_units
        prior = group.priors.get(inst.staff[pair.staff].staff_id, 0)
        allowed += prior
        kept += continuity_kept(n, prior)
    s2 = sum(balance_term(caps[c], v) for c, v in load.items())
    return {"S1": s1, "S2": s2, "S3": allowed - kept, "S4": s4,
            REFERENCE: reference_changes(structure, component, counts)}


def reference_changes(structure: Structure, component: Component,
                      counts: dict[int, int]) -> int:
    """R of a component's counts: students of groups with a reference
    case manager who are not given to that staff member."""
    groups, pairs = structure.groups, structure.pairs
    staff_ids = [c.staff_id for c in structure.instance.staff]
    given: dict[int, int] = {}
    for p in component.pairs:
        g = pairs[p].group
        if groups[g].reference == staff_ids[pairs[p].staff]:
            given[g] = counts.get(p, 0)
    return sum(group_reference_changes(groups[g].size, given.get(g, 0))
               for g in component.groups
               if groups[g].reference is not None)


def _levels(structure: Structure, component: Component,
            counts: dict[int, int], levels: list[dict[str, int]],
            exact: bool) -> list[LevelOutcome]:
    values = term_values(structure, component, counts)
    out = []
    for level in levels:
        v = sum(coef * values[t] for t, coef in level.items())
        out.append(LevelOutcome(level, v, v if exact else 0, exact))
    return out
