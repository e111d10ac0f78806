"""A lower bound that sees the meeting calendar (S5) and the caps.

S5 is the sum over case managers and periods of ``meetings**2``, where a
case manager's meetings in a period are ``m[c, t] = sum_p meet[g(p), t] *
x_p`` over their pairs. It is no cost of one arc (a student's meetings
fall in different periods), so the token bound (``bound.py``,
``lagrange.py``) leaves it out; bounding it apart by equal shares of each
period's meetings ignores who may hold which meeting and best practice,
and on a tightly staffed 70,000-student district the two together were
19% below the plan (issue 23).

Here the definition of ``m`` is relaxed with a multiplier ``pi[c, t]``
per case manager and period (Lagrangian relaxation): for any ``pi``,

    level(x) = rest(x) + c5 * sum m**2
             = [rest(x) + sum_ct pi[c, t] * m[c, t](x)]
               + sum_ct (c5 * m**2 - pi[c, t] * m)     at m = m(x)
             >= min over token flows of the first bracket
               + sum_ct min over integers 0 <= m <= top of the second,

where ``rest`` is the level without S5. The first minimum is the
Lagrangian token flow of ``lagrange.py`` (multipliers ``mu`` on the caps,
``lam`` on best practice) with one more cost per student on each pair:
``sum_t meet[g, t] * pi[c, t]``, what the pair's meetings cost at the
prices ``pi``; the second is a parabola per cell, solved in closed form.
Every ``pi`` and ``mu >= 0`` gives a valid bound; at the marginal costs
of a good plan (``pi = c5 * 2 * m``) the flow sees S5 as that plan
prices it, and subgradient steps on ``(mu, pi)`` raise the bound towards
the optimum. The best bound of all steps is returned, so more time only
raises it. Tested never above a proven optimum (tests/test_calbound.py).
"""

from __future__ import annotations

import time

import numpy as np
from ortools.graph.python import min_cost_flow

from optimizer.solver import lagrange
from optimizer.solver.bound import _tokens
from optimizer.solver.calendar import CalendarView, calendar_view
from optimizer.solver.flow import _view
from optimizer.solver.structure import Component, Structure

_INT64 = 2**62


def cell_minimum(c5: int, pi: np.ndarray, top: np.ndarray
                 ) -> tuple[int, np.ndarray]:
    """``sum min_m (c5 * m**2 - pi * m)`` over integers ``0 <= m <= top``
    per cell, and the minimising ``m`` (integer arrays, ``c5 > 0``)."""
    lo = np.clip(pi // (2 * c5), 0, top)
    hi = np.clip(lo + 1, 0, top)
    f_lo = c5 * lo * lo - pi * lo
    f_hi = c5 * hi * hi - pi * hi
    m = np.where(f_hi < f_lo, hi, lo)
    return int(np.minimum(f_lo, f_hi).sum()), m


def _cells_top(cal: CalendarView, v, caps: np.ndarray) -> np.ndarray:
    """Most meetings each staff member may hold in each period (every
    eligible student's, at most the cap times the most of one)."""
    upper = np.minimum(v.size[v.group], caps[v.staff])
    reach = np.zeros((len(caps), cal.meet.shape[1]), dtype=np.int64)
    np.add.at(reach, v.staff, upper[:, None] * cal.meet[v.group])
    most = np.zeros_like(reach)
    np.maximum.at(most, v.staff, cal.meet[v.group])
    return np.minimum(reach, caps[:, None] * most)


class Relaxation:
    """The Lagrangian relaxation of one level with S5 on one part: the
    token flow (built once) and the cells; ``evaluate`` gives the bound
    at any multipliers."""

    def __init__(self, structure: Structure, component: Component,
                 level: dict[str, int], s1_optimum: int | None,
                 allowed: np.ndarray | None = None):
        """``allowed`` (per pair of the part's view, with S1 held at
        ``s1_optimum``): the pairs a plan with the least S1 may use
        (``lagrange.best_practice_pairs``); the flow leaves the others
        out, as the caps' bound does (no plan the level considers uses
        them, so the bound stays valid and each step is cheaper)."""
        cal = calendar_view(structure, component)
        self.c5 = level.get("S5", 0)
        self.net = None
        if cal is None or self.c5 <= 0:
            return
        rest = {t: c for t, c in level.items() if t != "S5"}
        v, lam, s1_optimum, allowed = lagrange.held_s1(
            structure, component, rest, s1_optimum, allowed)
        t = _tokens(component, v, rest, lam)
        net = lagrange.network(structure, component, v, rest, lam,
                               s1_optimum, allowed)
        if net is None or t is None:
            return
        self.net, self.cal, self.v, self.rest, self.lam = (net, cal, v, rest,
                                                            lam)
        self.allowed = allowed
        self.periods = cal.meet.shape[1]
        self.top = _cells_top(cal, v, net.caps)
        # The pair (of the view) each pair arc carries: continuity arcs
        # of the kept pairs with priors, then every kept pair (as
        # lagrange.network lays them out).
        self.arc_pair = net.arc_pair  # (of the allowed pairs, if given)
        self.arc_meet = cal.meet[v.group[self.arc_pair]]  # per student
        # Zero-weight groups are no tokens: their meetings are placed at
        # the cheapest of their pairs (caps relaxed for them too).
        self.idle = np.flatnonzero(~t.active[v.group])
        # Multipliers stay where every product fits 64 bits (numpy and
        # OR-Tools wrap around silently: a wrapped bound can exceed the
        # optimum). Each pair arc adds ``arc_per * (mu + price)``, at
        # most ``scale * (room + most * pi_room) <= 2 * scale * room``;
        # an arc's cost must stay within OR-Tools' range (times nodes +
        # 1) and the flow's total (each unit crosses a pair arc and a
        # place arc: at most twice the supply times the largest cost).
        # A cell adds ``c5 * m**2 - pi * m`` (m at most its top), the
        # zero-weight groups their students' meetings at ``pi``.
        supply = int(net.supplies[net.supplies > 0].sum())
        per_arc = _INT64 // max(len(net.supplies) + 1, 2 * supply)
        base = int(np.abs(net.cost).max(initial=0))
        self.room = max(0, (per_arc - base) // max(1, net.scale) // 2)
        most = max(1, int(cal.meet.sum(axis=1).max(initial=1)))
        top = max(1, int(self.top.max(initial=0)))
        cells = (_INT64 // max(1, self.top.size) - self.c5 * top * top) // top
        idle = _INT64 // (most * max(1, int(v.size.sum())))
        self.pi_room = max(0, min(self.room // most, cells, idle))

    def start(self, structure: Structure, component: Component,
              counts: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Multipliers read off a plan: each cell's marginal cost
        ``c5 * 2 * meetings``, and the caps' worth as that plan prices
        them, meetings included (without, a case manager's empty month
        looks free)."""
        v, cal = self.v, self.cal
        n = np.array([counts.get(int(p), 0) for p in v.pairs],
                     dtype=np.int64)
        held = np.zeros((len(component.staff), self.periods),
                        dtype=np.int64)
        np.add.at(held, v.staff, n[:, None] * cal.meet[v.group])
        pi = np.clip(2 * self.c5 * held, 0, self.pi_room)
        prices = (cal.meet[v.group] * pi[v.staff]).sum(axis=1)
        mu = np.minimum(lagrange.plan_multipliers(
            structure, component, v, self.rest, self.lam, n,
            allowed=self.allowed, extra=prices),
            self.room)
        return mu.astype(np.float64), pi.astype(np.float64)

    def evaluate(self, mu: np.ndarray, pi: np.ndarray):
        """The bound at ``mu >= 0`` (per local staff) and ``pi`` (per
        local staff and period), integers; with the relaxation's students
        per staff member, its meetings per cell and the cells'
        minimisers (the subgradient). None if the flow does not finish
        or a multiplier is beyond ``room`` (``mu``) or ``pi_room``
        (``|pi|``), where the products would not fit 64 bits."""
        net, v, cal = self.net, self.v, self.cal
        if (int(mu.max(initial=0)) > self.room
                or int(np.abs(pi).max(initial=0)) > self.pi_room):
            return None
        arc_staff = net.arc_staff
        # What one student on each pair arc pays for its meetings.
        price = (self.arc_meet * pi[arc_staff]).sum(axis=1)
        cost = net.cost.copy()
        cost[:net.pair_arcs] += net.arc_per * (mu[arc_staff] + price)
        if np.abs(cost).max(initial=0) * (len(net.supplies) + 1) >= _INT64:
            return None
        flow = min_cost_flow.SimpleMinCostFlow()
        ids = flow.add_arcs_with_capacity_and_unit_cost(
            net.tails, net.heads, net.capacity, cost)
        flow.set_nodes_supplies(
            np.arange(len(net.supplies), dtype=np.int64), net.supplies)
        if flow.solve() != flow.OPTIMAL:
            return None
        cells, m_star = cell_minimum(self.c5, pi, self.top)
        idle_cost = 0
        if len(self.idle):
            idle = self.idle
            p_price = (cal.meet[v.group[idle]] * pi[v.staff[idle]]).sum(
                axis=1)
            cheapest = np.full(len(v.size), np.iinfo(np.int64).max,
                               dtype=np.int64)
            np.minimum.at(cheapest, v.group[idle], p_price)
            groups = np.unique(v.group[idle])
            idle_cost = int((cheapest[groups] * v.size[groups]).sum())
        # The penalised level is an integer on every plan: round up.
        bound = (-(-flow.optimal_cost() // net.scale) + net.constant
                 - sum(int(m) * int(c) for m, c in zip(mu, net.caps) if m)
                 + idle_cost + cells)
        used = flow.flows(ids[:net.pair_arcs]) * net.arc_per / net.scale
        n_staff = len(net.caps)
        students = np.bincount(arc_staff, weights=used, minlength=n_staff)
        meetings = np.zeros((n_staff, self.periods))
        for t in range(self.periods):
            meetings[:, t] = np.bincount(
                arc_staff, weights=used * self.arc_meet[:, t],
                minlength=n_staff)
        return bound, students, meetings, m_star


def calendar_bound(structure: Structure, component: Component,
                   level: dict[str, int], s1_optimum: int | None,
                   counts: dict[int, int], upper: int, deadline: float,
                   steps: int = 10_000, min_steps: int = 1,
                   allowed: np.ndarray | None = None) -> int | None:
    """The best bound of ``level`` (with S5 in it) found by subgradient
    steps on the caps' and the cells' multipliers (module docstring).

    ``counts`` is the best plan and ``upper`` its value: the multipliers
    start from that plan's marginal costs and Polyak's step aims between
    the best bound and ``upper``. Steps go on until the bound reaches
    ``upper``, ``steps`` flows were solved, or the next would end after
    ``deadline`` (the first ``min_steps`` always run). None when there
    is no calendar, S5 is not in the level, or the costs would not fit
    64 bits. ``allowed``: see ``Relaxation``.
    """
    rel = Relaxation(structure, component, level, s1_optimum, allowed)
    if rel.net is None:
        return None
    caps = rel.net.caps
    mu, pi = rel.start(structure, component, counts)
    best, best_point, best_grad = None, (mu, pi), None
    theta, since = 1.0, 0
    for step in range(steps):
        began = time.monotonic()
        # Rounded within the rooms (a float next to one rounds past it).
        got = rel.evaluate(
            np.clip(np.rint(mu).astype(np.int64), 0, rel.room),
            np.clip(np.rint(pi).astype(np.int64), 0, rel.pi_room))
        if got is None:
            break
        bound, students, meetings, m_star = got
        if best is None or bound > best:
            best, best_point, since = bound, (mu, pi), 0
            best_grad = (students, meetings, m_star)
        else:
            since += 1
            if since >= 2:
                theta, since = theta / 2, 0
        now = time.monotonic()
        if best >= upper or (step + 1 >= min_steps
                             and now + (now - began) > deadline):
            break
        if theta < 0.01:  # steps too short to matter: from the best again
            (mu, pi), theta = best_point, 0.25
            students, meetings, m_star = best_grad
        g_mu = students - caps
        g_mu[(mu <= 0) & (g_mu < 0)] = 0  # a multiplier stays at zero
        g_pi = meetings - m_star
        g_pi[(pi <= 0) & (g_pi < 0)] = 0
        norm = float(g_mu @ g_mu) + float((g_pi * g_pi).sum())
        if norm < 1e-9:
            break  # the relaxation keeps every cap and cell
        # Polyak's step towards the midpoint of the best bound and the
        # plan's value (the plan is rarely optimal: aiming at its value
        # overshoots). 5,000 tight: 0.54% -> 0.38% below the optimum
        # after 6 and 10 steps where aiming at the plan gave 0.82% and
        # 0.65%; 70,000 slack, 8 steps: 0.60% below the plan, not 0.72%.
        size = theta * max((upper + best) / 2 - bound, 1) / norm
        mu = np.clip(mu + size * g_mu, 0, rel.room)
        pi = np.clip(pi + size * g_pi, 0, rel.pi_room)
    return best


def limit_bound(structure: Structure, component: Component, upper: int,
                deadline: float, min_steps: int = 1) -> int | None:
    """A lower bound of S1 with the monthly limit (H8), for a plan whose
    S1 is ``upper``; None without a limit.

    The flow's least S1 leaves H8 out. Here each case manager's limit in
    each month gets a multiplier ``lam[c, m] >= 0`` (Lagrangian
    relaxation): for a plan within the limits, ``S1(x) >= S1(x) + sum
    lam * (meetings(x) - limit)``, the least of which over the flows
    within the caps is a min-cost flow whose pair costs are each pair's
    S1 plus what its student's meetings cost at the prices ``lam``.
    Every ``lam`` gives a valid bound (costs times ``_LIMIT_SCALE``, so
    integer prices are fine steps); subgradient steps toward ``upper``
    raise it until ``deadline`` (the first ``min_steps`` always run) or
    ``upper``; the best is returned."""
    cal = calendar_view(structure, component)
    if cal is None or cal.limit is None:
        return None
    v = _view(structure, component)
    n_groups, n_staff = len(v.size), len(component.staff)
    caps = np.array([structure.caps[c] for c in component.staff],
                    dtype=np.int64)
    sink = n_groups + n_staff
    tails = np.concatenate([v.group, n_groups + np.arange(n_staff)])
    heads = np.concatenate([n_groups + v.staff, np.full(n_staff, sink)])
    capacity = np.concatenate([np.minimum(v.size[v.group], caps[v.staff]),
                               caps])
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_groups] = v.size
    supplies[sink] = -int(v.size.sum())
    month = cal.month.astype(np.int64)
    lam = np.zeros((n_staff, month.shape[1]), dtype=np.int64)
    scale, limit = _LIMIT_SCALE, int(cal.limit)
    best, theta, since = None, 2.0, 0
    for step in range(10_000):
        began = time.monotonic()
        cost = np.concatenate([scale * v.s1 + (lam[v.staff] * month[
            v.group]).sum(axis=1), np.zeros(n_staff, dtype=np.int64)])
        flow = min_cost_flow.SimpleMinCostFlow()
        ids = flow.add_arcs_with_capacity_and_unit_cost(tails, heads,
                                                        capacity, cost)
        flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64),
                                supplies)
        if flow.solve() != flow.OPTIMAL:
            break
        bound = -(-(flow.optimal_cost() - limit * int(lam.sum())) // scale)
        if best is None or bound > best:
            best, since = bound, 0
        else:
            since += 1
            if since >= 2:
                theta, since = theta / 2, 0
        now = time.monotonic()
        if best >= upper or theta < 1e-3 or (
                step + 1 >= min_steps and now + (now - began) > deadline):
            break
        x = flow.flows(ids[:len(v.group)])
        held = np.zeros_like(lam)
        np.add.at(held, v.staff, x[:, None] * month[v.group])
        g = held - limit
        g[(lam <= 0) & (g < 0)] = 0
        norm = float((g * g).sum())
        if norm == 0:
            break  # the relaxation keeps every limit: nothing to raise
        lam = np.maximum(lam + np.rint(theta * (upper - bound) * scale
                                       / norm * g).astype(np.int64), 0)
        if int(lam.max()) * int(month.sum(axis=1).max()) > _INT64 // (
                sink + 2) - scale:
            break  # prices beyond what the flow's costs may hold
    return best


# Multipliers of ``limit_bound`` in 1/_LIMIT_SCALE of a best-practice miss.
_LIMIT_SCALE = 1_000
