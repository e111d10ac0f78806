"""What-if scenarios, comparison, Excel in and out."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

import optimizer as cl
from optimizer.cli import main
from optimizer.inputs.excel import read_plan_assignments
from optimizer.inputs.plans import read_assignment
from optimizer.verify import audit

ROOT = Path(__file__).parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "out"
    result = run("compare", *SCENARIOS, "--out", out)
    assert result.exit_code == 0, result.output
    return out, result


def table(path: Path) -> dict[str, str]:
    return {r["student_id"]: r["case_manager_id"]
            for r in csv.DictReader(path.open())}


def test_compare_prints_the_table_and_writes_files(comparison):
    out, result = comparison
    assert "Scenarios compared" in result.output
    for name in ("compare.csv", "changes.csv", "report.html",
                 "summary.json"):
        assert (out / name).exists()
    rows = list(csv.DictReader((out / "compare.csv").open()))
    # The base plus one row per scenario file, in order.
    assert next(r["scenario"] for r in rows) == "Base roster"
    assert len(rows) == 1 + len(SCENARIOS)


def test_every_scenario_plan_passes_check(comparison, rules):
    out, _ = comparison
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        if not (folder / "assignments.csv").exists():
            continue  # an infeasible scenario: no plan to check
        if folder.name == "base":
            roster = cl.load_roster(cl.DEFAULT_SAMPLE_DIR, rules).instance
        else:
            from optimizer.inputs import scenarios

            sc = scenarios.load_scenario(ROOT / "scenarios" /
                                         f"{folder.name}.toml")
            base = cl.load_roster(sc.roster, rules).instance
            roster = scenarios.apply(base, sc, rules)
        assignment, dup = read_assignment(folder / "assignments.csv")
        assert not dup
        assert audit(roster, rules, assignment).compliant, folder.name


def test_no_change_scenario_equals_the_base(comparison):
    out, _ = comparison
    assert (out / "no-changes" / "assignments.csv").read_bytes() == (
        out / "base" / "assignments.csv").read_bytes()
    rows = {r["scenario"]: r for r in
            csv.DictReader((out / "compare.csv").open())}
    assert rows["No changes (control)"]["changed_vs_base"] == "0"


def test_pins_and_forbidden_pairs_are_respected(comparison):
    out, _ = comparison
    plan = table(out / "family-requests" / "assignments.csv")
    assert plan["100005"] == "T0007"
    assert plan["100006"] != "T0001"


def test_infeasible_scenario_is_a_row_with_its_diagnosis(comparison):
    out, result = comparison
    rows = {r["scenario"]: r for r in
            csv.DictReader((out / "compare.csv").open())}
    row = rows["Open Washington before staffing it"]
    assert row["status"] == "INFEASIBLE"
    assert "no staff member serves site WAS (H3)" in row["diagnosis"]
    assert "no staff member serves site WAS (H3)" in result.output


def test_changes_csv_lists_students_whose_manager_changes(comparison):
    out, _ = comparison
    base = table(out / "base" / "assignments.csv")
    retire = table(out / "ortiz-retires" / "assignments.csv")
    # Every student of the retiring T0018 must appear as a change.
    moved = {s for s, cm in base.items() if cm == "T0018"}
    assert moved
    rows = [r for r in csv.DictReader((out / "changes.csv").open())
            if r["scenario"] == "ortiz-retires"]
    assert moved <= {r["student_id"] for r in rows}
    assert all(retire[r["student_id"]] == r["scenario_case_manager"]
               for r in rows)


# A TOML file has keys, not columns (issue 14).
@pytest.mark.parametrize("text, expected", [
    # misspelled key
    ('roster = "../data/sample"\nremove_stafff = ["T0001"]\n',
     'key "remove_stafff": unknown key'),
    # unknown staff id
    ('roster = "../data/sample"\nremove_staff = ["NOPE"]\n',
     'unknown staff_id "NOPE"'),
    # bad value
    ('roster = "../data/sample"\n[[update_staff]]\nstaff_id = "T0001"\n'
     'max_caseload = -4\n', 'key "update_staff.max_caseload": expected '
     'a whole number >= 0, got "-4"'),
    # weights that are not a table
    ('roster = "../data/sample"\n[objective]\nweights = [1, 2]\n',
     'key "objective": expected [objective] with mode, priority'),
    # unknown field in a staff record
    ('roster = "../data/sample"\n[[add_staff]]\nstaff_id = "N"\nname = "N"'
     '\nsites = "LIN"\nprovides = "RSP"\ncolour = "blue"\n',
     'key "add_staff.colour": unknown field'),
])
def test_bad_scenario_files_exit_1_naming_key_and_value(tmp_path, text,
                                                         expected):
    path = ROOT / "scenarios" / "zz-test-bad.toml"
    try:
        path.write_text(text)
        result = run("compare", path, "--out", tmp_path / "o")
    finally:
        path.unlink()
    assert result.exit_code == 1, result.output
    assert "zz-test-bad.toml" in result.output
    assert expected in result.output, result.output


def test_scenario_names_that_clash_are_named_alone(tmp_path):
    """A scenario file named 'base' (the comparison's own plan) or two of
    one name: exit 1 naming those files, not the others."""
    text = 'name = "x"\ndescription = "x"\nroster = "%s"\n' % (
        ROOT / "data" / "sample").as_posix()
    for folder, name in (("a", "base"), ("a", "same"), ("b", "same"),
                         ("a", "fine")):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / f"{name}.toml").write_text(text)
    files = [tmp_path / "a" / "base.toml", tmp_path / "a" / "same.toml",
             tmp_path / "b" / "same.toml", tmp_path / "a" / "fine.toml"]
    result = run("compare", *files, "--out", tmp_path / "o")
    assert result.exit_code == 1, result.output
    assert "the comparison's own plan is 'base'" in result.output
    assert result.output.count("also named 'same'") == 2
    assert "fine.toml" not in result.output
    assert not (tmp_path / "o").exists()


def to_workbook(folder: Path, target: Path) -> Path:
    book = Workbook()
    book.remove(book.active)
    for sheet in ("students", "staff"):
        ws = book.create_sheet(sheet)
        for row in csv.reader((folder / f"{sheet}.csv").open()):
            ws.append(row)
    book.save(target)
    return target


def test_excel_roster_gives_the_same_plan_as_csv(tmp_path):
    xlsx = to_workbook(cl.DEFAULT_SAMPLE_DIR, tmp_path / "roster.xlsx")
    a = run("plan", "--out", tmp_path / "csv", "--no-xlsx")
    b = run("plan", xlsx, "--out", tmp_path / "xlsx", "--no-xlsx")
    assert a.exit_code == b.exit_code == 0, b.output
    assert (tmp_path / "csv" / "assignments.csv").read_bytes() == (
        tmp_path / "xlsx" / "assignments.csv").read_bytes()


def test_excel_errors_name_sheet_row_and_column(tmp_path):
    book = Workbook()
    book.remove(book.active)
    students = book.create_sheet("students")
    students.append(["student_id", "site", "grade", "primary_disability",
                     "setting"])
    students.append(["S1", "A", "14", "SLD", "GENED"])
    staff = book.create_sheet("staff")
    staff.append(["staff_id", "name", "sites", "provides"])
    staff.append(["C1", "Ms. A", "A", "RSP"])
    book.save(tmp_path / "bad.xlsx")
    result = run("plan", tmp_path / "bad.xlsx", "--out", tmp_path / "o")
    assert result.exit_code == 1
    assert 'bad.xlsx [students], row 2, column "grade": expected PK' \
           in result.output


def test_plan_xlsx_round_trips_assignments(tmp_path):
    assert run("plan", "--out", tmp_path / "p").exit_code == 0
    rows = read_plan_assignments(tmp_path / "p" / "plan.xlsx")
    csv_rows = list(csv.reader((tmp_path / "p" / "assignments.csv").open()))
    assert rows == csv_rows


def test_json_output_is_the_summary(tmp_path):
    result = run("plan", "--out", tmp_path / "p", "--json", "--no-xlsx")
    assert result.exit_code == 0
    data = json.loads(result.stdout)  # warnings go to stderr
    assert data["status"] == "OPTIMAL" and data["proven_optimal"] is True


def test_compare_shows_the_services_shortfall(comparison, rules):
    """Issue 13: each scenario's staffing shortfall, equal to the sum of
    its staffing.csv; hiring an SLP at Lincoln lowers it, a retirement
    raises it."""
    out, result = comparison
    # The terminal table's header is "services" over "short" (issue 14:
    # headers wrap so the table fits the terminal), right-aligned.
    lines = result.output.splitlines()
    i = next(i for i, ln in enumerate(lines) if ln.rstrip().endswith(
        "services"))
    assert lines[i + 1].rstrip().endswith("short")
    assert len(lines[i].rstrip()) == len(lines[i + 1].rstrip())
    rows = {r["scenario"]: r for r in
            csv.DictReader((out / "compare.csv").open())}
    for folder, name in (("base", "Base roster"),
                         ("hire-slp-lincoln",
                          "Hire a bilingual SLP at Lincoln"),
                         ("ortiz-retires", "Ms. Ortiz retires")):
        staffing = list(csv.DictReader((out / folder / "staffing.csv")
                                       .open()))
        total = sum(float(r["shortfall_students"]) for r in staffing)
        assert float(rows[name]["services_shortfall"]) == pytest.approx(
            total)
    base = float(rows["Base roster"]["services_shortfall"])
    assert base > 0
    # Issue 21: the SLP 55 is a district average (EC 56363.3), so Lincoln's
    # 57 speech students against one SLP are no shortfall; hiring a second
    # SLP there leaves the shortfall as it was and lowers the average.
    hire = rows["Hire a bilingual SLP at Lincoln"]
    assert float(hire["services_shortfall"]) == base
    assert float(hire["speech_average"]) < float(
        rows["Base roster"]["speech_average"]) <= 55
    assert float(rows["Ms. Ortiz retires"]["services_shortfall"]) > base
