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


def test_weights_too_far_apart_for_64_bits_are_refused_as_settings(
        tmp_path):
    """S3 at 1e13 against S2 at 1.001 puts a level past what 64-bit
    integers hold on the sample (its largest possible value is about
    3e21): before, a part too large for the MIP crashed with an
    OverflowError (and CP-SAT with a TypeError). Now it is a located
    settings error naming S3, from the library and from the command
    (exit 1, no traceback); the same weights a million apart plan."""
    from pathlib import Path

    from click.testing import CliRunner

    from optimizer.cli import main
    from optimizer.errors import InputError
    from optimizer.inputs.roster import load_roster
    from tests.test_properties import RULES

    sample = Path(__file__).parent.parent / "data" / "sample"
    inst = load_roster(sample, RULES).instance
    with pytest.raises(InputError) as caught:
        solve(inst, RULES, ObjectiveWeights(S2=1.001, S3=1e13),
              SolverParams(time_limit=5))
    (problem,) = caught.value.problems
    assert problem.column == "S3" and problem.value == "1e+13"
    assert "too far apart" in problem.message
    done = CliRunner().invoke(main, [
        "plan", str(sample), "--out", str(tmp_path / "out"),
        "--weight", "S2=1.001", "--weight", "S3=1e13"])
    assert done.exit_code == 1, done.output
    assert "too far apart" in done.output
    assert "Traceback" not in done.output
    assert not (tmp_path / "out").exists()
    result = solve(inst, RULES, ObjectiveWeights(S2=1.001, S3=1e6),
                   SolverParams(time_limit=5))
    assert result.has_plan
    # The ceiling bounds what a plan reaches (here, each level's value).
    from optimizer.objectives import level_ceiling
    from optimizer.solver.structure import build_structure

    structure = build_structure(inst, RULES)
    units = int(structure.arrays.units.max())
    for lv in result.levels:
        assert lv.objective <= sum(level_ceiling(
            lv.terms, len(inst.students), structure.caps, units, 0).values())
