"""AB 560: pending initial assessments shared equally among the resource
specialists at each site, sharing the meeting calendar (issue 23)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest

from optimizer import workflow
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
    return workflow.plan(instance, rules, input_hash="x",
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
        assert person.kind == "RSP" and person.serves_site(r["site"])
        per_site.setdefault(r["site"], Counter())[r["staff_id"]] += 1
    for site, counts in per_site.items():
        pool = [c.staff_id for c in dated.staff
                if c.kind == "RSP" and c.serves_site(site)]
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
