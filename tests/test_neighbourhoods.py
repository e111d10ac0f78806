"""Neighbourhood re-planning (solver/neighbourhoods.py, issue 24): the
plan of a part too large for the MIP only gets better, keeps the least
S1, and passes the checker; the part's reported bound stays below the
proven optimum."""

from __future__ import annotations

import itertools
import time

import numpy as np

from optimizer.objectives import ObjectiveWeights
from optimizer.result import SolverParams, SolveStatus
from optimizer.solver import dispatch, lagrange, neighbourhoods
from optimizer.solver.dispatch import solve
from optimizer.solver.flow import solve_flow, term_values
from optimizer.solver.moves import improve_by_moves
from optimizer.solver.structure import build_structure
from optimizer.verify import audit
from tests.test_lagrange import tight_schools  # noqa: F401
from tests.test_properties import RULES


def test_neighbourhoods_only_improve_the_plan(tight_schools,  # noqa: F811
                                              monkeypatch):
    """Small neighbourhoods (20 students) on tight schools: the level
    never rises, S1 stays the least, and on at least one school the
    moves plan gets strictly better."""
    monkeypatch.setattr(neighbourhoods, "SIZE", 20)
    monkeypatch.setattr(neighbourhoods, "FUTILE", 10**6)
    improved = False
    for inst, result in tight_schools:
        st_ = build_structure(inst, RULES)
        st_.groups = list(st_.groups)
        levels = ObjectiveWeights().levels(st_.weight_scale)
        for comp in st_.components:
            flow = solve_flow(st_, comp, levels)
            hint = dict(zip(comp.pairs, flow.counts.counts.tolist()))
            allowed = lagrange.best_practice_pairs(st_, comp, hint)
            hint = improve_by_moves(st_, comp, hint, levels[1],
                                    allowed=allowed)
            before = term_values(st_, comp, hint)
            after_counts = neighbourhoods.improve_by_neighbourhoods(
                st_, comp, hint, levels[1], allowed,
                time.monotonic() + 1.5, seed=0)
            after = term_values(st_, comp, after_counts)

            def value(t, level=levels[1]):
                return sum(c * t[k] for k, c in level.items())
            assert after["S1"] == before["S1"]
            assert value(after) <= value(before)
            improved |= value(after) < value(before)
            # Every group keeps its students, on its own pairs.
            groups = np.zeros(len(st_.groups), dtype=np.int64)
            for p, k in after_counts.items():
                groups[st_.arrays.group[p]] += k
            for g in comp.groups:
                assert groups[g] == st_.arrays.size[g]
    assert improved


def test_a_part_too_large_for_the_mip_gets_a_checked_better_plan(
        tight_schools, monkeypatch):  # noqa: F811
    """With the MIP's size limit at 0, a tight school takes the path of
    the 70,000-student districts (moves, bound, neighbourhoods): its plan
    passes the checker, its terms are the checker's, its value is at
    least the optimum the MIP proves and its bound at most that."""
    inst, proven = tight_schools[0]
    monkeypatch.setattr(neighbourhoods, "SIZE", 20)
    monkeypatch.setattr(dispatch, "CPSAT_MAX_PAIRS", 0)
    monkeypatch.setattr(dispatch, "BOUND_STALL", 1)
    result = solve(inst, RULES, ObjectiveWeights(),
                   SolverParams(time_limit=3))
    assert result.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    checked = audit(inst, RULES, result.assignment)
    assert checked.compliant, checked.violations
    level, best = result.levels[1], proven.levels[1].objective
    assert level.bound <= best <= level.objective
    assert sum(c * checked.terms[t] for t, c in level.terms.items()) == (
        level.objective)


def test_the_search_gives_up_on_an_optimal_plan(tight_schools):  # noqa
    """From a proven optimum nothing improves: the search stops after
    ``FUTILE`` neighbourhoods, long before its deadline, with the plan
    unchanged."""
    inst, proven = tight_schools[0]
    st_ = build_structure(inst, RULES)
    st_.groups = list(st_.groups)
    levels = ObjectiveWeights().levels(st_.weight_scale)
    (comp,) = st_.components
    counts = dict(proven.counts.items())
    began = time.monotonic()
    out = neighbourhoods.improve_by_neighbourhoods(
        st_, comp, counts, levels[1], None, began + 60, seed=0)
    assert time.monotonic() - began < 30
    assert {p: k for p, k in out.items() if k} == {
        p: k for p, k in counts.items() if k}


def test_the_bound_resumes_after_the_plan_improves(tight_schools,  # noqa
                                                    monkeypatch):
    """A part too large for the MIP shares its time: when the bound has
    levelled off, neighbourhoods improve the plan, and the bound's steps
    then go on from their best multipliers, aimed at the better plan.
    The bound reported is the best of all searches (never above the
    proven optimum), the plan the better one."""
    monkeypatch.setattr(neighbourhoods, "SIZE", 20)
    monkeypatch.setattr(neighbourhoods, "FUTILE", 40)
    monkeypatch.setattr(dispatch, "CPSAT_MAX_PAIRS", 0)
    monkeypatch.setattr(dispatch, "BOUND_STALL", 1)
    calls: list = []
    search = lagrange.cap_search

    def spy(*args, **kwargs):
        found = search(*args, **kwargs)
        calls.append((args[5], kwargs.get("resume"), found))
        return found

    monkeypatch.setattr(dispatch, "cap_search", spy)
    resumed = 0
    for inst, proven in tight_schools:
        calls.clear()
        result = solve(inst, RULES, ObjectiveWeights(),
                       SolverParams(time_limit=3))
        level, best = result.levels[1], proven.levels[1].objective
        assert level.bound <= best <= level.objective
        assert audit(inst, RULES, result.assignment).compliant
        assert calls[0][1] is None  # the first starts from the plan
        if len(calls) < 2:
            continue
        resumed += 1
        (first_aim, _, first), (aim, resumed_from, _) = calls[:2]
        # going on where the first search stopped, aimed at the plan as
        # the neighbourhoods left it; the best bound of all is reported
        assert resumed_from is first and aim <= first_aim
        for (_, _, before), (_, source, _) in itertools.pairwise(calls):
            assert source is before  # each goes on from the one before
        assert level.bound >= max(c[2].bound for c in calls)
    assert resumed, "no part's bound was resumed"


def _flow_start(inst):
    """A school's structure, part, levels, the flow's plan, that plan's
    value of the second level and the least S1."""
    st_ = build_structure(inst, RULES)
    st_.groups = list(st_.groups)
    levels = ObjectiveWeights().levels(st_.weight_scale)
    (comp,) = st_.components
    flow = solve_flow(st_, comp, levels)
    hint = dict(zip(comp.pairs, flow.counts.counts.tolist()))
    values = term_values(st_, comp, hint)
    upper = sum(c * values[t] for t, c in levels[1].items())
    return st_, comp, levels, hint, upper, flow.levels[0].objective


def test_a_resumed_search_goes_on_as_if_it_had_never_stopped(
        tight_schools):  # noqa: F811
    """Three steps, then three more resumed (``cap_search(resume=)``),
    are the six steps of one search: the same best bound, multipliers,
    step length and target, and no flow solved twice."""
    compared = 0
    for inst, _ in tight_schools:
        st_, comp, levels, hint, upper, s1 = _flow_start(inst)
        later = time.monotonic() + 30

        def search(steps, **kw):
            return lagrange.cap_search(st_, comp, levels[1], s1, hint,
                                       upper, later, steps=steps, **kw)
        whole = search(6)
        if whole.flows < 6:
            continue  # proven before six steps
        half = search(3)
        rest = search(4, resume=half)  # the first replays half's last
        assert (half.flows, rest.flows) == (3, 3)
        assert rest.bound == whole.bound
        assert (rest.mu == whole.mu).all()
        (mu, bound, _, theta, aim, since) = rest.steps_at
        (mu6, bound6, _, theta6, aim6, since6) = whole.steps_at
        assert (mu == mu6).all() and (bound, theta, aim, since) == (
            bound6, theta6, aim6, since6)
        compared += 1
    assert compared, "no school needed six steps"


def test_a_neighbourhoods_program_holds_only_its_own_groups(
        tight_schools):  # noqa: F811
    """A neighbourhood's program (``mip._Program`` with ``sizes``) has a
    row per group only for the groups it re-plans: the part's other
    groups have no student and no column in it, and 55,000 rows of
    0 = 0 made each round at 70,000 students 2.4x slower."""
    from optimizer.solver import mip

    inst, _ = tight_schools[0]
    st_ = build_structure(inst, RULES)
    st_.groups = list(st_.groups)
    (comp,) = st_.components
    v = lagrange._view(st_, comp)
    # one staff member's pairs with the first ten groups it may take
    inside = v.staff == v.staff[0]
    inside &= np.isin(v.group, np.unique(v.group[inside])[:10])
    sizes = np.minimum(np.bincount(v.group[inside],
                                   minlength=len(v.size)), v.size)
    limits = np.where(inside, np.iinfo(np.int64).max, 0)
    program = mip._Program(st_, comp, limits, sizes)
    groups = int((sizes > 0).sum())
    assert 0 < groups < len(v.size)
    # its groups' rows, the one staff member's cap and load, calendar
    # rows if any: far fewer than one row per group of the part
    assert program.lp.num_row_ < groups + 10 < len(v.size)


def test_an_unproven_large_part_uses_its_time(tight_schools,  # noqa: F811
                                              monkeypatch):
    """A part too large for the MIP stops before its time limit only
    when its plan is proven: when the neighbourhoods give up and the
    bound has levelled off, other neighbourhoods and more steps follow
    (the gap only shrinks as time is spent). It used to return as soon
    as neither side gained."""
    monkeypatch.setattr(neighbourhoods, "SIZE", 20)
    monkeypatch.setattr(neighbourhoods, "FUTILE", 2)  # gives up soon
    monkeypatch.setattr(dispatch, "CPSAT_MAX_PAIRS", 0)
    monkeypatch.setattr(dispatch, "BOUND_STALL", 1)
    unproven = 0
    for inst, proven in tight_schools:
        began = time.monotonic()
        result = solve(inst, RULES, ObjectiveWeights(),
                       SolverParams(time_limit=2.5))
        spent = time.monotonic() - began
        level = result.levels[1]
        assert level.bound <= proven.levels[1].objective <= level.objective
        if result.status is SolveStatus.FEASIBLE:
            unproven += 1
            assert spent >= 1.4, spent
    assert unproven
