"""Every page and action of the workbench, through HTTP.

One module-scoped workspace walks the whole path a planner takes: the
bundled sample, a plan (a real background run), the site and student
tables, a student's explanation, a reassignment and its undo, a what-if
built with the form, a comparison, and the downloads.
"""

from __future__ import annotations

import tomllib

import pytest

from optimizer.inputs import scenarios
from optimizer.inputs.plans import read_assignment
from optimizer.inputs.roster import load_roster

from .conftest import post, wait


@pytest.fixture(scope="module")
def walk(client):
    """The sample roster planned once; ids of roster and plan."""
    r = post(client, "/rosters/sample")
    assert r.status_code == 200
    rid = str(r.url).rsplit("/", 1)[1]
    assert "315" in r.text and "reads without errors" in r.text
    r = post(client, f"/rosters/{rid}/plan", data={"time_limit": "30",
                                                   "make_current": "1"})
    page = wait(client, r)
    pid = str(page.url).rsplit("/", 1)[1]
    return {"rid": rid, "pid": pid, "page": page}


def test_home_lists_the_roster(client, walk):
    r = client.get("/")
    assert r.status_code == 200
    assert f"/rosters/{walk['rid']}" in r.text
    assert "Bundled sample" in r.text


def test_plan_page_has_kpis_sites_and_downloads(client, walk):
    text = walk["page"].text
    assert "optimal" in text and "proven best under the settings" in text
    # The KPI cards carry the checker's figures for the sample.
    assert "313 of 315" in text
    for site in ("LIN", "ROO"):  # the sample's sites with students
        assert f"students?site={site}" in text
    folder = client.app.state.ws.plan_folder(walk["pid"])
    for path in folder.iterdir():  # every file of the plan folder
        assert f"/download/plans/{walk['pid']}/{path.name}" in text
        got = client.get(f"/download/plans/{walk['pid']}/{path.name}")
        assert got.status_code == 200 and got.content == path.read_bytes()


def test_plan_folder_is_what_the_cli_writes(client, walk, tmp_path):
    from click.testing import CliRunner

    from optimizer.cli import main

    out = CliRunner().invoke(main, ["plan", "--out", str(tmp_path / "cli"),
                                    "--quiet", "--time-limit", "30"])
    assert out.exit_code == 0
    for name in ("assignments.csv", "caseloads.csv"):
        got = client.get(f"/download/plans/{walk['pid']}/{name}")
        assert got.status_code == 200
        assert "attachment" in got.headers["content-disposition"]
        assert got.content == (tmp_path / "cli" / name).read_bytes()


def test_sites_sort_and_filter(client, walk):
    pid = walk["pid"]
    r = client.get(f"/plans/{pid}/sites?sort=students&desc=1",
                   headers={"hx-request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    plan = client.app.state.cache.plan(pid)
    biggest = max(plan.sites, key=lambda s: s.students).site
    smallest = min(plan.sites, key=lambda s: s.students).site
    assert r.text.index(f"site={biggest}") < r.text.index(
        f"site={smallest}")
    r = client.get(f"/plans/{pid}/sites?q=roo",
                   headers={"hx-request": "true"})
    assert "students?site=ROO" in r.text and "site=LIN" not in r.text
    assert client.get(f"/plans/{pid}/sites?sort=bogus",
                      headers={"hx-request": "true"}).status_code == 400


def test_students_are_paged_and_filtered_on_the_server(client, walk):
    pid = walk["pid"]
    r = client.get(f"/plans/{pid}/students")
    assert r.status_code == 200
    assert "315 students match" in r.text
    assert "page 1 of 7" in r.text  # 315 / 50 per page
    assert r.text.count("/students/1000") + r.text.count(
        "/students/BP") <= 50 + 2
    r = client.get(f"/plans/{pid}/students?site=LIN&bp=missed",
                   headers={"hx-request": "true"})
    assert "<html" not in r.text
    plan = client.app.state.cache.plan(pid)
    missed = sum(1 for ln in plan.audit.lines if ln.student.site == "LIN"
                 and not ln.check.best_practice)
    assert f"{missed} student{'' if missed == 1 else 's'} match" in r.text
    r = client.get(f"/plans/{pid}/students?q=100002")
    assert "1 student match" in r.text


def test_student_page_says_what_explain_says(client, walk, rules, sample):
    pid = walk["pid"]
    r = client.get(f"/plans/{pid}/students/100002")
    assert r.status_code == 200
    from optimizer.outputs.terminal import render_explanation
    from optimizer.reasons.explain import explain_student

    assignment, _ = read_assignment(
        client.app.state.ws.plan_folder(pid) / "assignments.csv")
    e = explain_student(sample.instance, rules, assignment, "100002")
    text = render_explanation(e)
    import html

    page = html.unescape(r.text)
    assert text in page  # the explain text, whole
    assert e.best_practice in page and e.continuity in page
    for a in e.alternatives:
        assert a.staff_id in page
    assert client.get(f"/plans/{pid}/students/NOPE").status_code == 404


def test_reassign_pins_replans_closest_and_undo(client, walk, rules,
                                                sample):
    pid, rid = walk["pid"], walk["rid"]
    plan = client.app.state.cache.plan(pid)
    current = plan.assignment["100002"]
    from optimizer.reasons.explain import explain_student

    e = explain_student(sample.instance, rules, plan.assignment, "100002")
    choice = next(a for a in e.alternatives if a.eligible and not a.full)
    r = post(client, f"/plans/{pid}/students/100002/assign",
             data={"staff_id": choice.staff_id})
    page = wait(client, r)
    new = str(page.url).rsplit("/", 1)[1]
    assert new != pid
    assert "What changed from the previous plan" in page.text
    # The student by name beside the id (the roster's own name columns).
    assert f"student <a href=\"/plans/{new}/students/100002\">" \
        "Noah Garcia (100002)</a>" in page.text
    new_plan = client.app.state.cache.plan(new)
    assert new_plan.assignment["100002"] == choice.staff_id != current
    assert not new_plan.audit.violations  # still every hard rule
    moved = [s for s in plan.assignment
             if plan.assignment[s] != new_plan.assignment[s]]
    # Fewest other changes: a single free move needs nobody else to move.
    assert moved == ["100002"]
    assert client.app.state.ws.record("rosters", rid)["current_plan"] == new
    r = post(client, f"/plans/{new}/undo")
    assert r.status_code == 200 and str(r.url).endswith(f"/plans/{pid}"
                                                        f"?undone={new}")
    assert "Undone" in r.text
    assert client.app.state.ws.record("rosters", rid)["current_plan"] == pid
    assert post(client, f"/plans/{pid}/undo").status_code == 400


def test_cancel_stops_a_run(client, walk):
    jobs = client.app.state.jobs
    jid = jobs.start("plan", {"roster": walk["rid"], "time_limit": 30},
                     "p-cancelled")
    r = post(client, f"/jobs/{jid}/cancel")
    assert r.status_code == 200 and "Cancelled" in r.text
    assert not client.app.state.ws.plan_folder("p-cancelled").exists()
    assert jobs.status(jid)["state"] == "cancelled"


def test_progress_fragment_polls_then_redirects(client, walk):
    jobs = client.app.state.jobs
    jid = jobs.start("plan", {"roster": walk["rid"], "time_limit": 30},
                     "p-polled")
    r = client.get(f"/jobs/{jid}", headers={"hx-request": "true"})
    assert 'hx-trigger="every 1s"' in r.text or "HX-Redirect" in r.headers
    wait(client, client.get(f"/jobs/{jid}"))
    r = client.get(f"/jobs/{jid}", headers={"hx-request": "true"})
    assert r.headers["HX-Redirect"] == "/plans/p-polled"


def test_scenario_form_writes_the_toml_the_cli_reads(client, walk, rules):
    rid = walk["rid"]
    assert client.get(f"/rosters/{rid}/scenarios").status_code == 200
    r = post(client, f"/rosters/{rid}/scenarios", data={
        "name": "Ortiz retires", "description": "T0010 leaves",
        "remove_staff": "T0010", "cap_staff_id": "T0008",
        "cap_value": "30", "mode": "priority",
        "priority": "S1, S3, S2, S4"})
    assert r.status_code == 200 and "What-if saved" in r.text
    path = client.app.state.ws.scenario_folder(rid) / "ortiz-retires.toml"
    data = tomllib.loads(path.read_text())
    assert data["remove_staff"] == ["T0010"]
    assert data["update_staff"] == [{"staff_id": "T0008",
                                     "max_caseload": 30}]
    assert data["objective"] == {"mode": "priority",
                                 "priority": ["S1", "S3", "S2", "S4"]}
    sc = scenarios.load_scenario(path)  # the CLI's reader
    base = load_roster(sc.roster, rules).instance
    applied = scenarios.apply(base, sc, rules)
    assert "T0010" not in applied.staff_by_id()


def test_bad_scenario_is_refused_with_located_problems(client, walk):
    rid = walk["rid"]
    r = post(client, f"/rosters/{rid}/scenarios", data={
        "name": "Typo", "remove_staff": "T9999"})
    assert r.status_code == 400
    assert "T9999" in r.text and "Not saved" in r.text
    assert not (client.app.state.ws.scenario_folder(rid)
                / "typo.toml").exists()


def test_compare_and_its_downloads(client, walk):
    rid = walk["rid"]
    r = post(client, f"/rosters/{rid}/compare",
             data={"scenario": ["ortiz-retires"]})
    page = wait(client, r)
    assert "/compares/" in str(page.url)
    cid = str(page.url).rsplit("/", 1)[1]
    assert "Base roster" in page.text and "Ortiz retires" in page.text
    assert "Students who change case manager" in page.text
    csv_text = client.get(f"/download/compares/{cid}/compare.csv").text
    assert csv_text.startswith("scenario,status,")
    changes = client.get(f"/download/compares/{cid}/changes.csv").text
    assert changes.startswith("student_id,scenario,")
    sub = client.get(f"/download/compares/{cid}/ortiz-retires/"
                     "assignments.csv")
    assert sub.status_code == 200
    toml = client.get(f"/download/scenarios/{rid}/ortiz-retires.toml")
    assert 'remove_staff = ["T0010"]' in toml.text
    r = post(client, f"/rosters/{rid}/compare", data={})
    assert r.status_code == 400


def test_state_survives_a_restart(client, walk):
    from .conftest import client_for

    again = client_for(client.app.state.ws.root)
    r = again.get(f"/plans/{walk['pid']}")
    assert r.status_code == 200 and "313 of 315" in r.text
    assert "ortiz-retires" in again.get(
        f"/rosters/{walk['rid']}/scenarios").text


def test_unknown_ids_are_404(client):
    for path in ("/rosters/nope", "/plans/nope", "/compares/nope",
                 "/jobs/nope", "/plans/..%2f/students"):
        assert client.get(path).status_code == 404, path


def test_the_sample_is_stored_once(client, walk):
    again = post(client, "/rosters/sample")
    assert str(again.url).endswith(f"/rosters/{walk['rid']}")


class _Controls(__import__("html.parser").parser.HTMLParser):
    """Every form control and the labels on the page."""

    def __init__(self):
        super().__init__()
        self.controls, self.label_for, self.depth = [], set(), 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type") not in (
                "hidden", "submit"):
            self.controls.append((a, self.depth > 0))

    def handle_endtag(self, tag):
        if tag == "label":
            self.depth -= 1


def test_every_control_is_labelled(client, walk):
    # Accessibility basics: a screen reader names every input and select
    # (a wrapping <label>, a <label for=...> or an aria-label).
    pid, rid = walk["pid"], walk["rid"]
    for url in ("/", f"/rosters/{rid}", f"/rosters/{rid}/mapping",
                f"/plans/{pid}", f"/plans/{pid}/students",
                f"/plans/{pid}/students/100002", f"/rosters/{rid}/scenarios"):
        parser = _Controls()
        parser.feed(client.get(url).text)
        for attrs, wrapped in parser.controls:
            assert wrapped or attrs.get("id") in parser.label_for or \
                attrs.get("aria-label"), (url, attrs)


def test_plan_settings_are_the_clis(client, walk, tmp_path):
    # The form's objective mode and authorization setting reach the
    # library as the CLI's flags do: the same plan, byte for byte.
    from click.testing import CliRunner

    from optimizer.cli import main

    r = post(client, f"/rosters/{walk['rid']}/plan", data={
        "time_limit": "30", "mode": "priority", "order_1": "S1",
        "order_2": "S3", "order_3": "S2", "order_4": "S4",
        "authorizations": "verified-only"})
    page = wait(client, r)
    pid = str(page.url).rsplit("/", 1)[1]
    out = CliRunner().invoke(main, [
        "plan", "--out", str(tmp_path / "cli"), "--quiet", "--mode",
        "priority", "--priority", "S1,S3,S2,S4", "--authorizations",
        "verified-only", "--time-limit", "30"])
    assert out.exit_code == 0, out.output
    got = client.get(f"/download/plans/{pid}/assignments.csv").content
    assert got == (tmp_path / "cli" / "assignments.csv").read_bytes()
    plan = client.app.state.cache.plan(pid)
    assert sum(s.unverified for s in plan.sites) == 0
    bad = post(client, f"/rosters/{walk['rid']}/plan",
               data={"authorizations": "some"})
    assert bad.status_code == 400
    # The library's own check of the settings file, as a located problem,
    # before any run starts.
    failed = post(client, f"/rosters/{walk['rid']}/plan",
                  data={"mode": "priority", "order_1": "S1",
                        "order_2": "S9"})
    assert failed.status_code == 400
    assert "Not started" in failed.text
    assert "priority must list distinct terms from S1, S2, S3, S4" in \
        failed.text
