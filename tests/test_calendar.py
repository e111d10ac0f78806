"""The IEP meeting calendar: S5 (meetings balanced per case manager and
month) and H8 (the district's monthly limit), on every solving path and
in the checker (issue 23)."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

from optimizer.errors import InputError
from optimizer.inputs.roster import load_roster
from optimizer.objectives import ObjectiveWeights
from optimizer.result import SolverParams, SolveStatus
from optimizer.solver import objective as cp_objective
from optimizer.solver.dispatch import solve
from optimizer.verify import audit

ROOT = Path(__file__).parent.parent
DATED = ROOT / "data" / "sample-dates"


@pytest.fixture(scope="module")
def dated(rules):
    return load_roster(DATED, rules).instance


def _undated(instance):
    return instance.replace(students=tuple(
        s.model_copy(update={"annual_review_date": None,
                             "reevaluation_date": None})
        for s in instance.students))


@pytest.fixture(scope="module")
def without_term(dated, rules):
    """Today's plan (no dates seen), audited with the dates."""
    result = solve(_undated(dated), rules)
    return audit(dated, rules, dict(result.assignment))


def _levels_match_checker(result, checked):
    for lv in result.levels:
        assert lv.objective == sum(c * checked.terms[t]
                                   for t, c in lv.terms.items())


def test_fixture_is_reproducible():
    spec = importlib.util.spec_from_file_location(
        "make_dates", DATED / "make_dates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.dated_students() == (DATED / "students.csv").read_text(
        encoding="utf-8")


@pytest.mark.parametrize("path", ["auto", "mip", "cpsat", "large-part"])
def test_term_lowers_the_calendar_on_every_path(path, dated, rules,
                                                without_term, monkeypatch):
    """Best practice unchanged; the sum over case managers and months of
    meetings squared at least 10% below the plan made without the term;
    the solver's levels are what the checker recomputes. (``auto`` on
    unit weights is the flow's path without dates: dates route it to the
    MIP.)"""
    method = path
    if path == "large-part":
        method = "auto"
        # A part too large for the MIP and CP-SAT: the flow's plan
        # improved by single-student moves that count S5, with the token
        # bound plus S5's equal-shares bound as its (honest) gap.
        monkeypatch.setattr(importlib.import_module(solve.__module__),
                            "CPSAT_MAX_PAIRS", 0)
    # The large part's plan (calendar flow, moves) does not depend on the
    # limit; its bound steps until the limit, so 5 s keeps the test short.
    limit = 5 if path == "large-part" else 60
    result = solve(dated, rules, params=SolverParams(time_limit=limit),
                   method=method)
    assert result.has_plan
    checked = audit(dated, rules, dict(result.assignment))
    assert not checked.violations
    _levels_match_checker(result, checked)
    assert {"S5"} <= set(result.levels[-1].terms)
    assert checked.terms["S1"] == without_term.terms["S1"]
    assert checked.terms["S5"] <= 0.9 * without_term.terms["S5"]


def test_the_flow_alone_refuses_dates(dated, rules):
    """The flow cannot carry S5 or H8: forced, it says so."""
    with pytest.raises(ValueError, match="meeting dates"):
        solve(dated, rules, method="flow")


def test_removing_the_term_from_cpsat_is_caught(dated, rules,
                                                without_term, monkeypatch):
    """The guard above is real: CP-SAT without S5 misses the target."""
    monkeypatch.setattr(cp_objective, "meeting_calendar",
                        lambda model, v: 0)
    result = solve(dated, rules, method="cpsat")
    checked = audit(dated, rules, dict(result.assignment))
    assert checked.terms["S5"] > 0.9 * without_term.terms["S5"]


def test_removing_the_term_from_the_mip_is_caught(dated, rules,
                                                  without_term,
                                                  monkeypatch):
    from optimizer.solver import mip

    real = mip._Program.level

    def without(self, level):
        return real(self, {t: c for t, c in level.items() if t != "S5"})
    monkeypatch.setattr(mip._Program, "level", without)
    with pytest.raises(AssertionError, match="prices its plan"):
        solve(dated, rules)


def test_checker_counts_meetings(dated, rules):
    """S5 is the sum of squares of each case manager's meetings per
    month, counted from the assignment and the dates alone."""
    result = solve(dated, rules)
    checked = audit(dated, rules, dict(result.assignment))
    by_cm: dict[tuple[str, str], int] = {}
    for s in dated.students:
        days = {d for d in (s.annual_review_date, s.reevaluation_date) if d}
        for d in days:
            key = (result.assignment[s.student_id], f"{d:%Y-%m}")
            by_cm[key] = by_cm.get(key, 0) + 1
    assert checked.meetings == by_cm
    assert checked.terms["S5"] == sum(n * n for n in by_cm.values())


def test_without_dates_nothing_changes(sample, rules):
    """No date columns: no S5 level, no H8, no meetings.csv, the same
    caseloads.csv header and settings as before the calendar existed."""
    weights = ObjectiveWeights(max_meetings_per_month=1)
    result = solve(sample.instance, rules, weights)
    assert all("S5" not in lv.terms for lv in result.levels)
    assert result.status is SolveStatus.OPTIMAL
    from optimizer import operations

    run = operations.plan(sample.instance, rules, input_hash="x",
                        weights=ObjectiveWeights(), params=SolverParams(),
                        xlsx=False, html=False)
    assert "meetings.csv" not in run.files
    assert run.files["caseloads.csv"].splitlines()[0] == (
        "staff_id,name,caseload,weighted_load,max_caseload,utilization")
    assert '"S5"' not in run.files["summary.json"]
    assert "calendar_period" not in run.files["summary.json"]


def test_week_period(dated, rules):
    weights = ObjectiveWeights(calendar_period="week")
    result = solve(dated, rules, weights)
    checked = audit(dated, rules, dict(result.assignment),
                    calendar=weights.calendar(dated.students))
    assert all("-W" in p for _, p in checked.meetings)
    _levels_match_checker(result, checked)


@pytest.mark.parametrize("method", ["auto", "mip", "cpsat"])
def test_monthly_limit_is_respected(dated, rules, method):
    # One site (JEF: 100 students, 9 meetings in the busiest month
    # without a limit), so that CP-SAT proves it in seconds.
    dated = dated.replace(students=tuple(s for s in dated.students
                                         if s.site == "JEF"))
    weights = ObjectiveWeights(max_meetings_per_month=5)
    cal = weights.calendar(dated.students)
    result = solve(dated, rules, weights, method=method,
                   params=SolverParams(time_limit=30))
    assert result.has_plan
    checked = audit(dated, rules, dict(result.assignment), calendar=cal)
    assert not checked.violations
    months: dict[tuple[str, str], int] = {}
    for s in dated.students:
        for d in {d for d in (s.annual_review_date, s.reevaluation_date)
                  if d}:
            key = (result.assignment[s.student_id], f"{d:%Y-%m}")
            months[key] = months.get(key, 0) + 1
    assert max(months.values()) <= 5
    # The checker finds a plan over the limit.
    tight = ObjectiveWeights(max_meetings_per_month=2).calendar(
        dated.students)
    assert {v.rule for v in audit(dated, rules, dict(result.assignment),
                                  calendar=tight).violations} == {"H8"}


def _least_s1(dated, rules) -> int:
    """S1's least without a monthly limit (the flow of S1 alone)."""
    from optimizer.solver.flow import solve_flow
    from optimizer.solver.structure import build_structure

    structure = build_structure(dated, rules)
    return sum(solve_flow(structure, comp, [{"S1": 1}]).levels[0].objective
               for comp in structure.components)


def _exact_and_large(dated, rules, weights, monkeypatch):
    """The proven plan, and the plan of the part as if too large for the
    MIP and CP-SAT (neither is given it): a plan the checker accepts, H8
    included, each level the plan's own, each bound at most the proven
    optimum's."""
    from optimizer.solver.model import AssignmentModel

    exact = solve(dated, rules, weights, params=SolverParams(time_limit=30))
    assert exact.status is SolveStatus.OPTIMAL
    module = importlib.import_module(solve.__module__)
    monkeypatch.setattr(module, "CPSAT_MAX_PAIRS", 0)

    def neither(*args, **kwargs):
        raise AssertionError("a part too large for them was given to them")
    monkeypatch.setattr(module.mip, "solve_levels", neither)
    monkeypatch.setattr(AssignmentModel, "solve", neither)
    large = solve(dated, rules, weights, params=SolverParams(time_limit=1))
    assert large.status in (SolveStatus.FEASIBLE, SolveStatus.OPTIMAL)
    checked = audit(dated, rules, dict(large.assignment),
                    calendar=weights.calendar(dated.students))
    assert not checked.violations
    _levels_match_checker(large, checked)
    for lv, best in zip(large.levels, exact.levels, strict=True):
        assert 0 <= lv.bound <= best.objective
    return exact, large


@pytest.mark.parametrize(("site", "limit"), [("JEF", 5), ("JEF", 3),
                                             (None, 4)])
def test_a_large_part_is_taken_within_the_monthly_limit(dated, rules, site,
                                                        limit, monkeypatch):
    """A part too large for the MIP with a monthly limit (H8) no longer
    goes to the MIP (at 70,000 students: 3.7 GB, no plan in 25 s): the
    calendar plan is taken within the limit by swaps and moves that price
    each meeting beyond it above all else, S1 giving where it must (it
    must in each of these). The checker accepts the plan, H8 included;
    each level is the plan's own, each bound at most the proven
    optimum's; S1 is the optimum's here too, and its bound, with the
    limits relaxed by multipliers, above S1's least without them."""
    if site:
        dated = dated.replace(students=tuple(s for s in dated.students
                                             if s.site == site))
    weights = ObjectiveWeights(max_meetings_per_month=limit)
    exact, large = _exact_and_large(dated, rules, weights, monkeypatch)
    assert large.levels[0].objective == exact.levels[0].objective
    # S1 gave way to the limit; its bound sees the limit
    # (``calbound.limit_bound``: 18 of 21 at JEF with 3, where S1 without
    # the limit is 1).
    free = _least_s1(dated, rules)
    assert large.levels[0].objective > free
    assert large.levels[0].bound > free


def test_impossible_limit_is_diagnosed(dated, rules):
    from optimizer.outputs.terminal import render_diagnosis

    weights = ObjectiveWeights(max_meetings_per_month=1)
    result = solve(dated, rules, weights)
    assert result.status is SolveStatus.INFEASIBLE
    d = result.diagnosis
    assert d.meetings
    worst = d.meetings[0]
    assert worst.meetings > worst.places
    assert worst.staff and worst.student_ids
    by_id = dated.student_by_id()
    for sid in worst.student_ids:
        s = by_id[sid]
        assert worst.month in {f"{x:%Y-%m}" for x in (
            s.annual_review_date, s.reevaluation_date) if x}
    text = render_diagnosis(d)
    assert worst.month in text and "H8" in text
    assert worst.staff[0][0] in text


def test_bad_dates_are_located(tmp_path, rules):
    src = (DATED / "students.csv").read_text(encoding="utf-8").splitlines()
    header = src[0].replace("annual_review_date",
                            "Date of Next Annual Plan Review")
    header = header.replace("reevaluation_date",
                            "Date of Next Reevaluation")
    rows = [header, *src[1:]]
    rows[3] = rows[3].rsplit(",", 2)[0] + ",2026-02-30,"
    rows[5] = rows[5].rsplit(",", 2)[0] + ",9/15/2026,soon"
    (tmp_path / "students.csv").write_text("\n".join(rows) + "\n",
                                           encoding="utf-8")
    (tmp_path / "staff.csv").write_bytes(
        (DATED / "staff.csv").read_bytes())
    with pytest.raises(InputError) as err:
        load_roster(tmp_path, rules)
    problems = {(p.row, p.column, p.value) for p in err.value.problems}
    assert (4, "Date of Next Annual Plan Review", "2026-02-30") in problems
    assert (6, "Date of Next Reevaluation", "soon") in problems
    assert len(err.value.problems) == 2
    # A US date is read as SEIS writes it.
    rows[3] = rows[3].rsplit(",", 2)[0] + ",2026-09-01,"
    rows[5] = rows[5].rsplit(",", 2)[0] + ",9/15/2026,"
    (tmp_path / "students.csv").write_text("\n".join(rows) + "\n",
                                           encoding="utf-8")
    inst = load_roster(tmp_path, rules).instance
    assert str(inst.students[4].annual_review_date) == "2026-09-15"


def test_explanation_s5_is_the_checkers_change(dated, rules):
    """What moving a student does to S5 (and each busiest month), as
    the explanation says, is the checker's figure after minus before."""
    from optimizer.reasons.explain import explain_student

    result = solve(dated, rules)
    assignment = dict(result.assignment)
    before = audit(dated, rules, assignment)
    tried = 0
    for s in dated.students[:40]:
        e = explain_student(dated, rules, assignment, s.student_id,
                            checked=before)
        for alt in e.alternatives:
            if alt.deltas is None:
                continue
            moved = {**assignment, s.student_id: alt.staff_id}
            after = audit(dated, rules, moved)
            assert alt.deltas["S5"] == (after.terms["S5"]
                                        - before.terms["S5"])
            busiest = after.busiest()
            for sid, _, (period, n) in alt.busiest:
                assert busiest.get(sid, ("", 0))[1] == n
            tried += 1
            break
    assert tried >= 10


def test_report_and_compare_show_the_calendar(dated, rules, tmp_path):
    from optimizer import operations

    run = operations.plan(dated, rules, input_hash="x",
                        weights=ObjectiveWeights(), params=SolverParams(),
                        xlsx=False)
    html = run.files["report.html"]
    assert "IEP meeting calendar" in html and "<svg" in html
    assert "<script" not in html
    header = run.files["caseloads.csv"].splitlines()[0]
    assert header.endswith("busiest_period,meetings_in_busiest_period")
    from optimizer.outputs.compare import kpi_row

    row = kpi_row("base", run.result, run.audit, dated, None, rules)
    assert row["busiest_month"] == max(run.audit.meetings.values())
    plain = operations.plan(_undated(dated), rules, input_hash="x",
                          weights=ObjectiveWeights(),
                          params=SolverParams(), xlsx=False)
    assert "IEP meeting calendar" not in plain.files["report.html"]
    assert "busiest_month" not in kpi_row(
        "base", plain.result, plain.audit, _undated(dated), None, rules)


# ------------------------------------------------ the README's real output

def _readme_block(name: str) -> list[str]:
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- real-output: {re.escape(name)} -->\s*\n"
                      r"```[a-z]*\n(.*?)\n```", text, re.S)
    assert match, name
    return match.group(1).splitlines()


def _quoted_in(quoted: list[str], output: str) -> None:
    import re

    def normal(line: str) -> str:
        return re.sub(r"\d+\.\d+ s\b", "T s", line)
    lines = [normal(x) for x in output.splitlines()]
    at = 0
    for q in quoted:
        if q.startswith("$ ") or q.strip() in ("", "..."):
            continue
        assert normal(q) in lines[at:], q
        at = lines.index(normal(q), at) + 1


def test_readme_calendar_blocks(tmp_path):
    from click.testing import CliRunner

    from optimizer.cli import main

    run = CliRunner()
    today = run.invoke(main, ["plan", str(ROOT / "data" / "sample"),
                              "--out", str(tmp_path / "s"), "--no-xlsx"])
    assert today.exit_code == 0
    check = run.invoke(main, ["check", str(DATED),
                              str(tmp_path / "s" / "assignments.csv")])
    _quoted_in(_readme_block("calendar-before"), check.stdout)
    dated = run.invoke(main, ["plan", str(DATED), "--out",
                              str(tmp_path / "d"), "--no-xlsx"])
    assert dated.exit_code == 0
    _quoted_in(_readme_block("calendar-plan"), dated.stdout)
    tight = run.invoke(main, ["plan", str(DATED), "--weights",
                              str(DATED / "tight.toml"), "--out",
                              str(tmp_path / "t"), "--no-xlsx"])
    assert tight.exit_code == 3
    _quoted_in(_readme_block("calendar-tight"), tight.stdout)


def test_a_scenario_moves_meeting_dates(dated, rules, tmp_path):
    from optimizer.errors import InputError
    from optimizer.inputs import scenarios

    path = tmp_path / "move.toml"
    path.write_text(f'''name = "Move two reviews"
roster = "{DATED.as_posix()}"

[[update_students]]
student_id = "100001"
annual_review_date = "2026-12-01"

[[update_students]]
student_id = "100002"
reevaluation_date = "not a date"
''', encoding="utf-8")
    sc = scenarios.load_scenario(path)
    with pytest.raises(InputError) as err:
        scenarios.apply(dated, sc, rules)
    assert [(p.column, p.value) for p in err.value.problems] == [
        ("update_students.reevaluation_date", "not a date")]
    path.write_text(path.read_text().replace("not a date", "2027-02-02"))
    changed = scenarios.apply(dated, scenarios.load_scenario(path), rules)
    by_id = changed.student_by_id()
    assert str(by_id["100001"].annual_review_date) == "2026-12-01"
    assert str(by_id["100002"].reevaluation_date) == "2027-02-02"
    assert by_id["100003"] == dated.student_by_id()["100003"]


def test_workbook_date_cells_are_read(tmp_path, rules):
    """A spreadsheet's date cells (not text) are dates in the plan."""
    import csv
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name in ("students", "staff"):
        sheet = book.create_sheet(name)
        with open(DATED / f"{name}.csv", newline="",
                  encoding="utf-8") as fh:
            for i, row in enumerate(csv.reader(fh)):
                if name == "students" and i:
                    row = [dt.date.fromisoformat(c) if c and j >= 15
                           else c for j, c in enumerate(row)]
                sheet.append(row)
    path = tmp_path / "dated.xlsx"
    book.save(path)
    from_book = load_roster(path, rules).instance
    from_csv = load_roster(DATED, rules).instance
    assert [(s.annual_review_date, s.reevaluation_date)
            for s in from_book.students] == [
        (s.annual_review_date, s.reevaluation_date)
        for s in from_csv.students]


def test_calendar_settings_are_read_and_checked(tmp_path):
    from optimizer.inputs.settings import load_weights

    path = tmp_path / "w.toml"
    path.write_text('[weights]\nS5 = 0.5\n[calendar]\nperiod = "week"\n'
                    'max_meetings_per_month = 6\n', encoding="utf-8")
    w = load_weights(path, None, None, {})
    assert (w.S5, w.calendar_period, w.max_meetings_per_month) == (
        0.5, "week", 6)
    path.write_text('[calendar]\nmax_meetings = 6\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_weights(path, None, None, {})
    assert "calendar.max_meetings" in str(err.value.problems[0].column)
    path.write_text('[calendar]\nperiod = "fortnight"\n'
                    'max_meetings_per_month = 0\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_weights(path, None, None, {})
    # Located as the file has them, not by the internal field names.
    assert {(p.column, p.value) for p in err.value.problems} == {
        ("calendar.period", "fortnight"),
        ("calendar.max_meetings_per_month", "0")}


def test_calendar_bound_never_exceeds_the_optimum(dated, rules):
    """S5's equal-shares bound is at most the least S5 of any plan (S5
    alone, proven by the MIP)."""
    from optimizer.solver.calendar import calendar_lower_bound
    from optimizer.solver.structure import build_structure

    dated = dated.replace(students=tuple(s for s in dated.students
                                         if s.site == "JEF"))
    weights = ObjectiveWeights(mode="weights", S1=0, S2=0, S3=0, S4=0,
                               S5=1)  # S5 alone
    result = solve(dated, rules, weights, method="mip",
                   params=SolverParams(time_limit=30))
    first = result.levels[0]
    assert first.terms == {"S5": 1} and first.optimal
    structure = build_structure(dated, rules, None,
                                weights.calendar(dated.students))
    bound = sum(calendar_lower_bound(structure, c, {"S5": 1})
                for c in structure.components)
    assert 0 < bound <= first.objective


def test_replan_keeps_the_districts_monthly_limit(rules):
    # ``plan --from`` re-plans with its own priorities (S1, S3, S2, S4),
    # but H8 is a hard rule the district set: a re-plan must keep it and
    # the checker must see it, not drop it with the other weights.
    from optimizer import operations

    roster = load_roster(DATED, rules)
    published = dict(solve(roster.instance, rules).assignment)
    limit = ObjectiveWeights(max_meetings_per_month=6)
    busiest = max(audit(roster.instance, rules, published,
                        calendar=limit.calendar(
                            roster.instance.students)).meetings.values())
    assert busiest > 6  # the published plan breaks the new limit
    run = operations.replan(roster, rules, published, params=SolverParams(),
                          xlsx=False, weights=limit)
    assert run.result.has_plan
    assert run.audit.calendar.max_per_month == 6
    assert max(run.audit.meetings.values()) <= 6
    assert not run.audit.violations


def test_busiest_month_is_a_month_when_s5_balances_weeks(dated, rules):
    # With [calendar] period = "week", S5 and meetings.csv count weeks,
    # but "busiest month" (the plan summary, check, compare) must still
    # count a calendar month, not report a week's count under its name.
    from optimizer.outputs.compare import BUSIEST, kpi_row
    from optimizer.outputs.terminal import text_summary

    weekly = ObjectiveWeights(calendar_period="week")
    result = solve(dated, rules, weekly)
    checked = audit(dated, rules, dict(result.assignment),
                    calendar=weekly.calendar(dated.students))
    by_month: dict[tuple[str, str], int] = {}
    for s in dated.students:
        for d in {d for d in (s.annual_review_date, s.reevaluation_date)
                  if d}:
            key = (result.assignment[s.student_id], f"{d:%Y-%m}")
            by_month[key] = by_month.get(key, 0) + 1
    most = max(by_month.values())
    assert most > max(checked.meetings.values())  # weeks hold fewer
    assert f"busiest month {most} for one case manager" in text_summary(
        result, checked)
    assert kpi_row("w", result, checked, dated, None, rules)[BUSIEST] == most


def test_midyear_ranking_prices_s5_as_the_checker(dated, rules):
    # ``caseload place`` ranks who can take a new student: with dates,
    # each candidate's S5 change is what the checker counts once the
    # student is placed there, and it weighs in the order.
    from optimizer.reasons.midyear import rank_placements

    new = next(s for s in dated.students if len(
        {s.annual_review_date, s.reevaluation_date} - {None}) == 2)
    rest = dated.replace(students=tuple(
        s for s in dated.students if s.student_id != new.student_id))
    plan = dict(solve(rest, rules).assignment)
    before = audit(rest, rules, plan)
    ranked = rank_placements(new, rest, rules, before)
    assert ranked
    changes = set()
    for p in ranked:
        after = audit(dated, rules, {**plan, new.student_id: p.staff_id})
        assert p.deltas["S5"] == after.terms["S5"] - before.terms["S5"]
        changes.add(p.deltas["S5"])
    assert len(changes) > 1  # the calendar tells the candidates apart


@pytest.mark.parametrize("mode", ["weights", "priority"])
def test_every_order_of_a_large_part_keeps_the_monthly_limit(dated, rules,
                                                             mode,
                                                             monkeypatch):
    """Modes weights and priority on a part too large for the MIP, with a
    monthly limit the flow's plan breaks: a plan within it (the checker,
    H8 included), each level the plan's own, each bound at most the
    proven optimum's; neither the MIP nor CP-SAT is given the part."""
    dated = dated.replace(students=tuple(s for s in dated.students
                                         if s.site == "JEF"))
    weights = ObjectiveWeights(mode=mode, max_meetings_per_month=3)
    _, large = _exact_and_large(dated, rules, weights, monkeypatch)
    if mode == "priority":  # S1's bound sees the limit
        assert large.levels[0].bound > _least_s1(dated, rules)


@pytest.mark.parametrize(("site", "limit"), [("JEF", 5), ("JEF", 3),
                                             (None, 4), (None, 5)])
def test_the_limits_bound_of_s1_never_passes_the_optimum(dated, rules, site,
                                                         limit):
    """``calbound.limit_bound`` (S1 with the monthly limits relaxed by a
    price per case manager and month), its steps aimed above the
    optimum so nothing caps it: at most the proven least S1 with the
    limit, and above the least without it (40 steps reach the optimum at
    JEF with 5)."""
    from optimizer.solver.calbound import limit_bound
    from optimizer.solver.structure import build_structure

    if site:
        dated = dated.replace(students=tuple(s for s in dated.students
                                             if s.site == site))
    weights = ObjectiveWeights(max_meetings_per_month=limit)
    exact = solve(dated, rules, weights, params=SolverParams(time_limit=30))
    assert exact.status is SolveStatus.OPTIMAL
    free = _least_s1(dated, rules)
    structure = build_structure(dated, rules, None,
                                weights.calendar(dated.students))
    structure.groups = list(structure.groups)
    least = exact.levels[0].objective
    bound = sum(limit_bound(structure, comp, least + 1, 0.0, 40)
                for comp in structure.components)
    assert free < bound <= least
    if (site, limit) == ("JEF", 5):
        assert bound == least


def test_cpsat_out_of_time_keeps_no_plan_beyond_the_limit(dated, rules,
                                                          monkeypatch):
    """CP-SAT stopped before a plan of its own, with a monthly limit the
    flow's plan breaks: no plan (the flow's is no answer then), never one
    beyond the limit."""
    from ortools.sat.python import cp_model

    dated = dated.replace(students=tuple(s for s in dated.students
                                         if s.site == "JEF"))
    weights = ObjectiveWeights(mode="weights", max_meetings_per_month=3)
    solve_cp = cp_model.CpSolver.solve

    def no_time(self, model, *args):
        self.parameters.max_time_in_seconds = 0.0
        return solve_cp(self, model, *args)
    monkeypatch.setattr(cp_model.CpSolver, "solve", no_time)
    result = solve(dated, rules, weights, params=SolverParams(time_limit=2),
                   method="cpsat")
    assert not result.has_plan
