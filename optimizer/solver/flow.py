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
    balance_coefficient,
    balance_increment,
    balance_term,
    best_practice_miss,
    continuity_kept,
    group_reference_changes,
    language_miss,
)
from optimizer.result import LevelOutcome
from optimizer.solver.calendar import (
    calendar_active,
    calendar_value,
    calendar_view,
)
from optimizer.solver.structure import Component, PairCounts, Structure


@dataclass
class FlowOutcome:
    counts: PairCounts  # pair -> students
    levels: list[LevelOutcome]
    optimal: bool


# OR-Tools multiplies costs by (nodes + 1) inside its solver: int64.
_MAX_COST = 2**62


def exact_for(structure: Structure, component: Component,
              levels: list[dict[str, int]]) -> bool:
    """Whether the flow can be the plan's optimum for these levels: unit
    weights (``solve_flow`` also needs the scaled costs to fit)."""
    units = structure.arrays.units[np.array(component.groups, dtype=np.int64)]
    return len(np.unique(units)) == 1  # weighted: S2 is not a flow cost


def solve_flow(structure: Structure, component: Component,
               levels: list[dict[str, int]]) -> FlowOutcome | None:
    """Min-cost flow for one component (see module docstring).

    Exact (``optimal``) for unit weights when the levels' scaled costs
    fit; otherwise, and for weighted loads, the caller uses the result
    only as a CP-SAT hint: it is always a plan that satisfies H1-H7.
    None when no plan exists: the students cannot all be placed within
    the caps (the capacity test of ``diagnose``, answered by the flow).
    """
    exact = exact_for(structure, component, levels)
    v = _view(structure, component)
    arcs = _arcs(structure, component, v)
    own = levels
    if calendar_active(structure, levels):
        # S5 and H8 are no flow costs: the flow's plan (of the other
        # terms) is a hint for the MIP or CP-SAT, which model them.
        exact = False
        own = [lv for lv in ({t: c for t, c in level.items() if t != "S5"}
                             for level in levels) if lv]
    # Too large to be exact: a hint for CP-SAT, S1 first then the rest,
    # or, if even that does not fit, any plan that satisfies H1-H7.
    counts = None
    for attempt in (own, [{"S1": 1}, {"S2": 1, "S3": 1, "S4": 1}], []):
        costs = _lexicographic_costs(arcs, attempt)
        if costs is None:
            exact = False
            continue
        try:
            counts = _min_cost_flow(arcs, costs, len(v.pairs))
        except _NoPlan:
            return None
        if counts is not None:
            break
        exact = False
    if counts is None:
        raise RuntimeError("min-cost flow: no plan although H1-H7 hold")
    return FlowOutcome(PairCounts(v.pairs, counts),
                       _levels(structure, component, v, counts, levels,
                               exact), exact)


class _NoPlan(Exception):
    """The flow cannot carry every student: no plan exists."""


@dataclass
class _Arcs:
    """The network: arc ends, capacities and what each unit of flow adds
    to each term (S1, S2 increments, S3 and R as kept, so -1), plus the
    range of every term over all plans."""

    tails: np.ndarray
    heads: np.ndarray
    capacity: np.ndarray
    # term -> amount per pair arc (S1, S3, S4, R) or per place arc (S2)
    terms: dict[str, np.ndarray]
    pair_of_arc: np.ndarray  # pair arcs come first, then place arcs
    local_pair: np.ndarray  # of pair arcs: the pair's place in the view
    ranges: dict[str, int]
    num_nodes: int
    supplies: np.ndarray


def _arcs(structure: Structure, component: Component, v: _View) -> _Arcs:
    """The network from the structure's pair arrays (issue 11).

    Arcs keep the pairs' order, each pair's continuity arc (for the
    students whose prior this is) just before its ordinary arc, so the
    plan is the same on every run.
    """
    caps = structure.caps
    w = int(v.units.max())
    num_groups = len(component.groups)
    sink = num_groups + len(component.staff)
    cap = np.array([caps[c] for c in component.staff], dtype=np.int64)
    reach = np.bincount(v.staff, weights=v.size[v.group],
                        minlength=len(cap)).astype(np.int64)
    places = np.minimum(cap, reach)
    bal = np.array([balance_coefficient(caps[c]) * w * w
                    for c in component.staff], dtype=np.int64)
    upper = np.minimum(v.size[v.group], cap[v.staff])
    # -1: one more student kept with the reference case manager.
    r = -(v.reference[v.group] == v.staff).astype(np.int64)
    n = len(v.group)
    used = np.stack([v.prior > 0, np.ones(n, dtype=bool)], axis=1).ravel()
    pair_of_arc = np.repeat(np.arange(n, dtype=np.int64), 2)[used]
    kept = np.stack([np.full(n, -1, dtype=np.int64),
                     np.zeros(n, dtype=np.int64)], axis=1).ravel()[used]
    slot_cap = np.stack([np.minimum(v.prior, upper), upper],
                        axis=1).ravel()[used]
    # The k-th place of a staff member: the k-th increment of S2.
    staff_of = np.repeat(np.arange(len(cap), dtype=np.int64), places)
    first = np.cumsum(places) - places
    k = np.arange(len(staff_of), dtype=np.int64) - first[staff_of] + 1
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:num_groups] = v.size
    total = int(v.size.sum())
    supplies[sink] = -total
    return _Arcs(
        tails=np.concatenate([v.group[pair_of_arc], num_groups + staff_of]),
        heads=np.concatenate([num_groups + v.staff[pair_of_arc],
                              np.full(len(staff_of), sink,
                                      dtype=np.int64)]),
        capacity=np.concatenate([slot_cap,
                                 np.ones(len(staff_of), dtype=np.int64)]),
        terms={"S1": v.s1[pair_of_arc], "S3": kept,
               "S4": v.s4[pair_of_arc], REFERENCE: r[pair_of_arc],
               "S2": balance_increment(bal[staff_of], k)},
        pair_of_arc=v.pairs[pair_of_arc], local_pair=pair_of_arc,
        ranges={"S1": total, "S4": total, "S3": int(v.prior.sum()),
                "S2": int((bal * places * places).sum()),
                REFERENCE: int(v.size[v.reference != -1].sum())},
        num_nodes=sink + 1, supplies=supplies)


@dataclass
class _View:
    """A component's pairs as arrays, groups and staff numbered locally."""

    pairs: np.ndarray
    group: np.ndarray  # local group index of each pair
    staff: np.ndarray  # local staff index of each pair
    s1: np.ndarray  # S1 of one student on the pair
    s4: np.ndarray  # S4 of one student on the pair
    prior: np.ndarray
    size: np.ndarray  # per local group
    units: np.ndarray  # per local group
    # per local group: the reference's local staff index, -1 for no
    # reference, -2 for one outside the component (never given)
    reference: np.ndarray


def _view(structure: Structure, component: Component) -> _View:
    a = structure.arrays
    pairs = (component.pair_index if component.pair_index is not None
             else np.array(component.pairs, dtype=np.int64))
    groups = np.array(component.groups, dtype=np.int64)
    g_local = np.full(len(structure.groups), -1, dtype=np.int64)
    g_local[groups] = np.arange(len(groups), dtype=np.int64)
    # Staff outside the component (and unknown ids, at len(caps)) -> -2;
    # the last slot maps "no reference" (-1) to -1.
    s_local = np.full(len(structure.caps) + 2, -2, dtype=np.int64)
    s_local[-1] = -1
    s_local[np.array(component.staff, dtype=np.int64)] = np.arange(
        len(component.staff), dtype=np.int64)
    # The terms, computed once per distinct judgement.
    s1 = np.array([best_practice_miss(c) for c in a.checks] or [0],
                  dtype=np.int64)
    s4 = np.array([language_miss(c) for c in a.checks] or [0],
                  dtype=np.int64)
    check = a.check[pairs]
    reference = s_local[a.reference[groups]]
    return _View(pairs, g_local[a.group[pairs]], s_local[a.staff[pairs]],
                 s1[check], s4[check], a.prior[pairs], a.size[groups],
                 a.units[groups], reference)


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
    amounts = {t: np.asarray(v, dtype=np.int64)
               for t, v in arcs.terms.items()}
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


def _min_cost_flow(arcs: _Arcs, costs: np.ndarray, num_pairs: int
                   ) -> np.ndarray | None:
    """Students per pair of the view; None if the costs do not fit."""
    flow = min_cost_flow.SimpleMinCostFlow()
    ids = flow.add_arcs_with_capacity_and_unit_cost(
        arcs.tails, arcs.heads, arcs.capacity, costs)
    flow.set_nodes_supplies(np.arange(arcs.num_nodes, dtype=np.int64),
                            arcs.supplies)
    status = flow.solve()
    if status == flow.BAD_COST_RANGE:
        return None
    if status == flow.INFEASIBLE:
        raise _NoPlan
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    flows = flow.flows(ids[:len(arcs.pair_of_arc)])
    # Each pair's one or two arcs (continuity, ordinary) are adjacent.
    return np.bincount(arcs.local_pair, weights=flows,
                       minlength=num_pairs).astype(np.int64)


def term_values(structure: Structure, component: Component,
                counts: dict[int, int]) -> dict[str, int]:
    """S1-S4 (and R) of a component's counts, as the model defines them."""
    v = _view(structure, component)
    n = np.array([counts.get(p, 0) for p in component.pairs],
                 dtype=np.int64)
    return _term_values(structure, component, v, n)


def level_value(structure: Structure, component: Component,
                counts: dict[int, int], level: dict[str, int]) -> int:
    """A level's value (its terms, weighted) at a component's counts."""
    values = term_values(structure, component, counts)
    return sum(c * values[t] for t, c in level.items())


def _term_values(structure: Structure, component: Component, v: _View,
                 n: np.ndarray) -> dict[str, int]:
    caps = structure.caps
    load = np.bincount(v.staff, weights=n * v.units[v.group],
                       minlength=len(component.staff)).astype(np.int64)
    s2 = sum(balance_term(caps[c], int(x))
             for c, x in zip(component.staff, load.tolist()) if x)
    has = np.flatnonzero(v.prior > 0)
    kept = sum(continuity_kept(a, b) for a, b in zip(
        n[has].tolist(), v.prior[has].tolist()))
    return {"S1": int((n * v.s1).sum()), "S2": s2,
            "S3": int(v.prior.sum()) - kept, "S4": int((n * v.s4).sum()),
            "S5": calendar_value(calendar_view(structure, component),
                                 v.group, v.staff, n, len(component.staff)),
            REFERENCE: _reference_changes(v, n)}


def reference_changes(structure: Structure, component: Component,
                      counts: dict[int, int]) -> int:
    """R of a component's counts: students of groups with a reference
    case manager who are not given to that staff member."""
    v = _view(structure, component)
    n = np.array([counts.get(p, 0) for p in component.pairs],
                 dtype=np.int64)
    return _reference_changes(v, n)


def _reference_changes(v: _View, n: np.ndarray) -> int:
    mine = v.reference[v.group] == v.staff  # pair to the reference
    given = np.bincount(v.group[mine], weights=n[mine],
                        minlength=len(v.size)).astype(np.int64)
    return sum(group_reference_changes(size, g) for size, g, ref in zip(
        v.size.tolist(), given.tolist(), v.reference.tolist()) if ref != -1)


def _levels(structure: Structure, component: Component, v: _View,
            n: np.ndarray, levels: list[dict[str, int]],
            exact: bool) -> list[LevelOutcome]:
    values = _term_values(structure, component, v, n)
    out = []
    for level in levels:
        v = sum(coef * values[t] for t, coef in level.items())
        out.append(LevelOutcome(level, v, v if exact else 0, exact))
    return out
