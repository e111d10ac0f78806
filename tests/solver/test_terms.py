"""S1-S4 on every solving path: hand-derived optima, each plan's terms as
the checker counts them (``objectives``, through ``verify.audit``), and
each level the solver reports equal to the checker's recomputation.
``path``/``weighted_path`` (tests/conftest.py) force the min-cost flow,
the HiGHS MIP or CP-SAT."""

from __future__ import annotations

from collections import Counter

from helpers import instance, staff, student

from optimizer.objectives import BALANCE_SCALE, ObjectiveWeights
from optimizer.result import SolverParams, SolveStatus
from optimizer.solver.dispatch import solve
from optimizer.verify import audit

PARAMS = SolverParams(time_limit=20)


def solved(inst, rules, path, weights=None):
    """The plan on ``path``: proven, compliant, and each level the
    solver reports equal to the checker's terms."""
    result = solve(inst, rules, weights, params=PARAMS, method=path)
    assert result.status is SolveStatus.OPTIMAL
    checked = audit(inst, rules, result.assignment)
    assert checked.compliant
    solver_terms_match_checker(result, checked)
    return result, checked


def solver_terms_match_checker(result, checked):
    """Each objective level's value equals the checker's recomputation."""
    for level in result.levels:
        recomputed = sum(coef * checked.terms[t]
                         for t, coef in level.terms.items())
        assert level.objective == recomputed, level


def test_s1_best_practice_is_never_traded_for_balance(rules, path):
    # Three speech+RSP students: the RSP teacher (cap 3) is best practice
    # for all three even though the SLP is idle.
    students = [student(f"S{i}", services=("SPEECH", "RSP"))
                for i in range(3)]
    rsp = staff("RSP", max_caseload=3)
    slp = staff("SLP", provides=("SPEECH",), credentials=("SLP-LSH",))
    result, checked = solved(instance(students, [rsp, slp]), rules, path)
    assert set(result.assignment.values()) == {"RSP"}
    assert checked.terms["S1"] == 0


def test_s2_balance_splits_evenly_by_utilization(rules, path):
    # Six identical students, RSP caps 8 and 4: utilization is even at a
    # 4/2 split (50% and 50%); 3/3 and 5/1 are uneven. So the optimum is
    # 4 and 2 exactly.
    students = [student(f"S{i}") for i in range(6)]
    big, small = staff("B", max_caseload=8), staff("s", max_caseload=4)
    result, checked = solved(instance(students, [big, small]), rules, path)
    assert Counter(result.assignment.values()) == {"B": 4, "s": 2}
    # S2 = round(1000/8)*4^2 + round(1000/4)*2^2 = 125*16 + 250*4 = 3000
    assert checked.terms["S2"] == 3000
    assert BALANCE_SCALE == 1000


def test_s2_weighted_loads_balance_by_weight(rules, weighted_path):
    # Weights 2, 2, 1, 1 and two equal case managers: 3 units each (one
    # heavy and one light student) beats 4/2 or 2/4.
    students = [student("H0", weight=2), student("H1", weight=2),
                student("L0"), student("L1")]
    result, checked = solved(
        instance(students, [staff("A"), staff("B")]), rules, weighted_path)
    a = result.assignment
    assert a["H0"] != a["H1"] and a["L0"] != a["L1"]
    # Loads in units of 1 (scale 1): a_c = round(1000/28) = 36 each.
    assert checked.terms["S2"] == 2 * 36 * 3 * 3


def test_s2_weighted_workload_is_proven_and_agrees_with_checker(
        rules, weighted_path):
    students = [student(f"S{i}", weight=w)
                for i, w in enumerate([1, 1.5, 2, 0.5, 1, 2])]
    inst = instance(students, [staff("A"), staff("B", max_caseload=3)])
    solved(inst, rules, weighted_path)


def test_s3_continuity_outweighs_small_imbalance(rules, path):
    # Prior case manager kept though a 2/0 split is less even than 1/1:
    # S3 weight 0.5 per student beats the balance gain (about 0.07).
    students = [student("S0", prior_case_manager="A"),
                student("S1", prior_case_manager="A")]
    result, checked = solved(
        instance(students, [staff("A"), staff("B")]), rules, path)
    assert result.assignment == {"S0": "A", "S1": "A"}
    assert checked.terms["S3"] == 0


def test_s3_a_lost_prior_is_counted_alike_by_solver_and_checker(rules,
                                                                path):
    # A has one place and was the prior of both: one student must move.
    # With continuity before balance (priority mode), the solver's S3
    # level and the checker's S3 both count exactly that one loss.
    students = [student("S0", prior_case_manager="A"),
                student("S1", prior_case_manager="A"),
                student("S2", prior_case_manager="B")]
    inst = instance(students, [staff("A", max_caseload=1), staff("B")])
    result, checked = solved(inst, rules, path,
                             ObjectiveWeights(mode="priority"))
    assert checked.terms["S3"] == 1
    assert [lv.objective for lv in result.levels
            if lv.terms == {"S3": 1}] == [1]
    assert result.assignment["S2"] == "B"
    assert Counter(result.assignment.values()) == {"A": 1, "B": 2}


def test_s4_language_match_is_preferred(rules, path):
    # The Spanish speaker comes first: without S4 a tie-break would be
    # as likely to pick them, so B (listed second) also speaks it.
    s = student("S0", home_language="Spanish")
    staff_ = [staff("A", languages=("spanish",)), staff("B")]
    result, checked = solved(instance([s], staff_), rules, path)
    assert result.assignment == {"S0": "A"}
    assert checked.terms["S4"] == 0
    assert checked.kpis.language_matches == 1
    swapped = [staff("B"), staff("A", languages=("spanish",))]
    again, _ = solved(instance([s], swapped), rules, path)
    assert again.assignment == {"S0": "A"}


def test_s4_outranks_balance_when_put_before_it(rules, path):
    # Every path starts from the flow's plan, which (unit weights) is
    # already optimal: a path that lost S4 kept it whenever no other term
    # pulled the student away, so the test above passed on a MIP without
    # S4. Here balance pulls: A already holds the two students at site
    # A2 (B does not serve it), so balance alone puts the Spanish
    # speaker with B; S4 before S2 keeps them with A.
    students = [student("X0", site="A2"), student("X1", site="A2"),
                student("S0", home_language="Spanish")]
    staff_ = [staff("A", sites=("A", "A2"), languages=("spanish",)),
              staff("B")]
    inst = instance(students, staff_)
    balance_first, checked = solved(inst, rules, path, ObjectiveWeights(
        mode="priority", priority=("S1", "S2", "S4", "S3")))
    assert balance_first.assignment["S0"] == "B"
    assert checked.terms["S4"] == 1
    result, checked = solved(inst, rules, path, ObjectiveWeights(
        mode="priority", priority=("S1", "S4", "S2", "S3")))
    assert result.assignment["S0"] == "A"
    assert checked.terms["S4"] == 0
