"""Issue 10 through ``caseload plan``: each reading on a small roster with a
program specialist (coordinator) to fall back on, plus the authorizations
setting on the command line, in settings and scenario files, and in the
report.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import crow, srow, write_roster

from optimizer.cli import main

ROOT = Path(__file__).parent.parent
COORDINATOR = crow("PS", provides="COORD", credentials="R3MN")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def plan_one(tmp_path, student: dict, specialist: dict, *flags):
    """Plan one student with one specialist and the coordinator; return
    (case manager, relation, authorization_verified) of the student."""
    roster = write_roster(tmp_path / "roster", [student],
                          [specialist, COORDINATOR])
    out = tmp_path / "out"
    result = invoke("plan", roster, "--out", out, "--no-xlsx", *flags)
    assert result.exit_code == 0, result.output
    with open(out / "assignments.csv", encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    checked = invoke("check", roster, out / "assignments.csv", *flags)
    assert checked.exit_code == 0, checked.output
    return (row["case_manager_id"], row["relation"],
            row["authorization_verified"])


def sdc_student(**kw):
    return srow("S1", setting="SDC", services="", **kw)


def sdc_teacher(credentials, **kw):
    return crow("T", provides="SDC", credentials=credentials, **kw)


INSTRUCTS = "instructs"
FALLBACK = ("PS", "coordinates", "")

CASES = {
    # 1. legacy Mild/Moderate: autism at MM (unverified), never at EX
    "1-granted": (sdc_student(primary_disability="AUT"),
                  sdc_teacher("R3MM"), ("T", INSTRUCTS, "no")),
    "1-denied": (sdc_student(primary_disability="AUT", support_level="EX"),
                 sdc_teacher("R3MM"), FALLBACK),
    "1-verified": (sdc_student(), sdc_teacher("R3MM"),
                   ("T", INSTRUCTS, "yes")),
    # 2. added authorizations rest on a teaching base, within its grades
    "2-granted": (sdc_student(primary_disability="AUT", support_level="EX"),
                  sdc_teacher("R3MM;AAAS"), ("T", INSTRUCTS, "yes")),
    "2-denied": (sdc_student(primary_disability="AUT"),
                 sdc_teacher("PPS-SC;AAAS"), FALLBACK),
    "2-verified": (sdc_student(primary_disability="AUT", grade="TK",
                               support_level="EX"),
                   sdc_teacher("R3MM;AAAS"), ("T", INSTRUCTS, "no")),
    # 3. the Special Class Authorization needs the SLP credential
    "3-granted": (sdc_student(primary_disability="SLI"),
                  sdc_teacher("SLP-LSH;SLP-SCA"), ("T", INSTRUCTS, "yes")),
    "3-denied": (sdc_student(primary_disability="SLI"),
                 sdc_teacher("SLP-SCA"), FALLBACK),
    # 4. ID with extensive needs
    "4-granted": (sdc_student(primary_disability="ID", grade="K"),
                  sdc_teacher("R3ER"), ("T", INSTRUCTS, "yes")),
    "4-denied": (sdc_student(primary_disability="ID", grade="K",
                             support_level="EX"),
                 sdc_teacher("R3ER"), FALLBACK),
    "4-verified": (sdc_student(primary_disability="ID", support_level="EX"),
                   sdc_teacher("R3MS"), ("T", INSTRUCTS, "no")),
    # 5. service rows reach only their categories
    "5-granted": (srow("S1", primary_disability="HH", services="DHH"),
                  crow("T", provides="DHH", credentials="R3HD"),
                  ("T", "serves", "yes")),
    "5-denied": (srow("S1", primary_disability="AUT", services="DHH"),
                 crow("T", provides="DHH", credentials="R3HD"), FALLBACK),
    "5-denied-om": (srow("S1", primary_disability="SLD", services="OM"),
                    crow("T", provides="OM", credentials="CRS-OM"),
                    FALLBACK),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_reading_through_caseload_plan(tmp_path, case):
    student, specialist, expected = CASES[case]
    assert plan_one(tmp_path, student, specialist) == expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_verified_only_keeps_verified_pairs_and_drops_the_rest(tmp_path,
                                                               case):
    # Under verified-only a pair the default marks verified stays; one it
    # marks unverified falls back to the coordinator (e.g. 1-granted rests
    # on I-MM-AUT, 2-verified on the base row I-MM-TK).
    student, specialist, expected = CASES[case]
    strict = plan_one(tmp_path, student, specialist,
                      "--authorizations", "verified-only")
    assert strict == (FALLBACK if expected[2] == "no" else expected)


# -------------------------------------------------- 6. caps set by law

def staff_roster(tmp_path, **cap):
    return write_roster(tmp_path / "roster", [srow("S1")],
                        [crow("T", **cap), COORDINATOR])


def test_rsp_cap_above_32_is_bad_input(tmp_path):
    roster = staff_roster(tmp_path, max_caseload=33)
    result = invoke("plan", roster, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert ('staff.csv, row 2, column "max_caseload": 33 is above the cap '
            "set by law for anyone providing RSP: at most 28, 32 with a "
            "waiver (EC 56362(c)") in result.output
    assert "Traceback" not in result.output


def test_rsp_cap_29_to_32_is_a_warning_naming_the_waiver(tmp_path):
    roster = staff_roster(tmp_path, max_caseload=30)
    result = invoke("plan", roster, "--out", tmp_path / "out", "--no-xlsx")
    assert result.exit_code == 0
    assert ('Warning: staff.csv, row 2, column "max_caseload": 30 is above '
            "28 and needs a waiver, allowed up to 32 (EC 56362") in (
                result.stderr)


def test_rsp_cap_28_is_accepted_silently(tmp_path):
    roster = staff_roster(tmp_path, max_caseload=28)
    result = invoke("plan", roster, "--out", tmp_path / "out", "--no-xlsx")
    assert result.exit_code == 0
    assert "max_caseload" not in result.stderr


def test_preschool_slp_cap_is_40_for_pk_and_tk(tmp_path):
    slp = crow("T", provides="SPEECH", credentials="SLP-LSH", grades="PK;TK",
               max_caseload=41)
    roster = write_roster(tmp_path / "roster",
                          [srow("S1", grade="TK", services="SPEECH")],
                          [slp, COORDINATOR])
    result = invoke("plan", roster, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "EC 56441.7(a)" in result.output
    slp["max_caseload"] = ""
    write_roster(tmp_path / "roster", [srow("S1", grade="TK",
                                            services="SPEECH")],
                 [slp, COORDINATOR])
    result = invoke("plan", roster, "--out", tmp_path / "out", "--no-xlsx")
    assert result.exit_code == 0
    caps = (tmp_path / "out" / "caseloads.csv").read_text()
    assert "T,Teacher T,1,1,40," in caps


def test_scenario_cap_above_the_law_is_bad_input(tmp_path):
    sc = tmp_path / "over.toml"
    sc.write_text(f'roster = "{ROOT / "data" / "sample"}"\n'
                  '[[update_staff]]\nstaff_id = "T0008"\n'
                  "max_caseload = 40\n")
    result = invoke("compare", sc, "--out", tmp_path / "cmp")
    assert result.exit_code == 1
    assert 'over.toml, key "update_staff.max_caseload"' in result.output
    assert "EC 56362(c)" in result.output


# ------------------------------------------ 7. the authorizations setting

@pytest.fixture(scope="module")
def strict_sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("strict") / "out"
    result = invoke("plan", ROOT / "data" / "sample", "--out", out,
                    "--no-xlsx", "--authorizations", "verified-only")
    assert result.exit_code == 0, result.output
    return out, result


def test_sample_plan_verified_only_relies_on_no_unverified_row(
        strict_sample):
    out, result = strict_sample
    with open(out / "assignments.csv", encoding="utf-8") as fh:
        flags = {r["authorization_verified"] for r in csv.DictReader(fh)}
    assert "no" not in flags
    summary = json.loads((out / "summary.json").read_text())
    assert summary["parameters"]["authorizations"] == "verified-only"
    assert summary["kpis"]["students_on_unverified_rows"] == 0
    assert "Authorizations: verified-only" in result.output


def test_sample_plan_verified_only_passes_check(strict_sample):
    out, _ = strict_sample
    for flags in ((), ("--authorizations", "verified-only")):
        result = invoke("check", ROOT / "data" / "sample",
                        out / "assignments.csv", *flags)
        assert result.exit_code == 0, result.output


def test_plan_under_all_fails_check_under_verified_only(tmp_path):
    out = tmp_path / "out"
    assert invoke("plan", ROOT / "data" / "sample", "--out", out,
                  "--no-xlsx").exit_code == 0
    result = invoke("check", ROOT / "data" / "sample",
                    out / "assignments.csv", "--authorizations",
                    "verified-only")
    assert result.exit_code == 4
    assert "H5" in result.output
    report = (out / "report.html").read_text()
    assert "Students relying on unverified authorization rows" in report
    assert "S-RSP-CURRENT" in report


def test_settings_file_key(tmp_path):
    student, specialist, _ = CASES["1-granted"]
    settings = tmp_path / "settings.toml"
    settings.write_text('authorizations = "verified-only"\n')
    roster = write_roster(tmp_path / "roster", [student],
                          [specialist, COORDINATOR])
    result = invoke("plan", roster, "--out", tmp_path / "o1", "--no-xlsx",
                    "--weights", settings)
    assert result.exit_code == 0, result.output
    assert ",PS,Teacher PS,coordinates," in (
        tmp_path / "o1" / "assignments.csv").read_text()
    settings.write_text('authorizations = "some"\n')
    result = invoke("plan", roster, "--out", tmp_path / "o2", "--weights",
                    settings)
    assert result.exit_code == 1
    assert ('settings.toml, key "authorizations": expected one of all, '
            'verified-only (got "some")') in result.output


def test_shipped_scenario_shows_the_difference(tmp_path):
    result = invoke("compare", ROOT / "scenarios" / "verified-only.toml",
                    "--out", tmp_path / "cmp", "--no-xlsx", "--json")
    assert result.exit_code == 0, result.output
    base, strict = json.loads(result.stdout)
    assert (base["authorizations"], strict["authorizations"]) == (
        "all", "verified-only")
    assert base["on_unverified_rows"] > 0
    assert strict["on_unverified_rows"] == 0
    assert strict["best_practice"] < base["best_practice"]
    assert strict["changed_vs_base"] > 0


def test_explain_names_the_base_of_an_added_authorization(tmp_path):
    student, specialist, _ = CASES["2-verified"]  # AAAS on R3MM at TK
    roster = write_roster(tmp_path / "roster", [student],
                          [specialist, COORDINATOR])
    result = invoke("explain", roster, "--student", "S1")
    assert result.exit_code == 0, result.output
    assert "Authorization: AAAS by rule I-AA-AUT (INSTRUCT):" in (
        result.output)
    assert ("Base of the added authorization: R3MM by rule I-MM-TK "
            "(INSTRUCT) [UNVERIFIED]") in result.output
    strict = invoke("explain", roster, "--student", "S1",
                    "--authorizations", "verified-only")
    assert "Case manager: Teacher PS (PS)" in strict.output
    assert ("AAAS is an added authorization and needs a verified "
            "special-education teaching credential covering grade TK as "
            "its base (row I-AA-AUT)") in strict.output


def test_scenario_authorizations_key_is_validated(tmp_path):
    sc = tmp_path / "strict.toml"
    sc.write_text(f'roster = "{ROOT / "data" / "sample"}"\n'
                  'authorizations = "verified"\n')
    result = invoke("compare", sc, "--out", tmp_path / "cmp")
    assert result.exit_code == 1
    assert ('strict.toml, key "authorizations": expected one of all, '
            'verified-only (got "verified")') in result.output


def test_place_follows_the_authorizations_setting(tmp_path):
    roster = write_roster(tmp_path / "roster", [sdc_student()],
                          [sdc_teacher("R3MM"), COORDINATOR])
    assert invoke("plan", roster, "--out", tmp_path / "out",
                  "--no-xlsx").exit_code == 0
    arrival = {**sdc_student(primary_disability="AUT"), "student_id": "N1"}
    new = write_roster(tmp_path / "new", [arrival],
                       [COORDINATOR]) / "students.csv"
    args = ("place", roster, "--plan", tmp_path / "out", "--student-file",
            new)
    loose, strict = invoke(*args), invoke(*args, "--authorizations",
                                          "verified-only")
    assert loose.exit_code == strict.exit_code == 0, strict.output
    # R3MM instructs autism only by an unverified row (I-MM-AUT).
    assert "T Teacher T (instructs, best practice" in loose.output
    assert "T Teacher T" not in strict.output
    assert "PS Teacher PS (coordinates" in strict.output
