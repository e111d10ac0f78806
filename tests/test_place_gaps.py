"""`place` gaps (issue 14, defect 6): a site not on the roster, duplicate
ids located, and the updated roster written beside the plan."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.inputs.csv_cells import DEFAULT_SAMPLE_DIR

SAMPLE = DEFAULT_SAMPLE_DIR
HEADER = "student_id,site,grade,primary_disability,setting,services\n"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp("pub") / "plan"
    assert run("plan", SAMPLE, "--out", out, "--no-xlsx",
               "--quiet").exit_code == 0
    return out


def test_a_site_not_on_the_roster_is_a_located_error(published, tmp_path):
    new = tmp_path / "new.csv"
    new.write_text(HEADER + "NEW1,Lincoln,2,SLD,GENED,RSP\n")
    result = run("place", SAMPLE, "--plan", published, "--student-file",
                 new)
    assert result.exit_code == 1, result.output
    assert ('new.csv, row 2, column "site": site "Lincoln" is not on the '
            'roster (did you mean "LIN"?)') in result.output, result.output


def test_an_id_already_on_the_roster_names_file_and_rows(published,
                                                         tmp_path):
    new = tmp_path / "new.csv"
    new.write_text(HEADER + "NEW1,LIN,2,SLD,GENED,RSP\n"
                   "100001,LIN,2,SLD,GENED,RSP\n")
    result = run("place", SAMPLE, "--plan", published, "--student-file",
                 new)
    assert result.exit_code == 1, result.output
    assert ('new.csv, row 3, column "student_id": student_id "100001" is '
            "already on the roster (students.csv, row 2)") in result.output


def test_place_out_writes_the_roster_so_check_works(published, tmp_path):
    new = tmp_path / "new.csv"
    new.write_text(HEADER + "NEW1,LIN,2,SLD,GENED,RSP\n")
    out = tmp_path / "placed"
    result = run("place", SAMPLE, "--plan", published, "--student-file",
                 new, "--out", out)
    assert result.exit_code == 0, result.output
    roster = out / "roster"
    assert (roster / "students.csv").is_file()
    assert (roster / "staff.csv").read_text() == \
        (SAMPLE / "staff.csv").read_text()
    assert f"caseload check {roster}" in result.output
    # S2 comes with what it means: the utilization change (defect 9).
    assert re.search(r"S2 \+\d+ \(T\d+ \d+% -> \d+%\)", result.output), \
        result.output
    checked = run("check", roster, out / "assignments.csv")
    assert checked.exit_code == 0, checked.output
    assert "Compliant" in checked.output
