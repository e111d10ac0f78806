"""Issue 23's follow-ups: scenarios with dates and assessments, check
and place under the plan's calendar settings, the planning year, the
heat map's words following the period setting."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer import operations
from optimizer.cli import main
from optimizer.inputs.roster import load_roster
from optimizer.objectives import ObjectiveWeights, period_range
from optimizer.result import SolverParams

ROOT = Path(__file__).parent.parent
DATED = ROOT / "data" / "sample-dates"
PENDING = ROOT / "tests" / "data" / "assessments" / "pending.csv"


@pytest.fixture(scope="module")
def dated(rules):
    return load_roster(DATED, rules).instance


# ------------------------------------------ item 4: the period's words

def test_period_range_fills_quiet_periods():
    assert period_range(["2026-11", "2026-09", "2027-01"]) == [
        "2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]
    assert period_range(["2026-W52", "2027-W02"]) == [
        "2026-W52", "2026-W53", "2027-W01", "2027-W02"]
    assert period_range([]) == []


def test_weekly_calendar_says_week_everywhere(dated, rules):
    from optimizer.outputs.plan_tables import calendar_rows

    run = operations.plan(dated, rules, input_hash="x",
                          weights=ObjectiveWeights(calendar_period="week"),
                          params=SolverParams(), xlsx=False)
    html = run.files["report.html"]
    legend = html[html.index("IEP meeting calendar"):]
    legend = legend[:legend.index("</svg>")]
    assert "per week" in legend and "busiest week" in legend
    assert "month" not in legend
    header = next(csv.reader(io.StringIO(run.files["meetings.csv"])))
    weeks = header[2:-1]
    # every week from the first to the last, a quiet one too
    assert weeks == period_range(weeks) and len(weeks) > 40
    table = calendar_rows(run.audit, [(c.staff_id, c.name)
                                      for c in dated.staff])
    assert table["unit"] == "week" and table["periods"] == weeks
    from optimizer.outputs.report import template_environment
    from optimizer.web.app import HERE  # the workbench's table

    env = template_environment(HERE / "templates")
    text = env.get_template("_calendar.html.j2").render(calendar=table)
    assert "per week" in text and "month" not in text


# ------------------------------------- item 5: assessments at odd sites

def _pending(tmp_path, rows: list[str]) -> Path:
    path = tmp_path / "pending.csv"
    path.write_text("assessment_id,site,grade,due_date,areas\n"
                    + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_assessment_at_an_unknown_site_is_a_located_error(tmp_path, dated):
    from optimizer.errors import InputError
    from optimizer.inputs.assessments import load_assessments

    path = _pending(tmp_path, ["R1,LIN,K,2027-04-16,", "R2,LNI,K,2027-04-16,",
                               "R3,ROO,3,2027-05-01,"])
    with pytest.raises(InputError) as err:
        load_assessments(path, dated)
    [p] = err.value.problems
    assert (p.file, p.row, p.column, p.value) == ("pending.csv", 3, "site",
                                                  "LNI")
    assert 'did you mean "LIN"' in p.message
    # on the command line: exit 1, the located line, no traceback
    out = CliRunner().invoke(main, [
        "plan", str(DATED), "--assessments", str(path), "--out",
        str(tmp_path / "o"), "--no-xlsx"])
    assert out.exit_code == 1, out.output
    assert "pending.csv" in out.output and "LNI" in out.output
    assert "Traceback" not in out.output


def test_a_site_served_by_nobody_of_the_kinds_says_why(tmp_path, dated,
                                                      rules):
    from optimizer.inputs.assessments import load_assessments

    # grade 9 at LIN: the resource specialists there serve TK-5
    path = _pending(tmp_path, ["R1,LIN,K,2027-04-16,", "R2,LIN,9,2027-04-16,"])
    pending = load_assessments(path, dated)
    run = operations.plan(dated, rules, input_hash="x",
                          weights=ObjectiveWeights(), params=SolverParams(),
                          xlsx=False, html=False, assessments=pending)
    rows = {r["assessment_id"]: r for r in csv.DictReader(
        io.StringIO(run.files["assessments.csv"]))}
    assert rows["R1"]["staff_id"] and not rows["R1"]["why_unassigned"]
    why = rows["R2"]["why_unassigned"]
    assert not rows["R2"]["staff_id"]
    assert "RSP staff at site LIN" in why and "grade 9" in why
    assert "T0001 grades TK-5" in why
    assert any("R2 is left unassigned" in w for w in run.warnings)
