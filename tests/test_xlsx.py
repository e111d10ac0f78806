"""plan.xlsx (XlsxWriter): readable, text stays text, same bytes."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook

from optimizer.outputs.workbook import plan_workbook

FILES = {
    "assignments.csv": "student_id,case_manager_id,note\n"
                       "S1,C1,=1+1\nS2,C2,a & b <c>\nS3,C1,\nS4,C2,bell\x07\n",
    "caseloads.csv": "staff_id,name,caseload,weighted_load,max_caseload,"
                     "utilization\nC1,Ms. A,27,27,28,0.964\n"
                     "C2,Mr. B,22,22,28,0.786\nC3,Dr. C,10,10,28,0.357\n",
    "summary.json": json.dumps({"status": "OPTIMAL", "proven": True,
                                "gap": None, "terms": {"S1": 3}}),
}


def test_workbook_reads_back_with_types_styles_and_text(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(plan_workbook(FILES))
    book = load_workbook(path)
    assert book.sheetnames == ["assignments", "caseloads", "summary"]
    rows = list(book["assignments"].iter_rows(values_only=True))
    # A value that looks like a formula is text, never a formula.
    assert rows[1] == ("S1", "C1", "=1+1")
    assert book["assignments"]["C2"].data_type == "s"
    assert rows[2] == ("S2", "C2", "a & b <c>")
    assert rows[3][:2] == ("S3", "C1") and rows[3][2] in (None, "")
    # A control character XML cannot hold is stored with Excel's own
    # _xHHHH_ escape (Excel shows the character), not a broken file.
    assert rows[4] == ("S4", "C2", "bell_x0007_")
    ws = book["caseloads"]
    assert ws["A1"].font.b and ws.freeze_panes == "A2"
    assert [c.value for c in ws["C"][1:]] == [27, 22, 10]
    fills = [c.fill.fgColor.rgb for c in ws["F"][1:]]
    assert fills == ["FFF4CCCC", "FFFCE5CD", "00000000"]
    summary = dict(book["summary"].iter_rows(values_only=True))
    assert summary["status"] == "OPTIMAL" and summary["proven"] is True
    assert summary["terms.S1"] == 3


def test_same_files_give_the_same_bytes():
    assert plan_workbook(FILES) == plan_workbook(dict(FILES))


def test_rows_in_hand_give_the_same_bytes_as_the_csv_text():
    # operations.plan passes assignments.csv's rows instead of its text
    rows = {name: list(csv.reader(io.StringIO(FILES[name])))
            for name in ("assignments.csv", "caseloads.csv")}
    assert plan_workbook(FILES, rows) == plan_workbook(FILES)
    assert plan_workbook(FILES, {"assignments.csv": rows[
        "assignments.csv"]}) == plan_workbook(FILES)


def test_assignment_rows_are_what_the_csv_reads_back(sample, rules):
    # plan.xlsx is written from these rows, so they must be the CSV's
    # rows exactly: every value a string, the roster's columns included
    from optimizer.outputs import plan_files
    from optimizer.result import SolverParams
    from optimizer.solver.dispatch import solve
    from optimizer.verify import audit

    inst = sample.instance
    plan = solve(inst, rules, params=SolverParams())
    checked = audit(inst, rules, dict(plan.assignment))
    rows = plan_files.assignments_rows(checked, inst, rules)
    text = plan_files.assignments_csv(checked, inst, rules)
    assert list(csv.reader(io.StringIO(text))) == rows
    assert all(isinstance(v, str) for row in rows for v in row)


def test_hard_text_reads_back_as_written(tmp_path):
    # plan.xlsx is written as XML parts by the product itself: text
    # with XML's special characters, surrounding spaces, a literal
    # Excel escape, and a non-finite number in the summary all read back
    # as what they were (openpyxl and the product's own reader alike).
    from optimizer.inputs.excel import read_plan_assignments

    hard = ["  lead and trail  ", "_x0041_ stays", "\"q\" & 'a' <b>",
            "line\nbreak", "tab\there", "ñ café 学生"]
    rows = [["student_id", "note"]] + [[f"S{i}", t]
                                        for i, t in enumerate(hard)]
    files = dict(FILES, **{"summary.json": json.dumps(
        {"status": "FEASIBLE", "gap": float("inf"), "n": 10 ** 12})})
    path = tmp_path / "plan.xlsx"
    path.write_bytes(plan_workbook(files, {"assignments.csv": rows}))
    book = load_workbook(path)
    got = [list(r) for r in book["assignments"].iter_rows(
        values_only=True)]
    assert got == rows
    # The product's reader (inputs.excel, not this module) does not undo
    # Excel's _x005F_ escape of a literal "_x0041_" (as with XlsxWriter):
    # every other text reads back as written.
    assert read_plan_assignments(path) == [
        *rows[:2], ["S1", "_x005F_x0041_ stays"], *rows[3:]]
    summary = dict(book["summary"].iter_rows(values_only=True))
    assert summary["gap"] == "inf" and summary["n"] == 10 ** 12


def test_a_large_plan_is_every_cell_it_was_given(tmp_path):
    # The fast path for text-only sheets: every cell in its place, blank
    # cells left out, the shared strings shared across rows and sheets.
    rows = [["student_id", "site", "case_manager_id", "note"]]
    rows += [[f"S{i}", f"T{i % 7}", "" if i % 5 == 0 else f"C{i % 13}",
              "x" * (i % 3)] for i in range(3000)]
    path = tmp_path / "plan.xlsx"
    path.write_bytes(plan_workbook(FILES, {"assignments.csv": rows}))
    got = [[v if v is not None else "" for v in r] for r in load_workbook(
        path)["assignments"].iter_rows(values_only=True)]
    assert got == rows
