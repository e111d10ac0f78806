"""`check` blind spots (issue 14, defect 5): a case_manager_name that no
longer matches the staff member, an exact duplicate row, and a published
plan with redacted student ids."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.inputs.csv_cells import DEFAULT_SAMPLE_DIR

SAMPLE = DEFAULT_SAMPLE_DIR


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plan") / "plan"
    result = run("plan", SAMPLE, "--out", out, "--no-xlsx", "--quiet")
    assert result.exit_code == 0, result.output
    return out


def rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write(path: Path, data: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(data)
    return path


def test_a_stale_case_manager_name_is_a_warning(planned, tmp_path):
    data = rows(planned / "assignments.csv")
    head = data[0]
    i, j = head.index("case_manager_id"), head.index("case_manager_name")
    # Row 2 keeps its id but shows the name of someone else: somebody
    # edited the name in a spreadsheet and not the id (or the reverse).
    other = next(r for r in data[1:] if r[i] != data[1][i])
    data[1][j] = other[j]
    edited = write(tmp_path / "edited.csv", data)
    result = run("check", SAMPLE, edited)
    assert result.exit_code == 0, result.output
    assert (f'edited.csv, row 2, column "case_manager_name": "{other[j]}" '
            f'is not the name of {data[1][i]}') in result.output, \
        result.output


def test_an_exact_duplicate_row_is_named_as_such(planned, tmp_path):
    data = rows(planned / "assignments.csv")
    data.append(list(data[5]))  # row 6 again, as row 317
    edited = write(tmp_path / "dup.csv", data)
    result = run("check", SAMPLE, edited)
    assert "has 2 case managers" not in result.output, result.output
    assert (f"dup.csv, row {len(data)}: duplicate row (the same as row 6)"
            in result.output), result.output
    assert result.exit_code == 0


def test_two_different_case_managers_is_still_h1(planned, tmp_path):
    data = rows(planned / "assignments.csv")
    i = data[0].index("case_manager_id")
    copy = list(data[5])
    copy[i] = next(r[i] for r in data[1:] if r[i] != copy[i])
    data.append(copy)
    result = run("check", SAMPLE, write(tmp_path / "two.csv", data))
    assert result.exit_code == 4
    assert "has 2 case managers" in result.output


def test_verify_against_a_redacted_plan_compares_pseudonyms(tmp_path):
    published = tmp_path / "published"
    result = run("plan", SAMPLE, "--out", published, "--redact",
                 "--no-xlsx", "--quiet")
    assert result.exit_code == 0, result.output
    # Same roster, same settings: the redacted plan is verified, not
    # "630 differences for 315 students".
    result = run("plan", SAMPLE, "--out", tmp_path / "again", "--no-xlsx",
                 "--quiet", "--verify-against", published)
    assert result.exit_code == 0, result.output
    assert "Verified" in result.output and "pseudonym" in result.output
