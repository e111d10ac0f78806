"""Issue 23's follow-ups: scenarios with dates and assessments, check
and place under the plan's calendar settings, the planning year, the
heat map's words following the period setting."""

from __future__ import annotations

import csv
import io
import json
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
    # a week's column label fits its narrow column (the title has it all)
    assert "<title>2026-W37</title>W37<" in legend
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
    text = env.get_template("_calendar.html.j2").render(
        calendar=table, plan={"pid": "p1"})
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


@pytest.mark.parametrize(("limit", "seed", "given"), [(5.0, 3, 5.0),
                                                     (60.0, 0, 20.0)])
def test_the_assessments_search_keeps_the_plans_time_limit(
        tmp_path, dated, rules, monkeypatch, limit, seed, given):
    """The assessments' search gets the plan's time limit (at most 20 s)
    and seed: a plan limited to 20 s of 3,000 pending assessments at
    70,000 students took all of another 20 s after it."""
    from optimizer.inputs.assessments import load_assessments
    from optimizer.solver import assessments as module

    seen = []
    original = module.assign_assessments

    def spy(*args, **kwargs):
        seen.append(args[6:8])  # time_limit, seed
        return original(*args, **kwargs)
    monkeypatch.setattr(module, "assign_assessments", spy)
    path = _pending(tmp_path, ["R1,LIN,K,2027-04-16,"])
    operations.plan(dated, rules, input_hash="x", weights=ObjectiveWeights(),
                    params=SolverParams(time_limit=limit, seed=seed),
                    xlsx=False, html=False,
                    assessments=load_assessments(path, dated))
    assert seen == [(given, seed)]


# ------------------------- item 2: check under the plan's own settings

def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def limited_plan(tmp_path_factory):
    """A plan made under max_meetings_per_month = 9, with the 60
    pending assessments."""
    out = tmp_path_factory.mktemp("limited")
    done = _cli("plan", DATED, "--weights", DATED / "calendar.toml",
                "--assessments", PENDING, "--out", out, "--no-xlsx",
                "--quiet")
    assert done.exit_code == 0, done.output
    return out


def test_check_keeps_the_limit_the_plan_was_made_under(limited_plan,
                                                      tmp_path):
    ok = _cli("check", DATED, limited_plan / "assignments.csv")
    assert ok.exit_code == 0, ok.output
    assert "at most 9 a month (H8)" in ok.stdout
    assert "(H1-H7, H8) holds" in ok.stdout
    # The same folder with a plan made without the limit (its busiest
    # month is over 9): check must find H8 broken without --weights.
    free = tmp_path / "free"
    assert _cli("plan", DATED, "--out", free, "--no-xlsx",
                "--quiet").exit_code == 0
    folder = tmp_path / "swapped"
    folder.mkdir()
    (folder / "summary.json").write_bytes(
        (limited_plan / "summary.json").read_bytes())
    (folder / "assignments.csv").write_bytes(
        (free / "assignments.csv").read_bytes())
    broken = _cli("check", DATED, folder / "assignments.csv")
    assert broken.exit_code == 4, broken.output
    assert "H8" in broken.stdout and "over the district's limit of 9" \
        in broken.stdout
    # --weights still overrides the plan's own settings
    lax = tmp_path / "lax.toml"
    lax.write_text("[calendar]\nmax_meetings_per_month = 30\n")
    assert _cli("check", DATED, folder / "assignments.csv", "--weights",
                lax).exit_code == 0


def test_check_reads_a_summary_with_bad_settings_as_located(limited_plan,
                                                             tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    data = json.loads((limited_plan / "summary.json").read_text())
    data["parameters"]["objective"]["max_meetings_per_month"] = "nine"
    (folder / "summary.json").write_text(json.dumps(data))
    (folder / "assignments.csv").write_bytes(
        (limited_plan / "assignments.csv").read_bytes())
    done = _cli("check", DATED, folder / "assignments.csv")
    assert done.exit_code == 1
    assert "summary.json" in done.output and "nine" in done.output
    assert "Traceback" not in done.output


def _rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def _write_rows(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def test_check_audits_an_assessments_file(limited_plan, tmp_path, dated):
    good = _cli("check", DATED, limited_plan / "assignments.csv",
                "--assessments", limited_plan / "assessments.csv")
    assert good.exit_code == 0, good.output
    assert "60 of 60 assigned" in good.stdout and "(A2) kept" in good.stdout
    rows = _rows(limited_plan / "assessments.csv")
    # A2: two assessments at LIN moved to one resource specialist
    lin = [r for r in rows if r["site"] == "LIN"]
    taker = lin[0]["staff_id"]
    moved = [r for r in lin if r["staff_id"] != taker][:2]
    for r in moved:
        r["staff_id"] = taker
    _write_rows(tmp_path / "a2.csv", rows)
    a2 = _cli("check", DATED, limited_plan / "assignments.csv",
              "--assessments", tmp_path / "a2.csv")
    assert a2.exit_code == 4, a2.output
    assert "A2" in a2.stdout and "at site LIN" in a2.stdout
    # A1: an assessment given to someone who is not a resource specialist
    rows = _rows(limited_plan / "assessments.csv")
    sdc = next(c.staff_id for c in dated.staff if c.provides == ("SDC",)
               and c.serves_site(rows[0]["site"]))
    rows[0]["staff_id"] = sdc
    _write_rows(tmp_path / "a1.csv", rows)
    a1 = _cli("check", DATED, limited_plan / "assignments.csv",
              "--assessments", tmp_path / "a1.csv")
    assert a1.exit_code == 4 and "A1" in a1.stdout
    # an unknown staff id: located, exit 1
    rows[0]["staff_id"] = "T9999"
    _write_rows(tmp_path / "unknown.csv", rows)
    bad = _cli("check", DATED, limited_plan / "assignments.csv",
               "--assessments", tmp_path / "unknown.csv")
    assert bad.exit_code == 1
    assert "unknown.csv, row 2" in bad.output and "T9999" in bad.output


# ------------------ item 3: place under the plan's H8 and weights

def test_place_keeps_the_monthly_limit_and_the_plans_weights(
        limited_plan, rules, tmp_path):
    from optimizer.inputs.arrivals import load_arrivals
    from optimizer.inputs.plans import published_assignment
    from optimizer.inputs.settings import plan_settings
    from optimizer.verify import audit

    roster = load_roster(DATED, rules)
    published = published_assignment(limited_plan)
    weights = plan_settings(limited_plan)
    assert weights.max_meetings_per_month == 9
    months = audit(roster.instance, rules, published,
                   calendar=weights.calendar(roster.instance.students)
                   ).months
    # a month where a case manager already holds the limit
    full_cm, full_month = next(k for k, n in sorted(months.items())
                               if n == 9)
    base = next(s for s in roster.instance.students
                if published[s.student_id] == full_cm
                and s.annual_review_date is not None
                and f"{s.annual_review_date:%Y-%m}" == full_month)
    header = (DATED / "students.csv").read_text().splitlines()[0]
    line = next(x for x in (DATED / "students.csv").read_text().splitlines()
                if x.startswith(base.student_id + ","))
    new = tmp_path / "new.csv"
    new.write_text(header + "\n" + line.replace(base.student_id, "NEW1", 1)
                   .replace(",T0", ",X0") + "\n")
    arrivals = load_arrivals(new, roster)
    free = operations.place(roster, rules, published, arrivals,
                            replan=False)
    kept = operations.place(roster, rules, published, arrivals,
                            replan=True, weights=weights)
    [(_, ranked_free)] = free.rankings
    [(_, ranked)] = kept.rankings
    assert full_cm in {p.staff_id for p in ranked_free}
    assert full_cm not in {p.staff_id for p in ranked}
    assert kept.run.audit.calendar.max_per_month == 9
    assert max(kept.run.audit.months.values()) <= 9
    assert not kept.run.audit.violations
    # the plan's weights order the candidates: with S5 weighed heavily
    # the first is the one whose calendar grows least
    heavy = weights.model_copy(update={"S5": 1000.0})
    [(_, by_s5)] = operations.place(roster, rules, published, arrivals,
                                    replan=False, weights=heavy).rankings
    top = by_s5[0]
    assert top.deltas["S5"] == min(p.deltas["S5"] for p in by_s5
                                   if p.deltas["S1"] == top.deltas["S1"])
    # the command line reads the plan's settings from its folder
    done = _cli("place", DATED, "--plan", limited_plan, "--student-file",
                new)
    assert done.exit_code == 0, done.output
    assert "at most 9 IEP meetings a month (H8)" in done.stdout
    assert f"  {full_cm} " not in done.stdout


# ----------------- item 1: scenarios move dates and change assessments

def _scenario(tmp_path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\nroster = "{DATED.as_posix()}"\n'
                    + body, encoding="utf-8")
    return path


def test_moved_dates_reach_s5_and_meetings_csv(tmp_path, dated, rules):
    from optimizer.verify import audit

    student = next(s for s in dated.students
                   if s.annual_review_date is not None
                   and s.reevaluation_date is not None)
    sid = student.student_id
    path = _scenario(tmp_path, "move", f'''
[[update_students]]
student_id = "{sid}"
annual_review_date = "2026-12-15"
reevaluation_date = ""
''')
    done = operations.compare([path], rules, weights=ObjectiveWeights(),
                              params=SolverParams(), xlsx=False)
    run = done.runs["move"]
    after = run.audit
    moved = dict(run.result.assignment)
    by_id = {s.student_id: s for s in dated.students}
    changed = dated.replace(students=tuple(
        s.model_copy(update={"annual_review_date":
                             __import__("datetime").date(2026, 12, 15),
                             "reevaluation_date": None})
        if s.student_id == sid else s for s in dated.students))
    # S5 and the meeting counts are the checker's on the moved dates
    expect = audit(changed, rules, moved,
                   calendar=ObjectiveWeights().calendar(changed.students))
    assert after.terms["S5"] == expect.terms["S5"]
    assert after.meetings == expect.meetings
    assert by_id[sid].reevaluation_date is not None  # base untouched
    table = list(csv.reader(io.StringIO(run.files["meetings.csv"])))
    december = table[0].index("2026-12")
    cm = moved[sid]
    row = next(r for r in table if r[0] == cm)
    assert int(row[december]) == expect.meetings[cm, "2026-12"] >= 1
    assert sum(int(r[-1]) for r in table[1:]) == sum(
        expect.meetings.values())
    summary = json.loads(run.files["summary.json"])
    assert summary["objective"]["terms"]["S5_meeting_calendar"] == \
        expect.terms["S5"]


def test_scenarios_add_remove_and_change_assessments(tmp_path, rules):
    good = _scenario(tmp_path, "more", '''
remove_assessments = ["R0001"]

[[add_assessments]]
assessment_id = "N1"
site = "ROO"
grade = "7"
due_date = "2027-03-01"
areas = ["speech and language"]

[[update_assessments]]
assessment_id = "R0002"
due_date = "2027-06-01"
''')
    none = _scenario(tmp_path, "same", "")
    done = operations.compare([good, none], rules,
                              weights=ObjectiveWeights(),
                              params=SolverParams(), xlsx=False,
                              assessments=PENDING)
    files = {slug: {r["assessment_id"]: r for r in csv.DictReader(
        io.StringIO(run.files["assessments.csv"]))}
        for slug, run in done.runs.items()}
    assert len(files["base"]) == len(files["same"]) == 60
    more = files["more"]
    assert len(more) == 60 and "R0001" not in more and "N1" in more
    assert more["N1"]["site"] == "ROO" and more["N1"]["staff_id"]
    assert more["R0002"]["due_date"] == "2027-06-01"
    rows = {r["scenario"]: r for r in done.rows}
    assert rows["more"]["assessments"] == 60
    assert rows["more"]["assessments_unassigned"] == 0
    # every bad value of the file at once, located by key and value
    bad = _scenario(tmp_path, "bad", '''
remove_assessments = ["R9999"]
assessments = "missing.csv"

[[add_assessments]]
assessment_id = "R0005"
site = "ROO"
grade = "2"
due_date = "2027-03-01"

[[add_assessments]]
assessment_id = "N2"
site = "RO0"
grade = "14"
due_date = "2027-02-30"

[[update_assessments]]
assessment_id = "R0003"
due_dat = "2027-05-01"
''')
    from optimizer.errors import InputError

    with pytest.raises(InputError) as err:
        operations.compare([bad], rules, weights=ObjectiveWeights(),
                           params=SolverParams(), xlsx=False,
                           assessments=PENDING)
    found = {(p.file, p.column, p.value) for p in err.value.problems}
    # the file's shape is checked first (as a missing roster is)
    assert ("bad.toml", "assessments", "missing.csv") in found
    (tmp_path / "missing.csv").write_bytes(PENDING.read_bytes())
    with pytest.raises(InputError) as err:
        operations.compare([bad], rules, weights=ObjectiveWeights(),
                           params=SolverParams(), xlsx=False)
    found = {(p.column, p.value) for p in err.value.problems}
    assert ("remove_assessments", "R9999") in found
    assert ("add_assessments.assessment_id", "R0005") in found
    assert ("add_assessments.grade", "14") in found
    assert ("add_assessments.due_date", "2027-02-30") in found
    assert ("update_assessments.due_dat", "2027-05-01") in found
    # and on the command line: exit 1, located, no traceback
    out = _cli("compare", bad, "--out", tmp_path / "o", "--no-xlsx",
               "--quiet")
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "bad.toml" in out.output and "R9999" in out.output


# ------------------------------------------- item 6: the planning year

def _dated_copy(tmp_path, changes: dict[tuple[int, str], str]) -> Path:
    """data/sample-dates with some cells changed: {(row, column): value}
    (row as a spreadsheet numbers it, the header being row 1)."""
    folder = tmp_path / "roster"
    folder.mkdir()
    (folder / "staff.csv").write_bytes((DATED / "staff.csv").read_bytes())
    rows = list(csv.reader(io.StringIO((DATED / "students.csv")
                                       .read_text())))
    for (row, column), value in changes.items():
        rows[row - 1][rows[0].index(column)] = value
    with (folder / "students.csv").open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return folder


def test_planning_year_default_and_setting(dated):
    from optimizer.objectives import default_planning_year, school_year

    assert default_planning_year(dated.students) == "2026-27"
    cal = ObjectiveWeights().calendar(dated.students)
    assert cal.year == school_year("2026-27")
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="not a school year"):
        ObjectiveWeights(planning_year="2026-28")


def test_dates_outside_the_planning_year(tmp_path, rules):
    roster = _dated_copy(tmp_path, {(4, "annual_review_date"): "2062-05-10",
                                    (6, "reevaluation_date"): "2028-03-10"})
    typo = _cli("plan", roster, "--out", tmp_path / "o", "--no-xlsx")
    assert typo.exit_code == 1 and "Traceback" not in typo.output
    assert ('students.csv, row 4, column "annual_review_date"'
            in typo.output and "2062-05-10" in typo.output
            and "planning year 2026-27" in typo.output)
    # a reevaluation due in a later year is real, but not this year's
    # work: a located warning, and S5/H8/meetings.csv leave it out
    fixed = tmp_path / "roster" / "students.csv"
    fixed.write_text(fixed.read_text().replace("2062-05-10", "2027-05-10"))
    done = _cli("plan", roster, "--out", tmp_path / "o", "--no-xlsx")
    assert done.exit_code == 0, done.output
    assert ('students.csv, row 6, column "reevaluation_date"'
            in done.stderr and "2028-03-10" in done.stderr
            and "not counted" in done.stderr)
    header = (tmp_path / "o" / "meetings.csv").read_text().splitlines()[0]
    assert "2028" not in header and header.split(",")[-2] == "2027-06"
    # the district names another year: every 2026-27 date falls outside
    other = tmp_path / "other.toml"
    other.write_text('[calendar]\nplanning_year = "2027-28"\n')
    moved = _cli("plan", roster, "--weights", other, "--out",
                 tmp_path / "p", "--no-xlsx")
    assert moved.exit_code == 0
    assert "more meeting date(s) outside the planning year 2027-28" \
        in moved.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[calendar]\nplanning_year = "2026-2027"\n')
    refused = _cli("plan", roster, "--weights", bad, "--out",
                   tmp_path / "q", "--no-xlsx")
    assert refused.exit_code == 1 and "calendar.planning_year" \
        in refused.output


def test_assessments_due_outside_the_planning_year(tmp_path, dated):
    from optimizer.errors import InputError
    from optimizer.inputs.assessments import load_assessments
    from optimizer.objectives import school_year

    path = _pending(tmp_path, ["R1,LIN,K,2027-04-16,",
                               "R2,LIN,K,2027-09-01,"])
    assert len(load_assessments(path, dated)) == 2  # no year: lenient
    with pytest.raises(InputError) as err:
        load_assessments(path, dated, year=school_year("2026-27"))
    [p] = err.value.problems
    assert (p.row, p.column, p.value) == (3, "due_date", "2027-09-01")


# ------------------------------------- item 8: the README's real output

def test_readme_calendar_check_block(tmp_path, monkeypatch):
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- real-output: calendar-check -->\s*\n```\n"
                      r"(.*?)\n```", text, re.S).group(1).splitlines()
    monkeypatch.chdir(tmp_path)
    made = _cli("plan", DATED, "--weights", DATED / "calendar.toml",
                "--assessments", PENDING, "--out", "out/cal", "--no-xlsx",
                "--quiet")
    assert made.exit_code == 0, made.output
    done = _cli("check", DATED, "out/cal/assignments.csv", "--assessments",
                "out/cal/assessments.csv")
    assert done.exit_code == 0
    lines = done.stdout.splitlines()
    at = 0
    for quoted in block:
        if quoted.startswith("$ ") or quoted == "...":
            continue
        assert quoted in lines[at:], quoted
        at = lines.index(quoted, at) + 1


def test_explain_counts_s5_as_the_plan_did(tmp_path, dated, rules):
    # A plan that balanced weeks: explain's S5 changes are the weekly
    # ones the checker counts, read from the plan's own settings.
    from optimizer.inputs.plans import published_assignment
    from optimizer.outputs.terminal import render_explanation
    from optimizer.reasons.explain import explain_student
    from optimizer.verify import audit

    weekly = tmp_path / "weekly.toml"
    weekly.write_text('[calendar]\nperiod = "week"\n')
    out = tmp_path / "plan"
    assert _cli("plan", DATED, "--weights", weekly, "--out", out,
                "--no-xlsx", "--quiet").exit_code == 0
    plan = published_assignment(out)
    w = ObjectiveWeights(calendar_period="week")
    sid = "100001"
    expect = render_explanation(explain_student(
        dated, rules, plan, sid, weights=w,
        checked=audit(dated, rules, plan,
                      calendar=w.calendar(dated.students))))
    monthly = render_explanation(explain_student(dated, rules, plan, sid))
    assert expect != monthly  # weeks and months price moves differently
    done = _cli("explain", DATED, "--student", sid, "--plan", out)
    assert done.exit_code == 0
    assert done.stdout.strip() == expect.strip()


def test_explain_names_h8_for_a_move_over_the_limit(limited_plan, dated,
                                                    rules):
    from optimizer.inputs.plans import published_assignment
    from optimizer.inputs.settings import plan_settings
    from optimizer.reasons.explain import explain_student
    from optimizer.verify import audit

    plan = published_assignment(limited_plan)
    w = plan_settings(limited_plan)
    cal = w.calendar(dated.students)
    checked = audit(dated, rules, plan, calendar=cal)
    full = {(cm, m) for (cm, m), n in checked.months.items() if n == 9}
    student = next(s for s in dated.students
                   if any((cm, m) in full and cm != plan[s.student_id]
                          for cm, m in ((c, m) for c, _ in full
                                        for m in cal.months(s))))
    e = explain_student(dated, rules, plan, student.student_id, weights=w,
                        checked=checked)
    flagged = [a for a in e.alternatives
               if any(r == "H8" for r, _ in a.reasons)]
    assert flagged
    for a in flagged:
        assert not a.eligible
        moved = audit(dated, rules, {**plan, student.student_id: a.staff_id},
                      calendar=cal)
        assert any(v.rule == "H8" for v in moved.violations)
    for a in e.alternatives:
        if a.eligible:
            moved = audit(dated, rules,
                          {**plan, student.student_id: a.staff_id},
                          calendar=cal)
            assert not any(v.rule == "H8" for v in moved.violations)


def test_replan_from_a_plan_keeps_its_limit(limited_plan, tmp_path):
    out = tmp_path / "again"
    done = _cli("plan", DATED, "--from", limited_plan, "--out", out,
                "--no-xlsx", "--quiet")
    assert done.exit_code == 0, done.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["parameters"]["objective"]["max_meetings_per_month"] == 9
    assert _cli("check", DATED, out / "assignments.csv").exit_code == 0
