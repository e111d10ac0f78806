"""Service coverage in the product (issue 13): warnings at load, the plan
files, `check`, report.html, the rules table and the verified fixes."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from click.testing import CliRunner
from helpers import crow, srow, write_roster

from optimizer.cli import main
from optimizer.coverage import service_coverage
from optimizer.diagnosis import apply_fix
from optimizer.errors import InputError
from optimizer.inputs.roster import load_roster
from optimizer.inputs.rules_tables import load_rules
from optimizer.inputs.tables import DEFAULT_RULES_DIR
from optimizer.outputs.services import STAFFING_COLUMNS, staffing_record
from optimizer.service_fixes import coverage_fixes


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def gap_roster(tmp_path):
    """S2 needs OT at site A; the only OT serves site B. S3 is a Deaf
    student placed under ID with no DHH service on the IEP."""
    return write_roster(tmp_path / "roster", [
        srow("S1"),
        srow("S2", services="RSP;OT"),
        srow("S3", primary_disability="DEAF", secondary_disability="ID",
             support_level="EX", setting="SDC", services="SPEECH",
             alt_placement_secondary="yes"),
    ], [
        crow("C1"),
        crow("T1", provides="SDC", credentials="R3EN"),
        crow("SLP", provides="SPEECH", credentials="SLP-LSH"),
        crow("OT1", sites="B", provides="OT", credentials="LIC-OT"),
    ])


def test_a_gap_warns_and_the_plan_is_still_written(tmp_path, gap_roster):
    out = tmp_path / "out"
    result = run("plan", gap_roster, "--out", out)
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert ('students.csv, row 3, column "services": student S2: nobody at '
            "site A may provide OT (no staff member there provides OT)"
            in err)
    assert ('students.csv, row 4, column "alt_placement_secondary": needs '
            "action: student S3 is placed under the secondary disability "
            "(ID); the primary category, Deaf (DEAF), needs a related "
            "service (DHH or AUD) and the IEP lists none") in err
    assert (out / "assignments.csv").exists()
    services = json.loads((out / "summary.json").read_text())["services"]
    assert [(g["student_id"], g["site"], g["service"])
            for g in services["gaps"]] == [("S2", "A", "OT")]
    assert [(g["student_id"], g["primary_disability"], g["missing"])
            for g in services["alternate_placement_gaps"]] == [
        ("S3", "DEAF", "service")]
    assert services["shortfall_students"] == 1
    html = (out / "report.html").read_text()
    assert "IEP services nobody at the site may provide (1)" in html
    assert "Staffing by site and service" in html
    # The fix: an OT at A, checked by recomputing coverage. The OT row
    # rests on 5 CCR 3051.6 seen only as a SELPA quotes it (issue 10), so
    # the fix says it relies on an unverified row.
    (fix,) = services["fixes"]
    assert fix["fix"] == ("add a staff member at A providing OT with "
                          "credential LIC-OT (grades 3) (relies on an "
                          "unverified authorization row)")
    rows = list(csv.DictReader((out / "staffing.csv").open()))
    ot = next(r for r in rows if r["service"] == "OT")
    assert (ot["site"], ot["students"], ot["students_without_provider"],
            ot["shortfall_students"]) == ("A", "1", "1", "1")

    # check lists the same, and its exit code is unchanged (compliant).
    checked = run("check", gap_roster, out / "assignments.csv")
    assert checked.exit_code == 0, checked.output
    assert ("IEP services nobody at the site may provide: 1; alternate "
            "placements missing a related service: 1" in checked.stdout)
    assert "student S2: nobody at site A may provide OT" in checked.stdout
    assert "Fix (checked by recomputing coverage): add a staff member at " \
        "A providing OT" in checked.stdout


def test_no_gaps_no_service_warnings(tmp_path, gap_roster):
    roster = write_roster(tmp_path / "ok", [
        srow("S1"),
        srow("S3", primary_disability="DEAF", secondary_disability="ID",
             support_level="EX", setting="SDC", services="DHH",
             alt_placement_secondary="yes"),
    ], [crow("C1"), crow("T1", provides="SDC", credentials="R3EN"),
        crow("D1", sites="A;B", provides="DHH", credentials="R3HD")])
    loaded = load_roster(roster, load_rules())
    assert not [w for w in loaded.warnings
                if w.column in ("services", "alt_placement_secondary")]


def test_staffing_csv_columns_ids_first_and_round_trip(rules, sample):
    cov = service_coverage(sample.instance, rules)
    from optimizer.outputs.services import staffing_csv

    rows = list(csv.reader(io.StringIO(staffing_csv(cov))))
    assert tuple(rows[0]) == STAFFING_COLUMNS
    assert rows[0][:2] == ["site", "service"]
    assert len(rows) - 1 == len(cov.staffing)
    for cells, row in zip(rows[1:], cov.staffing):
        assert dict(zip(STAFFING_COLUMNS, cells)) == {
            k: str(v) for k, v in staffing_record(row).items()}
        assert int(cells[2]) == row.students


def test_every_fix_closes_its_gap_or_cuts_its_shortfall(rules, sample):
    inst = sample.instance
    cov = service_coverage(inst, rules)
    fixes = coverage_fixes(inst, rules, cov)
    assert fixes and all(f.kind == "add_staff" for f in fixes)
    before = {(r.site, r.service): r.shortfall for r in cov.staffing}
    for fix in fixes:
        after = service_coverage(apply_fix(inst, fix), rules)
        key = (fix.change["site"], fix.change["provides"])
        row = next(r for r in after.staffing if (r.site, r.service) == key)
        assert row.shortfall < before[key]
        assert row.without_provider == 0
    texts = [f.text for f in fixes]
    assert any("at JEF providing APE" in t for t in texts)
    # issue 21: no SLP hire for LIN's speech students over 55: 55 is a
    # district average (33 in the sample), not a site's limit
    assert not any("providing SPEECH" in t for t in texts)


@pytest.mark.parametrize("cell, column, message", [
    ("SLD", "primary_disability", "low-incidence"),
    ("XYZ", "primary_disability", ""),
])
def test_a_bad_related_services_table_is_located(tmp_path, cell, column,
                                                 message):
    rules_dir = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, rules_dir)
    table = rules_dir / "alt_placement_services.csv"
    text = table.read_text().replace("\nVI,VI;OM,", f"\n{cell},VI;OM,")
    table.write_text(text.replace("\nDB,DHH;VI;AUD;OM,", "\nDB,DHH;SIGN,"))
    with pytest.raises(InputError) as info:
        load_rules(rules_dir)
    problems = info.value.problems
    where = {(p.file, p.row, p.column) for p in problems}
    assert ("alt_placement_services.csv", 4, column) in where
    assert ("alt_placement_services.csv", 5, "services") in where
    assert message in str(info.value)
    assert 'unknown service "SIGN"' in str(info.value)


def test_a_missing_related_services_table_is_named(tmp_path):
    rules_dir = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, rules_dir)
    (rules_dir / "alt_placement_services.csv").unlink()
    with pytest.raises(InputError, match=r"alt_placement_services\.csv"):
        load_rules(rules_dir)


def test_redacted_plans_name_no_student_in_services(tmp_path, gap_roster):
    out = tmp_path / "out"
    result = run("plan", gap_roster, "--out", out, "--redact", "--quiet")
    assert result.exit_code == 0, result.output
    text = (out / "summary.json").read_text()
    services = json.loads(text)["services"]
    assert services["gaps"][0]["student_id"].startswith("P-")
    assert '"student_id": "S2"' not in text and "student S2" not in text
    assert "S2" not in (out / "staffing.csv").read_text()
