"""Trust under faults and repetition: interrupted writes, row order,
re-verification of a published plan, redaction."""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import optimizer as cl
from optimizer.cli import main
from optimizer.outputs import files
from optimizer.solver.dispatch import solve

SAMPLE = cl.DEFAULT_SAMPLE_DIR


def plan(args):
    return CliRunner().invoke(main, ["plan", *map(str, args)])


def shuffled_copy(src: Path, dst: Path, seed: int) -> Path:
    dst.mkdir(parents=True)
    rng = random.Random(seed)
    for name in ("students.csv", "staff.csv"):
        lines = (src / name).read_text().splitlines()
        body = lines[1:]
        rng.shuffle(body)
        (dst / name).write_text("\n".join([lines[0], *body]) + "\n")
    return dst


def test_row_order_does_not_change_any_assignment(rules, tmp_path):
    base = solve(cl.load_roster(SAMPLE, rules).instance, rules).assignment
    for seed in (1, 2):
        folder = shuffled_copy(SAMPLE, tmp_path / f"s{seed}", seed)
        other = solve(cl.load_roster(folder, rules).instance,
                      rules).assignment
        assert other == base


def test_interrupted_write_leaves_the_old_plan(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert plan([SAMPLE, "--out", out]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = []

    def dying_write(path, text):
        calls.append(path)
        if len(calls) == 2:  # after one file of the new plan is written
            raise KeyboardInterrupt
        real(path, text)

    real = files.write_text_atomic
    monkeypatch.setattr(files, "write_text_atomic", dying_write)
    with pytest.raises(KeyboardInterrupt):
        files.write_plan_folder(out, {"assignments.csv": "new",
                                   "caseloads.csv": "new",
                                   "summary.json": "{}"})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.slow
def test_killed_process_never_leaves_half_a_plan(tmp_path):
    # Kill real `caseload plan` runs at spread-out moments; whatever the
    # moment, the folder holds one whole plan, old or new.
    out = tmp_path / "out"
    assert plan([SAMPLE, "--out", out]).exit_code == 0
    old = (out / "assignments.csv").read_bytes()
    cmd = [sys.executable, "-m", "optimizer.cli", "plan", str(SAMPLE),
           "--out", str(out)]
    for delay in (0.2, 0.4, 0.6, 0.8, 1.0):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        names = sorted(p.name for p in out.iterdir())
        assert names == ["assignments.csv", "caseloads.csv", "plan.xlsx",
                         "report.html", "staffing.csv", "summary.json"]
        assert (out / "assignments.csv").read_bytes() == old


def test_verify_against_a_published_plan(tmp_path):
    out = tmp_path / "out"
    assert plan([SAMPLE, "--out", out]).exit_code == 0
    same = plan([SAMPLE, "--out", tmp_path / "again", "--verify-against",
                 out])
    assert same.exit_code == 0, same.output
    assert "matches the published plan in" in same.output
    # Edit one published assignment: the check must notice.
    text = (out / "assignments.csv").read_text().splitlines()
    cells = text[1].split(",")
    cells[2] = "T9999"
    text[1] = ",".join(cells)
    (out / "assignments.csv").write_text("\n".join(text) + "\n")
    differs = plan([SAMPLE, "--out", tmp_path / "third", "--verify-against",
                    out])
    assert differs.exit_code == 4
    assert "1 student(s) differ" in differs.output


def test_redact_replaces_ids_and_drops_private_columns(tmp_path):
    out = tmp_path / "out"
    assert plan([SAMPLE, "--out", out, "--redact"]).exit_code == 0
    rows = list(csv.DictReader((out / "assignments.csv").open()))
    ids = {r["student_id"] for r in rows}
    real = {r["student_id"] for r in
            csv.DictReader((SAMPLE / "students.csv").open())}
    assert not ids & real
    assert all(i.startswith("P-") for i in ids)
    assert "last_name" not in rows[0] and "first_name" not in rows[0]
    again = tmp_path / "again"
    assert plan([SAMPLE, "--out", again, "--redact"]).exit_code == 0
    # Stable pseudonyms: the same roster gives the same file.
    assert (again / "assignments.csv").read_bytes() == (
        out / "assignments.csv").read_bytes()


def test_too_many_rows_is_refused_clearly(tmp_path, rules):
    folder = tmp_path / "big"
    folder.mkdir()
    shutil.copy(SAMPLE / "staff.csv", folder / "staff.csv")
    lines = (SAMPLE / "students.csv").read_text().splitlines()
    with open(folder / "students.csv", "w") as fh:
        fh.write(lines[0] + "\n")
        row = lines[1].split(",", 1)[1]
        fh.writelines(f"X{i},{row}\n" for i in range(1_000_001))
    result = plan([folder, "--out", tmp_path / "o"])
    assert result.exit_code == 1
    assert "students.csv has 1,000,001 rows" in result.output
    assert os.path.getsize(folder / "students.csv") > 0


def test_every_student_appears_exactly_once_in_input_order(tmp_path):
    out = tmp_path / "out"
    assert plan([SAMPLE, "--out", out, "--no-xlsx"]).exit_code == 0
    roster = [r["student_id"] for r in
              csv.DictReader((SAMPLE / "students.csv").open())]
    written = [r["student_id"] for r in
               csv.DictReader((out / "assignments.csv").open())]
    assert written == roster
    assert all(r["case_manager_id"] for r in
               csv.DictReader((out / "assignments.csv").open()))


def test_a_carriage_return_in_a_cell_survives_the_round_trip(tmp_path):
    # A quoted roster cell may hold a lone "\r"; Python's csv writer does
    # not quote it and readers split the row there, so `caseload check`
    # saw its own plan's students twice (H1). The plan must read back.
    roster = tmp_path / "roster"
    shutil.copytree(SAMPLE, roster)
    with (SAMPLE / "students.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    rows[0].append("x_note")
    for i, row in enumerate(rows[1:]):
        row.append("line one\rline two" if i % 3 == 0 else "plain")
    with (roster / "students.csv").open("w", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)
    out = tmp_path / "out"
    assert plan([roster, "--out", out, "--no-xlsx"]).exit_code == 0
    with (out / "assignments.csv").open(newline="") as f:
        written = list(csv.DictReader(f))
    assert len(written) == len(rows) - 1
    assert written[0]["x_note"] == "line one\rline two"
    checked = CliRunner().invoke(main, ["check", str(roster),
                                        str(out / "assignments.csv")])
    assert checked.exit_code == 0, checked.output


def test_plan_xlsx_has_no_formula_cell(tmp_path):
    # CWE-1236: names and extra columns that look like formulas are data.
    # The workbook must hold them as text (data type "s"), never "f".
    from openpyxl import load_workbook

    roster = tmp_path / "roster"
    roster.mkdir()
    (roster / "staff.csv").write_text(
        "staff_id,name,sites,provides,credentials\n"
        'C1,"=HYPERLINK(""http://x"",""y"")",A,RSP,R3MN\n'
        "C2,+SUM(1;2),A,RSP,R3MN\n")
    (roster / "students.csv").write_text(
        "student_id,site,grade,primary_disability,setting,services,"
        "x_note\n"
        "S1,A,3,SLD,GENED,RSP,=1+1\n"
        "S2,A,4,SLD,GENED,RSP,@cmd\n")
    result = CliRunner().invoke(main, ["plan", str(roster), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "spreadsheets read as a formula" in result.output
    book = load_workbook(tmp_path / "out" / "plan.xlsx")
    values = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate,
                                               cell.value)
                values.append(cell.value)
    # The values themselves are kept, as text.
    assert "=1+1" in values and '=HYPERLINK("http://x","y")' in values
