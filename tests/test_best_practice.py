"""The CTC guidance's four best-practice examples (S1) on every solving path
(``path``), and the relations."""

from __future__ import annotations

import pytest
from helpers import instance, staff, student

from optimizer.result import SolverParams
from optimizer.solver.dispatch import solve
from optimizer.verify import audit

SITE_STAFF = [
    staff("SLP", provides=("SPEECH",), credentials=("SLP-LSH",)),
    staff("RSP", provides=("RSP",), credentials=("R3MN",)),
    staff("SDC", provides=("SDC",), credentials=("R3EN",)),
    staff("PT", provides=("PT",), credentials=("LIC-PT",)),
    staff("PS", provides=("COORD",), credentials=("R3MS",)),
]


def assigned(s, path):
    """Who ``path`` (a forced solving path) gives ``s`` to, and how."""
    import optimizer as cl

    rules = cl.load_rules()
    inst = instance([s], SITE_STAFF)
    result = solve(inst, rules, params=SolverParams(time_limit=10),
                   method=path)
    checked = audit(inst, rules, result.assignment)
    assert checked.compliant
    assert checked.terms["S1"] == 0  # best practice met
    return result.assignment[s.student_id], checked.lines[0].check.relation


def test_ctc_speech_only_goes_to_the_slp(path):
    s = student("S", primary_disability="SLI", services=("SPEECH",))
    assert assigned(s, path) == ("SLP", "serves")


def test_ctc_speech_and_rsp_goes_to_the_rsp_teacher(path):
    s = student("S", services=("SPEECH", "RSP"))
    assert assigned(s, path) == ("RSP", "serves")


def test_ctc_pt_and_sdc_goes_to_the_sdc_teacher(path):
    s = student("S", primary_disability="MD", support_level="EX",
                setting="SDC", services=("PT",))
    assert assigned(s, path) == ("SDC", "instructs")


def test_ctc_rsp_fully_included_goes_to_the_rsp_teacher(path):
    s = student("S", primary_disability="OHI", setting="GENED",
                services=("RSP",))
    assert assigned(s, path) == ("RSP", "serves")


def test_coordinator_only_case_manager_needs_no_specialty(rules):
    # A VI student at a site whose only eligible person is a program
    # specialist with R3MS (no VI authorization): coordinates is allowed.
    s = student("S", primary_disability="VI", services=("OM",))
    ps = staff("PS", provides=("COORD",), credentials=("R3MS",))
    inst = instance([s], [ps])
    result = solve(inst, rules)
    line = audit(inst, rules, result.assignment).lines[0]
    assert result.assignment == {"S": "PS"}
    assert line.check.relation == "coordinates"
    assert line.check.authorized_by == ()


def test_teacher_of_record_is_the_only_instructor(rules, path):
    s = student("S", primary_disability="AUT", setting="SDC", services=(),
                teacher_of_record="T2")
    t1 = staff("T1", provides=("SDC",), credentials=("R3MN",))
    t2 = staff("T2", provides=("SDC",), credentials=("R3MN",))
    inst = instance([s], [t1, t2])
    result = solve(inst, rules, method=path)
    line = audit(inst, rules, result.assignment).lines[0]
    # T1 also teaches SDC but is not the teacher of record: only T2
    # instructs; T1 would merely coordinate, which is not best practice.
    assert result.assignment == {"S": "T2"}
    assert line.check.relation == "instructs"
    assert line.check.best_practice


def test_low_incidence_alternate_placement_follows_the_secondary(rules,
                                                                 path):
    # OI primary placed under autism: the SDC teacher needs an autism
    # authorization (R3EN), not an OI one (R3PI).
    s = student("S", primary_disability="OI", secondary_disability="AUT",
                alt_placement_secondary=True, setting="SDC",
                support_level="EX", services=("PT",))
    esn = staff("ESN", provides=("SDC",), credentials=("R3EN",))
    phi = staff("PHI", provides=("SDC",), credentials=("R3PI",))
    inst = instance([s], [esn, phi])
    result = solve(inst, rules, method=path)
    assert result.assignment == {"S": "ESN"}
    forced = solve(instance([s], [esn, phi], pins={"S": "PHI"}), rules)
    reasons = [m for nc in forced.diagnosis.no_candidates
               for ex in nc.excluded if ex.staff_id == "PHI"
               for r, m in ex.reasons if r == "H4"]
    assert reasons and "secondary disability" in reasons[0]


@pytest.mark.parametrize("secondary, ok", [("HH", True), (None, False)])
def test_dhh_teacher_takes_autism_only_with_hearing_loss(rules, secondary,
                                                         ok):
    s = student("S", primary_disability="AUT", secondary_disability=secondary,
                setting="SDC", services=())
    dhh = staff("D", provides=("SDC",), credentials=("R3HD",))
    check = audit(instance([s], [dhh]), rules, {"S": "D"})
    assert check.compliant is ok
