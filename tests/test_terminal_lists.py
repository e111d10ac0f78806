"""Long lists on the terminal point only at files that hold the rest.

``caseload plan`` cuts a long list of warned rows to 20 and names
summary.json, which holds every warning. ``caseload check`` writes no
file at all (and a hand-made assignment has no summary.json beside it),
so a cut list there would lose the rows: it names them all, as before.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from optimizer.cli import main


def _gone_priors(tmp_path: Path, n: int = 40) -> Path:
    roster = tmp_path / "roster"
    shutil.copytree("data/sample", roster)
    rows = list(csv.DictReader((roster / "students.csv").open()))
    for i, row in enumerate(rows[:n]):
        row["prior_case_manager"] = f"GONE{i:02d}"
    with (roster / "students.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return roster


def test_check_names_every_warned_row_and_no_file_it_did_not_write(
        tmp_path):
    roster = _gone_priors(tmp_path)
    made = CliRunner().invoke(main, ["plan", str(roster), "--no-xlsx",
                                     "--quiet", "--out",
                                     str(tmp_path / "out")])
    assert made.exit_code == 0, made.output
    hand = tmp_path / "hand"  # a hand-made assignment: no summary.json
    hand.mkdir()
    shutil.copy(tmp_path / "out" / "assignments.csv", hand)
    got = CliRunner().invoke(main, ["check", str(roster),
                                    str(hand / "assignments.csv")])
    assert got.exit_code == 0, got.output
    line = next(x for x in got.stderr.splitlines()
                if "more like this" in x and "students.csv" in x)
    assert "summary.json" not in line
    more = int(re.search(r"\.\.\. (\d+) more like this", line).group(1))
    named = re.search(r"\(rows ([\d, ]+)\)", line).group(1).split(", ")
    assert len(named) == more
