"""A plan that sees the meeting calendar (S5), for parts too large for the
MIP: one min-cost flow that carries most of S5 exactly, then moves.

The plan flow (``flow.py``) cannot price S5: a case manager's meetings in
a month are a convex cost of the students of many groups, and a student's
meetings fall in different months. But most students have one meeting
(an annual review; a reevaluation for about a third), and a student's
*first* meeting can be routed: each pair arc ends at the case manager's
cell for that month, whose k-th unit costs the k-th increment of
``meetings**2`` (1, 3, 5, ...), and the cell's arcs lead on to the case
manager, whose places carry S2's increments as in ``flow.py``. So a
student's flow pays both convex terms on its way, exactly for the
first meeting; a second meeting is priced on its pair arc at the
marginal cost of the month it falls in, read off the plan given
(``2 * meetings + 1``). S1 comes first (its cost is scaled above the
whole range of the rest, so the flow's S1 is the optimum), caps are the
places, so the flow's plan keeps H1-H7. Weighted loads are priced as in
``flow.py`` (the places of the heaviest student): single-student moves
and swaps of two students between two case managers, which count every
term exactly (``moves.improve_by_moves``, ``swaps.improve_by_swaps``),
polish it.

Measured on the 5,000-student tight weighted district with dates
(``bench/dates.py``): the moves alone end 2.3% above the proven optimum,
this flow and the moves 0.76% above it, this flow and rounds of swaps
and moves 0.064% above it (0.1 s more). On the 70,000-student one the
rounds end 0.90% below the flow and the moves, in 3.5-5 s: most case
managers a student should go to are full, which a move cannot reach and
a swap can.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from ortools.graph.python import min_cost_flow

from optimizer.objectives import balance_coefficient, balance_increment
from optimizer.solver.calendar import calendar_view
from optimizer.solver.flow import _view
from optimizer.solver.moves import improve_by_moves
from optimizer.solver.structure import Component, Structure
from optimizer.solver.swaps import improve_by_swaps

_MAX_COST = 2**62
# Seconds per eligible pair of the calendar flow (over the pairs a plan
# with the least S1 may use), measured on the tight 70,000-student
# weighted district with dates: 2.4 s for its 845,000 pairs at load 1
# (over every pair, before: 5.0 s; 12.8 s at load 4.7).
SECONDS_PER_PAIR = 3e-6
# Seconds per eligible pair of the swaps and moves in rounds
# (``swaps.improve_by_swaps``) from the calendar flow's plan, measured on
# the same district: 3.5-5.1 s at load 1. (From a plan that ignores the
# dates they take 10.7 s there, for a worse plan.)
SWAP_SECONDS_PER_PAIR = 5e-6


def calendar_plan(structure: Structure, component: Component,
                  counts: dict[int, int], level: dict[str, int],
                  time_limit: float, allowed: np.ndarray | None = None,
                  swaps: bool = True, limit: bool = False
                  ) -> dict[int, int]:
    """A plan from the flow's plan ``counts`` (S1 optimal, S5 unseen):
    the calendar flow's plan polished by single-student moves, or, for a
    part too large for the MIP (``swaps``), by rounds of swaps and moves
    (``swaps.improve_by_swaps``). The flow, and then the swaps, are left
    out when the time limit does not cover their expected time (a
    setting, not the clock: the same settings give the same plan); the
    flow also without S5 in ``level``, the swaps without the flow. A part
    the MIP solves takes no swaps: from their better start HiGHS took
    30-31 s, not 24-27 s, to prove the 5,000-student district.
    ``allowed`` (per pair of the part's view): the pairs a plan with the
    least S1 may use (``lagrange.best_practice_pairs``). ``limit``: the
    plan is then taken within the monthly limit (H8) by rounds of swaps
    and moves that price each meeting beyond it above all else, whatever
    the time limit (``swaps.improve_by_swaps``; the caller checks it got
    there)."""
    pairs = len(component.pairs)
    found = None
    if pairs * SECONDS_PER_PAIR <= time_limit:
        found = calendar_flow(structure, component, level, counts,
                              allowed)
    # The swaps' better plan also starts the bound better (its steps
    # start from the plan's marginal costs): on the 70,000-student
    # district at 10 s, 1.64% after one step of the bound, against 4.75%
    # after the moves' three or four.
    if limit or (found is not None and swaps and pairs * (
            SECONDS_PER_PAIR + SWAP_SECONDS_PER_PAIR) <= time_limit):
        return improve_by_swaps(structure, component,
                                counts if found is None else found, level,
                                allowed=allowed, moves=True, limit=limit)
    return improve_by_moves(structure, component,
                            counts if found is None else found, level,
                            allowed=allowed)


def calendar_flow(structure: Structure, component: Component,
                  level: dict[str, int], counts: dict[int, int],
                  allowed: np.ndarray | None = None
                  ) -> dict[int, int] | None:
    """The flow's plan (students per pair, every pair of the part it may
    use), or None without S5 in ``level`` or when the costs do not fit 64
    bits. ``counts`` (a plan) prices each student's second meeting.
    ``allowed`` (per pair of the part's view): the pairs a plan with the
    least S1 may use; the flow keeps to them (its plan has the least S1,
    so it uses no other: the same optimum, on the 70,000-student dated
    district from 1.2 million arcs to 0.6 million)."""
    cal = calendar_view(structure, component)
    c5 = level.get("S5", 0)
    if cal is None or c5 <= 0 or "S1" in level:
        return None
    c2, c3, c4 = (level.get(t, 0) for t in ("S2", "S3", "S4"))
    v = _view(structure, component)
    if allowed is not None:
        v = replace(v, **{name: getattr(v, name)[allowed] for name in (
            "pairs", "group", "staff", "s1", "s4", "prior")})
    caps = np.array([structure.caps[c] for c in component.staff],
                    dtype=np.int64)
    n_groups, n_staff = len(v.size), len(caps)
    periods = cal.meet.shape[1]
    n = np.array([counts.get(int(p), 0) for p in v.pairs], dtype=np.int64)
    held = np.zeros((n_staff, periods), dtype=np.int64)
    np.add.at(held, v.staff, n[:, None] * cal.meet[v.group])
    # A student's first meeting goes through a cell; the rest are priced.
    has = cal.meet.sum(axis=1) > 0
    first = np.argmax(cal.meet > 0, axis=1)
    extra = cal.meet.copy()
    extra[np.flatnonzero(has), first[has]] -= 1
    upper = np.minimum(v.size[v.group], caps[v.staff])
    price = c5 * (extra[v.group] * (2 * held[v.staff] + 1)).sum(axis=1)
    # Cells: (staff, first month) of the pairs of groups with meetings.
    dated = has[v.group]
    cell_key = v.staff * periods + first[v.group]
    keys, cell_of = np.unique(cell_key[dated], return_inverse=True)
    n_cells = len(keys)
    cell_staff = keys // periods
    cell_reach = np.bincount(cell_of, weights=upper[dated],
                             minlength=n_cells).astype(np.int64)
    cell_places = np.minimum(cell_reach, caps[cell_staff])
    # Nodes: groups, cells, staff, sink.
    cell0, staff0 = n_groups, n_groups + n_cells
    sink = staff0 + n_staff
    head = staff0 + v.staff
    head[dated] = cell0 + cell_of
    # Pair arcs: a continuity arc (students whose prior this is) before
    # the ordinary one, as in flow.py.
    pairs = len(v.pairs)
    with_prior = v.prior > 0
    local = np.concatenate([np.flatnonzero(with_prior), np.arange(pairs)])
    kept = np.concatenate([np.full(int(with_prior.sum()), -1), np.zeros(
        pairs, dtype=np.int64)])
    p_cap = np.concatenate([np.minimum(v.prior, upper)[with_prior], upper])
    # Staff places: S2's increments, the heaviest student's load each.
    w = int(v.units.max())
    reach = np.bincount(v.staff, weights=v.size[v.group],
                        minlength=n_staff).astype(np.int64)
    places = np.minimum(caps, reach)
    bal = np.array([balance_coefficient(int(c)) * w * w if c > 0 else 0
                    for c in caps], dtype=np.int64)
    s_of = np.repeat(np.arange(n_staff), places)
    s_k = np.arange(len(s_of)) - np.repeat(np.cumsum(places) - places,
                                           places) + 1
    c_of = np.repeat(np.arange(n_cells), cell_places)
    c_k = np.arange(len(c_of)) - np.repeat(
        np.cumsum(cell_places) - cell_places, cell_places) + 1
    second = (c3 * kept + c4 * v.s4[local] + price[local])
    place_cost = c2 * balance_increment(bal[s_of], s_k)
    cell_cost = c5 * (2 * c_k - 1)
    # S1 above everything else the flow can change: each student's pair
    # arc between the cheapest and the dearest (a kept prior is below
    # zero, a language miss and a second meeting above it: the spread,
    # not the largest size), and any choice of the unit place and cell
    # arcs.
    spread = int(second.max(initial=0)) - int(second.min(initial=0))
    span = (spread * int(v.size.sum()) + int(np.abs(place_cost).sum())
            + int(np.abs(cell_cost).sum()) + 1)
    # The largest cost in Python's integers, before numpy's int64 forms
    # (and would silently wrap) the scaled ones.
    top = max(int(v.s1.max(initial=0)) * span
              + int(np.abs(second).max(initial=0)),
              int(np.abs(place_cost).max(initial=0)),
              int(np.abs(cell_cost).max(initial=0)))
    if top * (sink + 2) >= _MAX_COST:
        return None
    s1_cost = v.s1[local] * span
    flow = min_cost_flow.SimpleMinCostFlow()
    ids = flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([v.group[local], cell0 + c_of, staff0 + s_of]),
        np.concatenate([head[local], staff0 + cell_staff[c_of],
                        np.full(len(s_of), sink)]),
        np.concatenate([p_cap, np.ones(len(c_of) + len(s_of),
                                       dtype=np.int64)]),
        np.concatenate([s1_cost + second, cell_cost, place_cost]))
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_groups] = v.size
    supplies[sink] = -int(v.size.sum())
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    if flow.solve() != flow.OPTIMAL:
        return None
    got = np.bincount(local, weights=flow.flows(ids[:len(local)]),
                      minlength=pairs).astype(np.int64)
    return dict(zip(v.pairs.tolist(), got.tolist()))
