"""A fresh-eyes review of the workbench (after issues 20 and 25): each
defect found, pinned by a test that fails on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import client_for, post, wait

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """The sample roster with a current plan and a second, not current."""
    with client_for(tmp_path_factory.mktemp("ws")) as c:
        rid = str(post(c, "/rosters/sample").url).rsplit("/", 1)[1]
        first = wait(c, post(c, f"/rosters/{rid}/plan", data={
            "time_limit": "30", "make_current": "1"}))
        other = wait(c, post(c, f"/rosters/{rid}/plan", data={
            "time_limit": "30"}))
        yield {"c": c, "rid": rid,
               "current": str(first.url).rsplit("/", 1)[1],
               "other": str(other.url).rsplit("/", 1)[1]}


def _current(c, rid: str) -> str:
    return c.app.state.ws.record("rosters", rid)["current_plan"]


def _reassign(c, pid: str, sid: str = "100002") -> str:
    """Choose another eligible case manager for ``sid``; the new plan."""
    from optimizer.reasons.explain import explain_student

    plan = c.app.state.cache.plan(pid)
    e = explain_student(plan.roster.instance, plan.rules, plan.assignment,
                        sid)
    choice = next(a for a in e.alternatives if a.eligible and not a.full)
    page = wait(c, post(c, f"/plans/{pid}/students/{sid}/assign",
                        data={"staff_id": choice.staff_id}))
    return str(page.url).rsplit("/", 1)[1]


def test_undo_of_a_plan_that_is_not_current_keeps_the_current_plan(
        planned):
    # A change made on a plan that is not the current one, then undone:
    # the current plan stays what it was (it was silently replaced by
    # the plan the change was made on, and the page said "Undone: this
    # plan is the current plan again" of a plan never current).
    c, rid = planned["c"], planned["rid"]
    new = _reassign(c, planned["other"])
    assert _current(c, rid) == planned["current"]
    r = post(c, f"/plans/{new}/undo")
    assert r.status_code == 200
    assert _current(c, rid) == planned["current"]
    assert "is the current plan again" not in r.text
    assert "This is <strong>not</strong> the current plan" in r.text


def test_a_stale_undo_does_not_take_back_a_later_choice(planned):
    # Undo, then another plan made current; the old page's Undo (a second
    # tab, the back button) must not make the first plan current again.
    c, rid = planned["c"], planned["rid"]
    base = planned["current"]
    new = _reassign(c, base)
    assert _current(c, rid) == new
    post(c, f"/plans/{new}/undo")
    assert _current(c, rid) == base
    post(c, f"/plans/{planned['other']}/current")
    assert _current(c, rid) == planned["other"]
    post(c, f"/plans/{new}/undo")  # the stale page's button
    assert _current(c, rid) == planned["other"]
    post(c, f"/plans/{base}/current")  # as it was, for the next tests
