"""Parts too large for CP-SAT: the moves plan with the token bound."""

from __future__ import annotations

import importlib

import pytest

from bench.generate import generate, write
from optimizer.inputs.roster import load_roster
from optimizer.inputs.rules_tables import load_rules
from optimizer.objectives import ObjectiveWeights
from optimizer.result import SolverParams, SolveStatus
from optimizer.solver import flow as flow_module
from optimizer.solver.flow import term_values
from optimizer.solver.model import AssignmentModel
from optimizer.solver.structure import build_structure
from optimizer.verify import audit

pytestmark = pytest.mark.slow
# The dispatch module holds the threshold.
solving = importlib.import_module("optimizer.solver.dispatch")


# Seed 3: the moves plan is not optimal; 5 and 8: the bound proves it is.
@pytest.mark.parametrize("seed", [3, 5, 8])
def test_bound_of_large_parts_never_exceeds_the_optimum(tmp_path, seed,
                                                        monkeypatch):
    write(*generate("school", seed, True, "connected"), tmp_path)
    rules = load_rules()
    inst = load_roster(tmp_path, rules).instance
    exact = solving.solve(inst, rules, params=SolverParams(time_limit=20))
    assert exact.status is SolveStatus.OPTIMAL
    optimum = exact.levels[1].objective
    monkeypatch.setattr(solving, "CPSAT_MAX_PAIRS", 0)
    # (an unproven part uses all of its time: a short limit suffices)
    quick = solving.solve(inst, rules, params=SolverParams(time_limit=4))
    assert quick.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    s1, level = quick.levels
    assert s1.objective == exact.levels[0].objective and s1.optimal
    assert level.bound <= optimum <= level.objective
    assert level.optimal == (level.bound == level.objective)
    checked = audit(inst, rules, dict(quick.assignment))
    assert checked.compliant
    assert len(quick.assignment) == len(inst.students)


def _no_cpsat(*args, **kwargs):
    raise AssertionError("a part too large for CP-SAT was given to it")


def _checked_levels(inst, rules, result, reference=None):
    """The checker's audit of ``result``'s plan (it must accept it), and
    each level as the plan's own terms price it."""
    checked = audit(inst, rules, dict(result.assignment),
                    reference=reference)
    assert checked.compliant
    assert len(result.assignment) == len(inst.students)
    return [sum(c * checked.terms[t] for t, c in lv.terms.items())
            for lv in result.levels]


@pytest.mark.parametrize(("mode", "seed"), [("weights", 3),
                                           ("priority", 4)])
def test_every_mode_plans_a_large_part(tmp_path, mode, seed, monkeypatch):
    """A part too large for CP-SAT and the MIP, in the modes whose levels
    are not S1 then one more: a plan (at 70,000 students CP-SAT, which
    took such parts, gave mode weights no plan at all after 46 s of a
    20 s limit, and priority levels it never reached a value of 0), with
    every level at the plan's own value and each bound at most the
    proven optimum's; in mode priority S1 and S3, which the flow carries
    exactly, proven at their optimum (on this roster swaps that price S2
    alone would raise S3: ``test_swaps_keep_the_levels_held``)."""
    write(*generate("school", seed, True, "connected"), tmp_path)
    rules = load_rules()
    inst = load_roster(tmp_path, rules).instance
    weights = ObjectiveWeights(mode=mode)
    exact = solving.solve(inst, rules, weights, SolverParams(time_limit=30))
    assert exact.status is SolveStatus.OPTIMAL
    monkeypatch.setattr(solving, "CPSAT_MAX_PAIRS", 0)
    monkeypatch.setattr(solving, "_bounded", None)  # not that path
    monkeypatch.setattr(AssignmentModel, "solve", _no_cpsat)
    quick = solving.solve(inst, rules, weights, SolverParams(time_limit=3))
    assert quick.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    assert [lv.terms for lv in quick.levels] == [
        lv.terms for lv in exact.levels]
    values = _checked_levels(inst, rules, quick)
    for lv, value, best in zip(quick.levels, values, exact.levels):
        assert lv.objective == value
        assert 0 <= lv.bound <= best.objective
        assert lv.optimal == (lv.bound == lv.objective)
    if mode == "priority":
        assert [lv.terms for lv in quick.levels[:2]] == [{"S1": 1},
                                                          {"S3": 1}]
        for lv, best in zip(quick.levels[:2], exact.levels):
            assert lv.optimal and lv.objective == best.objective
        # S4 (linear): at least its least value with S1 and S3 held.
        structure = build_structure(inst, rules, None, None)
        (comp,) = structure.components
        least = solving.solve_flow(structure, comp, [
            lv.terms for lv in (*quick.levels[:2], quick.levels[3])])
        assert least.levels[-1].optimal
        assert quick.levels[3].bound >= least.levels[-1].objective > 0
    else:  # the swaps took the flow's plan lower
        structure = build_structure(inst, rules, None, None)
        (comp,) = structure.components
        flow = solving.solve_flow(structure, comp, weights.levels(
            structure.weight_scale, closest=False, calendar=False))
        assert quick.levels[0].objective < flow.levels[0].objective


def test_a_reference_plan_on_a_large_part(tmp_path, monkeypatch):
    """Closest to a reference plan (compare, re-plan): R, the last level,
    at the plan's own count of changes, its bound at most the proven
    optimum's; the levels above as for a plan without one."""
    write(*generate("school", 3, True, "connected"), tmp_path)
    rules = load_rules()
    inst = load_roster(tmp_path, rules).instance
    base = solving.solve(inst, rules, params=SolverParams(time_limit=30))
    # A reference one student away from the optimum.
    reference = dict(base.assignment)
    moved = sorted(reference)[0]
    reference[moved] = next(s.staff_id for s in inst.staff
                            if s.staff_id != reference[moved])
    exact = solving.solve(inst, rules, params=SolverParams(time_limit=30),
                          reference=reference)
    assert exact.status is SolveStatus.OPTIMAL
    monkeypatch.setattr(solving, "CPSAT_MAX_PAIRS", 0)
    monkeypatch.setattr(AssignmentModel, "solve", _no_cpsat)
    quick = solving.solve(inst, rules, params=SolverParams(time_limit=3),
                          reference=reference)
    assert quick.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    assert quick.levels[-1].terms == {"R": 1}
    values = _checked_levels(inst, rules, quick, reference)
    for lv, value, best in zip(quick.levels, values, exact.levels):
        assert lv.objective == value
        assert 0 <= lv.bound <= best.objective


@pytest.mark.parametrize("mode", ["weights", "priority"])
def test_a_solver_out_of_time_keeps_the_flows_plan(tmp_path, mode,
                                                   monkeypatch):
    """CP-SAT stopped by its time limit before any plan of its own: the
    flow's plan (H1-H7) is the answer, not "no plan", even with no level
    fixed above; and every level, those it never reached too, at that
    plan's own value (they were 0 in the summary)."""
    from ortools.sat.python import cp_model

    write(*generate("school", 3, True, "connected"), tmp_path)
    rules = load_rules()
    inst = load_roster(tmp_path, rules).instance
    weights = ObjectiveWeights(mode=mode)
    solve = cp_model.CpSolver.solve

    def no_time(self, model, *args):
        self.parameters.max_time_in_seconds = 0.0
        code = solve(self, model, *args)
        assert code == cp_model.UNKNOWN  # (what this test is about)
        return code

    monkeypatch.setattr(cp_model.CpSolver, "solve", no_time)
    result = solving.solve(inst, rules, weights, SolverParams(time_limit=2),
                           method="cpsat")
    assert result.status is SolveStatus.FEASIBLE
    values = _checked_levels(inst, rules, result)
    assert len(result.levels) == len(weights.levels(
        1, closest=False, calendar=False))
    for lv, value in zip(result.levels, values):
        assert lv.objective == value and 0 <= lv.bound <= value
    assert any(values[1:]) or mode == "weights"


def _priority_part(tmp_path, seed):
    write(*generate("school", seed, True, "connected"), tmp_path)
    rules = load_rules()
    inst = load_roster(tmp_path, rules).instance
    structure = build_structure(inst, rules, None, None)
    structure.groups = list(structure.groups)
    (comp,) = structure.components
    levels = ObjectiveWeights(mode="priority").levels(
        structure.weight_scale, closest=False, calendar=False)
    return structure, comp, levels


@pytest.mark.parametrize("seed", [2, 4])
def test_swaps_keep_the_levels_held(tmp_path, seed):
    """Mode priority (S1, S3, S2, S4) on a weighted roster: the flow
    proves S1 and S3; swaps priced by ``_held_price`` lower S2 without
    moving S3 (seed 2), where swaps that price S2 alone raise S3 (seed
    4: 29 -> 34 kept priors lost)."""
    structure, comp, levels = _priority_part(tmp_path, seed)
    flow = solving.solve_flow(structure, comp, levels)
    assert [lv.optimal for lv in flow.levels] == [True, True, False, False]
    start = dict(zip(comp.pairs, flow.counts.counts.tolist()))
    before = term_values(structure, comp, start)
    price = solving._held_price(structure, comp, start, levels[2],
                                flow.levels[:2])
    held = term_values(structure, comp, solving.improve_by_swaps(
        structure, comp, start, price, moves=True))
    alone = term_values(structure, comp, solving.improve_by_swaps(
        structure, comp, start, {"S2": 1}, moves=True))
    assert (held["S1"], held["S3"]) == (before["S1"], before["S3"])
    assert held["S2"] <= before["S2"]
    if seed == 2:
        assert held["S2"] < before["S2"]
    else:
        assert alone["S3"] > before["S3"]


def test_the_flow_proves_the_levels_it_carries_exactly(tmp_path,
                                                       monkeypatch):
    """``exact_prefix``: with weighted loads the flow proves S1 and the
    linear levels after it up to the first with S2 (mode priority: S1
    and S3; the default: S1; mode weights, S1 with S2 in one level:
    none); with unit weights, every level; under a monthly limit (H8,
    no flow constraint) none."""
    structure, comp, levels = _priority_part(tmp_path, 4)
    for weights, proven in ((ObjectiveWeights(mode="priority"), 2),
                            (ObjectiveWeights(), 1),
                            (ObjectiveWeights(mode="weights"), 0)):
        levels = weights.levels(structure.weight_scale, closest=False,
                                calendar=False)
        flow = solving.solve_flow(structure, comp, levels)
        assert [lv.optimal for lv in flow.levels] == [
            k < proven for k in range(len(levels))]
        assert flow_module.exact_prefix(
            structure, comp, levels, levels, levels) == proven
    unit = [{"S1": 1}, {"S3": 1}, {"S2": 1}, {"S4": 1}]
    monkeypatch.setattr(flow_module, "exact_for", lambda *a: True)
    assert flow_module.exact_prefix(structure, comp, unit, unit, unit) == 4
    # Only the leading levels of what the flow carried count.
    assert flow_module.exact_prefix(structure, comp, unit, unit[:3],
                                    unit) == 3
    monkeypatch.setattr(structure, "calendar", _Limited())
    assert flow_module.exact_prefix(structure, comp, unit, unit, unit) == 0


@pytest.mark.parametrize(("seed", "order"), [(10, ("S4", "S3", "S1", "S2")),
                                             (3, ("S3", "S1", "S2", "S4"))])
def test_a_large_part_holds_s1_in_a_bound_only_as_the_first_level(
        tmp_path, seed, order, monkeypatch):
    """Mode priority with S1 after another level the flow proves (tight
    weighted roster): S1 there is above its least over every plan, and
    holding it at that value with S1's multiplier took the next level's
    bound below zero (-28,473,517 for S2 at seed 10). Each bound is at
    least 0 and at most the proven optimum's."""
    write(*generate("school", seed, True, "connected", "tight"), tmp_path)
    rules = load_rules()
    inst = load_roster(tmp_path, rules).instance
    weights = ObjectiveWeights(mode="priority", priority=order)
    exact = solving.solve(inst, rules, weights, SolverParams(time_limit=30))
    assert exact.status is SolveStatus.OPTIMAL
    monkeypatch.setattr(solving, "CPSAT_MAX_PAIRS", 0)
    monkeypatch.setattr(AssignmentModel, "solve", _no_cpsat)
    quick = solving.solve(inst, rules, weights, SolverParams(time_limit=2))
    values = _checked_levels(inst, rules, quick)
    assert [lv.terms for lv in quick.levels][order.index("S1")] == {"S1": 1}
    assert quick.levels[order.index("S1")].optimal
    for lv, value, best in zip(quick.levels, values, exact.levels):
        assert lv.objective == value
        assert 0 <= lv.bound <= best.objective
    assert quick.levels[order.index("S2")].bound > 0


class _Limited:
    max_per_month = 3


def test_a_reference_with_s2_to_s4_weighted_zero(tmp_path, monkeypatch):
    """S2-S4 weighted 0 with a reference: the levels are S1 then R alone,
    which a large part took to ``_bounded`` and its neighbourhoods
    (KeyError: 'R'); the flow carries both exactly and proves them."""
    write(*generate("school", 3, True, "connected"), tmp_path)
    rules = load_rules()
    inst = load_roster(tmp_path, rules).instance
    weights = ObjectiveWeights(S2=0, S3=0, S4=0)
    base = solving.solve(inst, rules, weights, SolverParams(time_limit=10))
    reference = dict(base.assignment)
    moved = sorted(reference)[0]
    reference[moved] = next(s.staff_id for s in inst.staff
                            if s.staff_id != reference[moved])
    exact = solving.solve(inst, rules, weights,
                          SolverParams(time_limit=10), reference=reference)
    assert [lv.terms for lv in exact.levels] == [{"S1": 1}, {"R": 1}]
    monkeypatch.setattr(solving, "CPSAT_MAX_PAIRS", 0)
    monkeypatch.setattr(AssignmentModel, "solve", _no_cpsat)
    quick = solving.solve(inst, rules, weights, SolverParams(time_limit=2),
                          reference=reference)
    values = _checked_levels(inst, rules, quick, reference)
    assert quick.status is SolveStatus.OPTIMAL
    assert values == [lv.objective for lv in exact.levels]
    assert [lv.bound for lv in quick.levels] == values


def test_a_large_part_starts_from_its_reference_too(tmp_path, monkeypatch):
    """Closest to a reference plan that is itself the optimum (the
    no-change scenario of a comparison): the large part's plan is that
    plan, no student changed (from the flow's start alone, a
    70,000-student comparison changed 82)."""
    write(*generate("school", 3, True, "connected"), tmp_path)
    rules = load_rules()
    inst = load_roster(tmp_path, rules).instance
    weights = ObjectiveWeights(mode="weights")  # (the flow's start: R 2)
    base = solving.solve(inst, rules, weights, SolverParams(time_limit=30))
    assert base.status is SolveStatus.OPTIMAL
    monkeypatch.setattr(solving, "CPSAT_MAX_PAIRS", 0)
    monkeypatch.setattr(AssignmentModel, "solve", _no_cpsat)
    again = solving.solve(inst, rules, weights, SolverParams(time_limit=3),
                          reference=dict(base.assignment))
    assert again.levels[-1].terms == {"R": 1}
    assert again.levels[-1].objective == 0
    assert again.assignment == base.assignment
    values = _checked_levels(inst, rules, again, dict(base.assignment))
    assert [lv.objective for lv in again.levels] == values
