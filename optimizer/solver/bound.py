"""A valid lower bound for weighted workloads (the token min-cost flow).

Weighted loads make S2 no longer a flow cost, so the MIP (or CP-SAT)
solves those levels; this bound lets them report an honest gap when time
runs out, and proves the moves plan of a part too large for them. It is
property-tested never to exceed a proven optimum, and tested equal to its
plain pair-by-pair definition (tests/test_bound.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from optimizer.objectives import (
    TERMS,
    balance_coefficient,
    balance_increment,
)
from optimizer.solver.flow import _View, _view
from optimizer.solver.structure import Component, Structure

_INT64 = 2**63 - 1


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
    view = _view(structure, component)
    best = _token_bound(structure, component, view, level, 0, 0)
    if s1_optimum is not None and "S1" not in level:
        lam = _lambda(structure, component, view, level)
        best = max(best, _token_bound(structure, component, view, level,
                                      lam, s1_optimum))
    return best


def _lambda(structure: Structure, component: Component, v: _View,
            level: dict[str, int]) -> int:
    """More than any one student can change the level by moving."""
    caps = structure.caps
    w = int(v.units.max())
    top = max(balance_increment(balance_coefficient(caps[c]) * w * w,
                                caps[c] + 1) for c in component.staff)
    return (2 * level.get("S2", 0) * top + level.get("S3", 0)
            + level.get("S4", 0) + 1)


@dataclass(frozen=True)
class _Tokens:
    """The students' side of the token network, shared by
    ``_token_bound`` and ``lagrange.network``: each student of weight w
    is ``w / unit`` tokens; costs are per token, times ``scale`` so that
    they stay integers."""

    active: np.ndarray  # per local group: weight > 0
    unit: int
    tokens: np.ndarray  # per local group; 0 for zero weight
    scale: int
    c1: int  # S1's level coefficient plus lam
    c2: int
    c3: int
    c4: int
    g_node: np.ndarray  # node of each active group
    n_groups: int
    n_staff: int
    sink: int
    group: np.ndarray  # per kept pair
    staff: np.ndarray
    tok: np.ndarray
    per: np.ndarray  # per-token share of a per-student cost
    base: np.ndarray
    prior: np.ndarray
    upper: np.ndarray
    has: np.ndarray  # pairs with prior-allowed students
    prior_total: int  # students with a prior among the active groups
    kept: np.ndarray  # view position of each kept pair


def _tokens(component: Component, v: _View, level: dict[str, int],
            lam: int, allowed: np.ndarray | None = None) -> _Tokens | None:
    """None when no group has weight (nothing to bound). ``allowed``
    (per pair of the view) leaves out pairs no plan of the level uses
    (``lagrange.best_practice_pairs``); S3's constant still counts their
    priors, which no such plan keeps."""
    active = v.units > 0
    if not active.any():
        return None
    unit = int(np.gcd.reduce(v.units[active]))
    tokens = v.units // unit  # per local group; 0 for zero weight
    scale = math.lcm(*{int(t) for t in tokens[active]})
    c1, c2, c3, c4 = (level.get(t, 0) for t in TERMS)
    c1 += lam
    # Nodes: active groups (in the part's order), then its staff, then
    # the sink.
    g_node = np.cumsum(active) - 1
    n_groups, n_staff = int(active.sum()), len(component.staff)
    sink = n_groups + n_staff
    keep = active[v.group]
    prior_total = int(v.prior[keep].sum())
    if allowed is not None:
        keep = keep & allowed
    group, staff = v.group[keep], v.staff[keep]
    tok = tokens[group]
    per = scale // tok  # per-token share of a per-student cost
    base = per * (c1 * v.s1[keep] + c4 * v.s4[keep])
    prior = v.prior[keep]
    upper = tok * v.size[group]
    return _Tokens(active, unit, tokens, scale, c1, c2, c3, c4, g_node,
                   n_groups, n_staff, sink, group, staff, tok, per, base,
                   prior, upper, prior > 0, prior_total,
                   np.flatnonzero(keep))


def _token_bound(structure: Structure, component: Component, v: _View,
                 level: dict[str, int], lam: int, s1_optimum: int) -> int:
    t = _tokens(component, v, level, lam)
    if t is None:
        return 0
    tails = [t.g_node[t.group][t.has], t.g_node[t.group]]
    heads = [t.n_groups + t.staff[t.has], t.n_groups + t.staff]
    capacity = [t.tok[t.has] * t.prior[t.has], t.upper]
    cost = [t.base[t.has] - t.per[t.has] * t.c3, t.base]
    # Each staff member's k-th token place costs the k-th increment of
    # a * load**2, up to what can reach them.
    caps = [structure.caps[c] for c in component.staff]
    reach = np.bincount(t.staff, weights=t.upper, minlength=t.n_staff)
    places = np.minimum(reach.astype(np.int64),
                        np.asarray(caps, dtype=np.int64) * int(t.tokens.max()))
    a = [balance_coefficient(cap) * t.unit * t.unit for cap in caps]
    # Costs are int64 arrays: refuse (no bound) rather than wrap around.
    top = max(t.scale * t.c2 * balance_increment(max(a), int(places.max())),
              t.scale * (abs(t.c1) + abs(t.c3) + abs(t.c4)))
    if top >= _INT64:
        return 0
    a = np.asarray(a, dtype=np.int64)
    k = np.arange(places.sum(), dtype=np.int64) - np.repeat(
        np.cumsum(places) - places, places) + 1
    tails.append(np.repeat(np.arange(t.n_staff, dtype=np.int64) + t.n_groups,
                           places))
    heads.append(np.full(len(k), t.sink, dtype=np.int64))
    capacity.append(np.ones(len(k), dtype=np.int64))
    cost.append(t.scale * t.c2 * balance_increment(np.repeat(a, places), k))
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        *(np.concatenate(x).astype(np.int64)
          for x in (tails, heads, capacity, cost)))
    supplies = np.zeros(t.sink + 1, dtype=np.int64)
    supplies[:t.n_groups] = (t.tokens * v.size)[t.active]
    supplies[t.sink] = -int(supplies.sum())
    flow.set_nodes_supplies(np.arange(t.sink + 1, dtype=np.int64), supplies)
    if flow.solve() != flow.OPTIMAL:
        return 0  # e.g. costs too large for the solver: no bound
    # Level >= flow cost / scale + c3 * allowed - lam * S1 optimum; the
    # level is an integer, so round up.
    return -(-flow.optimal_cost() // t.scale) + t.c3 * t.prior_total \
        - lam * s1_optimum
