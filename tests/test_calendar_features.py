"""Issue 23's follow-ups: scenarios with dates and assessments, check
and place under the plan's calendar settings, the planning year, the
heat map's words following the period setting."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from optimizer import operations
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
