"""Follow-ups in the readers and exports (after issue 19): each test
fails on the code before its fix. Nothing a district gave is dropped or
guessed silently: it is read and said, or asked where it stands."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from optimizer.errors import InputError
from optimizer.inputs.roster import load_roster
from optimizer.inputs.rules_tables import load_rules
from tests.test_exports import HEAD, _roster
from tests.test_exports import STAFF as BASE_STAFF

EXPORTS = Path(__file__).parent / "data" / "exports"


@pytest.fixture(scope="module")
def rules():
    return load_rules()


# The issue-19 tests' roster writer and staff, with one Maria Garcia.
STAFF = [*BASE_STAFF, ["T5", "Maria Garcia", "A", "RSP", "R3MN"]]


def _one_problem(path: Path, rules, mapping=None):
    """The one problem loading ``path`` raises."""
    with pytest.raises(InputError) as err:
        load_roster(path, rules, mapping)
    (problem,) = err.value.problems
    return problem


def _speech_for_7001(folder: Path) -> Path:
    """SEIS's services report beside a roster: SSID 7001 has speech."""
    with open(folder / "Special Education Services.csv", "w",
              newline="") as fh:
        csv.writer(fh).writerows([["SSID", "Service Code"],
                                  ["7001", "415"]])
    return folder


# ------------------------------------------------ one-word staff names

def test_one_word_staff_name_is_read_when_unambiguous_and_said(tmp_path,
                                                               rules):
    # "Garcia" is the last name of one staff member only (Maria Garcia,
    # T5); "Ms. Park" and "Ito" likewise. Each is read as that person and
    # said once, where it stands.
    folder = _roster(tmp_path / "r", [
        HEAD,
        ["S1", "A", "3", "SLD", "GENED", "RSP", "", "Garcia"],
        ["S2", "A", "3", "SLD", "GENED", "RSP", "", "Garcia"],
        ["S3", "A", "3", "SLD", "SDC", "RSP", "Ito", "Ms. Park"]], STAFF)
    roster = load_roster(folder, rules)
    got = {s.student_id: (s.teacher_of_record, s.prior_case_manager)
           for s in roster.instance.students}
    assert got == {"S1": (None, "T5"), "S2": (None, "T5"),
                   "S3": ("T2", "T1")}
    said = {(w.file, w.row, w.column, w.value): w.message
            for w in roster.warnings if "read as" in w.message}
    garcia = said[("students.csv", 2, "prior_case_manager", "Garcia")]
    assert '"Maria Garcia" (T5)' in garcia and "2 student(s)" in garcia
    assert '"Rosa Park" (T1)' in said[
        ("students.csv", 4, "prior_case_manager", "Ms. Park")]
    assert '"David Ito" (T2)' in said[
        ("students.csv", 4, "teacher_of_record", "Ito")]
    # Never also called an unknown staff id.
    assert not [w for w in roster.warnings if "is not in" in w.message]


@pytest.mark.parametrize("column", ["teacher_of_record",
                                    "prior_case_manager"])
def test_one_word_name_of_several_staff_is_asked(tmp_path, rules, column):
    # Two staff are called Garcia (Maria's last name, Garcia Lopez's
    # first name): which one is meant is asked, naming both.
    staff = [*STAFF, ["T6", "Garcia Lopez", "A", "SDC", "R3EN"]]
    cells = {"teacher_of_record": "", "prior_case_manager": ""}
    cells[column] = "Garcia"
    folder = _roster(tmp_path / "r", [
        HEAD, ["S1", "A", "3", "SLD", "SDC", "RSP",
               cells["teacher_of_record"], cells["prior_case_manager"]]],
        staff)
    problem = _one_problem(folder, rules)
    assert (problem.file, problem.row, problem.column, problem.value) == \
        ("students.csv", 2, column, "Garcia")
    assert '"Maria Garcia" (T5)' in problem.message
    assert '"Garcia Lopez" (T6)' in problem.message


# ------------------------------------------------- empty services report

def test_a_services_report_with_a_header_and_no_rows_is_refused(tmp_path,
                                                                rules):
    # The district exported the wrong report (or filtered it to nothing):
    # planning on with no services for anyone would go unnoticed.
    import shutil

    from optimizer.inputs.mapping import load_mapping

    folder = tmp_path / "seis"
    shutil.copytree(EXPORTS / "seis", folder)
    services = folder / "Special Education Services.csv"
    header = services.read_text(encoding="utf-8-sig").splitlines()[0]
    services.write_text(header + "\n", encoding="utf-8")
    problem = _one_problem(folder, rules, load_mapping(EXPORTS / "seis.toml"))
    assert problem.file == "Special Education Services.csv"
    assert "a header and no service rows" in problem.message


# ---------------------------------------------- the change list's names

def _seis_with(tmp_path: Path, header: str, before: str, fill) -> Path:
    """The SEIS shape with one more column in its student report, placed
    before ``before``, filled by ``fill(row)`` (the row as a dict)."""
    import csv
    import shutil

    folder = tmp_path / "seis"
    shutil.copytree(EXPORTS / "seis", folder)
    report = folder / "Student Information.csv"
    with open(report, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    at = rows[0].index(before)
    out = [[*rows[0][:at], header, *rows[0][at:]]]
    for r in rows[1:]:
        out.append([*r[:at], fill(dict(zip(rows[0], r))), *r[at:]])
    with open(report, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(out)
    return folder


def _changes(folder: Path, tmp_path: Path) -> tuple[list[dict], str]:
    import csv

    from click.testing import CliRunner

    from optimizer.cli import main

    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "plan", str(folder), "--mapping", str(EXPORTS / "seis.toml"),
        "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out / "changes_for_district.csv", newline="") as fh:
        return list(csv.DictReader(fh)), result.output


def test_change_list_names_the_student_not_a_parent(tmp_path):
    # A parent's first name stands before the student's own: the change
    # list names the student (Sofia Johnson, SEIS ID 100003), as the
    # issue-19 test has it, never "Johnson, Parent".
    folder = _seis_with(tmp_path, "Parent/Guardian First Name",
                        "Student Legal First Name", lambda r: "Parent")
    rows, _output = _changes(folder, tmp_path)
    row = next(r for r in rows if r["SEIS ID"] == "100003")
    assert row["Student"] == "Johnson, Sofia"


def test_two_columns_that_could_be_the_first_name_are_asked(tmp_path):
    # "First Name" (a nickname column, say) and "Student Legal First
    # Name": which is meant cannot be told, so neither is taken, and
    # the run says so naming both.
    folder = _seis_with(tmp_path, "First Name", "Student Legal First Name",
                        lambda r: "Nick")
    rows, output = _changes(folder, tmp_path)
    row = next(r for r in rows if r["SEIS ID"] == "100003")
    assert row["Student"] == "Johnson"
    said = [line for line in output.splitlines()
            if "could be the student's first name" in line]
    assert len(said) == 1
    assert '"First Name"' in said[0]
    assert '"Student Legal First Name"' in said[0]
    assert "Student Information.csv" in said[0]


# ------------------------------------------- other silent drops (item 4)

def test_a_mapping_naming_a_services_table_without_service_codes(tmp_path,
                                                                 rules):
    # The mapping names, as the services report, a table that has the
    # join id but no service code column: a located error, not a
    # KeyError traceback.
    import csv
    import shutil

    from optimizer.inputs.mapping import load_mapping

    folder = tmp_path / "seis"
    shutil.copytree(EXPORTS / "seis", folder)
    with open(folder / "Special Education Services.csv", newline="",
              encoding="utf-8-sig") as fh:
        rows = [[c for i, c in enumerate(r) if i != 11]
                for r in csv.reader(fh)]
    with open(folder / "Notes.csv", "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    mapping = tmp_path / "m.toml"
    mapping.write_text('[students]\nservices = "Notes.csv"\n'
                       + (EXPORTS / "seis.toml").read_text())
    problem = _one_problem(folder, rules, load_mapping(mapping))
    assert problem.file == "Notes.csv"
    assert "no column of it reads as the service code" in problem.message


def test_the_student_report_is_not_said_to_be_unread(rules):
    # SEIS's services report was said to be "named like it but holding
    # no services table, not read: Student Information.csv", of the
    # student report that is read (as the students).
    from optimizer.inputs.mapping import load_mapping

    roster = load_roster(EXPORTS / "seis", rules,
                         load_mapping(EXPORTS / "seis.toml"))
    said = [str(w) for w in roster.warnings if "read as the" in str(w)]
    assert sorted(said) == [
        "HR Staff Roster.xlsx [Staff Roster]: read as the staff",
        "Special Education Services.csv: read as the services",
        "Student Information.csv: read as the students"]


def test_a_sheet_named_like_the_services_report_and_not_read_is_named(
        tmp_path, rules):
    # Beside the services report, another "services" sheet holding no
    # such table is named as not read (the word is "service", not
    # "student").
    from tests.test_exports import _book

    students = [[*HEAD, "SSID"],
                ["S1", "A", "3", "SLD", "GENED", "", "", "T1", "7001"]]
    services = [["SSID", "Service Code"], ["7001", "RSP"]]
    path = _book(tmp_path / "r.xlsx", {
        "staff": BASE_STAFF, "Caseload 2026": students,
        "Services 2026": services, "services (old)": [["notes only"]]})
    roster = load_roster(path, rules)
    said = [str(w) for w in roster.warnings if "read as the services" in
            str(w)]
    assert said == ['r.xlsx [Services 2026]: read as the services; named '
                    'like it but holding no services table, not read: '
                    '"r.xlsx [services (old)]"']
    assert roster.instance.students[0].services == ("RSP",)


@pytest.mark.parametrize("shape", ["folder", "workbook"])
def test_a_services_report_beside_a_plain_roster_is_joined(tmp_path, rules,
                                                           shape):
    # students.csv and staff.csv (or sheets students and staff) with
    # SEIS's services report beside them: the report was passed over
    # without a word (the student's speech service lost).
    from tests.test_exports import _book

    students = [["student_id", "site", "grade", "primary_disability",
                 "setting", "SSID"], ["S1", "A", "3", "SLD", "GENED",
                                      "7001"]]
    services = [["SSID", "Service Code"], ["7001", "415"]]
    if shape == "folder":
        path = _speech_for_7001(_roster(tmp_path / "r", students,
                                        BASE_STAFF))
        joined = "Special Education Services.csv"
    else:
        path = _book(tmp_path / "r.xlsx", {
            "students": students, "staff": BASE_STAFF,
            "Services": services})
        joined = "r.xlsx [Services]"
    roster = load_roster(path, rules)
    (student,) = roster.instance.students
    assert student.services == ("SPEECH",)
    assert any(f"services joined from {joined}" in w.message
               for w in roster.warnings)


def test_two_headers_read_as_one_column_are_asked(tmp_path, rules):
    # "Case Manager 2025-26" and "Case Manager 2024-25" both read as
    # last year's case manager; the first by position was taken (here
    # this year's), silently. It is asked; the mapping's answer is taken
    # and the other column kept as the district's own.
    from optimizer.inputs.mapping import load_mapping

    folder = _roster(tmp_path / "r", [
        ["SEIS ID", "School of Attendance", "Grade", "Disability 1",
         "Program Setting", "Case Manager 2025-26", "Case Manager 2024-25"],
        ["S1", "A", "3", "SLD", "400", "Rosa Park", "David Ito"]],
        BASE_STAFF)
    problem = _one_problem(folder, rules)
    assert (problem.file, problem.row) == ("students.csv", 1)
    assert '"Case Manager 2025-26", "Case Manager 2024-25"' in \
        problem.message and "prior_case_manager" in problem.message
    mapping = tmp_path / "m.toml"
    mapping.write_text('[students.columns]\n"Case Manager 2024-25" = '
                       '"prior_case_manager"\n')
    roster = load_roster(folder, rules, load_mapping(mapping))
    (student,) = roster.instance.students
    assert student.prior_case_manager == "T2"  # David Ito
    assert "x_Case Manager 2025-26" in roster.instance.extra_columns


def test_mapping_keys_that_are_one_as_compared_are_asked(tmp_path):
    # "Speech" and "speech " are one value to the loader (case and spaces
    # do not matter), as "School" and "SCHOOL" are one header: given two
    # answers, the last won silently. Each is named; so is a header kept
    # as the district's own and also mapped ("school" vs "School").
    from optimizer.inputs.mapping import load_mapping

    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[students]\nown_columns = ["school"]\n'
        '[students.columns]\n"School" = "site"\n"SCHOOL" = "grade"\n'
        '[students.values.services]\n"Speech" = "SPEECH"\n'
        '"speech " = "OT"\n"OT" = "OT"\n"ot" = "OT"\n')
    with pytest.raises(InputError) as err:
        load_mapping(mapping)
    said = {(p.column, p.value): p.message for p in err.value.problems}
    assert '"School" and "SCHOOL" are one header' in said[
        ("students.columns", "School")]
    assert '"site" and "grade"' in said[("students.columns", "School")]
    assert '"Speech" and "speech" are one value' in said[
        ("students.values.services", "Speech")]
    assert "also mapped" in said[("students.own_columns", "school")]
    # "OT" and "ot" agree: nothing to ask.
    assert len(said) == 3


@pytest.mark.parametrize("reader, value", [
    ("services", "450 - Language and Speech"),  # 450 is OT
    ("disability", "Autism (SLD)"),              # AUT or SLD
    ("setting", "400 - Separate Class"),         # GENED or 203
    ("grade", "03 - Eighth grade"),              # 3 or 8
])
def test_a_code_and_a_label_that_disagree_are_asked(reader, value):
    # The code alone was taken, the label passed over without a word.
    from optimizer.inputs import parse

    with pytest.raises(ValueError, match="read differently"):
        getattr(parse, reader)(value)


def test_codes_and_labels_that_agree_read_as_before():
    from optimizer.inputs import parse

    assert parse.services("415 - Language and Speech") == ["SPEECH"]
    assert parse.disability("Autism (AUT)") == "AUT"
    assert parse.setting("400 - Regular Classroom/Public Day School") == \
        "GENED"
    assert parse.grade("08 - Eighth grade") == "8"
    assert parse.secondary_disability("200 - None") is None


def test_a_disagreeing_code_is_a_located_problem(tmp_path, rules):
    folder = _roster(tmp_path / "r", [
        HEAD, ["S1", "A", "3", "SLD", "GENED", "450 - Language and Speech",
               "", ""]], BASE_STAFF)
    problem = _one_problem(folder, rules)
    assert (problem.file, problem.row, problem.column, problem.value) == \
        ("students.csv", 2, "services", "450 - Language and Speech")
    assert "read differently" in problem.message


def test_a_spreadsheet_in_a_format_not_read_is_said(tmp_path, rules):
    # students.csv and staff.csv with the services report saved as .xls:
    # it was passed over without a word (its services lost).
    folder = _roster(tmp_path / "r", [
        HEAD, ["S1", "A", "3", "SLD", "GENED", "", "", ""]], BASE_STAFF)
    (folder / "Special Education Services.xls").write_bytes(b"\xd0\xcf")
    roster = load_roster(folder, rules)
    (said,) = [w for w in roster.warnings
               if w.file == "Special Education Services.xls"]
    assert "not read" in said.message and ".xlsx or CSV" in said.message


def test_a_sheet_the_workbook_lists_without_its_part_is_refused(tmp_path):
    # A damaged workbook: a sheet listed in workbook.xml with no
    # relationship to its part was passed over (sheet_names left it out,
    # the export reader never saw it).
    import zipfile

    from openpyxl import Workbook

    from optimizer.inputs import excel

    book = Workbook()
    book.active.title = "staff"
    book.create_sheet("students")
    path = tmp_path / "r.xlsx"
    book.save(path)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/_rels/workbook.xml.rels":
                text = data.decode()
                at = text.rindex("<Relationship ", 0,
                                 text.index('Id="rId2"'))
                data = (text[:at] + text[text.index("/>", at) + 2:]).encode()
            out.writestr(item, data)
    with pytest.raises(InputError) as err:
        excel.sheet_names(damaged)
    (problem,) = err.value.problems
    assert problem.file == "damaged.xlsx"
    assert '"students"' in problem.message and "damaged" in problem.message


def test_two_students_with_one_join_id_are_asked(tmp_path, rules):
    # The services report is joined on SSID; two students of the student
    # report carry the same SSID: both were given that SSID's services,
    # silently.
    folder = _roster(tmp_path / "r", [
        [*HEAD, "SSID"],
        ["S1", "A", "3", "SLD", "GENED", "", "", "", "7001"],
        ["S2", "A", "3", "SLD", "GENED", "", "", "", "7001"]], BASE_STAFF)
    _speech_for_7001(folder)
    problem = _one_problem(folder, rules)
    assert (problem.file, problem.row, problem.column, problem.value) == \
        ("students.csv", 2, "SSID", "7001")
    assert "rows 2, 3" in problem.message


def test_a_service_row_with_no_service_code_is_said(tmp_path, rules):
    # A row of the services report with a SEIS ID and a blank service
    # code gave its student nothing, without a word.
    import shutil

    from optimizer.inputs.mapping import load_mapping

    folder = tmp_path / "seis"
    shutil.copytree(EXPORTS / "seis", folder)
    report = folder / "Special Education Services.csv"
    with open(report, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    code = rows[0].index("Special Education Service Code")
    rows[5][code] = ""
    with open(report, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    roster = load_roster(folder, rules, load_mapping(EXPORTS / "seis.toml"))
    (said,) = [w for w in roster.warnings if "no service code" in w.message]
    assert (said.file, said.row, said.column) == (
        "Special Education Services.csv", 6,
        "Special Education Service Code")
    assert rows[5][0] in said.message  # the SEIS ID


def test_a_sheet_the_mapping_names_in_two_workbooks_is_asked(tmp_path,
                                                             rules):
    # A folder with two workbooks that both have a sheet "students": the
    # mapping's `sheet = "students"` took the first, silently. It is
    # asked, listing both; a label as listed answers it.
    from optimizer.inputs.mapping import load_mapping
    from tests.test_exports import STUDENTS, _book

    folder = tmp_path / "r"
    folder.mkdir()
    _book(folder / "a 2025.xlsx", {"students": STUDENTS})
    _book(folder / "b 2026.xlsx", {"students": STUDENTS,
                                   "staff": BASE_STAFF})
    mapping = tmp_path / "m.toml"
    mapping.write_text('[students]\nsheet = "students"\n')
    problem = _one_problem(folder, rules, load_mapping(mapping))
    assert '"a 2025.xlsx [students]", "b 2026.xlsx [students]"' in \
        problem.message
    mapping.write_text('[students]\nsheet = "b 2026.xlsx [students]"\n')
    roster = load_roster(folder, rules, load_mapping(mapping))
    assert len(roster.instance.students) == 1


def test_joined_services_keep_a_comma_list_of_the_students_own(tmp_path,
                                                               rules):
    # The student table's own services, "RSP, OT" (a "," list, read as
    # such alone), with SEIS's services joined: the join split it on ";"
    # only, so "RSP, OT" became one unknown service.
    folder = _roster(tmp_path / "r", [
        ["student_id", "site", "grade", "primary_disability", "setting",
         "services", "SSID"],
        ["S1", "A", "3", "SLD", "GENED", "RSP, OT", "7001"]], BASE_STAFF)
    _speech_for_7001(folder)
    (student,) = load_roster(folder, rules).instance.students
    assert student.services == ("RSP", "OT", "SPEECH")


def test_rows_hidden_in_excel_are_read_and_said(tmp_path, rules):
    # A district filters its sheet to one school and saves: the hidden
    # rows are still part of the sheet and were read without a word,
    # though the user may think them left out.
    from openpyxl import Workbook

    book = Workbook()
    students = book.active
    students.title = "students"
    for row in [HEAD, *[[f"S{i}", "A", "3", "SLD", "GENED", "RSP", "", ""]
                        for i in range(1, 5)]]:
        students.append(row)
    students.row_dimensions[3].hidden = True  # S2
    students.row_dimensions[5].hidden = True  # S4
    staff = book.create_sheet("staff")
    for row in BASE_STAFF:
        staff.append(row)
    book.save(tmp_path / "r.xlsx")
    roster = load_roster(tmp_path / "r.xlsx", rules)
    assert len(roster.instance.students) == 4
    (said,) = [w for w in roster.warnings if "hidden in Excel" in w.message]
    assert (said.file, said.rows) == ("r.xlsx [students]", (3, 5))


def test_one_header_chosen_for_two_columns_is_asked():
    # On the mapping page, "School" chosen for both site and grade: the
    # form's choices became {"School": "grade"}, the site choice dropped
    # without a word.
    from optimizer.inputs.mapping import from_choices

    with pytest.raises(InputError) as err:
        from_choices({"students": {"site": "School", "grade": "School",
                                   "student_id": "Student Number"}}, {})
    (problem,) = err.value.problems
    assert (problem.column, problem.value) == ("students.columns", "School")
    assert "site, grade" in problem.message
