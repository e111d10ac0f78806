"""Why no plan: minimal conflicts in the district's terms, and fixes that
each, applied, give a plan that passes the checker."""

from __future__ import annotations

import pytest
from helpers import instance, staff, student

from optimizer.diagnosis import Fix, apply_fix
from optimizer.result import SolveStatus
from optimizer.solver.diagnose import minimal_conflicts, satisfiable
from optimizer.solver.dispatch import solve
from optimizer.solver.structure import build_structure
from optimizer.verify import audit

CASES = {
    # An extensive-needs autism SDC student whose only teacher holds MMSN.
    "credential gap": instance(
        [student("S1", primary_disability="AUT", support_level="EX",
                 setting="SDC", services=())],
        [staff("T1", provides=("SDC",), credentials=("R3MN",))]),
    # Three RSP students, one resource specialist with two places.
    "capacity gap": instance(
        [student(f"S{i}") for i in range(3)],
        [staff("T1", max_caseload=2)]),
    # A student at a site nobody serves.
    "site gap": instance(
        [student("S1"), student("S2", site="Z")], [staff("T1")]),
    # Two students pinned to a teacher with one place.
    "conflicting pin": instance(
        [student("S1"), student("S2")],
        [staff("T1", max_caseload=1), staff("T2")],
        pins={"S1": "T1", "S2": "T1"}),
}
EXPECTED = {
    "credential gap": [("needs", ["S1"])],
    "capacity gap": [("needs", ["S0", "S1", "S2"]), ("cap", "T1")],
    "site gap": [("needs", ["S2"])],
    "conflicting pin": [("cap", "T1"), ("pin", "T1")],
}


def relaxed(inst, rules):
    st = build_structure(inst.replace(pins={}), rules)
    st.pins = dict(inst.pins)
    st.instance = inst
    return st


def named(fact, st):
    if fact.kind == "needs":
        return ("needs", sorted(st.instance.students[m].student_id
                                for m in st.groups[fact.group].members))
    return (fact.kind, st.instance.staff[fact.staff].staff_id)


@pytest.mark.parametrize("case", list(CASES))
def test_conflict_names_the_right_facts(rules, case):
    st = relaxed(CASES[case], rules)
    (conflict,) = minimal_conflicts(st)
    assert sorted(named(f, st) for f in conflict) == sorted(EXPECTED[case])


@pytest.mark.parametrize("case", list(CASES))
def test_conflict_is_minimal(rules, case):
    st = relaxed(CASES[case], rules)
    (conflict,) = minimal_conflicts(st)
    comp = next(c for c in st.components
                if any(f.group in c.groups or f.staff in c.staff
                       for f in conflict))
    assert not satisfiable(st, comp, conflict)
    for fact in conflict:
        assert satisfiable(st, comp, [f for f in conflict if f != fact])


@pytest.mark.parametrize("case", list(CASES))
def test_every_fix_gives_a_checked_plan(rules, case):
    inst = CASES[case]
    result = solve(inst, rules)
    assert result.status is SolveStatus.INFEASIBLE
    fixes = [f for c in result.diagnosis.conflicts for f in c.fixes]
    assert fixes, result.diagnosis
    for kind, text, change in fixes:
        fixed = apply_fix(inst, Fix(kind, text, change))
        plan = solve(fixed, rules)
        assert plan.status is SolveStatus.OPTIMAL, text
        assert audit(fixed, rules, plan.assignment).compliant, text


def test_fix_kinds_offered(rules):
    kinds = {case: {k for c in solve(inst, rules).diagnosis.conflicts
                    for k, _, _ in c.fixes}
             for case, inst in CASES.items()}
    assert "add_staff" in kinds["credential gap"]
    assert kinds["capacity gap"] >= {"raise_cap", "add_staff"}
    assert "add_staff" in kinds["site gap"]
    assert kinds["conflicting pin"] >= {"raise_cap", "drop_pin"}


def test_rsp_caps_are_not_raised_beyond_the_waiver(rules):
    # 34 RSP students, one resource specialist at 28: raising to 34 would
    # exceed the EC 56362 waiver limit of 32, so it is not offered.
    inst = instance([student(f"S{i}") for i in range(34)], [staff("T1")])
    texts = [t for c in solve(inst, rules).diagnosis.conflicts
             for _, t, _ in c.fixes]
    assert not any("raise" in t for t in texts)
    inst30 = instance([student(f"S{i}") for i in range(30)], [staff("T1")])
    texts30 = [t for c in solve(inst30, rules).diagnosis.conflicts
               for _, t, _ in c.fixes]
    assert any("from 28 to 30 (over 28: needs an EC 56362(c) waiver" in t
               for t in texts30)


def test_license_only_staff_can_be_allowed_to_coordinate(rules):
    inst = instance([student("S1", services=("PT",))],
                    [staff("PT1", provides=("PT",), credentials=("LIC-PT",))])
    texts = [t for c in solve(inst, rules).diagnosis.conflicts
             for _, t, _ in c.fixes]
    assert "let Teacher PT1 (PT1) case-manage (coordinate)" in texts


def test_cap_fixes_follow_an_edited_caseload_table(rules, tmp_path):
    # Issue 9: the law lives in data/rules. A district whose table says
    # RSP 25, at most 27 with a waiver, gets fixes quoting 25 and 27: 27
    # students fit a waiver (offered), 29 do not (no raise offered).
    import shutil

    import optimizer as cl

    edited = tmp_path / "rules"
    shutil.copytree(cl.DEFAULT_RULES_DIR, edited)
    table = edited / "caseload_defaults.csv"
    table.write_text(table.read_text().replace("RSP,,28,32,", "RSP,,25,27,"))
    district = cl.load_rules(edited)
    inst = instance([student(f"S{i}") for i in range(27)], [staff("T1")])
    texts = [t for c in solve(inst, district).diagnosis.conflicts
             for _, t, _ in c.fixes]
    assert any("from 25 to 27 (over 25: needs an EC 56362(c) waiver, at "
               "most 27)" in t for t in texts), texts
    inst29 = instance([student(f"S{i}") for i in range(29)], [staff("T1")])
    texts29 = [t for c in solve(inst29, district).diagnosis.conflicts
               for _, t, _ in c.fixes]
    assert not any("raise" in t for t in texts29), texts29
