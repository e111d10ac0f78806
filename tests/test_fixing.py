"""Reduced-cost fixing (lagrange.pair_limits, issue 24) never removes an
optimal plan: the optimum of the whole program, solved exactly without
fixing, keeps within the limits, and the program cut down by them proves
the same optimum. On tightly staffed schools it removes most pairs, so a
fixing that stops working fails here too."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from optimizer.objectives import ObjectiveWeights
from optimizer.result import LevelOutcome
from optimizer.solver import lagrange, mip
from optimizer.solver.bound import _lambda
from optimizer.solver.flow import _view, solve_flow, term_values
from optimizer.solver.moves import improve_by_moves
from optimizer.solver.structure import build_structure
from tests.test_lagrange import _instances, tight_schools  # noqa: F401
from tests.test_properties import RULES


def _value(st_, comp, counts, level):
    values = term_values(st_, comp, counts)
    return sum(c * values[t] for t, c in level.items())


def _parts(inst):
    """Each part with its levels, S1 optimum and the moves plan (the
    product's start), or nothing when the roster has no plan."""
    st_ = build_structure(inst, RULES)
    st_.groups = list(st_.groups)
    levels = ObjectiveWeights().levels(st_.weight_scale)
    if st_.no_candidates or len(levels) != 2:
        return st_, levels, []
    out = []
    for comp in st_.components:
        flow = solve_flow(st_, comp, levels)
        if flow is None:
            return st_, levels, []
        s1 = flow.levels[0].objective
        hint = dict(zip(comp.pairs, flow.counts.counts.tolist()))
        out.append((comp, s1, improve_by_moves(st_, comp, hint,
                                               levels[1])))
    return st_, levels, out


def _exact(st_, comp, levels, s1, hint, limits=None):
    solved = [LevelOutcome(levels[0], s1, s1, True)]
    return mip.solve_levels(st_, comp, levels, solved, hint, 20,
                            limits=limits)


def _counts(comp, counts):
    return np.array([counts.get(int(p), 0) for p in comp.pairs],
                    dtype=np.int64)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(_instances(), st.integers(1, 8), st.randoms())
def test_fixing_never_removes_an_optimal_plan(inst, steps, rnd):
    """Small rosters (caps of 1-8 students often bind): each part's
    optimum, proven by HiGHS on the whole program, keeps within the
    limits for the subgradient's multipliers after ``steps`` flows and
    for random multipliers (fixing must be exact for any); the cut
    program proves the same optimum."""
    st_, levels, parts = _parts(inst)
    assume(parts)
    for comp, s1, hint in parts:
        exact = _exact(st_, comp, levels, s1, hint)
        assume(exact.optimal)
        optimum = exact.levels[1].objective
        best = _counts(comp, exact.counts)
        value = _value(st_, comp, hint, levels[1])
        search = lagrange.cap_search(st_, comp, levels[1], s1, hint, value,
                                     math.inf, steps, steps)
        v = _view(st_, comp)
        net = lagrange.network(st_, comp, v, levels[1],
                               _lambda(st_, comp, v, levels[1]), s1)
        assume(net is not None)
        top = max(1, optimum // max(1, len(inst.students)))
        drawn = np.array([rnd.choice([0, rnd.randint(0, 4 * top)])
                          for _ in comp.staff], dtype=np.int64)
        random = lagrange.Search(lagrange.evaluate(net, drawn)[0], net,
                                 drawn)
        for s in (search, random):
            limits = lagrange.pair_limits(s, len(comp.pairs), value)
            if limits is None:
                continue
            # Every plan no worse than the moves plan keeps within them:
            # the optimum and the moves plan itself.
            assert (best <= limits).all()
            assert (_counts(comp, hint) <= limits).all()
            cut = _exact(st_, comp, levels, s1, hint, limits)
            assert cut.optimal
            assert cut.levels[1].objective == optimum
            assert _value(st_, comp, cut.counts, levels[1]) == optimum


def test_fixing_removes_most_pairs_where_caps_bind(tight_schools):  # noqa
    """On tightly staffed schools, 5 flows fix most pairs to zero and the
    cut program proves the optimum the whole program proves; a fixing
    that removed nothing (or a weaker bound) fails the share asserted."""
    removed = total = 0
    for inst, result in tight_schools:
        st_, levels, parts = _parts(inst)
        for comp, s1, hint in parts:
            value = _value(st_, comp, hint, levels[1])
            search = lagrange.cap_search(st_, comp, levels[1], s1, hint,
                                         value, math.inf, 5, 5)
            if search.bound >= value:
                continue  # the moves plan is proven: nothing to cut
            limits = lagrange.pair_limits(search, len(comp.pairs), value)
            assert limits is not None
            removed += int((limits == 0).sum())
            total += len(comp.pairs)
            whole = _exact(st_, comp, levels, s1, hint)
            cut = _exact(st_, comp, levels, s1, hint, limits)
            assert whole.optimal and cut.optimal
            assert cut.levels[1].objective == whole.levels[1].objective
    assert total and removed / total > 0.3, (removed, total)


def _least_s1_using(st_, comp, pair: int) -> int | None:
    """The least S1 of a plan with at least one student on ``pair``
    (position in the view), by a min-cost flow of its own: the pair's
    first student rides an arc far cheaper than any other; None if no
    plan may use the pair."""
    from ortools.graph.python import min_cost_flow

    v = _view(st_, comp)
    n_groups, n_staff = len(v.size), len(comp.staff)
    caps = np.array([st_.caps[c] for c in comp.staff], dtype=np.int64)
    upper = np.minimum(v.size[v.group], caps[v.staff])
    sink = n_groups + n_staff
    big = 10 * (int(v.size.sum()) + 1)
    tails = [*v.group.tolist(), int(v.group[pair]),
             *(n_groups + np.arange(n_staff)).tolist()]
    heads = [*(n_groups + v.staff).tolist(), n_groups + int(v.staff[pair]),
             *[sink] * n_staff]
    capacity = [*upper.tolist(), 1, *caps.tolist()]
    capacity[pair] -= 1
    cost = [*v.s1.tolist(), int(v.s1[pair]) - big, *[0] * n_staff]
    flow = min_cost_flow.SimpleMinCostFlow()
    ids = flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails), np.array(heads), np.array(capacity),
        np.array(cost))
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n_groups] = v.size
    supplies[sink] = -int(v.size.sum())
    flow.set_nodes_supplies(np.arange(sink + 1), supplies)
    if flow.solve() != flow.OPTIMAL or flow.flow(ids[len(v.group)]) < 1:
        return None
    return flow.optimal_cost() + big


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(_instances(), st.randoms())
def test_pairs_ruled_out_by_best_practice_cost_best_practice(inst, rnd):
    """Every pair ``best_practice_pairs`` rules out is one no plan with
    the least S1 uses: forcing a student onto it costs S1 (or is
    impossible; a dozen of them drawn per part); and the pairs it keeps
    include every pair of the level's proven optimum."""
    st_, levels, parts = _parts(inst)
    assume(parts)
    for comp, s1, hint in parts:
        allowed = lagrange.best_practice_pairs(st_, comp, hint)
        assert allowed is not None
        out = np.flatnonzero(~allowed).tolist()
        for p in rnd.sample(out, min(len(out), 12)):
            least = _least_s1_using(st_, comp, p)
            assert least is None or least > s1
        exact = _exact(st_, comp, levels, s1, hint)
        if exact.optimal:
            assert (_counts(comp, exact.counts)[~allowed] == 0).all()
