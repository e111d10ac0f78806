"""Roster loading: forgiving formats, and every bad input located."""

from __future__ import annotations

import pytest
from helpers import crow, srow, write_roster

import optimizer as cl
from optimizer.errors import InputError


def load(folder, rules):
    return cl.load_roster(folder, rules)


def problems(folder, rules):
    with pytest.raises(InputError) as exc:
        load(folder, rules)
    return [str(p) for p in exc.value.problems]


def test_good_roster_loads_with_extras_carried(tmp_path, rules):
    folder = write_roster(tmp_path / "r",
                          [srow("S1", first_name="Ana"), srow("S2")],
                          [crow()])
    roster = load(folder, rules)
    assert roster.instance.extra_columns == ("first_name",)
    assert roster.instance.extras["S1"] == ("Ana",)


def test_headers_case_insensitive_bom_crlf_and_codes(tmp_path, rules):
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "students.csv").write_bytes(
        "\ufeffStudent_ID , SITE,Grade,Primary_Disability,Setting,Services\r\n"
        "S1,A,k,320,sdc,speech\r\n".encode())
    (folder / "staff.csv").write_text(
        "staff_id,name,sites,provides,credentials\n"
        "C1,Ms. A,A,SDC,R3MN;aaas\n")
    s = load(folder, rules).instance.students[0]
    assert (s.grade, s.primary_disability, s.setting, s.services) == (
        "K", "AUT", "SDC", ("SPEECH",))


@pytest.mark.parametrize("row, expected", [
    # grade that is not a grade
    (srow(grade="14"), 'students.csv, row 2, column "grade": expected PK, '
     'TK, K, 1-12 or A, got "14"'),
    # unknown disability code, with a suggestion
    (srow(primary_disability="AUTT"), 'unknown disability code "AUTT" (did '
     'you mean "AUT"?)'),
    # bad boolean
    (srow(alt_placement_secondary="maybe"), 'column '
     '"alt_placement_secondary": expected yes/no'),
    # unknown service
    (srow(services="RSP;SPECH"), 'unknown service "SPECH" (did you mean '
     '"SPEECH"?)'),
    # negative weight
    (srow(weight="-1"), 'column "weight": expected a number >= 0, got "-1"'),
    # alt placement with a primary that is not low incidence
    (srow(alt_placement_secondary="yes", secondary_disability="AUT"),
     'column "alt_placement_secondary": alt_placement_secondary applies '
     "only to a low-incidence primary disability"),
    # alt placement with no secondary disability
    (srow(primary_disability="VI", alt_placement_secondary="yes"),
     "alt_placement_secondary needs a secondary_disability"),
    # required value left blank
    (srow(site=""), 'students.csv, row 2, column "site": a value is '
     'required'),
])
def test_bad_student_values_are_located(tmp_path, rules, row, expected):
    folder = write_roster(tmp_path / "r", [row], [crow()])
    found = problems(folder, rules)
    assert any(expected in p for p in found), found


@pytest.mark.parametrize("row, expected", [
    (crow(max_caseload="-3"), 'staff.csv, row 2, column "max_caseload": '
     'expected a whole number >= 0, got "-3"'),
    (crow(max_caseload="lots"), 'column "max_caseload": expected a whole '
     "number"),
    (crow(fte="1.5"), 'column "fte": expected 0 < fte <= 1, got "1.5"'),
    (crow(credentials="R3MNN"), 'unknown credential code "R3MNN" (did you '
     'mean "R3MN"?)'),
    (crow(grades="5-K"), 'column "grades": range "5-K" runs backwards'),
    (crow(provides="RSP;TEACH"), 'unknown provides entry "TEACH"'),
])
def test_bad_staff_values_are_located(tmp_path, rules, row, expected):
    folder = write_roster(tmp_path / "r", [srow()], [row])
    found = problems(folder, rules)
    assert any(expected in p for p in found), found


def test_all_problems_reported_at_once(tmp_path, rules):
    folder = write_roster(tmp_path / "r",
                          [srow("S1", grade="x"), srow("S1", setting="y")],
                          [crow(fte="2")])
    found = problems(folder, rules)
    assert len(found) == 4  # grade, setting, duplicate id, fte
    assert any('duplicate student_id "S1" (first on row 2)' in p
               for p in found)


def test_missing_column_suggests_the_closest(tmp_path, rules):
    header = ["student_id", "site", "grade", "primary_disablity",
              "setting"]
    folder = write_roster(tmp_path / "r",
                          [{"student_id": "S1", "site": "A", "grade": "1",
                            "primary_disablity": "SLD", "setting": "GENED"}],
                          [crow()], student_header=header)
    found = problems(folder, rules)
    assert any('required column "primary_disability" is missing (did you '
               'mean "primary_disablity"?)' in p for p in found), found


def test_empty_and_header_only_files(tmp_path, rules):
    folder = write_roster(tmp_path / "r", [], [crow()])
    assert any("no student rows" in p for p in problems(folder, rules))
    (folder / "students.csv").write_text("")
    assert any("the file is empty" in p for p in problems(folder, rules))


def test_binary_file_is_refused(tmp_path, rules):
    folder = write_roster(tmp_path / "r", [srow()], [crow()])
    (folder / "students.csv").write_bytes(b"PK\x03\x04\x00\x00binary")
    assert any("not a CSV text file" in p for p in problems(folder, rules))


def test_semicolon_delimited_and_windows_1252(tmp_path, rules):
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "students.csv").write_bytes(
        "student_id;site;grade;primary_disability;setting;services;nombre\n"
        "S1;A;3;SLD;GENED;RSP;Jos\u00e9\n".encode("cp1252"))
    (folder / "staff.csv").write_text(
        "staff_id,name,sites,provides,credentials\nC1,A,A,RSP,R3MN\n")
    roster = load(folder, rules)
    assert roster.instance.extras["S1"] == ("Jos\u00e9",)
    assert any("not UTF-8" in str(w) for w in roster.warnings)


def test_unknown_references_are_warnings(tmp_path, rules):
    folder = write_roster(
        tmp_path / "r",
        [srow("S1", prior_case_manager="GONE"),
         srow("S2", setting="SDC", services="", teacher_of_record="NOBODY")],
        [crow()])
    roster = load(folder, rules)
    text = " ".join(str(w) for w in roster.warnings)
    assert 'staff_id "GONE" is not in staff.csv' in text
    assert 'staff_id "NOBODY" is not in staff.csv' in text


def test_grade_spellings(tmp_path, rules):
    from optimizer.inputs import parse

    assert [parse.grade(g) for g in ("7th", "Grade 7", "07", "KN", "Pre-K",
                                     "adult")] == ["7", "7", "7", "K", "PK",
                                                   "A"]
    with pytest.raises(ValueError):
        parse.grade("7-8")
