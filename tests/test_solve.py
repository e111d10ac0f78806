"""End-to-end solving of the sample: proofs, objective agreement with the
checker, the time limit, two methods agreeing. The S1-S4 terms on every
path are in tests/solver/test_terms.py."""

from __future__ import annotations

import pytest

from optimizer.objectives import ObjectiveWeights
from optimizer.result import SolverParams, SolveStatus
from optimizer.solver.dispatch import solve
from optimizer.verify import audit


def solver_terms_match_checker(result, checked):
    """Each objective level's value equals the checker's recomputation."""
    for level in result.levels:
        recomputed = sum(coef * checked.terms[t]
                         for t, coef in level.terms.items())
        assert level.objective == recomputed, level


def test_sample_plan_is_optimal_and_verified(sample, rules):
    result = solve(sample.instance, rules, params=SolverParams(60))
    assert result.status is SolveStatus.OPTIMAL
    checked = audit(sample.instance, rules, result.assignment)
    assert checked.compliant
    solver_terms_match_checker(result, checked)
    assert len(result.assignment) == len(sample.instance.students)


@pytest.mark.parametrize("mode", ["weights", "priority"])
def test_other_modes_agree_with_checker(sample, rules, mode):
    weights = ObjectiveWeights(mode=mode)
    result = solve(sample.instance, rules, weights, SolverParams(60))
    checked = audit(sample.instance, rules, result.assignment)
    assert checked.compliant
    solver_terms_match_checker(result, checked)


def test_time_limit_reports_status_honestly(sample, rules):
    result = solve(sample.instance, rules, params=SolverParams(0.1))
    # Whatever the machine manages in 0.1 s, OPTIMAL must mean proven and
    # anything else must say so.
    if result.status is SolveStatus.OPTIMAL:
        assert all(lv.optimal for lv in result.levels)
    else:
        assert result.status in (SolveStatus.FEASIBLE, SolveStatus.UNKNOWN)


@pytest.mark.slow
def test_every_path_reaches_the_same_optimum_on_the_sample(sample, rules):
    # Three independent methods, one objective: each proven optimal and
    # accepted by the checker, so the level values must agree exactly.
    values = {}
    for path in ("flow", "mip", "cpsat"):
        result = solve(sample.instance, rules, params=SolverParams(60),
                       method=path)
        assert result.status is SolveStatus.OPTIMAL, path
        checked = audit(sample.instance, rules, result.assignment)
        assert checked.compliant, path
        solver_terms_match_checker(result, checked)
        values[path] = [lv.objective for lv in result.levels]
    assert values["flow"] == values["mip"] == values["cpsat"]
