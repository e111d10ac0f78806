"""H1-H7 on every solving path: each rule holds when free, on the min-cost
flow, the HiGHS MIP and CP-SAT alike (``path``, forced through
``solve(method=...)``); forcing a pair the rule forbids makes the plan
infeasible with that rule named in the diagnosis (the flow's capacity
test and the diagnosis decide that before any path runs); forcing an
allowed pair stays feasible. Every plan is re-checked by verify."""

from __future__ import annotations

from collections import Counter

import pytest
from helpers import instance, staff, student

from optimizer.result import SolverParams, SolveStatus
from optimizer.solver.dispatch import solve
from optimizer.verify import audit

PARAMS = SolverParams(time_limit=10)


def plan(inst, rules, path="auto"):
    result = solve(inst, rules, params=PARAMS, method=path)
    if result.has_plan:
        assert audit(inst, rules, result.assignment).compliant
    return result


def excluded_rules(result, staff_id):
    """The H-ids the diagnosis gives for a staff member."""
    assert result.status is SolveStatus.INFEASIBLE
    rules = set()
    for nc in result.diagnosis.no_candidates:
        for ex in nc.excluded:
            if ex.staff_id == staff_id:
                rules |= {r for r, _ in ex.reasons}
    return rules


def test_h1_every_student_gets_exactly_one_case_manager(rules, path):
    students = [student(f"S{i}") for i in range(5)]
    inst = instance(students, [staff("C1"), staff("C2")])
    result = plan(inst, rules, path)
    assert result.status is SolveStatus.OPTIMAL
    assert sorted(result.assignment) == sorted(s.student_id for s in students)


def test_h1_holds_with_weighted_loads(rules, weighted_path):
    students = [student(f"S{i}", weight=w)
                for i, w in enumerate([1, 1.5, 2, 0.5, 1])]
    inst = instance(students, [staff("C1"), staff("C2")])
    result = plan(inst, rules, weighted_path)
    assert result.status is SolveStatus.OPTIMAL
    assert sorted(result.assignment) == sorted(s.student_id for s in students)


def test_h1_checker_flags_missing_and_unknown(rules):
    inst = instance([student("S1"), student("S2")], [staff("C1")])
    a = audit(inst, rules, {"S1": "C1", "S2": "NOPE"},
              duplicates={"S1": 2}, unknown_students=["S9"])
    h1 = [v for v in a.violations if v.rule == "H1"]
    # S2's case manager is unknown, S1 appears twice, S9 is not enrolled.
    assert {v.student_id for v in h1} == {"S1", "S2", "S9"}


@pytest.mark.parametrize("forbidden_staff, rule", [
    (staff("X", can_case_manage=False), "H2"),                  # may not
    (staff("X", provides=("PT",), credentials=("LIC-PT",)), "H2"),  # license
    (staff("X", sites=("B",)), "H3"),                           # other site
    (staff("X", grades=frozenset({"9", "10"})), "H7"),          # grades
    (staff("X", credentials=("SLP-LSH",)), "H5"),                # RSP unauth.
])
def test_forcing_a_forbidden_pair_is_infeasible_with_its_rule(
        rules, forbidden_staff, rule, path):
    s = student("S1")
    free = plan(instance([s], [staff("OK"), forbidden_staff]), rules, path)
    assert free.status is SolveStatus.OPTIMAL
    assert free.assignment["S1"] == "OK"
    forced = plan(instance([s], [staff("OK"), forbidden_staff],
                           pins={"S1": "X"}), rules)
    assert rule in excluded_rules(forced, "X")
    allowed = plan(instance([s], [staff("OK"), forbidden_staff],
                            pins={"S1": "OK"}), rules, path)
    assert allowed.assignment == {"S1": "OK"}


def test_h4_instruction_needs_the_primary_disability(rules, path):
    # An ED student in an SDC; R3EN (ESN) does not cover OHI.
    s = student("S1", primary_disability="OHI", setting="SDC", services=(),
                support_level="EX")
    esn = staff("ESN", provides=("SDC",), credentials=("R3EN",))
    phi = staff("PHI", provides=("SDC",), credentials=("R3PI",))
    forced = plan(instance([s], [esn, phi], pins={"S1": "ESN"}), rules)
    assert "H4" in excluded_rules(forced, "ESN")
    free = plan(instance([s], [esn, phi]), rules, path)
    assert free.assignment == {"S1": "PHI"}


def test_h4_support_level_limits_mmsn_and_esn(rules, path):
    ex = student("S1", primary_disability="AUT", setting="SDC", services=(),
                 support_level="EX")
    mmsn = staff("MM", provides=("SDC",), credentials=("R3MN",))
    esn = staff("EX", provides=("SDC",), credentials=("R3EN",))
    free = plan(instance([ex], [mmsn, esn]), rules, path)
    assert free.assignment == {"S1": "EX"}
    forced = plan(instance([ex], [mmsn, esn], pins={"S1": "MM"}), rules)
    assert "H4" in excluded_rules(forced, "MM")


def test_h6_a_capacity_gap_is_diagnosed(rules):
    students = [student(f"S{i}") for i in range(3)]
    two = staff("C1", max_caseload=2)
    result = plan(instance(students, [two]), rules)
    assert result.status is SolveStatus.INFEASIBLE
    (short,) = result.diagnosis.shortfalls
    # Three students, one eligible person with two places: one short.
    assert short.shortfall == 1
    assert sorted(short.student_ids) == ["S0", "S1", "S2"]
    assert short.staff == (("C1", "Teacher C1", 2),)


def test_h6_caps_hold_on_every_path(rules, path):
    students = [student(f"S{i}") for i in range(3)]
    inst = instance(students, [staff("C1", max_caseload=2),
                               staff("C2", max_caseload=1)])
    ok = plan(inst, rules, path)
    assert ok.status is SolveStatus.OPTIMAL
    assert Counter(ok.assignment.values()) == {"C1": 2, "C2": 1}


def test_h6_cap_holds_against_best_practice_with_weights(rules,
                                                         weighted_path):
    # C1 is every student's best-practice provider (S1 comes first) but
    # has 2 places; the three students differ in weight, so neither a
    # group's size nor S2's load domain caps C1 at 2 students: only H6
    # does (the review's M2: dropping CP-SAT's H6 builder passed every
    # unit-weight test).
    students = [student("S0"), student("S1"), student("S2", weight=2)]
    c2 = staff("C2", provides=("COORD",), credentials=("R3MS",))
    inst = instance(students, [staff("C1", max_caseload=2), c2])
    result = plan(inst, rules, weighted_path)
    assert result.status is SolveStatus.OPTIMAL
    assert Counter(result.assignment.values()) == {"C1": 2, "C2": 1}
    assert result.levels[0].objective == 1  # one best-practice miss


def test_h6_checker_flags_over_cap(rules):
    inst = instance([student(f"S{i}") for i in range(3)],
                    [staff("C1", max_caseload=2)])
    a = audit(inst, rules, {f"S{i}": "C1" for i in range(3)})
    assert [v.rule for v in a.violations] == ["H6"]


def test_h6_default_cap_is_table_default_times_fte(rules, path):
    # RSP default 28 (EC 56362(c)) at 0.5 FTE -> 14 places.
    students = [student(f"S{i}") for i in range(15)]
    result = plan(instance(students, [staff("C1", fte=0.5)]), rules)
    assert result.diagnosis.shortfalls[0].shortfall == 1
    full = plan(instance(students[:14], [staff("C1", fte=0.5)]), rules,
                path)
    assert full.status is SolveStatus.OPTIMAL
    assert len(full.assignment) == 14


@pytest.mark.parametrize("method, reason", [
    ("flow", "unit weights"), ("mip", "cannot express R")])
def test_a_path_that_cannot_solve_an_instance_says_so(rules, method,
                                                      reason):
    inst = instance([student("S0", weight=2), student("S1")],
                    [staff("C1")])
    reference = {"S0": "C1"} if method == "mip" else None
    with pytest.raises(ValueError, match=reason):
        solve(inst, rules, method=method, reference=reference)
    with pytest.raises(ValueError, match="unknown method"):
        solve(inst, rules, method="greedy")
