"""The min-cost-flow core: exact for unit weights, a hint otherwise.

With eligibility fixed and caps counted in students, the planning problem
is a transportation problem. Its default objective fits a min-cost flow:

- source -> group: the group's students;
- group -> staff: one arc per eligible pair, costing the pair's S1 miss
  (times ``M``) and S4 miss; a parallel, cheaper arc with capacity equal to
  the group's students whose prior case manager this is carries S3;
- staff -> sink: one unit arc per place, the k-th costing
  ``a_c * w^2 * (2k - 1)``, the increments of the convex S2 term, so
  filling places in order is optimal;
- groups whose ordinary arcs are the same (the same staff, each at the
  same S1, S4 and R) send them through one hub node instead: group ->
  hub, hub -> each staff member (``_Arcs``), the same plans at the same
  costs on far fewer arcs.

Each arc records what one unit of flow adds to each term (S3 and the
closeness term R of ``objectives`` as students kept, so -1). The levels
are solved lexicographically in one flow: a level's cost is multiplied by
one more than the most the later levels can change along one cycle of
the residual network, so any plan better in an earlier level costs less
(S1 first, then the weighted S2-S4, then R; or a strict order;
``_lexicographic_costs`` says why that is enough). OR-Tools' min-cost-flow
solver is exact: its OPTIMAL is a proof, as long as the scaled costs fit
its 64-bit arithmetic; if they do not, CP-SAT solves the levels,
warm-started from the flow.
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
    # Too large to be exact: a hint for CP-SAT, the leading levels alone
    # (in mode priority at 70,000 students, the last level is what does
    # not fit), then S1 first and the rest together, or, if even that
    # does not fit, any plan that satisfies H1-H7.
    counts, used = None, None
    for attempt in (own, *(own[:j] for j in range(len(own) - 1, 1, -1)),
                    [{"S1": 1}, {"S2": 1, "S3": 1, "S4": 1}], []):
        costs = _lexicographic_costs(arcs, attempt)
        if costs is None:
            exact = False
            continue
        try:
            counts = _min_cost_flow(arcs, costs, len(v.pairs))
        except _NoPlan:
            return None
        if counts is not None:
            used = attempt
            break
        exact = False
    if counts is None:
        raise RuntimeError("min-cost flow: no plan although H1-H7 hold")
    proven = len(levels) if exact else exact_prefix(structure, component,
                                                    levels, used, own)
    return FlowOutcome(PairCounts(v.pairs, counts),
                       _levels(structure, component, v, counts, levels,
                               proven), exact)


# Terms whose cost the flow carries exactly on every arc (S2 too with unit
# weights; with weights its places are the heaviest student's, and S5 is
# no arc's cost).
_LINEAR = frozenset({"S1", "S3", "S4", REFERENCE})


def exact_prefix(structure: Structure, component: Component,
                 levels: list[dict[str, int]], used: list[dict[str, int]],
                 own: list[dict[str, int]]) -> int:
    """How many leading ``levels`` the flow solved with the levels ``used``
    (``own`` or its leading levels) proves optimal: those it carried
    exactly, each at its place in the lexicographic order. A plan better in
    the first of them where it differs costs the flow less whatever the
    later levels' (inexact) costs, since each level's scale exceeds what
    all later ones can change. ``own``: the levels as the flow first tried
    them (S5 left out). 0 under a monthly limit (H8 is no flow
    constraint)."""
    if structure.calendar is not None \
            and structure.calendar.max_per_month is not None:
        return 0
    exact = _LINEAR | ({"S2"} if exact_for(structure, component, levels)
                       else set())
    if used != own[:len(used)]:  # the fallback: S1, then S2-S4 together
        return int(bool(used) and bool(levels) and levels[0] == {"S1": 1})
    count = 0
    for level, carried in zip(levels, used):
        if level != carried or not set(level) <= exact:
            break
        count += 1
    return count


class _NoPlan(Exception):
    """The flow cannot carry every student: no plan exists."""


@dataclass
class _Arcs:
    """The network: arc ends, capacities and what each unit of flow adds
    to each term (S1, S2 increments, S3 and R as kept, so -1), plus the
    range of every term over all plans.

    Arcs come in four runs: the pairs' own arcs (``direct``: each pair's
    continuity arc, then its ordinary arc unless a hub carries it), the
    arcs from groups into hubs, from hubs to staff, and the places (staff
    to sink). A hub stands for the ordinary arcs of several groups with
    the same options (the same staff, each at the same S1, S4 and R) and
    the same weight. On a district's roster most groups share their
    options with others (the 70,000-student benchmark: 51,221 of 55,795
    groups in 7,555 hubs, 262,955 arcs from groups to staff instead of
    822,647), and the flow solves faster on fewer arcs; any split of a
    hub's flow among its groups and staff is a plan of the same cost
    (``_hub_counts`` takes a fixed one).
    """

    tails: np.ndarray
    heads: np.ndarray
    capacity: np.ndarray
    # term -> amount per arc (every arc; zero where the term has none)
    terms: dict[str, np.ndarray]
    direct: int  # the first arcs: the pairs' own
    local_pair: np.ndarray  # of the direct arcs: the pair's place in the view
    hubs: _Hubs | None
    places: slice  # the staff -> sink arcs
    num_staff: int
    ranges: dict[str, int]
    num_nodes: int
    supplies: np.ndarray


@dataclass
class _Hubs:
    """Groups that share their options: their hubs and pairs (their arcs
    follow the pairs' own, in the order ``_Arcs`` gives)."""

    hub_of_group: np.ndarray  # per group -> hub arc: the hub
    hub_first: np.ndarray  # per hub: its first option (hub -> staff arc)
    # per group -> hub arc: where the group's own pairs start in ``sorted``
    # (its pairs in the order of its hub's options)
    first_pair: np.ndarray
    sorted: np.ndarray  # local pair indices, by group then staff


def _arcs(structure: Structure, component: Component, v: _View,
          share: bool = True) -> _Arcs:
    """The network from the structure's pair arrays (issue 11); without
    ``share``, no hubs (one ordinary arc per pair, as the tests compare).

    Arcs keep the pairs' order, each pair's continuity arc (for the
    students whose prior this is) just before its ordinary arc, hubs in
    the order of their first group, so the plan is the same on every run.
    """
    caps = structure.caps
    w = int(v.units.max())
    num_groups = len(component.groups)
    num_staff = len(component.staff)
    sink = num_groups + num_staff
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
    hubbed, hubs, hub_arcs = (
        _share(v, r, num_groups, sink + 1) if share
        else (np.zeros(num_groups, dtype=bool), None, None))
    ordinary = ~hubbed[v.group]
    used = np.stack([v.prior > 0, ordinary], axis=1).ravel()
    pair_of_arc = np.repeat(np.arange(n, dtype=np.int64), 2)[used]
    kept = np.stack([np.full(n, -1, dtype=np.int64),
                     np.zeros(n, dtype=np.int64)], axis=1).ravel()[used]
    slot_cap = np.stack([np.minimum(v.prior, upper), upper],
                        axis=1).ravel()[used]
    # The k-th place of a staff member: the k-th increment of S2.
    staff_of = np.repeat(np.arange(len(cap), dtype=np.int64), places)
    first = np.cumsum(places) - places
    k = np.arange(len(staff_of), dtype=np.int64) - first[staff_of] + 1
    supplies = np.zeros(sink + 1 + (len(hubs.hub_first) if hubs else 0),
                        dtype=np.int64)
    supplies[:num_groups] = v.size
    total = int(v.size.sum())
    supplies[sink] = -total
    d = len(pair_of_arc)
    tails = [v.group[pair_of_arc]]
    heads = [num_groups + v.staff[pair_of_arc]]
    capacity = [slot_cap]
    terms = {"S1": [v.s1[pair_of_arc]], "S3": [kept],
             "S4": [v.s4[pair_of_arc]], REFERENCE: [r[pair_of_arc]]}
    if hubs is not None:
        (g_tail, g_head, g_cap), (h_tail, h_pair, h_cap) = hub_arcs
        tails += [g_tail, h_tail]
        heads += [g_head, num_groups + v.staff[h_pair]]
        capacity += [g_cap, np.minimum(h_cap, cap[v.staff[h_pair]])]
        zero = np.zeros(len(g_tail), dtype=np.int64)
        for t, amount in (("S1", v.s1), ("S4", v.s4), (REFERENCE, r)):
            terms[t] += [zero, amount[h_pair]]
        terms["S3"] += [zero, np.zeros(len(h_pair), dtype=np.int64)]
    tails.append(num_groups + staff_of)
    heads.append(np.full(len(staff_of), sink, dtype=np.int64))
    capacity.append(np.ones(len(staff_of), dtype=np.int64))
    start = sum(map(len, tails[:-1]))
    for t in terms.values():
        t.append(np.zeros(len(staff_of), dtype=np.int64))
    s2 = np.zeros(start + len(staff_of), dtype=np.int64)
    s2[start:] = balance_increment(bal[staff_of], k)
    return _Arcs(
        tails=np.concatenate(tails), heads=np.concatenate(heads),
        capacity=np.concatenate(capacity),
        terms={**{t: np.concatenate(a) for t, a in terms.items()},
               "S2": s2},
        direct=d, local_pair=pair_of_arc, hubs=hubs,
        places=slice(start, start + len(staff_of)), num_staff=num_staff,
        ranges={"S1": total, "S4": total, "S3": int(v.prior.sum()),
                "S2": int((bal * places * places).sum()),
                REFERENCE: int(v.size[v.reference != -1].sum())},
        num_nodes=len(supplies), supplies=supplies)


def _share(v: _View, r: np.ndarray, num_groups: int, first_hub: int):
    """The groups whose ordinary arcs go through a hub (a bool per group),
    the ``_Hubs`` (None if no two groups share their options) and the hub
    arcs: (group -> hub tails, heads, capacities), (hub -> staff tails,
    the pair each copies, capacities)."""
    none = np.zeros(num_groups, dtype=bool), None, None
    if num_groups < 2:
        return none
    key = v.group * (int(v.staff.max()) + 1) + v.staff
    order = (np.arange(len(key), dtype=np.int64)
             if len(key) < 2 or bool(np.all(key[1:] > key[:-1]))
             else np.argsort(key, kind="stable"))
    g = v.group[order]
    starts = np.searchsorted(g, np.arange(num_groups + 1, dtype=np.int64))
    # each option as 20 bytes: staff, S1, S4, R, and the group's weight
    # (for unit weights all the same): the flow counts students alike,
    # so a hub of mixed weights would hand its heavy students to its
    # first options, a poor start for the weighted levels after it
    rows = np.stack([v.staff[order], v.s1[order], v.s4[order], r[order],
                     v.units[g]], axis=1).astype(np.int32)
    buf = rows.tobytes()
    width = rows.shape[1] * 4
    hub_of: dict[bytes, int] = {}
    hub = np.empty(num_groups, dtype=np.int64)
    bounds = starts.tolist()
    for i in range(num_groups):
        hub[i] = hub_of.setdefault(buf[bounds[i] * width:
                                       bounds[i + 1] * width], len(hub_of))
    members = np.bincount(hub, minlength=len(hub_of))
    hubbed = members[hub] >= 2
    if not hubbed.any():
        return none
    # shared hubs only, numbered in order of their first group
    groups = np.flatnonzero(hubbed)
    shared, first_group, renumber = np.unique(
        hub[groups], return_index=True, return_inverse=True)
    rank = np.empty(len(shared), dtype=np.int64)
    rank[np.argsort(first_group, kind="stable")] = np.arange(len(shared))
    hub_of_group = rank[renumber]
    lead = groups[np.sort(first_group)]  # each hub's first group
    sizes = (starts[lead + 1] - starts[lead])
    hub_first = np.cumsum(sizes) - sizes
    h_pair = order[np.concatenate([np.arange(starts[x], starts[x + 1])
                                   for x in lead.tolist()])]
    h_tail = first_hub + np.repeat(np.arange(len(lead), dtype=np.int64),
                                   sizes)
    supply = np.bincount(hub_of_group, weights=v.size[groups],
                         minlength=len(lead)).astype(np.int64)
    hubs = _Hubs(hub_of_group=hub_of_group, hub_first=hub_first,
                 first_pair=starts[groups], sorted=order)
    arcs = ((groups, first_hub + hub_of_group, v.size[groups]),
            (h_tail, h_pair, supply[h_tail - first_hub]))
    return hubbed, hubs, arcs


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
    more than the most the later levels can change on one simple cycle
    of the residual network (so one unit of an earlier level outweighs
    them). None if they would not fit OR-Tools' int64 arithmetic.

    Why that is enough: if a plan were lexicographically better, the
    difference from the flow's plan splits into simple residual cycles
    whose level changes add up to it, so one of them is lexicographically
    better too (unchanged in the levels before some level, better in
    that one: a sum of changes none of which is better cannot be); its
    cost, negative by the scales, would contradict the flow's
    optimality. A cycle
    changes a level by at most the level's range over all plans
    (``ranges``), and, since every arc with a cost touches a staff node,
    and a simple cycle passes each node once, by at most the costs of
    two arcs into the sink and of ``2 * staff`` other arcs; the smaller
    of the two is taken (smaller costs: fewer scaling passes)."""
    amounts = {t: np.asarray(v, dtype=np.int64)
               for t, v in arcs.terms.items()}
    peak = {t: int(np.abs(a).max(initial=0)) for t, a in amounts.items()}
    scale = [1] * len(levels)
    later_cost: np.ndarray | None = None  # the later levels, scaled
    later_top = 0
    for i in range(len(levels) - 2, -1, -1):
        later_top += scale[i + 1] * sum(abs(c) * peak[t]
                                        for t, c in levels[i + 1].items())
        if later_top * arcs.num_nodes >= _MAX_COST:
            return None
        level = np.zeros(len(arcs.tails), dtype=np.int64)
        for t, c in levels[i + 1].items():
            level += c * amounts[t]
        level *= scale[i + 1]
        later_cost = level if later_cost is None else later_cost + level
        span = sum(scale[j] * sum(abs(c) * arcs.ranges[t]
                                  for t, c in levels[j].items())
                   for j in range(i + 1, len(levels)))
        scale[i] = 1 + min(span, _cycle_reach(arcs, np.abs(later_cost)))
        if scale[i] * arcs.num_nodes >= _MAX_COST:  # (numpy's int64 too)
            return None
    weight: dict[str, int] = {}
    for lv, m in zip(levels, scale):
        for t, c in lv.items():
            weight[t] = weight.get(t, 0) + m * c
    # Bound the costs in Python integers before numpy's int64 sums them.
    top = sum(abs(m) * peak[t] for t, m in weight.items())
    if top * arcs.num_nodes >= _MAX_COST:
        return None
    costs = np.zeros(len(arcs.tails), dtype=np.int64)
    for t, m in weight.items():
        costs += m * amounts[t]
    return costs


def _cycle_reach(arcs: _Arcs, size: np.ndarray) -> int:
    """The most a simple cycle's arcs of these sizes can add up to: the
    two largest places (the sink is passed once) and the ``2 * staff``
    largest other arcs (each staff node once)."""
    places = size[arcs.places]
    other = np.concatenate([size[:arcs.places.start],
                            size[arcs.places.stop:]])
    total = 0
    for part, k in ((places, 2), (other, 2 * arcs.num_staff)):
        if len(part) > k:
            part = np.partition(part, len(part) - k)[len(part) - k:]
        total += int(part.sum())
    return total


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
    flows = flow.flows(ids)
    # Each pair's one or two direct arcs (continuity, ordinary).
    counts = np.bincount(arcs.local_pair, weights=flows[:arcs.direct],
                         minlength=num_pairs).astype(np.int64)
    if arcs.hubs is not None:
        counts += _hub_counts(arcs, flows, num_pairs)
    return counts


def _hub_counts(arcs: _Arcs, flows: np.ndarray, num_pairs: int
                ) -> np.ndarray:
    """The hubs' flow as students per pair: within each hub, its groups
    (in order) fill its options (in order), each taking what is left of
    the option before moving on (any split is a plan of the same cost;
    this one is fixed, so the plan is the same on every run)."""
    hubs = arcs.hubs
    assert hubs is not None
    # after the pairs' own arcs: one per hubbed group into its hub, then
    # the hubs' options, up to the places
    into_hubs = arcs.direct + len(hubs.hub_of_group)
    into = flows[arcs.direct:into_hubs].astype(np.int64)
    out = flows[into_hubs:arcs.places.start].astype(np.int64)
    # Lay every hub's flow on one line, hub after hub, once by group and
    # once by option: the two agree at every hub's end (what enters a hub
    # leaves it), and each stretch between breaks is one group's students
    # with one option.
    by_group = np.argsort(hubs.hub_of_group, kind="stable")
    ends_g = np.cumsum(into[by_group])
    ends_o = np.cumsum(out)
    breaks = np.union1d(ends_g, ends_o)
    starts = np.concatenate([[0], breaks[:-1]])
    length = breaks - starts
    keep = length > 0
    starts, length = starts[keep], length[keep]
    gi = by_group[np.searchsorted(ends_g, starts, side="right")]
    oi = np.searchsorted(ends_o, starts, side="right")
    hub = hubs.hub_of_group[gi]
    pair = hubs.sorted[hubs.first_pair[gi] + oi - hubs.hub_first[hub]]
    return np.bincount(pair, weights=length,
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
            proven: int) -> list[LevelOutcome]:
    """The plan's levels, the first ``proven`` optimal (the others with
    no bound yet)."""
    values = _term_values(structure, component, v, n)
    out = []
    for k, level in enumerate(levels):
        v = sum(coef * values[t] for t, coef in level.items())
        out.append(LevelOutcome(level, v, v if k < proven else 0,
                                k < proven))
    return out
