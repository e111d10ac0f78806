"""Headers are matched the way people write them (issue 14, defect 1).

"Support Level" is support_level; a header near a contract column but not
matched is an error with "did you mean"; a header matching nothing is an
extra column carried through to the plan files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import STUDENT_HEADER, crow, srow, write_roster

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.inputs import roster as io
from optimizer.inputs.csv_cells import DEFAULT_SAMPLE_DIR

SAMPLE = Path(DEFAULT_SAMPLE_DIR)
CONTRACT = {c.name for c in (*io.STUDENT_COLUMNS, *io.STAFF_COLUMNS)}


def title_case(name: str) -> str:
    """support_level -> "Support Level", can_case_manage -> "Can Case
    Manage" (the way a spreadsheet export writes a header)."""
    return " ".join(w.capitalize() for w in name.split("_"))


def rewrite_headers(src: Path, dst: Path, rename) -> None:
    with open(src, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[0] = [rename(h) for h in rows[0]]
    with open(dst, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def plan_files(roster: Path, out: Path) -> dict[str, bytes]:
    result = CliRunner().invoke(main, ["plan", str(roster), "--out",
                                       str(out), "--no-xlsx", "--quiet"])
    assert result.exit_code == 0, result.output
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_title_case_headers_give_the_identical_plan(tmp_path):
    # Every contract column in Title Case With Spaces; the roster's own
    # columns (last_name, first_name) are left as they are, so every
    # byte of assignments.csv and caseloads.csv must be the same.
    roster = tmp_path / "titled"
    roster.mkdir()
    for name in ("students.csv", "staff.csv"):
        rewrite_headers(SAMPLE / name, roster / name,
                        lambda h: title_case(h) if h in CONTRACT else h)
    header = (roster / "staff.csv").read_text().splitlines()[0]
    assert "Can Case Manage" in header and "Max Caseload" in header
    base = plan_files(SAMPLE, tmp_path / "base")
    titled = plan_files(roster, tmp_path / "out")
    assert titled["assignments.csv"] == base["assignments.csv"]
    assert titled["caseloads.csv"] == base["caseloads.csv"]


@pytest.mark.parametrize("header, column", [
    ("Support Level", "support_level"),
    ("SUPPORT-LEVEL", "support_level"),
    (" support_level ", "support_level"),
    ("Prior Case Manager", "prior_case_manager"),
    ("Teacher Of Record", "teacher_of_record"),
    ("home-language", "home_language"),
])
def test_student_header_spellings(tmp_path, rules, header, column):
    values = {"support_level": "EX", "prior_case_manager": "C1",
              "teacher_of_record": "C1", "home_language": "Spanish"}
    row = srow("S1", **{header: values[column]})
    names = [header if h == column else h for h in STUDENT_HEADER]
    folder = write_roster(tmp_path / "r", [row], [crow()],
                          student_header=names)
    roster = io.load_roster(folder, rules)
    assert roster.instance.extra_columns == ()
    assert getattr(roster.instance.students[0], column) == values[column]


def test_staff_header_spellings_are_read(tmp_path, rules):
    # The case: "Max Caseload" and "Can Case-Manage" were dropped,
    # so a member marked "no" became a case manager (H2).
    folder = tmp_path / "r"
    write_roster(folder, [srow()], [])
    (folder / "staff.csv").write_text(
        "Staff ID,Name,Sites,Provides,Credentials,Max Caseload,"
        "Can Case-Manage\n"
        "C1,Ms. A,A,RSP,R3MN,7,no\n")
    member = io.load_roster(folder, rules).instance.staff[0]
    assert member.max_caseload == 7
    assert member.can_case_manage is False


def problems(folder, rules) -> list[str]:
    with pytest.raises(InputError) as exc:
        io.load_roster(folder, rules)
    return [str(p) for p in exc.value.problems]


def test_optional_header_near_a_contract_column_is_an_error(tmp_path,
                                                            rules):
    names = [h for h in STUDENT_HEADER if h != "support_level"]
    folder = write_roster(tmp_path / "r", [srow(**{"Suport Level": "EX"})],
                          [crow()], student_header=names)
    found = problems(folder, rules)
    assert found == [
        'students.csv, row 1, column "Suport Level": not a contract column'
        ' (did you mean "support_level"?); rename it, or start it with '
        '"x_" to keep it as a column of your own'], found


def test_x_prefix_keeps_a_near_header_as_an_extra_column(tmp_path, rules):
    names = [h for h in STUDENT_HEADER if h != "support_level"]
    folder = write_roster(tmp_path / "r",
                          [srow(**{"x_Suport Level": "EX"})], [crow()],
                          student_header=names)
    roster = io.load_roster(folder, rules)
    assert roster.instance.extra_columns == ("x_Suport Level",)
    assert roster.instance.students[0].support_level == "MM"


def test_unrelated_header_is_carried_as_an_extra_column(tmp_path, rules):
    folder = write_roster(tmp_path / "r",
                          [srow(**{"Student Name": "Ana", "Notes": "x"})],
                          [crow()])
    roster = io.load_roster(folder, rules)
    assert roster.instance.extra_columns == ("Student Name", "Notes")


def test_same_column_twice_after_normalising(tmp_path, rules):
    folder = write_roster(tmp_path / "r",
                          [srow(**{"Support Level": "EX",
                                   "support_level": "MM"})], [crow()])
    found = problems(folder, rules)
    assert any('column "support_level" appears twice' in p
               for p in found), found


def test_required_header_near_miss_names_the_header(tmp_path, rules):
    folder = tmp_path / "r"
    write_roster(folder, [srow()], [crow()])
    text = (folder / "students.csv").read_text()
    (folder / "students.csv").write_text(
        text.replace("primary_disability", "Primary Disabilty", 1))
    found = problems(folder, rules)
    assert len(found) == 1, found
    assert found[0].startswith(
        'students.csv, row 1, column "primary_disability": required column '
        '"primary_disability" is missing (did you mean "Primary '
        'Disabilty"?)'), found


def test_header_spellings_in_a_workbook(tmp_path, rules):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    students = book.active
    students.title = "students"
    students.append(["Student ID", "Site", "Grade", "Primary Disability",
                     "Setting", "Services", "Support Level"])
    students.append(["S1", "A", "3", "SLD", "GENED", "RSP", "EX"])
    staff = book.create_sheet("staff")
    staff.append(["Staff ID", "Name", "Sites", "Provides", "Credentials"])
    staff.append(["C1", "Ms. A", "A", "RSP", "R3MN"])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    roster = io.load_roster(path, rules)
    assert roster.instance.students[0].support_level == "EX"



def test_a_missing_required_column_hints_at_a_likely_header():
    # "Pupil Number" (pupil is a synonym of student) beats "Student
    # Name" (a shared word only); "Placement Type" hints at setting.
    from optimizer.inputs.csv_cells import match_headers

    columns = [("student_id", True), ("site", True), ("setting", True)]
    match = match_headers("s.csv", ["Student Name", "Site", "Pupil Number",
                                    "Placement Type"], columns)
    text = [str(p) for p in match.problems]
    assert any('"student_id" is missing (did you mean "Pupil Number"?)'
               in t for t in text), text
    assert any('"setting" is missing (did you mean "Placement Type"?)'
               in t for t in text), text
    assert match.extra == [0, 2, 3]  # nothing read under a guess
