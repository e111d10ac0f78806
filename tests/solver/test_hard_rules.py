"""H1-H7 in the model: each rule holds when free; forcing a pair the rule
forbids makes the plan infeasible with that rule named in the diagnosis;
forcing an allowed pair stays feasible. Plans are re-checked by verify."""

from __future__ import annotations

import pytest
from helpers import instance, staff, student

from optimizer.result import SolverParams, SolveStatus
from optimizer.solver.dispatch import solve
from optimizer.verify import audit

PARAMS = SolverParams(time_limit=10)


def plan(inst, rules):
    result = solve(inst, rules, params=PARAMS)
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


def test_h1_every_student_gets_exactly_one_case_manager(rules):
    students = [student(f"S{i}") for i in range(5)]
    inst = instance(students, [staff("C1"), staff("C2")])
    result = plan(inst, rules)
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
        rules, forbidden_staff, rule):
    s = student("S1")
    free = plan(instance([s], [staff("OK"), forbidden_staff]), rules)
    assert free.status is SolveStatus.OPTIMAL
    assert free.assignment["S1"] == "OK"
    forced = plan(instance([s], [staff("OK"), forbidden_staff],
                           pins={"S1": "X"}), rules)
    assert rule in excluded_rules(forced, "X")
    allowed = plan(instance([s], [staff("OK"), forbidden_staff],
                            pins={"S1": "OK"}), rules)
    assert allowed.assignment == {"S1": "OK"}


def test_h4_instruction_needs_the_primary_disability(rules):
    # An ED student in an SDC; R3EN (ESN) does not cover OHI.
    s = student("S1", primary_disability="OHI", setting="SDC", services=(),
                support_level="EX")
    esn = staff("ESN", provides=("SDC",), credentials=("R3EN",))
    phi = staff("PHI", provides=("SDC",), credentials=("R3PI",))
    forced = plan(instance([s], [esn, phi], pins={"S1": "ESN"}), rules)
    assert "H4" in excluded_rules(forced, "ESN")
    free = plan(instance([s], [esn, phi]), rules)
    assert free.assignment == {"S1": "PHI"}


def test_h4_support_level_limits_mmsn_and_esn(rules):
    ex = student("S1", primary_disability="AUT", setting="SDC", services=(),
                 support_level="EX")
    mmsn = staff("MM", provides=("SDC",), credentials=("R3MN",))
    esn = staff("EX", provides=("SDC",), credentials=("R3EN",))
    assert plan(instance([ex], [mmsn, esn]), rules).assignment == {"S1": "EX"}
    forced = plan(instance([ex], [mmsn, esn], pins={"S1": "MM"}), rules)
    assert "H4" in excluded_rules(forced, "MM")


def test_h6_caps_hold_and_a_capacity_gap_is_diagnosed(rules):
    students = [student(f"S{i}") for i in range(3)]
    two = staff("C1", max_caseload=2)
    result = plan(instance(students, [two]), rules)
    assert result.status is SolveStatus.INFEASIBLE
    (short,) = result.diagnosis.shortfalls
    # Three students, one eligible person with two places: one short.
    assert short.shortfall == 1
    assert sorted(short.student_ids) == ["S0", "S1", "S2"]
    assert short.staff == (("C1", "Teacher C1", 2),)
    ok = plan(instance(students, [two, staff("C2", max_caseload=1)]), rules)
    assert ok.status is SolveStatus.OPTIMAL
    counts = {}
    for cm in ok.assignment.values():
        counts[cm] = counts.get(cm, 0) + 1
    assert counts == {"C1": 2, "C2": 1}


def test_h6_checker_flags_over_cap(rules):
    inst = instance([student(f"S{i}") for i in range(3)],
                    [staff("C1", max_caseload=2)])
    a = audit(inst, rules, {f"S{i}": "C1" for i in range(3)})
    assert [v.rule for v in a.violations] == ["H6"]


def test_h6_default_cap_is_table_default_times_fte(rules):
    # RSP default 28 (EC 56362(c)) at 0.5 FTE -> 14 places.
    students = [student(f"S{i}") for i in range(15)]
    result = plan(instance(students, [staff("C1", fte=0.5)]), rules)
    assert result.diagnosis.shortfalls[0].shortfall == 1
