"""Weighted balance as a MIP (solver/mip.py): the same optima as CP-SAT,
plans the checker accepts, and never a claim of optimality it lacks."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import generate, write
from optimizer.domain import Instance
from optimizer.inputs.roster import load_roster
from optimizer.objectives import ObjectiveWeights
from optimizer.result import LevelOutcome, SolverParams, SolveStatus
from optimizer.solver import mip
from optimizer.solver.dispatch import solve
from optimizer.solver.flow import solve_flow, term_values
from optimizer.solver.structure import build_structure
from optimizer.verify import audit
from tests.test_properties import RULES, staff, students
from tests.test_solve import solver_terms_match_checker

MODES = [ObjectiveWeights(),
         ObjectiveWeights(mode="priority"),
         ObjectiveWeights(mode="priority", priority=("S2", "S4", "S3", "S1")),
         ObjectiveWeights(mode="weights")]


@st.composite
def weighted_instances(draw):
    n = draw(st.integers(2, 9))
    m = draw(st.integers(1, 5))
    people = [draw(students(i)).model_copy(update={
        "weight": draw(st.sampled_from([1.0, 1.5, 2.0, 0.5, 1.25, 0.75,
                                        0.3, 2.7]))})
        for i in range(n)]
    return Instance(students=tuple(people),
                    staff=tuple(draw(staff(j)) for j in range(m)))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(weighted_instances(), st.sampled_from(MODES))
def test_mip_and_cpsat_reach_the_same_optimum(inst, weights):
    params = SolverParams(time_limit=10)
    auto = solve(inst, RULES, weights, params)
    cpsat = solve(inst, RULES, weights, params, method="cpsat")
    assert auto.status is cpsat.status
    if auto.status is SolveStatus.OPTIMAL:
        assert [lv.objective for lv in auto.levels] == [
            lv.objective for lv in cpsat.levels]
        checked = audit(inst, RULES, auto.assignment)
        assert checked.compliant, checked.violations
        solver_terms_match_checker(auto, checked)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(weighted_instances())
def test_a_reference_plan_is_solved_after_the_mip(inst):
    """R (closeness to a reference plan) is left to CP-SAT, with the
    MIP's levels held at their optima."""
    params = SolverParams(time_limit=10)
    first = solve(inst, RULES, params=params)
    if first.status is not SolveStatus.OPTIMAL:
        return
    # The reference: the first plan with its first two students swapped
    # (a plan the solver must come back to where it is as good).
    reference = dict(first.assignment)
    ids = sorted(reference)[:2]
    if len(ids) == 2:
        reference[ids[0]], reference[ids[1]] = (reference[ids[1]],
                                                reference[ids[0]])
    auto = solve(inst, RULES, params=params, reference=reference)
    cpsat = solve(inst, RULES, params=params, reference=reference,
                  method="cpsat")
    assert auto.status is cpsat.status is SolveStatus.OPTIMAL
    assert [lv.objective for lv in auto.levels] == [
        lv.objective for lv in cpsat.levels]
    assert [lv.objective for lv in auto.levels[:-1]] == [
        lv.objective for lv in first.levels]


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    folder = tmp_path_factory.mktemp("school-weighted")
    write(*generate("school", seed=3, weighted=True), folder)
    return load_roster(folder, RULES).instance


def test_weighted_school_is_proven_optimal_and_verified(school):
    result = solve(school, RULES, params=SolverParams(time_limit=30))
    assert result.status is SolveStatus.OPTIMAL
    assert all(lv.optimal and lv.bound == lv.objective
               for lv in result.levels)
    cpsat = solve(school, RULES, params=SolverParams(time_limit=60),
                  method="cpsat")
    if cpsat.status is SolveStatus.OPTIMAL:
        assert [lv.objective for lv in cpsat.levels] == [
            lv.objective for lv in result.levels]
    checked = audit(school, RULES, result.assignment)
    assert checked.compliant
    solver_terms_match_checker(result, checked)


def test_out_of_time_is_never_called_optimal(school):
    """With no time, the MIP keeps the starting plan (or a better one)
    and a bound at most its value; optimal only if the bound meets it."""
    st_ = build_structure(school, RULES)
    levels = ObjectiveWeights().levels(st_.weight_scale)
    comp = max(st_.components, key=lambda c: len(c.pairs))
    flow = solve_flow(st_, comp, levels)
    s1 = flow.levels[0].objective
    start = term_values(st_, comp, flow.counts)
    start_value = sum(c * start[t] for t, c in levels[1].items())
    found = mip.solve_levels(st_, comp, levels,
                             [LevelOutcome(levels[0], s1, s1, True)],
                             flow.counts, time_limit=0.0)
    last = found.levels[-1]
    assert last.objective <= start_value
    assert last.bound <= last.objective
    assert last.optimal == (last.bound == last.objective)
    values = term_values(st_, comp, found.counts)
    assert last.objective == sum(c * values[t]
                                 for t, c in last.terms.items())
    assert values["S1"] == s1  # the fixed level is kept


def test_levels_stop_at_the_closeness_term():
    levels = [{"S1": 1}, {"S2": 1, "S3": 5}, {"R": 1}]
    assert mip.leading(levels) == levels[:2]
    assert mip.leading([{"R": 1}]) == []


def test_a_stale_answer_from_highs_is_not_taken(tmp_path):
    """HiGHS 1.16 (presolve on, a start from setSolution) reported the
    optimum of a later priority level while handing back its start plan,
    which the pricing check refused with a traceback. Such an answer is
    now run again from scratch: the same optima as CP-SAT, no crash."""
    (tmp_path / "staff.csv").write_text(
        "staff_id,name,sites,provides,credentials,max_caseload\n"
        "T0,N0,A,SDC,R3MN,5\n"
        "T1,N1,A,RSP,R3MN,3\n")
    (tmp_path / "students.csv").write_text(
        "student_id,site,grade,primary_disability,setting,services,"
        "prior_case_manager,home_language,weight\n"
        "S0,A,3,AUT,GENED,RSP,T1,,1.25\n"
        "S1,A,3,SLI,GENED,RSP,T0,Spanish,1.25\n"
        "S2,A,3,AUT,GENED,RSP,T0,Spanish,0.75\n"
        "S3,A,3,SLI,GENED,RSP;SPEECH,T0,,1.25\n"
        "S4,A,3,SLD,SDC,RSP;SPEECH,T0,,0.75\n"
        "S5,A,3,AUT,SDC,RSP,,Spanish,0.75\n")
    inst = load_roster(tmp_path, RULES).instance
    weights = ObjectiveWeights(mode="priority",
                               priority=("S1", "S2", "S3", "S4"))
    params = SolverParams(time_limit=10)
    auto = solve(inst, RULES, weights, params)
    cpsat = solve(inst, RULES, weights, params, method="cpsat")
    assert auto.status is cpsat.status is SolveStatus.OPTIMAL
    assert [lv.objective for lv in auto.levels] == [
        lv.objective for lv in cpsat.levels]
    solver_terms_match_checker(auto, audit(inst, RULES, auto.assignment))


def test_levels_after_an_unproven_one_are_still_minimised(school):
    """Out of time at the first MIP level, the later levels are still
    solved (held under it) and report the plan's own values."""
    st_ = build_structure(school, RULES)
    levels = ObjectiveWeights(mode="priority", priority=(
        "S1", "S2", "S3", "S4")).levels(st_.weight_scale)
    comp = max(st_.components, key=lambda c: len(c.pairs))
    flow = solve_flow(st_, comp, levels)
    s1 = flow.levels[0].objective
    found = mip.solve_levels(st_, comp, levels,
                             [LevelOutcome(levels[0], s1, s1, True)],
                             flow.counts, time_limit=0.0)
    assert len(found.levels) == len(levels)
    values = term_values(st_, comp, found.counts)
    for lv in found.levels:
        assert lv.objective == sum(c * values[t]
                                   for t, c in lv.terms.items())
        assert lv.bound <= lv.objective


def _traded_start(tmp_path):
    """One student whose best-practice case manager (T1) misses their
    home language and is not their prior, and the start plan that gives
    them to T0 instead: S1 1 where 0 is proven, but lower in the next
    level (S3 and S4 kept: 36 against the optimum's 836)."""
    (tmp_path / "staff.csv").write_text(
        "staff_id,name,sites,provides,credentials,max_caseload,languages\n"
        "T0,N0,A,SDC,R3MN,28,Spanish\n"
        "T1,N1,A,RSP,R3MN,28,\n")
    (tmp_path / "students.csv").write_text(
        "student_id,site,grade,primary_disability,setting,services,"
        "prior_case_manager,home_language\n"
        "S0,A,3,SLD,GENED,RSP,T0,Spanish\n")
    inst = load_roster(tmp_path, RULES).instance
    st_ = build_structure(inst, RULES)
    st_.groups = list(st_.groups)
    levels = ObjectiveWeights().levels(st_.weight_scale)
    (comp,) = st_.components
    flow = solve_flow(st_, comp, levels[:1])
    s1 = flow.levels[0].objective
    assert s1 == 0
    best = dict(zip(comp.pairs, flow.counts.counts.tolist()))
    start = {p: 1 - n for p, n in best.items()}  # the other case manager
    assert term_values(st_, comp, start)["S1"] == 1
    return st_, comp, levels, [LevelOutcome(levels[0], s1, s1, True)], start


def test_a_start_worse_in_a_held_level_is_not_kept(tmp_path):
    """The MIP held S1 at its proven 0 but kept a start plan with S1 1
    as its best, since the start was lower in the next level than
    HiGHS's plan (which keeps S1): the part's plan broke the held level
    and was called optimal at a value no plan keeping it reaches. The
    start is now no incumbent; HiGHS's plan is the answer."""
    st_, comp, levels, solved, start = _traded_start(tmp_path)
    found = mip.solve_levels(st_, comp, levels, solved, start, 10)
    values = term_values(st_, comp, found.counts)
    assert values["S1"] == 0
    assert found.optimal
    assert found.levels[1].objective == sum(
        c * values[t] for t, c in levels[1].items()) == 836


def test_a_start_worse_in_a_held_level_is_never_called_optimal(
        tmp_path, monkeypatch):
    """When HiGHS finds no plan (out of time), a start that breaks a
    held level is the answer with its own values: the level it breaks
    unproven (the proven value its bound), the later ones too."""
    st_, comp, levels, solved, start = _traded_start(tmp_path)
    monkeypatch.setattr(mip, "_run", lambda *a: mip._Run(
        None, float("inf"), False, 0))
    found = mip.solve_levels(st_, comp, levels, solved, start, 10)
    assert found.counts == start
    values = term_values(st_, comp, start)
    assert [lv.objective for lv in found.levels] == [
        sum(c * values[t] for t, c in lv.items()) for lv in levels]
    assert found.levels[0].bound == 0 < found.levels[0].objective == 1
    assert not any(lv.optimal for lv in found.levels)
    assert all(lv.bound <= lv.objective for lv in found.levels)
