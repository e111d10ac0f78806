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

Each arc records what one unit of flow adds to each term (S3 and the
closeness term R of ``objectives`` as students kept, so -1). The levels
are solved lexicographically in one flow: a level's cost is multiplied by
one more than the whole range of the later levels, so any plan better in
an earlier level costs less (S1 first, then the weighted S2-S4, then R;
or a strict order). OR-Tools' min-cost-flow solver is exact: its OPTIMAL
is a proof, as long as the scaled costs fit its 64-bit arithmetic; if
they do not, CP-SAT solves the levels, warm-started from the flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from optimizer.objectives import (
    REFERENCE,
    TERMS,
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


# OR-Tools multiplies costs by (nodes + 1) inside its solver: int64.
_MAX_COST = 2**62


def exact_for(structure: Structure, component: Component,
              levels: list[dict[str, int]]) -> bool:
    """Whether the flow can be the plan's optimum for these levels: unit
    weights (``solve_flow`` also needs the scaled costs to fit)."""
    weights = {structure.groups[g].weight_units for g in component.groups}
    return len(weights) == 1  # weighted loads: S2 is not a flow cost


def solve_flow(structure: Structure, component: Component,
               levels: list[dict[str, int]]) -> FlowOutcome:
    """Min-cost flow for one component (see module docstring).

    Exact (``optimal``) for unit weights when the levels' scaled costs
    fit; otherwise, and for weighted loads, the caller uses the result
    only as a CP-SAT hint: it is always a plan that satisfies H1-H7.
    """
    exact = exact_for(structure, component, levels)
    arcs = _arcs(structure, component)
    costs = _lexicographic_costs(arcs, levels)
    counts = None if costs is None else _min_cost_flow(structure, component,
                                                       arcs, costs)
    # Too large to be exact: a hint for CP-SAT, S1 first then the rest,
    # or, if even that does not fit, any plan that satisfies H1-H7.
    for approx in ([{"S1": 1}, {"S2": 1, "S3": 1, "S4": 1}], []):
        if counts is not None:
            break
        exact = False
        costs = _lexicographic_costs(arcs, approx)
        if costs is not None:
            counts = _min_cost_flow(structure, component, arcs, costs)
    if counts is None:
        raise RuntimeError("min-cost flow: no plan although H1-H7 hold")
    return FlowOutcome(counts, _levels(structure, component, counts,
                                       levels, exact), exact)


@dataclass
class _Arcs:
    """The network: arc ends, capacities and what each unit of flow adds
    to each term (S1, S2 increments, S3 and R as kept, so -1), plus the
    range of every term over all plans."""

    tails: list[int]
    heads: list[int]
    capacity: list[int]
    # term -> amount per pair arc (S1, S3, S4, R) or per place arc (S2)
    terms: dict[str, list[int]]
    pair_of_arc: list[int]  # pair arcs come first, then place arcs
    ranges: dict[str, int]
    num_nodes: int
    supplies: np.ndarray


def _arcs(structure: Structure, component: Component) -> _Arcs:
    groups, pairs, caps = structure.groups, structure.pairs, structure.caps
    staff_ids = [c.staff_id for c in structure.instance.staff]
    w = max(groups[g].weight_units for g in component.groups)
    g_node = {g: i for i, g in enumerate(component.groups)}
    s_node = {c: len(g_node) + i for i, c in enumerate(component.staff)}
    sink = len(g_node) + len(s_node)
    reach: dict[int, int] = dict.fromkeys(component.staff, 0)
    for p in component.pairs:
        reach[pairs[p].staff] += groups[pairs[p].group].size
    places = {c: min(caps[c], reach[c]) for c in component.staff}
    bal = {c: balance_coefficient(caps[c]) * w * w for c in component.staff}
    out = _Arcs([], [], [], {t: [] for t in (*TERMS, REFERENCE)}, [], {},
                sink + 1, np.zeros(sink + 1, dtype=np.int64))
    tails, heads, capacity, pair_of_arc = (out.tails, out.heads,
                                           out.capacity, out.pair_of_arc)
    t1, t3, t4, tr = (out.terms[t] for t in ("S1", "S3", "S4", REFERENCE))
    allowed = 0
    for p in component.pairs:
        pair = pairs[p]
        group = groups[pair.group]
        staff_id = staff_ids[pair.staff]
        upper = min(group.size, caps[pair.staff])
        s1, s4 = best_practice_miss(pair.check), language_miss(pair.check)
        # -1: one more student kept with the reference case manager.
        r = -int(group.reference == staff_id)
        prior = group.priors.get(staff_id, 0)
        allowed += prior
        g, c = g_node[pair.group], s_node[pair.staff]
        # A parallel arc, for the students whose prior this is, keeps them.
        if prior:
            tails.append(g)
            heads.append(c)
            capacity.append(min(prior, upper))
            t1.append(s1)
            t3.append(-1)
            t4.append(s4)
            tr.append(r)
            pair_of_arc.append(p)
        tails.append(g)
        heads.append(c)
        capacity.append(upper)
        t1.append(s1)
        t3.append(0)
        t4.append(s4)
        tr.append(r)
        pair_of_arc.append(p)
    for c in component.staff:
        for k in range(1, places[c] + 1):  # the k-th place: S2 increment
            tails.append(s_node[c])
            heads.append(sink)
            capacity.append(1)
            out.terms["S2"].append(bal[c] * (2 * k - 1))
    total = sum(groups[g].size for g in component.groups)
    for g, n in g_node.items():
        out.supplies[n] = groups[g].size
    out.supplies[sink] = -total
    out.ranges = {
        "S1": total, "S4": total, "S3": allowed,
        "S2": sum(bal[c] * places[c] ** 2 for c in component.staff),
        REFERENCE: sum(groups[g].size for g in component.groups
                       if groups[g].reference is not None)}
    return out


def _lexicographic_costs(arcs: _Arcs, levels: list[dict[str, int]]
                         ) -> np.ndarray | None:
    """Arc costs solving ``levels`` in order: each level's cost times one
    more than the range of all later levels (so one unit of an earlier
    level outweighs any change in the later ones). None if they would
    not fit OR-Tools' int64 arithmetic."""
    scale = [1] * len(levels)
    for i in range(len(levels) - 2, -1, -1):
        later = sum(abs(c) * arcs.ranges[t] for t, c in levels[i + 1].items())
        scale[i] = scale[i + 1] * (later + 1)
    weight = {}
    for lv, m in zip(levels, scale):
        for t, c in lv.items():
            weight[t] = weight.get(t, 0) + m * c
    amounts = {t: np.array(v, dtype=np.int64) for t, v in arcs.terms.items()}
    # Bound the costs in Python integers before numpy's int64 sums them.
    top = sum(abs(m) * int(np.abs(amounts[t]).max(initial=0))
              for t, m in weight.items())
    if top * arcs.num_nodes >= _MAX_COST:
        return None
    costs = np.zeros(len(arcs.tails), dtype=np.int64)
    split = len(arcs.pair_of_arc)
    for t, m in weight.items():
        if t == "S2":
            costs[split:] += m * amounts[t]
        else:
            costs[:split] += m * amounts[t]
    return costs


def _min_cost_flow(structure: Structure, component: Component, arcs: _Arcs,
                   costs: np.ndarray) -> dict[int, int] | None:
    flow = min_cost_flow.SimpleMinCostFlow()
    ids = flow.add_arcs_with_capacity_and_unit_cost(
        np.array(arcs.tails, dtype=np.int64),
        np.array(arcs.heads, dtype=np.int64),
        np.array(arcs.capacity, dtype=np.int64), costs)
    flow.set_nodes_supplies(np.arange(arcs.num_nodes, dtype=np.int64),
                            arcs.supplies)
    status = flow.solve()
    if status == flow.BAD_COST_RANGE:
        return None
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    flows = flow.flows(ids[:len(arcs.pair_of_arc)])
    counts: dict[int, int] = dict.fromkeys(component.pairs, 0)
    for p, f in zip(arcs.pair_of_arc, flows.tolist()):
        counts[p] += int(f)
    return counts


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
