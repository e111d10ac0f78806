"""AB 560: pending initial assessments shared equally among the resource
specialists at each site, sharing the meeting calendar (issue 23)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest

from optimizer import operations
from optimizer.errors import InputError
from optimizer.inputs.assessments import load_assessments
from optimizer.inputs.roster import load_roster
from optimizer.objectives import ObjectiveWeights
from optimizer.result import SolverParams
from optimizer.solver.assessments import assign_assessments
from optimizer.verify import audit_assessments

ROOT = Path(__file__).parent.parent
PENDING = ROOT / "tests" / "data" / "assessments" / "pending.csv"


@pytest.fixture(scope="module")
def dated(rules):
    return load_roster(ROOT / "data" / "sample-dates", rules).instance


def _plan(instance, rules, weights=None):
    return operations.plan(instance, rules, input_hash="x",
                         weights=weights or ObjectiveWeights(),
                         params=SolverParams(), xlsx=False, html=False,
                         assessments=load_assessments(PENDING))


def test_sixty_assessments_at_three_sites_within_one(dated, rules):
    pending = load_assessments(PENDING)
    assert len(pending) == 60
    assert len({a.site for a in pending}) == 3
    run = _plan(dated, rules)
    rows = list(csv.DictReader(io.StringIO(run.files["assessments.csv"])))
    assert len(rows) == 60 and all(r["staff_id"] for r in rows)
    staff = dated.staff_by_id()
    per_site: dict[str, Counter] = {}
    for r in rows:
        person = staff[r["staff_id"]]
        assert "RSP" in person.provides and person.serves_site(r["site"])
        per_site.setdefault(r["site"], Counter())[r["staff_id"]] += 1
    for site, counts in per_site.items():
        pool = [c.staff_id for c in dated.staff
                if "RSP" in c.provides and c.serves_site(site)]
        shares = [counts[p] for p in pool]
        assert max(shares) - min(shares) <= 1, (site, shares)
    # The initial IEP meetings join the calendar (meetings.csv).
    table = list(csv.reader(io.StringIO(run.files["meetings.csv"])))
    total = sum(int(r[-1]) for r in table[1:])
    meetings = sum(len({d for d in (s.annual_review_date,
                                    s.reevaluation_date) if d})
                   for s in dated.students)
    assert total == meetings + 60
    # caseloads.csv's busiest month counts them too.
    busiest = {r["staff_id"]: int(r["meetings_in_busiest_period"])
               for r in csv.DictReader(io.StringIO(
                   run.files["caseloads.csv"]))
               if int(r["meetings_in_busiest_period"])}
    assert busiest == {r[0]: max(map(int, r[2:-1])) for r in table[1:]}


def test_shares_follow_the_district_setting(dated, rules):
    pending = load_assessments(PENDING)
    # Everything in one month, to one person's busy season: a looser
    # share lets the calendar weigh more.
    loose = assign_assessments(pending, dated.staff, ("RSP",), 3,
                               {("T0001", "2027-04"): 30}, "month")
    assert not audit_assessments(pending, dated.staff, loose.assignment,
                                 ("RSP",), 3)
    strict = assign_assessments(pending, dated.staff, ("RSP",), 1,
                                {("T0001", "2027-04"): 30}, "month")
    assert loose.objective <= strict.objective
    lin = Counter(s for a, s in loose.assignment.items()
                  if a.startswith("R") and s in ("T0001", "T0002", "T0003"))
    assert max(lin.values()) - min(lin.values()) <= 3


def test_checker_finds_unequal_shares(dated):
    pending = load_assessments(PENDING)
    plan = assign_assessments(pending, dated.staff, ("RSP",), 1, {},
                              "month")
    moved = dict(plan.assignment)
    lin = [a.assessment_id for a in pending if a.site == "LIN"]
    for aid in lin[:6]:
        moved[aid] = "T0001"
    rules_hit = {v.rule for v in audit_assessments(
        pending, dated.staff, moved, ("RSP",), 1)}
    assert rules_hit == {"A2"}
    moved[lin[0]] = "T0008"  # a ROO specialist
    assert "A1" in {v.rule for v in audit_assessments(
        pending, dated.staff, moved, ("RSP",), 1)}


def test_bad_assessment_rows_are_located(tmp_path):
    text = PENDING.read_text(encoding="utf-8").splitlines()
    text[2] = "R0002,LIN,3,2027-13-01,academic"
    text[3] = "R0002,LIN,3,2027-01-01,academic"
    path = tmp_path / "pending.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_assessments(path)
    found = {(p.row, p.column, p.value) for p in err.value.problems}
    assert (3, "due_date", "2027-13-01") in found
    assert any(p.column == "assessment_id" for p in err.value.problems)


def test_assessment_kinds_are_checked():
    from pydantic import ValidationError

    assert ObjectiveWeights(assessment_kinds=("rsp", "Speech")
                            ).assessment_kinds == ("RSP", "SPEECH")
    with pytest.raises(ValidationError, match="assessment_kinds"):
        ObjectiveWeights(assessment_kinds=("psychologist",))


def test_a_resource_specialist_listed_coord_first_takes_a_share(dated):
    # Who takes assessments follows what a person does, not the order of
    # ``provides`` (the bypass issue 21 closed for the caps): T0001 as
    # COORD;RSP is still one of LIN's resource specialists.
    staff = tuple(c.model_copy(update={"provides": ("COORD", "RSP")})
                  if c.staff_id == "T0001" else c for c in dated.staff)
    pending = load_assessments(PENDING)
    plan = assign_assessments(pending, staff, ("RSP",), 1, {}, "month")
    lin = Counter(plan.assignment[a.assessment_id] for a in pending
                  if a.site == "LIN")
    assert set(lin) == {"T0001", "T0002", "T0003"}
    assert max(lin.values()) - min(lin.values()) <= 1
    assert not audit_assessments(pending, staff, plan.assignment,
                                 ("RSP",), 1)
    # The checker reads the same definition: T0001 left out is A2.
    moved = {a: ("T0002" if s == "T0001" else s)
             for a, s in plan.assignment.items()}
    assert "A2" in {v.rule for v in audit_assessments(
        pending, staff, moved, ("RSP",), 1)}


def test_checker_rechecks_h8_with_the_initial_meetings(dated):
    # The assignment keeps H8 with the plan's meetings; the checker must
    # re-check it from the files, not trust the solver.
    pending = load_assessments(PENDING)
    plan = assign_assessments(pending, dated.staff, ("RSP",), 1, {},
                              "month")
    aid, who = sorted(plan.assignment.items())[0]
    due = next(a.due_date for a in pending if a.assessment_id == aid)
    month = f"{due.year}-{due.month:02d}"
    full = {(who, month): 4}
    hit = [v for v in audit_assessments(pending, dated.staff,
                                        plan.assignment, ("RSP",), 1,
                                        full, limit=4)
           if v.rule == "H8"]
    assert hit and hit[0].staff_id == who and month in hit[0].message
    assert not [v for v in audit_assessments(
        pending, dated.staff, plan.assignment, ("RSP",), 1, full,
        limit=40) if v.rule == "H8"]
    # And the assignment itself keeps a limit it is given.
    kept = assign_assessments(pending, dated.staff, ("RSP",), 1, {},
                              "month", limit=4, months=full)
    assert not audit_assessments(pending, dated.staff, kept.assignment,
                                 ("RSP",), 1, full, limit=4)


def test_out_of_time_is_not_called_impossible(dated):
    # Feasible settings (the test above shares them within one) with no
    # time to search: the user must not be told to loosen them.
    from optimizer.solver.assessments import NotSolved

    pending = load_assessments(PENDING)
    with pytest.raises(NotSolved, match="does not show"):
        assign_assessments(pending, dated.staff, ("RSP",), 1, {}, "month",
                           time_limit=1e-9)
    # Proven impossible is said so: 19 assessments at ROO cannot be
    # shared equally (within 0) by its three resource specialists.
    with pytest.raises(ValueError, match="raise assessment_max_difference"):
        assign_assessments(pending, dated.staff, ("RSP",), 0, {}, "month")
