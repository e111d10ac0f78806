"""Issue 14, defect 3: among equally good plans, the one closest to a
reference plan (the base plan of a comparison, the published plan of
``plan --from``), so "changed vs base" counts only changes the scenario
causes. The reference term is the last objective level; the checker
recomputes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import instance, staff, student

import optimizer as cl
from optimizer.objectives import ObjectiveWeights
from optimizer.result import SolverParams, SolveStatus
from optimizer.solver.dispatch import solve
from optimizer.verify import audit

ROOT = Path(__file__).parent.parent


def four_identical():
    """Four identical RSP students, two identical RSP teachers (cap 2):
    every 2/2 split is optimal in S1-S4, so only the reference decides."""
    students = [student(f"S{i}") for i in range(4)]
    return instance(students, [staff("C1", max_caseload=2),
                               staff("C2", max_caseload=2)])


def swapped(assignment: dict[str, str]) -> dict[str, str]:
    other = {"C1": "C2", "C2": "C1"}
    return {sid: other[cm] for sid, cm in assignment.items()}


@pytest.mark.parametrize("method", ["auto", "cpsat"])
@pytest.mark.parametrize("mode", ["priority-then-weights", "priority",
                                  "weights"])
def test_reference_decides_between_equally_good_plans(rules, method, mode):
    inst = four_identical()
    weights = ObjectiveWeights(mode=mode)
    first = solve(inst, rules, weights, method=method)
    assert first.status is SolveStatus.OPTIMAL
    # The mirror image of the first plan is just as good in S1-S4, so
    # with it as the reference the plan must be exactly the mirror image
    # (0 changes), not the first plan again (4 changes).
    reference = swapped(first.assignment)
    again = solve(inst, rules, weights, method=method, reference=reference)
    assert again.status is SolveStatus.OPTIMAL
    assert again.assignment == reference
    assert again.levels[-1].terms == {"R": 1}
    assert again.levels[-1].objective == 0


def test_reference_never_costs_s1_to_s4(rules):
    # Student S0 wants Spanish; only C2 speaks it. A reference that puts
    # S0 with C1 must not be followed: S4 comes before closeness.
    students = [student("S0", home_language="Spanish"), student("S1")]
    inst = instance(students, [staff("C1", max_caseload=1),
                               staff("C2", max_caseload=1,
                                     languages=("Spanish",))])
    result = solve(inst, rules, reference={"S0": "C1", "S1": "C2"})
    assert result.assignment == {"S0": "C2", "S1": "C1"}
    assert result.levels[-1].objective == 2


def test_weighted_loads_follow_the_reference(rules):
    # Weighted workloads go through CP-SAT: the last level there too.
    students = [student(f"S{i}", weight=1.5) for i in range(4)]
    inst = instance(students, [staff("C1", max_caseload=2),
                               staff("C2", max_caseload=2)])
    first = solve(inst, rules)
    reference = swapped(first.assignment)
    again = solve(inst, rules, reference=reference)
    assert again.assignment == reference


def test_checker_recomputes_the_reference_term(rules):
    inst = four_identical()
    first = solve(inst, rules)
    reference = swapped(first.assignment)
    # Against the mirror image every student differs: R = 4.
    checked = audit(inst, rules, first.assignment, reference=reference)
    assert checked.terms["R"] == 4
    again = solve(inst, rules, reference=reference)
    checked = audit(inst, rules, again.assignment, reference=reference)
    for level in again.levels:
        assert level.objective == sum(c * checked.terms[t]
                                      for t, c in level.terms.items())
    # Without a reference there is no such term.
    assert "R" not in audit(inst, rules, first.assignment).terms


def test_students_without_a_reference_are_not_counted(rules):
    inst = four_identical()
    result = solve(inst, rules, reference={"S0": "C1", "S1": "C1"})
    # S0 and S1 follow the reference; S2 and S3 have none (not counted).
    assert result.assignment["S0"] == result.assignment["S1"] == "C1"
    assert result.levels[-1].objective == 0
    # A reference case manager no longer on the roster counts as a change.
    result = solve(inst, rules, reference={"S0": "GONE"})
    assert result.levels[-1].objective == 1


def test_ortiz_retirement_changes_only_what_it_causes(rules):
    from optimizer.inputs import scenarios

    base = cl.load_roster(cl.DEFAULT_SAMPLE_DIR, rules).instance
    sc = scenarios.load_scenario(ROOT / "scenarios" / "ortiz-retires.toml")
    inst = scenarios.apply(base, sc, rules)
    base_plan = solve(base, rules, params=SolverParams(60))
    plain = solve(inst, rules, params=SolverParams(60))
    close = solve(inst, rules, params=SolverParams(60),
                  reference=base_plan.assignment)
    assert close.status is SolveStatus.OPTIMAL
    # Same S1-S4 values as without the reference ...
    assert [lv.objective for lv in close.levels[:-1]] == [
        lv.objective for lv in plain.levels]
    changed = {sid for sid, cm in close.assignment.items()
               if base_plan.assignment[sid] != cm}
    assert len(changed) == close.levels[-1].objective
    # ... and exactly Ms. Ortiz's (T0018) 18 students change: before the
    # tie-break, 54 did (students at Lincoln and Roosevelt moved between
    # teachers with equal loads and caps).
    assert changed == {sid for sid, cm in base_plan.assignment.items()
                       if cm == "T0018"}
    assert len(changed) == 18
    # The CP-SAT path reaches the same number of changes (proven).
    check = solve(inst, rules, params=SolverParams(60), method="cpsat",
                  reference=base_plan.assignment)
    assert check.status is SolveStatus.OPTIMAL
    assert check.levels[-1].objective == close.levels[-1].objective


def test_yearly_plan_changes_only_where_s3_allows(sample, rules):
    # A yearly plan: the reference is last year's case managers, and
    # "changed" (vs last year) = S3 + students whose prior case manager
    # may not take them any more, so no equally good plan keeps more.
    result = solve(sample.instance, rules)
    checked = audit(sample.instance, rules, result.assignment)
    changed = sum(ln.prior_kept is False for ln in checked.lines)
    cannot = sum(bool(ln.student.prior_case_manager)
                 and not ln.prior_allowed for ln in checked.lines)
    assert changed == checked.terms["S3"] + cannot


def test_replan_from_keeps_the_published_plan_with_r_last(tmp_path):
    # plan --from on the very roster of the published plan: nothing must
    # change, and summary.json shows R (vs the published plan) last, 0.
    import json

    from click.testing import CliRunner

    from optimizer.cli import main

    run = CliRunner().invoke
    pub, new = tmp_path / "pub", tmp_path / "new"
    assert run(main, ["plan", "--out", str(pub), "--no-xlsx"]).exit_code == 0
    result = run(main, ["plan", "--from", str(pub), "--out", str(new),
                        "--no-xlsx"])
    assert result.exit_code == 0, result.output
    summary = json.loads((new / "summary.json").read_text())
    last = summary["objective"]["levels"][-1]
    assert last["terms"] == {"R": 1} and last["objective"] == 0
    assert summary["objective"]["terms"]["R_changes_vs_reference"] == 0
    assert (new / "changes.csv").read_text().count("\n") == 1  # header


def test_costs_too_large_for_the_flow_go_to_cpsat(rules, monkeypatch):
    # When the lexicographic flow costs would overflow OR-Tools' int64
    # arithmetic, the flow is only a hint and CP-SAT solves every level,
    # R included, to the same proven optimum.
    from optimizer.solver import flow

    inst = four_identical()
    first = solve(inst, rules)
    reference = swapped(first.assignment)
    monkeypatch.setattr(flow, "_MAX_COST", 10)
    again = solve(inst, rules, reference=reference)
    assert again.status is SolveStatus.OPTIMAL
    assert again.assignment == reference
    assert again.levels[-1].objective == 0
