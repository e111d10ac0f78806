"""Swaps of two students between two case managers (solver/swaps.py,
issue 23): where caps bind, they reach plans single-student moves
cannot; each swap is priced exactly, so the search stops only where no
swap lowers the level (checked here by brute force, priced by the
model's own term values), the caps, the groups and best practice are
kept, and the large dated part's plan uses them."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from optimizer.inputs.roster import load_roster
from optimizer.objectives import ObjectiveWeights
from optimizer.result import SolverParams, SolveStatus
from optimizer.solver import calplan, dispatch
from optimizer.solver.calplan import calendar_flow
from optimizer.solver.flow import _view, solve_flow, term_values
from optimizer.solver.moves import improve_by_moves
from optimizer.solver.swaps import improve_by_swaps
from optimizer.verify import audit
from tests.test_calbound import (
    DATED,
    WEIGHTS,
    _allowed,
    _structure,
    dated_optimum,  # noqa: F401
    dated_rosters,
    flow_start,
)
from tests.test_lagrange import small_rosters
from tests.test_properties import RULES


def _value(structure, comp, counts, level):
    terms = term_values(structure, comp, counts)
    return sum(c * terms[t] for t, c in level.items())


def _better_swap(structure, comp, counts, level, allowed):
    """A swap (along pairs ``allowed`` or used, S1 unchanged in total)
    that lowers ``level`` as the model prices it, by brute force; None
    if there is none."""
    v = _view(structure, comp)
    pid = v.pairs.tolist()
    n = {p: counts.get(p, 0) for p in pid}
    ok = [allowed is None or allowed[i] or n[p] > 0
          for i, p in enumerate(pid)]
    at = {(int(v.group[i]), int(v.staff[i])): i
          for i in range(len(pid)) if ok[i]}
    before = _value(structure, comp, counts, level)
    for (g, c1), p in at.items():
        if not n[pid[p]]:
            continue
        for (h, c2), r in at.items():
            q, s = at.get((g, c2)), at.get((h, c1))
            if (h == g or c2 == c1 or not n[pid[r]] or q is None
                    or s is None or v.s1[q] - v.s1[p] + v.s1[s] - v.s1[r]):
                continue
            trial = dict(n)
            for i, d in ((p, -1), (q, 1), (r, -1), (s, 1)):
                trial[pid[i]] += d
            if _value(structure, comp, trial, level) < before:
                return p, q, r, s
    return None


def _better_move(structure, comp, counts, level, allowed):
    """A move of one student (along a pair ``allowed`` or used, to a case
    manager with room, the same S1) that lowers ``level`` as the model
    prices it, by brute force; None if there is none."""
    v = _view(structure, comp)
    pid = v.pairs.tolist()
    n = {p: counts.get(p, 0) for p in pid}
    size = np.bincount(v.staff, weights=[n[p] for p in pid],
                       minlength=len(comp.staff))
    before = _value(structure, comp, counts, level)
    for p in range(len(pid)):
        for q in range(len(pid)):
            if (not n[pid[p]] or v.group[q] != v.group[p]
                    or v.staff[q] == v.staff[p] or v.s1[q] != v.s1[p]
                    or not (allowed is None or allowed[q] or n[pid[q]])
                    or size[v.staff[q]] >= structure.caps[
                        comp.staff[v.staff[q]]]):
                continue
            trial = dict(n)
            trial[pid[p]] -= 1
            trial[pid[q]] += 1
            if _value(structure, comp, trial, level) < before:
                return p, q
    return None


def _check_kept(structure, comp, before, after, heads=True):
    """Each case manager keeps their head count (the caps; unless
    ``heads`` is False: moves change it), each group its students, and
    S1 is unchanged."""
    v = _view(structure, comp)
    old = np.array([before.get(p, 0) for p in v.pairs.tolist()])
    new = np.array([after.get(p, 0) for p in v.pairs.tolist()])
    assert (new >= 0).all()
    for index in (v.staff, v.group) if heads else (v.group,):
        assert (np.bincount(index, weights=old, minlength=index.max() + 1)
                == np.bincount(index, weights=new,
                               minlength=index.max() + 1)).all()
    assert term_values(structure, comp, after)["S1"] == term_values(
        structure, comp, before)["S1"]


def _starts(inst, weights, best_practice_only=False):
    """Each part of a drawn roster with a level after S1: its structure,
    the level, the flow's plan (of S1 alone if ``best_practice_only``)
    and the pairs a plan with the least S1 may use."""
    structure = _structure(inst, weights)
    levels = weights.levels(structure.weight_scale,
                            calendar=structure.calendar is not None)
    assume(len(levels) > 1 and "S1" not in levels[1])
    for comp in structure.components:
        flow = solve_flow(structure, comp,
                          [{"S1": 1}] if best_practice_only else levels)
        assume(flow is not None)
        yield (structure, comp, levels[1],
               dict(zip(comp.pairs, flow.counts.counts.tolist())),
               _allowed(structure, comp))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(dated_rosters(), small_rosters()),
       st.sampled_from(WEIGHTS))
def test_swaps_stop_only_where_no_swap_helps(inst, weights):
    """Small rosters whose caps of 1-8 students often bind, with and
    without meeting dates, from the flow's plan polished by moves: the
    swaps never raise the level, keep the caps, the groups and S1, and
    leave no swap that would lower the level. A wrong price on any term
    either applies a swap that does not help or misses one that does."""
    for structure, comp, level, start, allowed in _starts(inst, weights):
        start = improve_by_moves(structure, comp, start, level,
                                 allowed=allowed)
        after = improve_by_swaps(structure, comp, start, level,
                                 allowed=allowed)
        _check_kept(structure, comp, start, after)
        assert _value(structure, comp, after, level) <= _value(
            structure, comp, start, level)
        assert _better_swap(structure, comp, after, level, allowed) is None


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(dated_rosters(), small_rosters()),
       st.sampled_from(WEIGHTS))
def test_rounds_of_swaps_and_moves_leave_neither(inst, weights):
    """With moves in the same rounds (``moves=True``, the large dated
    part's path), from a plan of best practice alone (the flow's for S1,
    blind to the rest: many moves and swaps to make, rooms filling up):
    the level never rises, the caps hold, the groups and S1 are kept,
    and neither a move nor a swap that would lower the level is left."""
    for structure, comp, level, start, allowed in _starts(
            inst, weights, best_practice_only=True):
        after = improve_by_swaps(structure, comp, start, level,
                                 allowed=allowed, moves=True)
        _check_kept(structure, comp, start, after, heads=False)
        v = _view(structure, comp)
        size = np.bincount(v.staff, weights=[after.get(p, 0) for p in
                                             v.pairs.tolist()],
                           minlength=len(comp.staff))
        assert all(size[i] <= structure.caps[c]
                   for i, c in enumerate(comp.staff))
        assert _value(structure, comp, after, level) <= _value(
            structure, comp, start, level)
        assert _better_move(structure, comp, after, level, allowed) is None
        assert _better_swap(structure, comp, after, level, allowed) is None


def test_swaps_reach_what_moves_cannot(dated_optimum):  # noqa: F811
    """On the dated sample the calendar flow's plan polished by moves
    cannot be improved by a single move, yet swaps lower it; the plan
    they give keeps H1-H7 (the checker) and best practice."""
    inst, weights, proven = dated_optimum
    structure, comp, levels, start = flow_start(dated_optimum)
    allowed = _allowed(structure, comp)
    moved = improve_by_moves(structure, comp, calendar_flow(
        structure, comp, levels[1], start), levels[1], allowed=allowed)
    assert improve_by_moves(structure, comp, moved, levels[1],
                            allowed=allowed) == moved
    swapped = improve_by_swaps(structure, comp, moved, levels[1],
                               allowed=allowed)
    _check_kept(structure, comp, moved, swapped)
    assert _value(structure, comp, swapped, levels[1]) < _value(
        structure, comp, moved, levels[1])
    assert _value(structure, comp, swapped, levels[1]) >= (
        proven.levels[1].objective)
    from optimizer.solver.disaggregate import disaggregate

    checked = audit(inst, RULES, dict(disaggregate(structure, swapped)),
                    calendar=weights.calendar(inst.students))
    assert not checked.violations


def test_the_large_dated_part_is_planned_with_swaps(monkeypatch):
    """A dated part too large for the MIP (the limit lowered to 0 pairs)
    takes the swaps: its plan is lower than the same path's without
    them, the checker accepts it and its terms are the checker's. A part
    the MIP solves does not take them (its start is the MIP's)."""
    inst = load_roster(DATED, RULES).instance
    weights = ObjectiveWeights()
    calls = []
    real = calplan.improve_by_swaps

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(calplan, "improve_by_swaps", counted)
    dispatch.solve(inst, RULES, weights, SolverParams(time_limit=2))
    assert not calls  # the sample fits the MIP
    monkeypatch.setattr(dispatch, "CPSAT_MAX_PAIRS", 0)
    # No time for the bound's steps to matter: the plans compared are
    # the calendar plans (deterministic for the same settings).
    with_swaps = dispatch.solve(inst, RULES, weights,
                                SolverParams(time_limit=2))
    assert calls
    monkeypatch.setattr(calplan, "improve_by_swaps",
                        lambda s, c, counts, *a, **k: counts)
    without = dispatch.solve(inst, RULES, weights,
                             SolverParams(time_limit=2))
    for result in (with_swaps, without):
        assert result.status in (SolveStatus.FEASIBLE, SolveStatus.OPTIMAL)
    assert with_swaps.levels[0].objective == without.levels[0].objective
    assert with_swaps.levels[1].objective < without.levels[1].objective
    calendar = weights.calendar(inst.students)
    checked = audit(inst, RULES, dict(with_swaps.assignment),
                    calendar=calendar)
    assert not checked.violations
    level = with_swaps.levels[1]
    assert sum(c * checked.terms[t] for t, c in level.terms.items()) == (
        level.objective)


def test_a_case_manager_filled_by_a_move_takes_no_more(monkeypatch):
    """C1 (cap 15) holds fifteen students whose prior case manager is C3
    (cap 10), who holds nine others (another grade, so another group);
    the fifteen are two groups (two grades), so two moves to C3 are
    priced in the same round. Moving them back pays (S3) even once C3
    is full (a move that filled C3 must close it to the next, in that
    round and the next), but the caps hold: C3 ends with 10, and swaps
    bring more of the fifteen back."""
    from optimizer.solver.structure import build_structure
    from tests.helpers import instance, staff, student

    people = [student(f"P{i}", prior_case_manager="C3",
                      grade="3" if i < 8 else "5") for i in range(15)]
    people += [student(f"N{i}", grade="4") for i in range(9)]
    team = [staff("C1", max_caseload=15), staff("C3", max_caseload=10)]
    structure = build_structure(instance(people, team), RULES)
    structure.groups = list(structure.groups)
    (comp,) = structure.components
    v = _view(structure, comp)
    c1, c3 = (list(comp.staff).index(i) for i in (0, 1))
    counts = {}
    for i in range(len(v.pairs)):  # the fifteen at C1, the nine at C3
        ten = v.prior[(v.group == v.group[i]) & (v.staff == c3)].sum() > 0
        if v.staff[i] == (c1 if ten else c3):
            counts[int(v.pairs[i])] = int(v.size[v.group[i]])
    level = ObjectiveWeights().levels(structure.weight_scale)[1]
    from optimizer.solver import swaps

    price, rounds = swaps._price, []

    def within_caps(st, *args):  # the plan at the start of each round
        rounds.append(np.bincount(st.v.staff, weights=st.n,
                                  minlength=2)[c3])
        return price(st, *args)
    monkeypatch.setattr(swaps, "_price", within_caps)
    after = improve_by_swaps(structure, comp, counts, level, moves=True)
    size = np.bincount(v.staff, weights=[after.get(p, 0) for p in
                                         v.pairs.tolist()],
                       minlength=len(comp.staff))
    assert size[c3] == 10
    assert len(rounds) > 1 and max(rounds) <= 10
    assert term_values(structure, comp, after)["S3"] < term_values(
        structure, comp, counts)["S3"]


def test_a_swap_or_move_priced_again_is_priced_exactly(dated_optimum):  # noqa: F811
    """Within a round, a swap or move whose case managers changed is
    priced again as the plan is then (``swaps._price_one``): on the dated
    sample, from its proven plan and from plans a few random swaps and
    moves away, that price is the change of the level the model gives,
    for every move and swap drawn; with S1 in the level (S1 may change
    then) and with a monthly limit (H8: each meeting beyond it at a
    price of its own) too."""
    import random

    from optimizer.objectives import balance_coefficient
    from optimizer.solver import swaps
    from optimizer.solver.calendar import calendar_view

    inst, weights, proven = dated_optimum
    structure = _structure(inst, weights)
    level = proven.levels[1].terms
    (comp,) = structure.components
    v = _view(structure, comp)
    pid = v.pairs.tolist()
    at = {(int(g), int(c)): i for i, (g, c) in enumerate(zip(v.group,
                                                             v.staff))}
    counts = dict(proven.counts.items())
    rnd = random.Random(23)
    cal = calendar_view(structure, comp)
    meet, month = cal.meet.astype(np.int64), cal.month.astype(np.int64)
    c1, limit, big = 7, 3, 1_000_003

    def beyond(plan):  # meetings beyond the limit, from the plan alone
        k = np.array([plan.get(p, 0) for p in pid], dtype=np.int64)
        held = np.zeros((len(comp.staff), month.shape[1]), dtype=np.int64)
        np.add.at(held, v.staff, k[:, None] * month[v.group])
        return int(np.maximum(held - limit, 0).sum())

    w = v.units.astype(np.int64)
    a = np.array([level.get("S2", 0) * balance_coefficient(
        structure.caps[c]) for c in comp.staff], dtype=np.int64)
    checked = 0
    for _ in range(400):
        n = np.array([counts.get(p, 0) for p in pid], dtype=np.int64)
        load = np.bincount(v.staff, weights=n * w[v.group],
                           minlength=len(comp.staff)).astype(np.int64)
        held = np.zeros((len(comp.staff), meet.shape[1]), dtype=np.int64)
        np.add.at(held, v.staff, n[:, None] * meet[v.group])
        p = rnd.choice(np.flatnonzero(n).tolist())
        g, c1 = int(v.group[p]), int(v.staff[p])
        q = rnd.choice([at[(g, c)] for c in range(len(comp.staff))
                        if (g, c) in at and c != c1] or [None])
        if q is None:
            continue
        cb = int(v.staff[q])
        others = [i for i in np.flatnonzero(n).tolist()
                  if v.staff[i] == cb and v.group[i] != g
                  and (int(v.group[i]), c1) in at]
        r = s = -1
        trial = dict(counts)
        if others and rnd.random() < 0.7:
            r = rnd.choice(others)
            s = at[(int(v.group[r]), c1)]
            trial[pid[r]] = trial.get(pid[r], 0) - 1
            trial[pid[s]] = trial.get(pid[s], 0) + 1
        trial[pid[p]] = trial.get(pid[p], 0) - 1
        trial[pid[q]] = trial.get(pid[q], 0) + 1
        c3, c4, c5 = (level.get(t, 0) for t in ("S3", "S4", "S5"))
        price = swaps._price_one(swaps.Plan(
            v, n, w, a, load, meet, held, 0, c3, c4, c5, None), p, q, r, s)
        assert price == _value(structure, comp, trial, level) - _value(
            structure, comp, counts, level)
        with_s1 = {**level, "S1": c1}
        price = swaps._price_one(swaps.Plan(
            v, n, w, a, load, meet, held, c1, c3, c4, c5, None), p, q, r, s)
        assert price == _value(structure, comp, trial, with_s1) - _value(
            structure, comp, counts, with_s1)
        months = np.zeros((len(comp.staff), month.shape[1]), dtype=np.int64)
        np.add.at(months, v.staff, n[:, None] * month[v.group])
        price = swaps._price_one(swaps.Plan(
            v, n, w, a, load, meet, held, 0, c3, c4, c5,
            [month, months, limit, big]), p, q, r, s)
        assert price == _value(structure, comp, trial, level) - _value(
            structure, comp, counts, level) + big * (
            beyond(trial) - beyond(counts))
        checked += 1
        if rnd.random() < 0.5:  # wander: the next one from another plan
            counts = trial
    assert checked > 300


def test_prices_beyond_64_bits_are_not_taken():
    """The prices are numpy int64 sums. A's cap (32) makes its students
    cheap, B's (1) dear: with S2's coefficient at 3e13 (a weight of
    3e10, which the settings accept), the plan's level still fits 64
    bits (2.8e18) but moving a student of weight 2 to B would cost 1e19,
    which int64 wraps around to a gain: the plan must not take it (the
    level never rises). A coefficient beyond 64 bits is no crash
    either: the moves, in Python's integers, plan the part then."""
    from optimizer.solver.structure import build_structure
    from tests.helpers import instance, staff, student

    people = [student("P1", weight=2.0), student("P2", weight=2.0),
              student("P3", weight=1.5, grade="4")]
    team = [staff("A", max_caseload=200), staff("B", max_caseload=1)]
    structure = build_structure(instance(people, team), RULES)
    structure.groups = list(structure.groups)
    (comp,) = structure.components
    v = _view(structure, comp)
    a = list(comp.staff).index(0)
    counts = {int(p): int(v.size[v.group[i]]) if v.staff[i] == a else 0
              for i, p in enumerate(v.pairs)}
    for level in ({"S2": 30_000_000_000_001, "S3": 50_000_000},
                  {"S2": 1, "S3": 10**19}):
        start = _value(structure, comp, counts, level)
        assert start < 2**63
        for moves in (False, True):
            after = improve_by_swaps(structure, comp, counts, level,
                                     moves=moves)
            _check_kept(structure, comp, counts, after, heads=not moves)
            assert _value(structure, comp, after, level) <= start
        assert after == improve_by_moves(structure, comp, counts, level)


def test_the_large_undated_part_starts_from_swaps(tmp_path, monkeypatch):
    """A weighted part without dates too large for the MIP (the limit
    lowered to 0 pairs) starts the bound and the neighbourhoods from
    rounds of swaps and moves: on this tight school (seed 17) that start
    is lower than the moves' (11,591,800 against 11,593,050), has the
    least S1, and the plan passes the checker."""
    from bench.generate import generate, write
    from optimizer.solver.moves import improve_by_moves as moves_only

    write(*generate("school", seed=17, weighted=True, staffing="tight"),
          tmp_path)
    inst = load_roster(tmp_path, RULES).instance
    monkeypatch.setattr(dispatch, "CPSAT_MAX_PAIRS", 0)
    starts = []
    real = dispatch._bounded

    def bounded(structure, comp, levels, counts, *args, **kwargs):
        starts.append((structure, comp, dict(counts), levels))
        return real(structure, comp, levels, counts, *args, **kwargs)
    monkeypatch.setattr(dispatch, "_bounded", bounded)
    weights = ObjectiveWeights()
    result = dispatch.solve(inst, RULES, weights, SolverParams(time_limit=1))
    monkeypatch.setattr(
        dispatch, "improve_by_swaps",
        lambda s, c, counts, level, allowed=None, moves=True: moves_only(
            s, c, counts, level, allowed=allowed))
    dispatch.solve(inst, RULES, weights, SolverParams(time_limit=1))
    (structure, comp, swapped, levels), (_, _, moved, _) = starts
    assert _value(structure, comp, swapped, levels[1]) < _value(
        structure, comp, moved, levels[1])
    assert _value(structure, comp, swapped, levels[0]) == (
        result.levels[0].objective)
    assert audit(inst, RULES, dict(result.assignment)).compliant
