"""The bad-input corpus (tests/data/bad): each case pins its exit code and
its exact messages, and no output ever shows a traceback or a value from
the roster's own columns (student names)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import main

CORPUS = Path(__file__).parent / "data" / "bad"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())


def expected(case: Path) -> tuple[int, list[str]]:
    lines = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    return int(lines[0].split()[1]), [ln for ln in lines[1:] if ln]


def names(case: Path) -> list[str]:
    """Values of the student_name column (extra, confidential)."""
    raw = (case / "students.csv").read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    if not text.strip():
        return []
    rows = list(csv.reader(text.splitlines(),
                           delimiter="\t" if "\t" in text else
                           ";" if ";" in text.splitlines()[0] else ","))
    if not rows or "student_name" not in rows[0]:
        return []
    i = rows[0].index("student_name")
    return [r[i] for r in rows[1:] if len(r) > i and r[i]]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_bad_input_case(case, tmp_path):
    code, messages = expected(case)
    result = CliRunner().invoke(main, ["plan", str(case), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == code, result.output
    for message in messages:
        assert message in result.output, result.output
    assert "Traceback" not in result.output
    for name in names(case):
        assert name not in result.output
    if code == 0:  # the data was usable: a full plan, names carried
        text = (tmp_path / "out" / "assignments.csv").read_text()
        for name in names(case):
            assert name in text
