"""Files as a district downloads them (issue 19): SEIS, CALPADS and HR
exports plan with the sample's own figures, and what used to be
accepted silently is now a located problem or a question."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.inputs import parse
from optimizer.inputs.mapping import load_mapping, to_toml
from optimizer.inputs.roster import load_roster
from optimizer.inputs.rules_tables import load_rules

EXPORTS = Path(__file__).parent / "data" / "exports"
SHAPES = {"seis": EXPORTS / "seis", "calpads": EXPORTS / "calpads",
          "district": EXPORTS / "district.xlsx"}


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_shape_plans_with_the_samples_figures(shape, tmp_path):
    mapping = EXPORTS / f"{shape}.toml"
    parsed = load_mapping(mapping)
    # Only what the district decides: no column, name, sheet or
    # header-row lines; values only for readings and its own titles.
    for part in (parsed.students, parsed.staff):
        assert not part.columns and not part.own and not part.layout
    text = mapping.read_text()
    assert "header_row" not in text and "name" not in text
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["plan", str(SHAPES[shape]),
                                       "--mapping", str(mapping),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    kpis = json.loads((out / "summary.json").read_text())["kpis"]
    assert (kpis["best_practice_matches"], kpis["students"]) == (313, 315)
    assert (kpis["continuity_kept"], kpis["prior_case_manager_given"]) \
        == (185, 244)
    assert (kpis["language_matches"],
            kpis["home_language_other_than_english"]) == (57, 115)
    # The report names students as the export does (SEIS's "Student
    # Legal First Name", the workbook's "First Name"; CALPADS has none),
    # as the workbench and the change list do.
    report = (out / "report.html").read_text()
    assert ("Sofia Garcia (100124)" in report) == (shape != "calpads")
    # The same plan as the sample's own, student by student.
    sample = tmp_path / "sample"
    CliRunner().invoke(main, ["plan", "data/sample", "--out", str(sample)])
    mine = {r["student_id"]: r["case_manager_id"] for r in csv.DictReader(
        (out / "assignments.csv").open())}
    theirs = {r["student_id"]: r["case_manager_id"] for r in csv.DictReader(
        (sample / "assignments.csv").open())}
    assert mine == theirs


def test_without_the_districts_decisions_each_is_asked(rules):
    with pytest.raises(InputError) as err:
        load_roster(SHAPES["seis"], rules)
    text = "\n".join(map(str, err.value.problems))
    assert "service 330" in text and "choose RSP" in text
    assert "program setting 203" in text and "SDC or DEPT" in text
    assert '"All Sites" is not a site of any student' in text
    assert 'write "*"' in text
    assert 'unknown provides entry "Program Specialist"' in text
    # Certain readings are not asked: codes with labels, grade words,
    # "Autism (AUT)", MMSN, "200", staff names, CTC titles in words.
    for word in ("Eighth grade", "Autism (AUT)", "MMSN", "Language and "
                 "Speech", "Rosa Park", "Mild to Moderate", '"200"'):
        assert word not in text, word


def test_code_sets_read_as_certain():
    assert parse.grade("Eighth grade") == "8"
    assert parse.grade("KN") == "K"
    assert parse.disability("Autism (AUT)") == "AUT"
    assert parse.disability("290 - Specific learning disability") == "SLD"
    assert parse.disability("Specific learning disability") == "SLD"
    assert parse.secondary_disability("200") is None
    assert parse.secondary_disability("200 - None") is None
    assert parse.support_level("MMSN") == "MM"
    assert parse.support_level("ESN") == "EX"
    assert parse.setting("400 - Regular Classroom/Public Day School") == \
        "GENED"
    assert parse.services("415 - Language and Speech;450") == ["SPEECH",
                                                               "OT"]
    assert parse.provides("Speech-Language Pathologist") == ["SPEECH"]
    with pytest.raises(ValueError, match="Disability 2 only"):
        parse.disability("200")
    for value in ("330", "SAI", "330 - Specialized Academic Instruction"):
        with pytest.raises(ValueError, match="choose RSP"):
            parse.services(value)
    with pytest.raises(ValueError, match="SDC or DEPT"):
        parse.setting("203 - Separate Class")


# ------------------------------------------------------------- names

def _roster(folder: Path, students: list[list[str]],
            staff: list[list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("students.csv", students), ("staff.csv", staff)):
        with (folder / name).open("w", newline="") as fh:
            csv.writer(fh).writerows(rows)
    return folder


STAFF = [["staff_id", "name", "sites", "provides", "credentials"],
         ["T1", "Rosa Park", "A", "RSP", "R3MN"],
         ["T2", "David Ito", "A", "SDC", "R3EN"],
         ["T3", "Grace Alvarez", "A", "RSP", "R3MN"]]
HEAD = ["student_id", "site", "grade", "primary_disability", "setting",
        "services", "teacher_of_record", "prior_case_manager"]


def test_staff_names_read_as_ids_in_any_spelling(tmp_path, rules):
    folder = _roster(tmp_path / "r", [
        HEAD,
        ["S1", "A", "3", "SLD", "GENED", "RSP", "", "Rosa Park"],
        ["S2", "A", "3", "SLD", "GENED", "RSP", "", "Park, Rosa"],
        ["S3", "A", "3", "SLD", "GENED", "RSP", "", "  rosa   PARK "],
        ["S4", "A", "3", "SLD", "SDC", "RSP", "Ito, David", "T3"],
        ["S5", "A", "3", "SLD", "SDC", "RSP", "david ito", "david ito"]],
        STAFF)
    roster = load_roster(folder, rules)
    got = {s.student_id: (s.teacher_of_record, s.prior_case_manager)
           for s in roster.instance.students}
    assert got == {"S1": (None, "T1"), "S2": (None, "T1"),
                   "S3": (None, "T1"), "S4": ("T2", "T3"),
                   "S5": ("T2", "T2")}
    assert not [w for w in roster.warnings if "not in" in w.message]


def test_two_staff_with_one_name_are_refused_naming_both(tmp_path, rules):
    staff = [*STAFF, ["T9", "Rosa Park", "A", "RSP", "R3MN"]]
    folder = _roster(tmp_path / "r", [
        HEAD, ["S1", "A", "3", "SLD", "GENED", "RSP", "", "Park, Rosa"]],
        staff)
    with pytest.raises(InputError) as err:
        load_roster(folder, rules)
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (2, "prior_case_manager")
    assert "T1" in problem.message and "T9" in problem.message


def test_an_unknown_teacher_name_is_a_located_problem(tmp_path, rules):
    folder = _roster(tmp_path / "r", [
        HEAD, ["S1", "A", "3", "SLD", "SDC", "RSP", "Davd Ito", ""]],
        STAFF)
    with pytest.raises(InputError) as err:
        load_roster(folder, rules)
    (problem,) = err.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == \
        ("students.csv", 2, "teacher_of_record", "Davd Ito")
    assert '"David Ito" (T2)' in problem.message


def test_an_unknown_prior_name_is_warned_once_with_a_near_one(tmp_path,
                                                               rules):
    folder = _roster(tmp_path / "r", [
        HEAD,
        *[[f"S{i}", "A", "3", "SLD", "GENED", "RSP", "", "Grace Alvares"]
          for i in range(3)],
        ["S9", "A", "3", "SLD", "GENED", "RSP", "", "Nora Blake"]],
        STAFF)
    roster = load_roster(folder, rules)
    about = [w for w in roster.warnings
             if w.column == "prior_case_manager"]
    assert len(about) == 2
    typo = next(w for w in about if w.value == "Grace Alvares")
    assert "3 student(s)" in typo.message
    assert '"Grace Alvarez" (T3)' in typo.message
    gone = next(w for w in about if w.value == "Nora Blake")
    assert "perhaps" not in gone.message


# ------------------------------------------------- headers and sheets

def _book(path: Path, sheets: dict[str, list[list]],
          hidden: tuple[str, ...] = ()) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
    book.save(path)
    return path


STUDENTS = [HEAD, ["S1", "A", "3", "SLD", "GENED", "RSP", "", "T1"]]


def test_header_below_title_and_blank_rows(tmp_path, rules):
    path = _book(tmp_path / "r.xlsx", {
        "students": [["Spring roster (export)"], [], *STUDENTS],
        "staff": [["Certificated & Classified Staff 2025-26"], *STAFF]})
    roster = load_roster(path, rules)
    assert [s.student_id for s in roster.instance.students] == ["S1"]
    assert roster.rows == {"S1": 4}
    notes = [str(w) for w in roster.warnings if "the header is" in str(w)]
    assert notes == [
        "r.xlsx [staff], row 2: the header is row 2; rows above it are "
        "titles, not read",
        "r.xlsx [students], row 3: the header is row 3; rows above it are "
        "titles, not read"] or sorted(notes) == sorted(notes)
    assert len(notes) == 2


def test_header_problems_name_the_header_row(tmp_path, rules):
    path = _book(tmp_path / "r.xlsx", {
        "students": [["Spring roster (export)"], [],
                     [h for h in HEAD if h != "grade"],
                     ["S1", "A", "SLD", "GENED", "RSP", "", "T1"]],
        "staff": STAFF})
    with pytest.raises(InputError) as err:
        load_roster(path, rules)
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (3, "grade")


def test_export_headers_read_are_said(rules):
    roster = load_roster(SHAPES["seis"], rules,
                         load_mapping(EXPORTS / "seis.toml"))
    said = [w.message for w in roster.warnings
            if w.message.startswith("read as an export")]
    assert any('"SEIS ID" = student_id' in m and '"Case Manager" = '
               "prior_case_manager (last year's)" in m for m in said)
    assert any('"Employee ID" = staff_id' in m for m in said)


def test_seis_iep_dates_headers_are_read(tmp_path, rules):
    folder = _roster(tmp_path / "r", [
        ["SEIS ID", "School of Attendance", "Grade Level", "Disability 1",
         "Program Setting", "Date of Next Annual Plan Review",
         "Date of Next Reevaluation"],
        ["S1", "A", "03", "SLD", "400", "2026-10-01", "2027-03-01"]],
        STAFF)
    (student,) = load_roster(folder, rules).instance.students
    assert str(student.annual_review_date) == "2026-10-01"
    assert str(student.reevaluation_date) == "2027-03-01"


def test_sheets_picked_by_content_and_said(tmp_path, rules):
    path = _book(tmp_path / "r.xlsx", {"Notes": [["nothing here"]],
                                       "Staff Roster": STAFF,
                                       "Caseload 2026": STUDENTS})
    roster = load_roster(path, rules)
    said = [str(w) for w in roster.warnings if "read as the" in str(w)]
    assert "r.xlsx [Staff Roster]: read as the staff" in said
    assert "r.xlsx [Caseload 2026]: read as the students" in said


def test_two_sheets_that_could_be_the_students_are_asked(tmp_path, rules):
    path = _book(tmp_path / "r.xlsx", {"staff": STAFF,
                                       "students 2025": STUDENTS,
                                       "students 2026": STUDENTS})
    with pytest.raises(InputError) as err:
        load_roster(path, rules)
    text = str(err.value.problems[0])
    assert '"r.xlsx [students 2025]"' in text
    assert '"r.xlsx [students 2026]"' in text and "sheet =" in text
    # The mapping's answer is taken.
    mapping = tmp_path / "m.toml"
    mapping.write_text('[students]\nsheet = "students 2026"\n')
    roster = load_roster(path, rules, load_mapping(mapping))
    assert len(roster.instance.students) == 1


def test_a_hidden_old_students_sheet_is_never_taken_silently(tmp_path,
                                                               rules):
    path = _book(tmp_path / "r.xlsx", {"staff": STAFF,
                                       "students": STUDENTS,
                                       "students 2026": STUDENTS},
                 hidden=("students",))
    with pytest.raises(InputError) as err:
        load_roster(path, rules)
    text = str(err.value.problems[0])
    assert "hidden" in text and '"r.xlsx [students]"' in text
    assert '"r.xlsx [students 2026]"' in text


def test_sheet_names_alike_but_for_case_and_spaces_are_asked(tmp_path,
                                                             rules):
    path = _book(tmp_path / "r.xlsx", {"staff": STAFF,
                                       "Students": STUDENTS,
                                       "students ": STUDENTS})
    with pytest.raises(InputError) as err:
        load_roster(path, rules)
    assert "could be the students" in str(err.value.problems[0])


def test_a_look_alike_sheet_not_taken_is_named(tmp_path, rules):
    path = _book(tmp_path / "r.xlsx", {
        "staff": STAFF, "students 2026": STUDENTS,
        "students": [["old notes, no roster here"]]}, hidden=("students",))
    roster = load_roster(path, rules)
    said = [str(w) for w in roster.warnings if "read as the students" in
            str(w)]
    assert said == ['r.xlsx [students 2026]: read as the students; named '
                    'like it but holding no students table, not read: '
                    '"r.xlsx [students]" (hidden)']


def test_layout_round_trips_through_the_mapping_file(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[students]\nsheet = "Caseload 2026"\nheader_row = 3\n'
                    'services = "Special Education Services.csv"\n'
                    '[staff]\nsheet = "Staff Roster"\n')
    first = load_mapping(path)
    again = tmp_path / "again.toml"
    again.write_text(to_toml(first))
    second = load_mapping(again)
    assert second.layout() == first.layout() == {
        "students": {"sheet": "Caseload 2026", "header_row": 3,
                     "services": "Special Education Services.csv"},
        "staff": {"sheet": "Staff Roster"}}


# ------------------------------------------------------ SEIS services

def test_services_are_the_union_of_the_service_rows(rules):
    mapping = load_mapping(EXPORTS / "seis.toml")
    roster = load_roster(SHAPES["seis"], rules, mapping)
    by_id = {s.student_id: s for s in roster.instance.students}
    with open("data/sample/students.csv", newline="") as fh:
        sample = {r["student_id"]: r for r in csv.DictReader(fh)}
    for sid, row in sample.items():
        want = {x for x in row["services"].split(";") if x}
        assert set(by_id[sid].services) == want, sid


def test_a_joined_service_problem_names_the_services_report(rules):
    # An unknown service comes from SEIS's services report: the problem
    # names that file and the rows where the value stands there (the
    # student report has no service column to look in).
    report = SHAPES["seis"] / "Special Education Services.csv"
    with open(report, newline="", encoding="utf-8-sig") as fh:
        where = [i for i, r in enumerate(csv.DictReader(fh), start=2)
                 if r["Special Education Service Code"] == "Vision Services"]
    assert len(where) > 1
    with pytest.raises(InputError) as err:
        load_roster(SHAPES["seis"], rules)
    (p,) = [p for p in err.value.problems if p.value == "Vision Services"]
    assert p.file == report.name
    assert p.column == "Special Education Service Code"
    assert list(p.rows) == where


def test_service_rows_of_a_student_not_in_the_report_are_problems(
        tmp_path, rules):
    folder = tmp_path / "seis"
    shutil.copytree(SHAPES["seis"], folder)
    services = folder / "Special Education Services.csv"
    text = services.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    lines.append(lines[1].replace("100001", "999999", 1))
    services.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_roster(folder, rules, load_mapping(EXPORTS / "seis.toml"))
    (problem,) = err.value.problems
    assert problem.file == "Special Education Services.csv"
    assert problem.value == "999999" and problem.row == len(lines)


def test_a_service_row_without_a_seis_id_is_a_problem(tmp_path, rules):
    # Its service cannot be joined to anyone: never dropped silently.
    folder = tmp_path / "seis"
    shutil.copytree(SHAPES["seis"], folder)
    services = folder / "Special Education Services.csv"
    lines = services.read_text(encoding="utf-8-sig").splitlines()
    lines.append("," + lines[1].split(",", 1)[1])
    services.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_roster(folder, rules, load_mapping(EXPORTS / "seis.toml"))
    (problem,) = err.value.problems
    assert problem.file == "Special Education Services.csv"
    assert problem.column == "SEIS ID" and problem.row == len(lines)


def test_a_services_report_without_a_service_column_is_said(tmp_path,
                                                           rules):
    # Not read, and the user is told so (no services silently lost).
    folder = tmp_path / "seis"
    shutil.copytree(SHAPES["seis"], folder)
    services = folder / "Special Education Services.csv"
    with open(services, newline="", encoding="utf-8-sig") as fh:
        rows = [[c for i, c in enumerate(r) if i != 11]
                for r in csv.reader(fh)]
    assert "Service Code" not in ",".join(rows[0])
    with open(services, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    roster = load_roster(folder, rules, load_mapping(EXPORTS / "seis.toml"))
    said = [str(w) for w in roster.warnings]
    assert any("Special Education Services.csv" in w and "not read" in w
               for w in said), said


# --------------------------------------------------------- staff side

def test_all_sites_is_asked_and_a_misspelt_site_named(tmp_path, rules):
    staff = [*STAFF, ["T4", "Samuel Hughes", "All Sites", "RSP", "R3MN"],
             ["T5", "Ines Hughes", "A;Bb", "RSP", "R3MN"]]
    students = [HEAD, ["S1", "A", "3", "SLD", "GENED", "RSP", "", ""],
                ["S2", "BB", "3", "SLD", "GENED", "RSP", "", ""]]
    folder = _roster(tmp_path / "r", students, staff)
    with pytest.raises(InputError) as err:
        load_roster(folder, rules)
    text = "\n".join(map(str, err.value.problems))
    assert 'row 5, column "sites": "All Sites"' in text and '"*"' in text
    assert 'row 6, column "sites": "Bb"' in text
    assert 'did you mean "BB"' in text


def test_a_staff_site_no_student_attends_is_said(tmp_path, rules):
    staff = [*STAFF, ["T4", "Ines Hughes", "A;District Office", "RSP",
                      "R3MN"]]
    folder = _roster(tmp_path / "r", STUDENTS, staff)
    roster = load_roster(folder, rules)
    (said,) = [w for w in roster.warnings if w.value == "District Office"]
    assert (said.row, said.column) == (5, "sites")
    assert "no student attends" in said.message


def test_credentials_in_ctc_words(tmp_path, rules):
    staff = [STAFF[0], ["T1", "Rosa Park", "A", "RSP",
                        "Education Specialist Instruction Credential: Mild "
                        "to Moderate Support Needs; Added Authorization: "
                        "Autism Spectrum Disorders"]]
    folder = _roster(tmp_path / "r", STUDENTS, staff)
    roster = load_roster(folder, rules)
    assert roster.instance.staff[0].credentials == ("R3MN", "AAAS")


def test_a_what_if_hire_at_a_site_nobody_has_is_refused(tmp_path, rules):
    from optimizer.inputs.scenarios import apply, load_scenario

    scenario = tmp_path / "hire.toml"
    scenario.write_text(
        'name = "hire"\nroster = "' + str(Path("data/sample").resolve())
        + '"\n[[add_staff]]\nstaff_id = "NEW"\nname = "New"\n'
        'sites = "JEFF"\nprovides = "RSP"\ncredentials = "R3MN"\n')
    base = load_roster("data/sample", rules)
    with pytest.raises(InputError) as err:
        apply(base.instance, load_scenario(scenario), rules)
    text = "\n".join(map(str, err.value.problems))
    assert 'site "JEFF" is not in the roster (did you mean "JEF"?)' in text


# ------------------------------------------------------ change list

def test_change_list_in_the_districts_terms(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "plan", str(SHAPES["seis"]), "--mapping",
        str(EXPORTS / "seis.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "changes_for_district.csv").open()))
    assert list(rows[0]) == [
        "SEIS ID", "Student", "School of Attendance",
        "Last year's case manager", "New case manager",
        "New case manager's Employee ID", "Change"]
    plan = {r["student_id"]: r for r in csv.DictReader(
        (out / "assignments.csv").open())}
    changed = [sid for sid, r in plan.items()
               if r["case_manager_id"] != r["prior_case_manager"]]
    assert [r["SEIS ID"] for r in rows] == changed
    row = next(r for r in rows if r["SEIS ID"] == "100003")
    assert row["Student"] == "Johnson, Sofia"
    assert row["School of Attendance"] == "Lincoln Elementary"
    assert row["Last year's case manager"] == "Hector Shah"
    assert row["New case manager"] == plan["100003"]["case_manager_name"]
    assert row["New case manager's Employee ID"] == \
        plan["100003"]["case_manager_id"]


def test_fixtures_are_what_the_generator_writes(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_exports", EXPORTS / "make_exports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_all(tmp_path)
    for path in sorted(EXPORTS.rglob("*")):
        rel = path.relative_to(EXPORTS)
        if path.is_dir() or path.suffix == ".py":
            continue
        made = tmp_path / rel
        if path.suffix == ".xlsx":
            a, b = load_workbook(path), load_workbook(made)
            assert a.sheetnames == b.sheetnames
            for name in a.sheetnames:
                assert list(a[name].values) == list(b[name].values), rel
        else:
            assert made.read_bytes() == path.read_bytes(), rel
