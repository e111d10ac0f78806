"""A valid lower bound for weighted workloads (the token min-cost flow).

Weighted loads make S2 no longer a flow cost, so CP-SAT solves those
levels; this bound lets it report an honest gap, and it is property-tested
never to exceed a proven optimum.
"""

from __future__ import annotations

from math import gcd

import numpy as np
from ortools.graph.python import min_cost_flow

from optimizer.objectives import (
    TERMS,
    balance_coefficient,
    best_practice_miss,
    language_miss,
)
from optimizer.structure import Component, Structure


def weighted_lower_bound(structure: Structure, component: Component,
                         level: dict[str, int],
                         s1_optimum: int | None = None) -> int:
    """A valid lower bound of one objective level for weighted loads.

    Each student is split into weight tokens (weight units divided by
    their common divisor) that may go to different case managers: every
    real plan is such a token flow with the same S2 (the k-th token at a
    staff member costs the k-th increment of ``a_c * load**2``), so the
    min-cost token flow bounds the level from below. Per-student costs
    (S1, S3, S4) are spread over the student's tokens, scaled by the least
    common multiple of token counts to stay integral. Caps, fixed earlier
    levels and zero-weight students are relaxed, which keeps the bound
    valid. When the S1 optimum is known (S1 solved first), a Lagrangian
    term ``lam * (S1 - s1_optimum)`` with ``lam >= 0`` is added: it is zero
    on every plan with optimal S1, so the bound stays valid, and a large
    ``lam`` stops the relaxation from trading best practice for balance.
    The larger of the bounds with and without the term is returned.
    """
    best = _token_bound(structure, component, level, 0, 0)
    if s1_optimum is not None and "S1" not in level:
        lam = _lambda(structure, component, level)
        best = max(best, _token_bound(structure, component, level, lam,
                                      s1_optimum))
    return best


def _lambda(structure: Structure, component: Component,
            level: dict[str, int]) -> int:
    """More than any one student can change the level by moving."""
    groups, caps = structure.groups, structure.caps
    w = max(groups[g].weight_units for g in component.groups)
    top = max(balance_coefficient(caps[c]) * (2 * caps[c] * w + w) * w
              for c in component.staff)
    return (2 * level.get("S2", 0) * top + level.get("S3", 0)
            + level.get("S4", 0) + 1)


def _token_bound(structure: Structure, component: Component,
                 level: dict[str, int], lam: int, s1_optimum: int) -> int:
    groups, pairs, caps = structure.groups, structure.pairs, structure.caps
    inst = structure.instance
    active = [g for g in component.groups if groups[g].weight_units > 0]
    if not active:
        return 0
    unit = 0
    for g in active:
        unit = gcd(unit, groups[g].weight_units)
    tokens = {g: groups[g].weight_units // unit for g in active}
    scale = 1
    for t in set(tokens.values()):
        scale = scale * t // gcd(scale, t)
    c1, c2, c3, c4 = (level.get(t, 0) for t in TERMS)
    c1 += lam
    g_node = {g: i for i, g in enumerate(active)}
    s_node = {c: len(g_node) + i for i, c in enumerate(component.staff)}
    sink = len(g_node) + len(s_node)
    reach: dict[int, int] = dict.fromkeys(component.staff, 0)
    tails, heads, capacity, cost = [], [], [], []
    allowed = 0
    for p in component.pairs:
        pair = pairs[p]
        if pair.group not in g_node:
            continue
        group, tok = groups[pair.group], tokens[pair.group]
        check = pair.check
        per = scale // tok  # per-token share of a per-student cost
        base = per * (c1 * best_practice_miss(check)
                      + c4 * language_miss(check))
        prior = group.priors.get(inst.staff[pair.staff].staff_id, 0)
        allowed += prior
        upper = tok * group.size
        reach[pair.staff] += upper
        for cap_arc, arc_cost in (((tok * prior, base - per * c3),)
                                  if prior else ()) + ((upper, base),):
            tails.append(g_node[pair.group])
            heads.append(s_node[pair.staff])
            capacity.append(cap_arc)
            cost.append(arc_cost)
    biggest = max(tokens.values())
    for c in component.staff:
        places = min(reach[c], caps[c] * biggest)
        a = balance_coefficient(caps[c]) * unit * unit
        for k in range(1, places + 1):
            tails.append(s_node[c])
            heads.append(sink)
            capacity.append(1)
            cost.append(scale * c2 * a * (2 * k - 1))
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int64), np.array(heads, dtype=np.int64),
        np.array(capacity, dtype=np.int64), np.array(cost, dtype=np.int64))
    supplies = np.zeros(sink + 1, dtype=np.int64)
    for g, n in g_node.items():
        supplies[n] = tokens[g] * groups[g].size
    supplies[sink] = -int(supplies.sum())
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    if flow.solve() != flow.OPTIMAL:
        return 0  # e.g. costs too large for the solver: no bound
    # Level >= flow cost / scale + c3 * allowed - lam * S1 optimum; the
    # level is an integer, so round up.
    return -(-flow.optimal_cost() // scale) + c3 * allowed \
        - lam * s1_optimum
