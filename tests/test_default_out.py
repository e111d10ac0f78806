"""The default output folder and usage errors (issue 14, defect 7)."""

from __future__ import annotations

import os

from click.testing import CliRunner

from optimizer.cli import main
from optimizer.inputs.tables import DEFAULT_SAMPLE_DIR

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
