"""The default output folder and usage errors (issue 14, defect 7)."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.inputs.csv_cells import DEFAULT_SAMPLE_DIR

SAMPLE = DEFAULT_SAMPLE_DIR


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_plan_without_out_writes_out_roster_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # As after `make demo` (out/sample holds a plan) ...
    assert run("plan", SAMPLE, "--out", "out/sample", "--no-xlsx",
               "--quiet").exit_code == 0
    # ... plan without --out works, into out/<roster name>.
    result = run("plan", SAMPLE, "--no-xlsx", "--quiet")
    assert result.exit_code == 0, result.output
    assert "Plan written to out/sample/" in result.output
    assert sorted(os.listdir(tmp_path / "out")) == ["sample"]


def test_a_workbook_roster_plans_into_out_stem(tmp_path, monkeypatch):
    openpyxl = __import__("openpyxl")
    import csv

    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet in ("students", "staff"):
        ws = book.create_sheet(sheet)
        for row in csv.reader((SAMPLE / f"{sheet}.csv").open()):
            ws.append(row)
    book.save(tmp_path / "district.xlsx")
    monkeypatch.chdir(tmp_path)
    result = run("plan", "district.xlsx", "--no-xlsx", "--quiet")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "district" / "assignments.csv").is_file()


def test_an_out_folder_that_is_not_a_plan_is_a_usage_error(tmp_path):
    other = tmp_path / "docs"
    other.mkdir()
    (other / "budget.xlsx").write_text("keep me")
    result = run("plan", SAMPLE, "--out", other)
    assert result.exit_code == 2, result.output
    assert "holds files that are not a plan" in result.output
    assert (other / "budget.xlsx").read_text() == "keep me"


@pytest.mark.parametrize("command", [
    # explain, place and --from need a plan folder; --verify-against too
    ["explain", SAMPLE, "--student", "100001", "--plan", "{empty}"],
    ["place", SAMPLE, "--plan", "{empty}", "--student-file", "{new}"],
    ["plan", SAMPLE, "--from", "{empty}", "--out", "{out}"],
    ["plan", SAMPLE, "--verify-against", "{empty}", "--out", "{out}"],
])
def test_a_folder_that_is_not_a_plan_is_a_usage_error(tmp_path, command):
    empty = tmp_path / "empty"
    empty.mkdir()
    new = tmp_path / "new.csv"
    new.write_text("student_id,site,grade,primary_disability,setting\n"
                   "NEW1,LIN,2,SLD,GENED\n")
    args = [str(a).format(empty=empty, new=new, out=tmp_path / "o")
            for a in command]
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "is not a plan folder (it has no assignments.csv)" in \
        result.output
    assert "Traceback" not in result.output
