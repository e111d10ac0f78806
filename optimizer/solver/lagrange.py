"""A lower bound that sees the caps: Lagrangian multipliers on H6.

The weight-token bound (``bound.py``) relaxes the caps: harmless where
they are slack, far too pessimistic where they bind (on a tightly staffed
70,000-student district it reported a 9.9% gap on a plan within 0.05% of
the optimum, issue 24). Here each case manager's cap (counted in
students, H6) gets a multiplier ``mu_c >= 0``: the level plus
``sum_c mu_c * (students_c - cap_c)`` is at most the level on every plan
that respects the caps, so the minimum of that penalised level over the
token flow (every plan is such a flow, see ``bound.py``) is a valid lower
bound for *any* ``mu >= 0``. A student costs ``mu_c`` more at ``c``; per
token that is ``mu_c / tokens``, made integral by the flow's common scale.

The multipliers are improved by subgradient steps (Polyak's step towards
the best plan's value): each step is one min-cost flow with penalised
costs, and the best bound of all steps is returned, so more time only
raises it. Every step's bound is valid whatever the step size, which
only decides how fast it climbs.

Each case manager's token places are also limited to the cap times the
most tokens of any student they may take (every plan respects that), not
the most tokens of the whole part.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from optimizer.objectives import (
    TERMS,
    balance_coefficient,
    balance_increment,
)
from optimizer.solver.bound import _lambda, _tokens
from optimizer.solver.flow import _View, _view
from optimizer.solver.structure import Component, Structure

_INT64 = 2**62  # OR-Tools scales costs inside: keep well under int64


@dataclass
class _Network:
    """The token flow of one level, built once; costs change per step."""

    tails: np.ndarray
    heads: np.ndarray
    capacity: np.ndarray
    cost: np.ndarray  # without multipliers
    supplies: np.ndarray
    pair_arcs: int  # the first arcs go from groups to staff
    arc_staff: np.ndarray  # local staff of each pair arc
    arc_per: np.ndarray  # scale / tokens of each pair arc's group
    scale: int
    caps: np.ndarray  # per local staff
    constant: int  # added to flow cost / scale
    headroom: int  # largest multiplier that keeps costs in int64
    arc_pair: np.ndarray  # view position of each pair arc


def network(structure: Structure, component: Component, v: _View,
            level: dict[str, int], lam: int, s1_optimum: int,
            allowed: np.ndarray | None = None) -> _Network | None:
    """The token network (as in ``bound._token_bound``, with per-staff
    token places), of the ``allowed`` pairs only if given (see
    ``bound._tokens``); None when there is nothing to bound or the costs
    cannot fit in 64 bits."""
    t = _tokens(component, v, level, lam, allowed)
    if t is None:
        return None
    caps = np.array([structure.caps[c] for c in component.staff],
                    dtype=np.int64)
    # Tokens a staff member can hold: what reaches them, and at most the
    # cap times the heaviest student they may take.
    heaviest = np.zeros(t.n_staff, dtype=np.int64)
    np.maximum.at(heaviest, t.staff, t.tok)
    reach = np.bincount(t.staff, weights=t.upper, minlength=t.n_staff)
    places = np.minimum(reach.astype(np.int64), caps * heaviest)
    a = np.array([balance_coefficient(int(c)) * t.unit * t.unit if c > 0
                  else 0 for c in caps], dtype=np.int64)
    top = max(t.scale * t.c2 * int(a.max(initial=0))
              * (2 * int(places.max(initial=0)) + 1),
              t.scale * (abs(t.c1) + abs(t.c3) + abs(t.c4)))
    if top * (t.sink + 2) >= _INT64:
        return None
    k = np.arange(places.sum(), dtype=np.int64) - np.repeat(
        np.cumsum(places) - places, places) + 1
    arc_pair = np.concatenate([t.kept[t.has], t.kept])
    arc_staff = np.concatenate([t.staff[t.has], t.staff])
    arc_per = np.concatenate([t.per[t.has], t.per])
    tails = np.concatenate([t.g_node[t.group][t.has], t.g_node[t.group],
                            np.repeat(np.arange(t.n_staff, dtype=np.int64)
                                      + t.n_groups, places)])
    heads = np.concatenate([t.n_groups + t.staff[t.has], t.n_groups + t.staff,
                            np.full(len(k), t.sink, dtype=np.int64)])
    capacity = np.concatenate([t.tok[t.has] * t.prior[t.has], t.upper,
                               np.ones(len(k), dtype=np.int64)])
    cost = np.concatenate([t.base[t.has] - t.per[t.has] * t.c3, t.base,
                           t.scale * t.c2 * balance_increment(
                               np.repeat(a, places), k)])
    supplies = np.zeros(t.sink + 1, dtype=np.int64)
    supplies[:t.n_groups] = (t.tokens * v.size)[t.active]
    supplies[t.sink] = -int(supplies.sum())
    headroom = (_INT64 // (t.sink + 2) - top) // max(1, t.scale)
    return _Network(tails.astype(np.int64), heads.astype(np.int64),
                    capacity.astype(np.int64), cost.astype(np.int64),
                    supplies, len(arc_staff), arc_staff, arc_per, t.scale,
                    caps, t.c3 * t.prior_total - lam * s1_optimum,
                    max(0, headroom), arc_pair)


def evaluate(net: _Network, mu: np.ndarray
             ) -> tuple[int, np.ndarray] | None:
    """The bound for multipliers ``mu`` (integers >= 0, per local staff)
    and the students each staff member gets in the relaxation (a
    fraction where a student's tokens are split); None if the solver
    does not finish (no bound)."""
    cost = net.cost.copy()
    cost[:net.pair_arcs] += net.arc_per * mu[net.arc_staff]
    flow = min_cost_flow.SimpleMinCostFlow()
    ids = flow.add_arcs_with_capacity_and_unit_cost(
        net.tails, net.heads, net.capacity, cost)
    flow.set_nodes_supplies(np.arange(len(net.supplies), dtype=np.int64),
                            net.supplies)
    if flow.solve() != flow.OPTIMAL:
        return None
    # Penalised level >= flow cost / scale + constant - sum mu * cap; an
    # integer level, so round up.
    bound = (-(-flow.optimal_cost() // net.scale) + net.constant
             - sum(int(m) * int(c) for m, c in zip(mu, net.caps) if m))
    used = flow.flows(ids[:net.pair_arcs])
    students = np.bincount(net.arc_staff, weights=used * net.arc_per,
                           minlength=len(net.caps)) / net.scale
    return bound, students


def cap_bound(structure: Structure, component: Component,
              level: dict[str, int], s1_optimum: int | None,
              counts: dict[int, int], upper: int, deadline: float,
              steps: int = 10_000, min_steps: int = 1,
              allowed: np.ndarray | None = None, stall: int = 0
              ) -> int | None:
    """The best Lagrangian bound of ``level`` found by subgradient steps
    (``cap_search``'s bound)."""
    return cap_search(structure, component, level, s1_optimum, counts,
                      upper, deadline, steps, min_steps, allowed,
                      stall=stall).bound


@dataclass
class Search:
    """The best bound of the subgradient steps and what it came from."""

    bound: int | None  # None: no bound (costs beyond 64 bits)
    net: _Network | None = None
    mu: np.ndarray | None = None  # the best bound's multipliers (ints)
    flows: int = 0  # min-cost flows solved
    # Where the steps stand, for ``cap_search(resume=...)``: the last
    # flow's multipliers, bound and students per staff member, the
    # step's length, Polyak's target and the steps since the best.
    steps_at: tuple | None = None
    best_students: np.ndarray | None = None  # the best flow's, per staff


def held_s1(structure: Structure, component: Component,
            level: dict[str, int], s1_optimum: int | None,
            allowed: np.ndarray | None
            ) -> tuple[_View, int, int, np.ndarray | None]:
    """The part's view, S1's Lagrangian multiplier, the S1 optimum held
    and the pairs allowed: with S1 solved first (``s1_optimum``, and
    ``level`` without S1) the level is relaxed with S1 at its optimum;
    otherwise nothing is held (0, 0) and every pair may serve."""
    v = _view(structure, component)
    if s1_optimum is not None and "S1" not in level:
        return v, _lambda(structure, component, v, level), s1_optimum, \
            allowed
    return v, 0, 0, None


def cap_search(structure: Structure, component: Component,
               level: dict[str, int], s1_optimum: int | None,
               counts: dict[int, int], upper: int, deadline: float,
               steps: int = 10_000, min_steps: int = 1,
               allowed: np.ndarray | None = None,
               trace: list | None = None, stall: int = 0,
               resume: Search | None = None, patience: float = 0.0
               ) -> Search:
    """The best Lagrangian bound of ``level`` found by subgradient steps.

    ``counts`` is the best plan (students per pair) and ``upper`` its
    value: the multipliers start from what that plan says the caps are
    worth (``plan_multipliers``), and Polyak's step aims at ``upper``.
    Steps go on until the bound reaches ``upper`` (nothing is left to
    prove), ``steps`` flows were solved, or the next step would end after
    ``deadline`` (monotonic clock; the first ``min_steps`` are always
    solved). ``allowed`` (per pair of the part's view, with S1 solved
    first): the pairs a plan with the least S1 may use
    (``best_practice_pairs``); the others are left out of the flows.
    ``trace`` (for benchmarks) gets the best bound after each flow.
    ``stall``: also stop once the best bound has risen by less than a
    tenth of its distance to ``upper`` over that many flows (it has
    levelled off). ``resume``: an earlier search (same part and level)
    to go on with as if it had never stopped: its network, its last
    flow (not solved again), step length and target (lowered to
    ``upper`` if the plan is better now), and its best bound.
    ``patience``: seconds in which ``stall`` stops the steps only if the
    bound is flat (risen by under a hundredth of its distance to
    ``upper``).
    """
    began_at = time.monotonic()
    theta = 1.0
    aim = upper  # Polyak's target: halved toward the best bound at resets
    since = 0
    replay = None  # the last flow of the search resumed, not solved again
    best, best_mu, best_students = None, None, None
    if resume is not None and resume.net is not None \
            and resume.steps_at is not None:
        net = resume.net
        mu, bound, students, theta, aim, since = resume.steps_at
        aim = min(aim, upper)
        replay = (bound, students)
        best, best_mu = resume.bound, resume.mu.astype(np.float64)
        best_students = resume.best_students
    else:
        resume = None
        v, lam, s1_optimum, allowed = held_s1(structure, component, level,
                                              s1_optimum, allowed)
        net = network(structure, component, v, level, lam, s1_optimum,
                      allowed)
        if net is None:
            return Search(None)
        n = np.array([counts.get(int(p), 0) for p in v.pairs],
                     dtype=np.int64)
        mu = np.minimum(plan_multipliers(structure, component, v, level,
                                         lam, n, allowed=allowed),
                        net.headroom).astype(np.float64)
        best_mu = mu
    flows = 0
    history: list[int] = [] if best is None else [best]
    last = None
    for step in range(steps):
        if replay is not None:  # counted when the earlier search solved it
            (bound, students), replay = replay, None
        else:
            began = time.monotonic()
            got = evaluate(net, np.rint(mu).astype(np.int64))
            flows += 1
            if got is None:
                break
            bound, students = got
            last = (mu, bound, students)
            if best is None or bound > best:
                best, best_mu, best_students, since = bound, mu, students, 0
            else:
                since += 1
                if since >= 2:
                    theta, since = theta / 2, 0
            if trace is not None:
                trace.append(best)
            history.append(best)
            now = time.monotonic()
            if best >= upper or (step + 1 >= min_steps
                                 and now + (now - began) > deadline):
                break
            if stall and len(history) > stall and (
                    best - history[-1 - stall] < (
                        0.1 if now - began_at >= patience else 0.01)
                    * (upper - best)):
                break
        if theta < 0.01:  # steps too short to matter: from the best
            # again, aiming lower: a target above the dual's optimum
            # (the plan's value always is) overshoots, and the same
            # steps from the same multipliers would only repeat
            mu, bound, students, theta = best_mu, best, best_students, 0.25
            aim = best + max((aim - best) // 2, 1)
        g = students - net.caps
        g[(mu <= 0) & (g < 0)] = 0  # a multiplier stays at zero
        norm = float(g @ g)
        if norm < 1e-9:
            break  # the relaxation keeps every cap: no better multipliers
        mu = np.clip(mu + theta * max(aim - bound, 1) / norm * g, 0,
                     net.headroom)
    if best is None:
        return Search(None, flows=flows)
    steps_at = None
    if last is not None:
        steps_at = (*last, theta, aim, since)
    elif resume is not None:  # no flow solved: where it stood
        steps_at = resume.steps_at
    return Search(best, net, np.rint(best_mu).astype(np.int64), flows,
                  steps_at=steps_at, best_students=best_students)


# Rounds of Bellman-Ford for the flow's node potentials (reduced-cost
# fixing): beyond them no pair is fixed, which is always safe.
_MAX_ROUNDS = 2_000


def pair_limits(search: Search, n_pairs: int, upper: int
                ) -> np.ndarray | None:
    """Reduced-cost fixing: the most students each pair (position in the
    part's view) can take in a plan whose level is at most ``upper``.

    For multipliers ``mu`` the penalised level of a plan is at least the
    cost of its token flow ``x`` (over ``scale``, plus the constant),
    and for any node potentials ``pi`` and the optimal flow ``x*``,
    ``cost(x) = cost(x*) + sum_a rc_a (x_a - x*_a)`` with reduced costs
    ``rc_a = cost_a + pi_tail - pi_head`` (flow conservation: the
    potentials' terms add up to a constant). With ``pi`` the shortest
    distances of ``x*``'s residual network (no negative cycle: ``x*`` is
    optimal), ``rc_a >= 0`` on every arc ``x*`` leaves empty and
    ``rc_a <= 0`` on every arc it fills, so every term is >= 0 and a
    plan with ``k`` students (``k * tok`` tokens) on a pair whose arcs
    ``x*`` leaves empty has a level of at least
    ``(cost(x*) + k * tok * rc) / scale + constant``. The pair may keep
    only the ``k`` for which that is at most ``upper``: no plan at most
    ``upper`` (none of the optimal ones when ``upper`` is a plan's
    value) is removed. None when nothing can be said (no bound, or the
    potentials did not settle).
    """
    got = reduced_costs(search, n_pairs, upper)
    if got is None:
        return None
    least, slack = got
    limits = np.full(n_pairs, np.iinfo(np.int64).max, dtype=np.int64)
    fix = least > 0
    limits[fix] = slack // least[fix]
    return limits


def reduced_costs(search: Search, n_pairs: int, upper: int
                  ) -> tuple[np.ndarray, int] | None:
    """Per pair, what one more student on it adds at least to the
    penalised level times ``scale`` (0 for pairs the relaxation uses;
    at most ``slack + 1``), and ``slack``: ``upper``'s distance from the
    bound, times ``scale`` (see ``pair_limits``)."""
    net, mu = search.net, search.mu
    if net is None or mu is None:
        return None
    cost = net.cost.copy()
    cost[:net.pair_arcs] += net.arc_per * mu[net.arc_staff]
    flow = min_cost_flow.SimpleMinCostFlow()
    ids = flow.add_arcs_with_capacity_and_unit_cost(
        net.tails, net.heads, net.capacity, cost)
    flow.set_nodes_supplies(np.arange(len(net.supplies), dtype=np.int64),
                            net.supplies)
    if flow.solve() != flow.OPTIMAL:
        return None
    used = flow.flows(ids)
    constant = net.constant - sum(int(m) * int(c)
                                  for m, c in zip(mu, net.caps) if m)
    # The level of a plan kept must satisfy
    # cost(x*) + k * tok * rc <= (upper - constant) * scale.
    slack = (upper - constant) * net.scale - int(flow.optimal_cost())
    if slack < 0 or slack > 2**58:
        return None
    pi = _potentials(len(net.supplies), net.tails, net.heads, cost,
                     net.capacity, used)
    if pi is None:
        return None
    p = slice(0, net.pair_arcs)
    rc = cost[p] + pi[net.tails[p]] - pi[net.heads[p]]
    tok = net.scale // net.arc_per
    # A pair whose arcs carry flow: 0; otherwise its cheapest arc's
    # reduced cost (>= 0) per token, times its tokens. Pairs outside the
    # network (students of no weight): 0.
    least = np.full(n_pairs, slack + 1, dtype=np.int64)
    least[np.setdiff1d(np.arange(n_pairs), net.arc_pair)] = 0
    np.minimum.at(least, net.arc_pair, np.minimum(rc, slack + 1) * tok)
    least[net.arc_pair[used[p] > 0]] = 0
    return least, slack


def _potentials(n_nodes: int, tails: np.ndarray, heads: np.ndarray,
                cost: np.ndarray, capacity: np.ndarray, used: np.ndarray
                ) -> np.ndarray | None:
    """Shortest distances in the residual network of an optimal flow
    from a root joined to every node at no cost (Bellman-Ford, all arcs
    at once per round); None if they have not settled in
    ``_MAX_ROUNDS`` rounds."""
    fwd, bwd = used < capacity, used > 0
    tail = np.concatenate([tails[fwd], heads[bwd]])
    head = np.concatenate([heads[fwd], tails[bwd]])
    arc = np.concatenate([cost[fwd], -cost[bwd]])
    order = np.argsort(head, kind="stable")
    tail, head, arc = tail[order], head[order], arc[order]
    nodes, starts = np.unique(head, return_index=True)
    d = np.zeros(n_nodes, dtype=np.int64)
    for _ in range(_MAX_ROUNDS):
        best = np.minimum.reduceat(d[tail] + arc, starts)
        better = best < d[nodes]
        if not better.any():
            return d
        d[nodes[better]] = best[better]
    return None


def plan_multipliers(structure: Structure, component: Component, v: _View,
                     level: dict[str, int], lam: int, counts: np.ndarray,
                     *, allowed: np.ndarray | None = None,
                     extra: np.ndarray | None = None) -> np.ndarray:
    """Multipliers read off a plan (students per pair of the view): for
    a case manager at cap, what moving one more student to them would
    save, the most over every student who may go there (0 for those
    with room). Near a good plan these are near the caps' shadow prices
    (measured: the first flow's gap falls from 9.9% to 1.0% on the
    tight 70,000-student roster, 9.3% to 0.8% on the 5,000), so the
    subgradient starts close to the best multipliers; any values >= 0
    give a valid bound, so this only speeds it up."""
    c1, c2, c3, c4 = (level.get(t, 0) for t in TERMS)
    c1 += lam
    n_staff = len(component.staff)
    caps = np.array([structure.caps[c] for c in component.staff],
                    dtype=np.int64)
    w = v.units[v.group]
    load = np.bincount(v.staff, weights=counts * w,
                       minlength=n_staff).astype(np.int64)
    students = np.bincount(v.staff, weights=counts,
                           minlength=n_staff).astype(np.int64)
    full = students >= caps
    a = np.array([c2 * balance_coefficient(int(c)) if c > 0 else 0
                  for c in caps], dtype=np.int64)
    other = c1 * v.s1 + c4 * v.s4
    if extra is not None:  # one more cost per student and pair (S5)
        other = other + extra
    # One student of the pair's group leaving it, or joining it.
    ld = load[v.staff]
    leave = a[v.staff] * (2 * ld * w - w * w) + other + c3 * (
        counts <= v.prior)
    join = a[v.staff] * (2 * ld * w + w * w) + other - c3 * (
        counts < v.prior)
    # Every (used pair, pair of the same group to a full case manager).
    order = np.argsort(v.group, kind="stable")
    start = np.searchsorted(v.group[order], np.arange(len(v.size)))
    length = np.diff(np.append(start, len(order)))
    used = np.flatnonzero(counts > 0)
    reps = length[v.group[used]]
    src = np.repeat(used, reps)
    offset = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps,
                                                    reps)
    dst = order[np.repeat(start[v.group[used]], reps) + offset]
    keep = (v.staff[src] != v.staff[dst]) & full[v.staff[dst]]
    if allowed is not None:
        keep &= allowed[dst]
    src, dst = src[keep], dst[keep]
    gain = (leave[src] - join[dst]).astype(np.float64)
    mu = np.zeros(n_staff, dtype=np.float64)
    np.maximum.at(mu, v.staff[dst], gain)
    return np.rint(mu).astype(np.int64)


def best_practice_pairs(structure: Structure, component: Component,
                        counts: dict[int, int]) -> np.ndarray | None:
    """Which pairs (positions in the part's view) some plan with the
    least S1 may use, read off ``counts``, a plan with the least S1.

    S1 is a min-cost flow of its own (groups to staff at each pair's S1,
    staff to the sink within the caps), and ``counts`` an optimal flow
    of it. With node potentials from its residual network (as in
    ``pair_limits``), ``S1(x) = S1(x*) + sum_a rc_a (x_a - x*_a)`` with
    every term >= 0, so a plan with the same S1 uses no pair whose
    reduced cost is positive (and that ``counts`` leaves empty). Those
    pairs are False; None if the potentials did not settle."""
    v = _view(structure, component)
    n_groups, n_staff = len(v.size), len(component.staff)
    caps = np.array([structure.caps[c] for c in component.staff],
                    dtype=np.int64)
    n = np.array([counts.get(int(p), 0) for p in v.pairs], dtype=np.int64)
    upper = np.minimum(v.size[v.group], caps[v.staff])
    sink = n_groups + n_staff
    tails = np.concatenate([v.group, n_groups + np.arange(n_staff)])
    heads = np.concatenate([n_groups + v.staff, np.full(n_staff, sink)])
    cost = np.concatenate([v.s1, np.zeros(n_staff, dtype=np.int64)])
    capacity = np.concatenate([upper, caps])
    used = np.concatenate([n, np.bincount(v.staff, weights=n,
                                          minlength=n_staff)
                           .astype(np.int64)])
    pi = _potentials(sink + 1, tails, heads, cost, capacity, used)
    if pi is None:
        return None
    rc = v.s1 + pi[v.group] - pi[n_groups + v.staff]
    return (rc <= 0) | (n > 0)
