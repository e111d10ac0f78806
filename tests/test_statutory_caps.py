"""Issue 21: caps set by law come from what a person does, never from the
order of ``provides``; the SLP 55 of EC 56363.3 is a district average.

Each bypass the review found (a blank ``max_caseload`` and a first
``provides`` entry other than RSP) is now held to the law's cap, by the
model and by ``caseload check`` (H6).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import instance, staff, student

from optimizer.cli import main
from optimizer.verify import audit

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "data" / "sample"


@pytest.mark.parametrize("provides, grades, credentials, cap", [
    (("COORD", "RSP"), None, ("R3MN",), 28),
    (("SPEECH", "RSP"), None, ("SLP-LSH", "R3MN"), 28),
    (("AUD", "RSP"), None, ("SLP-AUD", "R3MN"), 28),
    (("COORD", "SPEECH"), frozenset({"PK", "TK"}), ("SLP-LSH",), 40),
    (("RSP", "COORD"), None, ("R3MN",), 28),
    (("COORD",), None, ("R3MN",), 60),
], ids=["COORD;RSP", "SPEECH;RSP", "AUD;RSP", "COORD;SPEECH-PK-TK",
        "RSP;COORD", "COORD"])
def test_blank_cap_is_the_legal_cap_whatever_the_order(rules, provides,
                                                        grades, credentials,
                                                        cap):
    kw = {} if grades is None else {"grades": grades}
    c = staff(provides=provides, credentials=credentials, **kw)
    assert rules.effective_cap(c) == cap


def test_legal_cap_scales_with_fte_and_caps_an_explicit_value(rules):
    half = staff(provides=("COORD", "RSP"), fte=0.5)
    assert rules.effective_cap(half) == 14
    assert "EC 56362(c)" in rules.cap_reason(half)
    # an explicit value within the waiver is kept (read-time warning)
    assert rules.effective_cap(staff(provides=("COORD", "RSP"),
                                     max_caseload=30)) == 30
    # one beyond the law (refused when read) never passes the ceiling
    assert rules.effective_cap(staff(provides=("COORD", "RSP"),
                                     max_caseload=60)) == 32


def test_explicit_cap_above_the_law_is_refused_for_any_order(rules):
    issue = rules.legal_cap_issue(staff(provides=("COORD", "RSP"),
                                        max_caseload=45))
    assert issue[0] == "error" and "EC 56362(c)" in issue[1]
    slp = staff(provides=("COORD", "SPEECH"), credentials=("SLP-LSH",),
                grades=frozenset({"PK"}), max_caseload=45)
    issue = rules.legal_cap_issue(slp)
    assert issue[0] == "error" and "EC 56441.7(a)" in issue[1]


def test_slp_cap_above_the_average_is_warned_not_silent(rules):
    slp = staff(provides=("SPEECH",), credentials=("SLP-LSH",),
                max_caseload=90)
    issue = rules.legal_cap_issue(slp)
    assert issue is not None and issue[0] == "warning"
    assert "EC 56363.3" in issue[1] and "average" in issue[1]
    assert rules.legal_cap_issue(slp.model_copy(
        update={"max_caseload": 55})) is None


def test_h6_in_audit_for_a_coord_rsp_specialist_given_29(rules):
    c = staff("T1", provides=("COORD", "RSP"))
    kids = [student(f"S{i:02d}") for i in range(29)]
    got = audit(instance(kids, [c]), rules,
                {s.student_id: "T1" for s in kids})
    h6 = [v for v in got.violations if v.rule == "H6"]
    assert len(h6) == 1
    assert "cap of 28" in h6[0].message and "EC 56362(c)" in h6[0].message
    ok = audit(instance(kids[:28], [c]), rules,
               {s.student_id: "T1" for s in kids[:28]})
    assert ok.compliant


def _copy_sample(tmp_path: Path) -> Path:
    roster = tmp_path / "roster"
    shutil.copytree(SAMPLE, roster)
    return roster


def test_check_reports_h6_for_a_hand_made_plan(tmp_path):
    # The review's reproduction: T0001 listed as COORD;RSP with a blank
    # cap, given 29 RSP students by hand; check must say H6 and exit 4.
    roster = _copy_sample(tmp_path)
    path = roster / "staff.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for r in rows:
        if r["staff_id"] == "T0001":
            r["provides"] = "COORD;RSP"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]),
                           lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    students = list(csv.DictReader(
        (roster / "students.csv").open(encoding="utf-8")))
    lin_rsp = [s["student_id"] for s in students
               if s["site"] == "LIN" and "RSP" in s["services"]
               and s["setting"] == "GENED"]
    assert len(lin_rsp) >= 29
    plan = tmp_path / "assignments.csv"
    with plan.open("w", newline="", encoding="utf-8") as fh:
        fh.write("student_id,case_manager_id\n")
        for sid in lin_rsp[:29]:
            fh.write(f"{sid},T0001\n")
    result = CliRunner().invoke(main, ["check", str(roster), str(plan)])
    assert result.exit_code == 4, result.output
    h6 = [ln for ln in result.output.splitlines() if ln.startswith("H6")]
    assert len(h6) == 1 and "T0001" in h6[0]
    assert "cap of 28" in h6[0] and "EC 56362(c)" in h6[0]


# ------------------------------------------- the rules tables' readings

def test_bridge_authorizes_nothing_alone(rules):
    from optimizer.rules import check_pair
    aut = student(primary_disability="AUT", setting="SDC", services=())
    alone = staff(provides=("SDC",), credentials=("R3BM",))
    assert [e.rule for e in check_pair(aut, alone, rules).exclusions] \
        == ["H4"]
    held = staff(provides=("SDC",), credentials=("R3MM", "R3BM"))
    check = check_pair(aut, held, rules)
    assert check.eligible and "I-BRIDGE-MM" in check.rule_ids


def test_mmsn_and_esn_resource_service_within_their_support_level(rules):
    from optimizer.rules import check_pair
    ex = student(support_level="EX")
    mm = student(support_level="MM")
    mmsn, esn = staff(credentials=("R3MN",)), staff(credentials=("R3EN",))
    assert check_pair(mm, mmsn, rules).eligible
    assert [e.rule for e in check_pair(ex, mmsn, rules).exclusions] \
        == ["H5"]
    assert check_pair(ex, esn, rules).eligible
    assert [e.rule for e in check_pair(mm, esn, rules).exclusions] \
        == ["H5"]


def test_lad_is_not_in_the_legacy_resource_row(rules):
    legacy = next(r for r in rules.authorizations
                  if r.rule_id == "S-RSP-LEGACY")
    assert "R3LD" not in legacy.credentials and not legacy.verified
    lad = [r for r in rules.authorizations if r.activity == "RSP"
           and "R3LD" in r.credentials]
    assert lad and not any(r.verified for r in lad)


@pytest.mark.parametrize("method", ["flow", "mip", "cpsat"])
@pytest.mark.parametrize("provides", [("COORD", "RSP"), ("SPEECH", "RSP"),
                                      ("AUD", "RSP")])
def test_every_solving_path_holds_the_legal_cap(rules, method, provides):
    # H6 is built from effective_cap, so the flow, the MIP and CP-SAT
    # cannot give a resource specialist more than 28 whatever their first
    # provides entry.
    from optimizer.result import SolverParams, SolveStatus
    from optimizer.solver.dispatch import solve
    creds = {"COORD": ("R3MN",), "SPEECH": ("SLP-LSH", "R3MN"),
             "AUD": ("SLP-AUD", "R3MN")}[provides[0]]
    rs = staff("R1", provides=provides, credentials=creds)
    other = staff("R2", provides=("RSP",), credentials=("R3MN",))
    kids = [student(f"S{i:02d}") for i in range(40)]
    inst = instance(kids, [rs, other])
    result = solve(inst, rules, params=SolverParams(time_limit=10),
                   method=method)
    assert result.status is SolveStatus.OPTIMAL
    load = sum(1 for cm in result.assignment.values() if cm == "R1")
    assert load <= 28 and audit(inst, rules, result.assignment).compliant
    alone = solve(instance(kids[:29], [rs]), rules,
                  params=SolverParams(time_limit=10), method=method)
    assert alone.status is SolveStatus.INFEASIBLE


def test_slp_cap_of_90_is_warned_when_the_roster_is_read(tmp_path):
    from helpers import crow, srow, write_roster
    roster = write_roster(tmp_path / "r", [srow("S1", services="SPEECH",
                                                primary_disability="SLI")],
                          [crow("P1", provides="SPEECH",
                                credentials="SLP-LSH", max_caseload=90)])
    result = CliRunner().invoke(main, ["plan", str(roster), "--out",
                                       str(tmp_path / "out"), "--no-xlsx"])
    assert result.exit_code == 0, result.output
    assert ('staff.csv, row 2, column "max_caseload": 90 is above the '
            "average of 55") in result.stderr
    assert "EC 56363.3" in result.stderr


def test_coord_rsp_cap_of_45_is_refused_naming_the_statute(tmp_path):
    from helpers import crow, srow, write_roster
    roster = write_roster(tmp_path / "r", [srow("S1")],
                          [crow("R1", provides="COORD;RSP",
                                max_caseload=45)])
    result = CliRunner().invoke(main, ["plan", str(roster), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 1
    assert ('column "max_caseload": 45 is above the cap set by law for '
            "anyone providing RSP: at most 28, 32 with a waiver "
            "(EC 56362(c))") in result.output


def test_lad_instructs_id_at_mild_moderate_only(rules):
    from optimizer.rules import check_pair
    lad = staff(provides=("SDC",), credentials=("R3LD",))
    mm = student(primary_disability="ID", setting="SDC", services=())
    assert check_pair(mm, lad, rules).eligible
    ex = mm.model_copy(update={"support_level": "EX"})
    assert [e.rule for e in check_pair(ex, lad, rules).exclusions] == ["H4"]
