"""Issue 21: warnings a program administrator acts on.

SDC/DEPT students nobody at the site may instruct, alternate placements
missing the primary category's related service ("needs action", with the
right services per category), EMD outside ages 3-5, OI alternate
placements at mild-to-moderate support.
"""

from __future__ import annotations

from helpers import instance, staff, student

from optimizer.coverage import service_coverage


def sdc(sid, **kw):
    base = dict(setting="SDC", services=())
    base.update(kw)
    return student(sid, **base)


def teacher(cid, *credentials, **kw):
    return staff(cid, provides=("SDC",), credentials=credentials, **kw)


def test_sdc_student_nobody_may_instruct_is_needs_action(rules):
    md = sdc("S1", primary_disability="MD", grade="1")
    ok = sdc("S2", primary_disability="SLD", grade="1")
    cov = service_coverage(instance([md, ok], [teacher("T1", "R3MM")]),
                           rules)
    (flag,) = cov.flags
    assert flag.student_id == "S1" and flag.needs_action
    assert "T1 (H4)" in str(flag) and "H4" in str(flag)
    assert str(flag).startswith("needs action: student S1")
    assert cov.needs_action == (str(flag),)
    # an authorized teacher at the site: no flag
    cov = service_coverage(instance(
        [md], [teacher("T1", "R3MM"), teacher("T2", "R3MN")]), rules)
    assert cov.flags == ()


def test_sdc_student_with_no_teacher_of_the_setting(rules):
    cov = service_coverage(instance([sdc("S1")], [staff("C1")]), rules)
    (flag,) = cov.flags
    assert "no staff member there teaches SDC" in str(flag)


def test_sample_student_100089_is_warned_by_id(rules, sample):
    cov = service_coverage(sample.instance, rules)
    ids = [f.student_id for f in cov.flags if f.needs_action]
    assert ids == ["100089"]


def test_emd_past_ages_3_to_5_is_warned(rules):
    kids = [student("PK1", grade="PK", primary_disability="EMD"),
            student("K1", grade="K", primary_disability="EMD"),
            student("G7", grade="7", primary_disability="EMD"),
            student("G2", grade="2", secondary_disability="EMD")]
    cov = service_coverage(instance(kids, [staff("C1")]), rules)
    assert [(f.student_id, f.column) for f in cov.flags] == [
        ("G7", "primary_disability"), ("G2", "secondary_disability")]
    assert "EC 56441.11(d)" in str(cov.flags[0])
    assert not cov.flags[0].needs_action


def test_audiology_addresses_deafness_and_om_vision(rules):
    # Issue 21: AUD (DEAF/HH) and OM (VI) are the primary category's
    # related services too: no false "needs action".
    deaf = sdc("D1", primary_disability="DEAF", secondary_disability="ID",
               alt_placement_secondary=True, services=("AUD",))
    vi = sdc("V1", primary_disability="VI", secondary_disability="ID",
             alt_placement_secondary=True, services=("OM",))
    people = [teacher("T1", "R3MN"),
              staff("A1", provides=("AUD",), credentials=("SLP-AUD",)),
              staff("O1", provides=("OM",), credentials=("CRS-OM",))]
    cov = service_coverage(instance([deaf, vi], people), rules)
    assert cov.placement_gaps == ()
    bare = deaf.model_copy(update={"services": ()})
    cov = service_coverage(instance([bare], people), rules)
    (gap,) = cov.placement_gaps
    assert str(gap).startswith("needs action:")
    assert "DHH or AUD" in str(gap)


def test_oi_alternate_placement_at_mm_is_warned(rules):
    oi = sdc("O1", primary_disability="OI", secondary_disability="ID",
             alt_placement_secondary=True, services=("PT",))
    pt = staff("P1", provides=("PT",), credentials=("LIC-PT",))
    cov = service_coverage(instance([oi], [teacher("T1", "R3MN"), pt]),
                           rules)
    assert [f.column for f in cov.flags] == ["alt_placement_secondary"]
    assert "EC 56026.5" in str(cov.flags[0])
    severe = oi.model_copy(update={"support_level": "EX"})
    cov = service_coverage(instance([severe], [teacher("T1", "R3EN"), pt]),
                           rules)
    assert cov.flags == ()


# --------------------------------- plan-level figures (kpis, check, plan)

def test_slp_average_per_person_and_district(rules):
    from optimizer.verify import audit
    slps = [staff("P1", provides=("SPEECH",), credentials=("SLP-LSH",)),
            staff("P2", provides=("SPEECH",), credentials=("SLP-LSH",),
                  fte=0.5)]
    kids = [student(f"S{i}", services=("SPEECH",),
                    primary_disability="SLI") for i in range(90)]
    plan = {s.student_id: ("P1" if i < 55 else "P2")
            for i, s in enumerate(kids[:82])}
    got = audit(instance(kids[:82], slps), rules, plan)
    (avg,) = got.kpis.caseload_averages
    assert (avg["students"], avg["fte"], avg["average"]) == (82, 1.5, 54.7)
    assert not avg["over"]
    assert [(p["staff_id"], p["case_managed"], p["case_managed_per_fte"])
            for p in avg["per_person"]] == [("P1", 55, 55.0),
                                            ("P2", 27, 54.0)]
    # 90 speech students over 1.5 FTE: 60 on average, warned
    got = audit(instance(kids, slps), rules, plan)
    (avg,) = got.kpis.caseload_averages
    assert avg["average"] == 60.0 and avg["over"]
    from optimizer.outputs.text import rules_lines
    lines = rules_lines(got)
    assert any("Warning" in ln and "EC 56363.3" in ln for ln in lines)


def test_rsp_students_case_managed_by_others_by_site(rules):
    from optimizer.verify import audit, rsp_warning
    rsp = staff("R1", provides=("RSP",), max_caseload=2)
    sdc_t = teacher("T1", "R3MN")
    kids = [sdc(f"S{i}", services=("RSP",)) for i in range(3)] + [
        student("G1"), student("G2")]
    plan = {"S0": "T1", "S1": "T1", "S2": "T1", "G1": "R1", "G2": "R1"}
    got = audit(instance(kids, [rsp, sdc_t]), rules, plan)
    (row,) = got.kpis.rsp_case_managed_by_others
    assert row == {"site": "A", "students": 3, "spare_places": 0,
                   "short": 3}
    text = rsp_warning(row)
    assert "EC 56362(c)" in text and "H6" in text and "at least 3" in text
    roomy = rsp.model_copy(update={"max_caseload": 5})
    got = audit(instance(kids, [roomy, sdc_t]), rules, plan)
    (row,) = got.kpis.rsp_case_managed_by_others
    assert row["short"] == 0 and rsp_warning(row) is None


def test_check_names_unverified_students_and_needs_action(tmp_path):
    from pathlib import Path

    from click.testing import CliRunner

    from optimizer.cli import main
    sample = Path(__file__).parent.parent / "data" / "sample"
    out = tmp_path / "p"
    runner = CliRunner()
    assert runner.invoke(main, ["plan", str(sample), "--out", str(out),
                                "--no-xlsx"]).exit_code == 0
    result = runner.invoke(main, ["check", str(sample),
                                  str(out / "assignments.csv")])
    assert result.exit_code == 0
    text = result.stdout
    last = text.strip().splitlines()[-1]
    assert last.startswith("Compliant: every hard rule (H1-H7) holds; ")
    assert "184 student(s) rest on unverified authorization rows" in last
    assert "Needs action: 1" in text and "student 100089" in text
    assert "SPEECH district average" in text and ": 33 per" in text
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Needs action (1)" in report and "100089" in report
    assert "the district-wide average" in report
    assert "students resting on unverified authorization rows" in report
    # what a district must confirm, said plainly beside the rows
    assert "a district must confirm from each person" in report
    assert "EC 56362(b)" in report
    import json
    summary = json.loads((out / "summary.json").read_text())
    assert summary["services"]["needs_action"][0].startswith(
        "needs action: student 100089")
    assert summary["kpis"]["caseload_averages"][0]["average"] == 33.0


def test_authorized_by_names_the_verified_row_relied_on(rules):
    # Review F18: AAAS on R3MM was shown as "AAAS;R3MM", verified, though
    # R3MM's only autism row (I-MM-AUT) is unverified.
    from optimizer.rules import check_pair
    aut = sdc("S1", primary_disability="AUT")
    check = check_pair(aut, teacher("T1", "R3MM", "AAAS"), rules)
    assert check.verified and check.authorized_by == ("AAAS",)
    assert check.rule_ids == ("I-AA-AUT",)
    alone = check_pair(aut, teacher("T1", "R3MM"), rules)
    assert not alone.verified and alone.authorized_by == ("R3MM",)


def test_plan_summary_counts_what_needs_action(tmp_path):
    from pathlib import Path

    from click.testing import CliRunner

    from optimizer.cli import main
    sample = Path(__file__).parent.parent / "data" / "sample"
    result = CliRunner().invoke(main, ["plan", str(sample), "--out",
                                       str(tmp_path / "p"), "--no-xlsx"])
    assert result.exit_code == 0
    assert ("Needs action before this plan is used: 1 student(s) (see the "
            "warnings above and the report): 100089") in result.stdout


def test_needs_action_without_a_plan_speaks_of_the_roster(tmp_path):
    # An impossible H8 limit on the dated sample: no plan, so the count
    # of students that need action must not speak of "this plan".
    from pathlib import Path

    from click.testing import CliRunner

    from optimizer.cli import main
    dated = Path(__file__).parent.parent / "data" / "sample-dates"
    result = CliRunner().invoke(main, [
        "plan", str(dated), "--out", str(tmp_path / "p"), "--no-xlsx",
        "--weights", str(dated / "tight.toml")])
    assert result.exit_code == 3
    assert "this plan is used" not in result.stdout
    assert ("Needs action on this roster, with no plan yet: 1 student(s) "
            "(see the warnings above and the report): 100089"
            ) in result.stdout
