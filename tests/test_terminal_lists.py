"""Long lists on the terminal point only at files that hold the rest.

``caseload plan`` cuts a long list of warned rows to 20 and names
summary.json, which holds every warning. ``caseload check`` writes no
file at all (and a hand-made assignment has no summary.json beside it),
so a cut list there would lose the rows: it names them all, as before.
"""

from __future__ import annotations

import csv
import json
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


def _warned_rows_line(stderr: str) -> str:
    """The warning line that counts the students.csv rows past the
    first few."""
    return next(x for x in stderr.splitlines()
                if "more like this" in x and "students.csv" in x)


def _assert_every_row_named(line: str) -> None:
    """The line points at no summary.json and names each row it counts."""
    assert "summary.json" not in line
    more = int(re.search(r"\.\.\. (\d+) more like this", line).group(1))
    named = re.search(r"\(rows ([\d, ]+)\)", line).group(1).split(", ")
    assert len(named) == more


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
    _assert_every_row_named(_warned_rows_line(got.stderr))


def test_check_names_every_provider_of_an_average_and_no_plan_file(
        tmp_path):
    """caseload check of a hand-made assignment: 25 speech providers
    under the statutory average are all named; it wrote no
    caseloads.csv to find the rest in."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from helpers import crow, srow, write_roster

    staff = [*(crow(f"C{i:02d}") for i in range(25)),
             *(crow(f"P{i:02d}", provides="SPEECH", credentials="SLP")
               for i in range(25))]
    roster = write_roster(tmp_path / "r",
                          [srow(f"S{i:03d}") for i in range(50)], staff)
    hand = tmp_path / "assignments.csv"
    hand.write_text("student_id,case_manager_id\n" + "".join(
        f"S{i:03d},C{i % 25:02d}\n" for i in range(50)))
    got = CliRunner().invoke(main, ["check", str(roster), str(hand)])
    assert got.exit_code == 0, got.output
    line = next(x for x in got.stdout.splitlines()
                if x.startswith("SPEECH district average"))
    assert "caseloads.csv" not in line
    assert all(f"P{i:02d} 0" in line for i in range(25))


def test_a_redacted_plan_names_every_warned_row_its_summary_withholds(
        tmp_path):
    """plan --redact: summary.json withholds the warnings, so the
    terminal (which prints them) cannot send the user there for the
    rest of the rows."""
    roster = _gone_priors(tmp_path)
    got = CliRunner().invoke(main, ["plan", str(roster), "--no-xlsx",
                                    "--redact", "--out",
                                    str(tmp_path / "out")])
    assert got.exit_code == 0, got.output
    summary = (tmp_path / "out" / "summary.json").read_text()
    assert "GONE" not in summary  # withheld
    _assert_every_row_named(_warned_rows_line(got.stderr))


def test_a_long_list_on_the_terminal_names_the_first_and_counts_the_rest(
        tmp_path):
    """A district with hundreds of sites or people: the summary and the
    warnings list the first 20 and say how many more, and where all of
    them are (they used to fill the terminal with thousands of ids)."""
    from optimizer.outputs.terminal import TERMINAL_ITEMS, listed

    items = [f"S{i:03d}" for i in range(45)]
    assert listed(items, "report.html") == (
        ", ".join(items[:TERMINAL_ITEMS])
        + f" and {45 - TERMINAL_ITEMS} more (report.html)")
    assert listed(items[:3], "x") == "S000, S001, S002"
    roster = _gone_priors(tmp_path)
    got = CliRunner().invoke(main, ["plan", str(roster), "--no-xlsx",
                                    "--out", str(tmp_path / "out")])
    assert got.exit_code == 0, got.output
    line = _warned_rows_line(got.stderr)
    # 3 in full, the rest counted, of which 20 rows named
    more = int(re.search(r"\.\.\. (\d+) more like this", line).group(1))
    assert more >= 37
    assert line.endswith(f"and {more - TERMINAL_ITEMS} more "
                         "(summary.json))")
    named = re.search(r"\(rows ([\d, ]+) and", line).group(1)
    assert len(named.split(", ")) == TERMINAL_ITEMS
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert sum("GONE" in w for w in summary["warnings"]) == 40
