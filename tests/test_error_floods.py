"""No error floods (issue 14, defect 2): header problems stop the reading,
and each distinct bad value is reported once with its count and rows."""

from __future__ import annotations

import pytest
from helpers import crow, srow, write_roster

from optimizer.errors import InputError, Problem
from optimizer.inputs import parse
from optimizer.inputs import roster as io


def problems(folder, rules) -> list[str]:
    with pytest.raises(InputError) as exc:
        io.load_roster(folder, rules)
    return [str(p) for p in exc.value.problems]


def test_unrecognized_required_headers_stop_before_the_rows(tmp_path,
                                                            rules):
    # Four required headers nobody can recognize, 40 rows: before, 4
    # header problems and 160 cascaded "a value is required" lines.
    header = ["ID", "Loc", "Yr", "Dx", "Placement", "services"]
    rows = [{"ID": f"S{i}", "Loc": "A", "Yr": "3", "Dx": "SLD",
             "Placement": "GENED", "services": "RSP"} for i in range(40)]
    folder = write_roster(tmp_path / "r", rows, [crow()],
                          student_header=header)
    found = problems(folder, rules)
    assert all(", row 1, " in p for p in found), found
    assert not any("a value is required" in p for p in found)
    assert len(found) == 5, found  # student_id, site, grade, primary, setting


def test_a_bad_value_repeated_on_many_rows_is_reported_once(tmp_path,
                                                            rules):
    rows = [srow(f"S{i}", services="Speech and Language")
            for i in range(165)]
    rows[10]["services"] = "RSP"  # row 12 is fine
    folder = write_roster(tmp_path / "r", rows, [crow()])
    found = problems(folder, rules)
    # 164 bad rows: 2-11 and 13-166 (header = row 1).
    assert found == [
        'students.csv, 164 rows (2-11, 13-166), column "services": unknown '
        'service "Speech and Language" (did you mean "SPEECH"?); expected '
        'RSP/SPEECH/DHH/VI/OM/PT/OT/APE/COUNSELING/AUD'], found


def test_each_distinct_bad_item_once_even_in_different_cells(tmp_path,
                                                             rules):
    rows = [srow("S1", services="RSP;Speech and Language"),
            srow("S2", services="Speech and Language"),
            srow("S3", services="OT;Speech and Language")]
    folder = write_roster(tmp_path / "r", rows, [crow()])
    found = problems(folder, rules)
    assert len(found) == 1, found
    assert found[0].startswith('students.csv, 3 rows (2-4), column '
                               '"services": unknown service "Speech and '
                               'Language"'), found


def test_single_row_problems_keep_the_located_style(tmp_path, rules):
    folder = write_roster(tmp_path / "r", [srow("S1", grade="14"),
                                           srow("S2", grade="15")], [crow()])
    assert problems(folder, rules) == [
        'students.csv, row 2, column "grade": expected PK, TK, K, 1-12 or '
        'A, got "14"',
        'students.csv, row 3, column "grade": expected PK, TK, K, 1-12 or '
        'A, got "15"']


@pytest.mark.parametrize("parser, text, hint", [
    # spelled-out service names
    (parse.services, "Speech and Language", "SPEECH"),
    (parse.services, "Speech-Language Pathology", "SPEECH"),
    # spelled-out settings
    (parse.setting, "General Education Classroom", "GENED"),
    (parse.setting, "Special Day Class (SDC)", "SDC"),
    # spelled-out disabilities (a name with a typo, or a longer form)
    (parse.disability, "Specific Learning Disabilty", "SLD"),
    (parse.disability, "Autism Spectrum Disorder", "AUT"),
    (parse.disability, "Speech and Language Impairment", "SLI"),
])
def test_spelled_out_names_get_a_suggestion(parser, text, hint):
    with pytest.raises(ValueError) as exc:
        parser(text)
    assert f'(did you mean "{hint}"?)' in str(exc.value), str(exc.value)


@pytest.mark.parametrize("text, code", [
    # SEIS/CALPADS service labels are read as they are (issue 19)
    ("Occupational Therapy", "OT"), ("Adapted Physical Education", "APE"),
    ("Orientation and Mobility", "OM")])
def test_service_labels_of_the_code_sets_are_read(text, code):
    assert parse.services(text) == [code]


def test_specialized_academic_instruction_is_asked_not_guessed():
    with pytest.raises(ValueError) as exc:
        parse.services("Specialized Academic Instruction")
    assert "choose RSP for it in the mapping" in str(exc.value)


def test_problem_rows_render_as_ranges():
    p = Problem("students.csv", 2, "grade", "14", "bad grade",
                rows=(2, 3, 4, 9, 11, 12))
    assert str(p) == ('students.csv, 6 rows (2-4, 9, 11-12), column '
                      '"grade": bad grade (got "14")')
