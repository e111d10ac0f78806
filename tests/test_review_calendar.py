"""Fresh review of issue 23's calendar features: the planning year and
the assessments' rules hold on every path (compare and its scenarios,
check --assessments) as they do on ``caseload plan``."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer import operations
from optimizer.errors import InputError
from optimizer.objectives import ObjectiveWeights
from optimizer.result import SolverParams

ROOT = Path(__file__).parent.parent
DATED = ROOT / "data" / "sample-dates"
PENDING = ROOT / "tests" / "data" / "assessments" / "pending.csv"


def _scenario(tmp_path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\nroster = "{DATED.as_posix()}"\n'
                    + body, encoding="utf-8")
    return path


def _first_dated(rules) -> str:
    from optimizer.inputs.roster import load_roster

    return next(s.student_id for s in load_roster(DATED, rules)
                .instance.students if s.annual_review_date is not None)


def test_a_scenarios_moved_date_is_judged_against_the_planning_year(
        tmp_path, rules):
    """A date a scenario moves out of the planning year was not counted
    by S5/H8 without a word; a mistyped one was planned as if absent."""
    sid = _first_dated(rules)
    typo = _scenario(tmp_path, "typo", f'''
[[update_students]]
student_id = "{sid}"
annual_review_date = "2062-05-10"
''')
    with pytest.raises(InputError) as err:
        operations.compare([typo], rules, weights=ObjectiveWeights(),
                           params=SolverParams(), xlsx=False)
    [p] = err.value.problems
    assert (p.file, p.column, p.value) == (
        "typo.toml", "update_students.annual_review_date", "2062-05-10")
    assert sid in p.message and "planning year 2026-27" in p.message
    later = _scenario(tmp_path, "later", f'''
[[update_students]]
student_id = "{sid}"
annual_review_date = "2027-08-16"
''')
    done = operations.compare([later], rules, weights=ObjectiveWeights(),
                              params=SolverParams(time_limit=5),
                              xlsx=False)
    said = [p for p in done.warnings if p.file == "later.toml"]
    assert [(p.column, p.value) for p in said] == [
        ("update_students.annual_review_date", "2027-08-16")]
    assert "not counted" in said[0].message


# ------------------------------------------------ check --assessments

def _cli(*args):
    from click.testing import CliRunner

    from optimizer.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def free_plan(tmp_path_factory):
    """data/sample-dates planned with no monthly limit."""
    out = tmp_path_factory.mktemp("free")
    done = _cli("plan", DATED, "--out", out, "--no-xlsx", "--quiet")
    assert done.exit_code == 0, done.output
    return out


def _assessment_file(path: Path, rows: list[str]) -> Path:
    path.write_text("assessment_id,site,grade,due_date,areas,staff_id\n"
                    + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_check_assessments_says_every_problem_at_once(free_plan,
                                                      tmp_path):
    """An unknown staff id was said only once the rest of the file
    read: a file with a bad grade too showed the grade alone."""
    path = _assessment_file(tmp_path / "a.csv", [
        "Z1,LIN,K,2027-03-15,,T9999", "Z2,LIN,14,2027-03-15,,"])
    done = _cli("check", DATED, free_plan / "assignments.csv",
                "--assessments", path)
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert "a.csv, row 2" in done.output and "T9999" in done.output
    assert "a.csv, row 3" in done.output and "14" in done.output


def test_check_assessments_h8_in_another_month_is_said(free_plan,
                                                       tmp_path, rules):
    """A case manager over the limit in one month on the plan alone had
    every H8 of the assessments dropped, also a month only the
    assessments put over the limit."""
    from collections import defaultdict

    from optimizer.inputs.plans import published_assignment
    from optimizer.inputs.roster import load_roster
    from optimizer.verify import audit

    instance = load_roster(DATED, rules).instance
    plan = published_assignment(free_plan)
    months = audit(instance, rules, plan, calendar=ObjectiveWeights()
                   .calendar(instance.students)).months
    per_staff = defaultdict(dict)
    for (who, month), n in months.items():
        per_staff[who][month] = n
    who, counts = next((w, c) for w, c in sorted(per_staff.items())
                       if len(set(c.values())) > 1)
    low = min(counts.values())
    busy = next(m for m, n in sorted(counts.items()) if n > low)
    quiet = next(m for m, n in sorted(counts.items()) if n == low)
    student = next(s for s in instance.students if plan.get(s.student_id)
                   == who)
    limit = tmp_path / "limit.toml"
    limit.write_text(f"[calendar]\nmax_meetings_per_month = {low}\n")
    path = _assessment_file(tmp_path / "a.csv", [
        f"Z1,{student.site},{student.grade},{quiet}-15,,{who}"])
    done = _cli("check", DATED, free_plan / "assignments.csv",
                "--weights", limit, "--assessments", path)
    assert done.exit_code == 4, done.output
    assert f"holds {counts[busy]} IEP meetings in {busy}" in done.stdout
    assert f"holds {low + 1} IEP meetings in {quiet} with the initial " \
        "assessments' meetings" in done.stdout


# ------------------------------- compare: assessments' due dates

def test_compare_refuses_due_dates_outside_the_planning_year(tmp_path,
                                                             rules):
    """plan --assessments refuses a due date outside the planning year;
    compare --assessments and a scenario's added or moved assessments
    took it without a word."""
    pending = tmp_path / "pending.csv"
    pending.write_text(PENDING.read_text().replace(
        "R0002,LIN,3,2027-05-26", "R0002,LIN,3,2027-09-01"))
    same = _scenario(tmp_path, "same", "")
    with pytest.raises(InputError) as err:
        operations.compare([same], rules, weights=ObjectiveWeights(),
                           params=SolverParams(), xlsx=False,
                           assessments=pending)
    assert [(p.file, p.row, p.column, p.value)
            for p in err.value.problems] == [
        ("pending.csv", 3, "due_date", "2027-09-01")]
    moved = _scenario(tmp_path, "moved", '''
[[update_assessments]]
assessment_id = "R0003"
due_date = "2027-07-02"

[[add_assessments]]
assessment_id = "N1"
site = "ROO"
grade = "7"
due_date = "2026-06-30"
''')
    with pytest.raises(InputError) as err:
        operations.compare([moved], rules, weights=ObjectiveWeights(),
                           params=SolverParams(), xlsx=False,
                           assessments=PENDING)
    found = {(p.file, p.column, p.value) for p in err.value.problems}
    assert found == {
        ("moved.toml", "update_assessments.due_date", "2027-07-02"),
        ("moved.toml", "add_assessments.due_date", "2026-06-30")}


def test_compare_says_every_scenarios_problems_at_once(tmp_path, rules):
    """A problem in one scenario file hid the assessments' and the
    dates' problems of every scenario after it."""
    first = _scenario(tmp_path, "first", '''
remove_students = ["NOBODY"]
''')
    second = _scenario(tmp_path, "second", '''
remove_assessments = ["R9999"]
''')
    with pytest.raises(InputError) as err:
        operations.compare([first, second], rules,
                           weights=ObjectiveWeights(),
                           params=SolverParams(), xlsx=False,
                           assessments=PENDING)
    found = {(p.file, p.value) for p in err.value.problems}
    assert ("first.toml", "NOBODY") in found
    assert ("second.toml", "R9999") in found


# ------------------------------------------------ place and H8

def test_place_says_who_the_monthly_limit_holds_back(free_plan, tmp_path,
                                                     rules):
    """place left the case managers H8 rules out off its list without a
    word ('3 can take them'), as if they could not take the student."""
    from optimizer.inputs.arrivals import load_arrivals
    from optimizer.inputs.plans import published_assignment
    from optimizer.inputs.roster import load_roster

    roster = load_roster(DATED, rules)
    published = published_assignment(free_plan)
    base = next(s for s in roster.instance.students
                if s.annual_review_date is not None)
    text = (DATED / "students.csv").read_text().splitlines()
    line = next(x for x in text if x.startswith(base.student_id + ","))
    new = tmp_path / "new.csv"
    new.write_text(text[0] + "\n" + line.replace(base.student_id, "NEW1", 1)
                   .replace(",T0", ",X0") + "\n")
    arrivals = load_arrivals(new, roster)
    [(_, every)] = operations.place(roster, rules, published, arrivals,
                                    replan=False).rankings
    kept = operations.place(roster, rules, published, arrivals,
                            replan=False,
                            weights=ObjectiveWeights(
                                max_meetings_per_month=1))
    [(_, ranked)] = kept.rankings
    held = kept.held_back["NEW1"]
    assert held and not set(held) & {p.staff_id for p in ranked}
    assert {p.staff_id for p in ranked} | set(held) == {
        p.staff_id for p in every}
    limit = tmp_path / "limit.toml"
    limit.write_text("[calendar]\nmax_meetings_per_month = 1\n")
    done = _cli("place", DATED, "--plan", free_plan, "--student-file", new,
                "--weights", limit)
    assert done.exit_code == 0, done.output
    assert (f"{len(held)} more could, but the student's meetings would "
            "put them over the limit of 1 IEP meetings a month (H8)"
            in done.stdout) and held[0] in done.stdout


def test_place_judges_meeting_dates_against_the_planning_year(
        free_plan, tmp_path, rules):
    """plan refuses a mistyped meeting year and warns of a date outside
    the planning year; place took both without a word (H8 and S5 then
    left the meeting out of the new student's ranking)."""
    from optimizer.inputs.roster import load_roster

    base = next(s for s in load_roster(DATED, rules).instance.students
                if s.annual_review_date is not None)
    text = (DATED / "students.csv").read_text().splitlines()
    line = next(x for x in text if x.startswith(base.student_id + ","))
    day = base.annual_review_date.isoformat()
    new = tmp_path / "new.csv"
    new.write_text(text[0] + "\n" + line.replace(base.student_id, "NEW1", 1)
                   .replace(",T0", ",X0").replace(day, "2062-05-10")
                   + "\n")
    typo = _cli("place", DATED, "--plan", free_plan, "--student-file", new)
    assert typo.exit_code == 1 and "Traceback" not in typo.output
    assert 'new.csv, row 2, column "annual_review_date"' in typo.output
    assert "2062-05-10" in typo.output
    new.write_text(new.read_text().replace("2062-05-10", "2027-08-16"))
    later = _cli("place", DATED, "--plan", free_plan, "--student-file", new)
    assert later.exit_code == 0, later.output
    assert "2027-08-16" in later.stderr and "not counted" in later.stderr


def test_a_summary_from_another_tool_says_what_to_do(free_plan, tmp_path):
    """A summary.json whose settings do not read (another version's or
    tool's) was refused with pydantic's words alone ('Extra inputs are
    not permitted'): the user was not told to give --weights."""
    import json

    folder = tmp_path / "other"
    folder.mkdir()
    data = json.loads((free_plan / "summary.json").read_text())
    data["parameters"]["objective"] = {"weights": {"S1": 1}}
    (folder / "summary.json").write_text(json.dumps(data))
    (folder / "assignments.csv").write_bytes(
        (free_plan / "assignments.csv").read_bytes())
    done = _cli("check", DATED, folder / "assignments.csv")
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert "parameters.objective.weights" in done.output
    assert "give the settings with --weights" in done.output
