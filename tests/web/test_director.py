"""What a director needs to use the workbench alone (issue 20).

One test (or a few) per numbered problem of the issue, each through HTTP
on a real workspace with real background runs; every one of them fails
on the workbench as it was before.
"""

from __future__ import annotations

import html
import os
import re
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.web import labels
from optimizer.web.jobs import Jobs

from .conftest import client_for, post, wait


@pytest.fixture(scope="module")
def director(tmp_path_factory):
    """The sample roster with a first plan, made current when asked."""
    with client_for(tmp_path_factory.mktemp("ws")) as c:
        rid = str(post(c, "/rosters/sample").url).rsplit("/", 1)[1]
        page = wait(c, post(c, f"/rosters/{rid}/plan", data={
            "time_limit": "30", "make_current": "1"}))
        pid = str(page.url).rsplit("/", 1)[1]
        yield {"c": c, "rid": rid, "pid": pid}


def _text(response) -> str:
    """The page's words, tags taken out."""
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


def _words(response) -> str:
    return " ".join(_text(response).split())


# 1. Plans labelled; re-planning never silently replaces the current plan;
#    the settings page shows what `caseload plan` was given.

def test_replanning_leaves_the_current_plan_until_the_user_says_so(
        director):
    c, rid, first = director["c"], director["rid"], director["pid"]
    ws = c.app.state.ws
    assert ws.record("rosters", rid)["current_plan"] == first
    # "never rely on unverified rows" without ticking "make current"
    page = wait(c, post(c, f"/rosters/{rid}/plan", data={
        "time_limit": "30", "authorizations": "verified-only"}))
    second = str(page.url).rsplit("/", 1)[1]
    assert second != first
    assert ws.record("rosters", rid)["current_plan"] == first
    assert "This is not the current plan" in _words(page)
    roster = _words(c.get(f"/rosters/{rid}"))
    # Each plan labelled by what it is, not "plan of the roster".
    assert "plan of the roster" not in roster
    assert "relies only on rules rows verified against an official " \
        "source" in roster
    assert "relies on every rules row" in roster
    assert roster.count("proven best") >= 2
    # and how much best practice each gives, the first thing they differ in
    plans = [labels.fill_outcome(rec, ws.plan_folder(p))
             for p, rec in ws.records("plans") if p in (first, second)]
    for rec in plans:
        met, students = rec["best_practice"]
        assert f"best practice for {met / students:.1%} ({met:,} of " \
            f"{students:,})" in roster
    assert "current plan the roster's first plan, as you asked when " \
        "planning" in roster
    # Only the user's word changes it, and the page says who did.
    r = post(c, f"/plans/{second}/current")
    assert ws.record("rosters", rid)["current_plan"] == second
    assert "you made it current" in r.text
    post(c, f"/plans/{first}/current")
    assert ws.record("rosters", rid)["current_plan"] == first


def test_settings_page_shows_exactly_what_caseload_plan_was_given(
        director, tmp_path):
    from optimizer.cli import main

    c, rid = director["c"], director["rid"]
    page = wait(c, post(c, f"/rosters/{rid}/plan", data={
        "time_limit": "30", "mode": "weights", "w_S1": "10", "w_S2": "1",
        "w_S3": "2", "w_S4": "0.3"}))
    pid = str(page.url).rsplit("/", 1)[1]
    settings = c.get(f"/plans/{pid}/settings")
    assert settings.status_code == 200
    words = _words(settings)
    assert "all four weighed together" in words
    assert "last year's case manager 2" in words
    command = html.unescape(re.search(r'<pre class="cmd">([^<]+)</pre>',
                                      settings.text).group(1))
    args = command.split()
    assert args[:2] == ["caseload", "plan"] and "--weights" in args
    settings_file = Path(args[args.index("--weights") + 1])
    data = tomllib.loads(settings_file.read_text())
    assert data["mode"] == "weights" and data["weights"]["S3"] == 2.0
    got = c.get(f"/download/settings/{pid}")
    assert got.status_code == 200
    assert got.content == settings_file.read_bytes()
    # The command line, run as printed (another --out), gives the plan.
    out = tmp_path / "cli"
    args[args.index("--out") + 1] = str(out)
    result = CliRunner().invoke(main, [*args[1:], "--quiet"])
    assert result.exit_code == 0, result.output
    assert (out / "assignments.csv").read_bytes() == c.get(
        f"/download/plans/{pid}/assignments.csv").content


# 2. Names beside ids; search by any part of a name; staff pickers.

def test_students_found_by_last_name_and_shown_with_names(director):
    c, pid = director["c"], director["pid"]
    r = c.get(f"/plans/{pid}/students?q=garcia")
    words = _words(r)
    assert "0 students match" not in words
    assert "Noah Garcia (100002)" in words
    r = c.get(f"/plans/{pid}/students/100002")
    assert "Student Noah Garcia (100002)" in _words(r)


def test_what_if_staff_by_name_and_pickers_show_who_they_are(director):
    c, rid = director["c"], director["rid"]
    page = c.get(f"/rosters/{rid}/scenarios").text
    # The picker: name, kind in words, sites and caseload of the plan.
    option = re.search(r'<option value="T0003" label="([^"]+)"', page)
    assert option, "no staff picker"
    label = html.unescape(option.group(1))
    assert "Rosa Park" in label and "resource specialist" in label
    assert "LIN" in label and re.search(r"\d+ of 28 students", label)
    r = post(c, f"/rosters/{rid}/scenarios", data={
        "name": "Rosa Park leaves", "remove_staff": "Rosa Park"})
    assert r.status_code == 200, _words(r)[:2000]
    path = c.app.state.ws.scenario_folder(rid) / "rosa-park-leaves.toml"
    assert tomllib.loads(path.read_text())["remove_staff"] == ["T0003"]


# 3. Runs that survive the server.

def test_a_run_stopped_with_the_server_is_interrupted_not_cancelled(
        tmp_path):
    c = client_for(tmp_path)
    rid = str(post(c, "/rosters/sample").url).rsplit("/", 1)[1]
    r = post(c, f"/rosters/{rid}/plan", data={"time_limit": "30"})
    jid = str(r.url).rsplit("/", 1)[1]
    c.app.state.jobs.stop_all()  # what the server does when it stops
    again = client_for(tmp_path)  # a restart
    job = _words(again.get(f"/jobs/{jid}"))
    assert "Interrupted" in job and "Cancelled" not in job
    roster = _words(again.get(f"/rosters/{rid}"))
    assert "Runs that did not finish" in roster and "Interrupted" in roster
    # Dismissed, it leaves the roster page.
    post(again, f"/jobs/{jid}/dismiss")
    assert "Runs that did not finish" not in _words(
        again.get(f"/rosters/{rid}"))


def test_a_run_whose_process_died_is_interrupted(tmp_path):
    from optimizer.web.workspace import Workspace

    ws = Workspace(tmp_path)
    rid = ws.add_roster_folder("sample", Path(__file__).parents[2]
                               / "data" / "sample")
    jobs = Jobs(ws)
    jid = jobs.start("plan", {"roster": rid, "time_limit": 30}, "pgone")
    os.kill(jobs.procs[jid].pid, 9)
    jobs.procs[jid].wait()
    assert jobs.status(jid)["state"] == "interrupted"


def _state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None  # gone: reaped
    return stat.rsplit(")", 1)[1].split()[0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                    reason="needs /proc")
def test_finished_runs_leave_no_defunct_process(tmp_path):
    from optimizer.web.workspace import Workspace

    ws = Workspace(tmp_path)
    rid = ws.add_roster_folder("sample", Path(__file__).parents[2]
                               / "data" / "sample")
    jobs = Jobs(ws)
    jid = jobs.start("plan", {"roster": rid, "time_limit": 30}, "pdone")
    pid = jobs.procs[jid].pid
    deadline = time.time() + 120
    while ws.record("jobs", jid)["state"] == "running":
        assert time.time() < deadline
        time.sleep(0.2)
    # Nobody looks at the run again; it must not stay a zombie.
    deadline = time.time() + 10
    while _state(pid) is not None and time.time() < deadline:
        time.sleep(0.1)
    assert _state(pid) is None, f"process {pid} left as {_state(pid)}"


def test_pages_say_when_the_server_is_gone_without_inline_script(
        director):
    c, rid, pid = director["c"], director["rid"], director["pid"]
    js = c.get("/static/workbench.js")
    assert js.status_code == 200
    for event in ("htmx:sendError", "htmx:responseError"):
        assert event in js.text
    assert "Reload the page" in js.text and "403" in js.text
    for url in ("/", f"/rosters/{rid}", f"/plans/{pid}",
                f"/plans/{pid}/students", f"/rosters/{rid}/scenarios"):
        page = c.get(url).text
        assert '<script src="/static/workbench.js"' in page
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert not re.search(r"\son[a-z]+=", page), url


# 4. What-if forms take the roster's vocabulary; a site that exists
#    nowhere is refused.

def test_what_if_words_are_understood_and_bad_sites_refused(director):
    c, rid = director["c"], director["rid"]
    credential = c.app.state.rules.credentials["R3MN"].name
    r = post(c, f"/rosters/{rid}/scenarios", data={
        "name": "Hire at Jeferson", "add_staff_id": "NEW-RSP1",
        "add_name": "Jo Lee", "add_sites": "Jeferson High",
        "add_provides": "RSP",
        "add_credentials": credential})
    words = _words(r)
    assert r.status_code == 400
    assert 'site "Jeferson High"' in words and "JEF" in words
    assert "Field required" not in words and "[(" not in words
    assert "unknown credential" not in words  # the name was understood
    r = post(c, f"/rosters/{rid}/scenarios", data={
        "name": "Hire at JEF", "add_staff_id": "NEW-RSP1",
        "add_name": "Jo Lee", "add_sites": "JEF", "add_provides": "RSP",
        "add_credentials": credential})
    assert r.status_code == 200, _words(r)[:3000]
    data = tomllib.loads((c.app.state.ws.scenario_folder(rid)
                          / "hire-at-jef.toml").read_text())
    assert data["add_staff"][0]["credentials"] == "R3MN"
    assert data["add_staff"][0]["provides"] == "RSP"


# 6. Plain words first, codes second.

def test_plain_words_first_codes_in_small_print(director):
    c, rid, pid = director["c"], director["rid"], director["pid"]
    plan = c.get(f"/plans/{pid}").text
    assert "resource specialist" in plan
    assert re.search(r'<span class="code">\(S1\)</span>', plan)
    student = c.get(f"/plans/{pid}/students/100002")
    words = _words(student)
    assert "Best practice misses" in words and "Home-language misses" in \
        words
    # Rules in words with their id beside.
    assert re.search(r"the case manager serves the student's site \(H3\)",
                     words)
    roster = c.get(f"/rosters/{rid}").text
    # Plan ids are not what the links say.
    assert not re.search(r">p\d{8}-\d{6}-[0-9a-f]{6}<", roster)


def test_s2_changes_are_shown_as_utilization_changes(director):
    c, pid = director["c"], director["pid"]
    plan = c.app.state.cache.plan(pid)
    from optimizer.reasons.explain import explain_student

    e = explain_student(plan.roster.instance, plan.rules, plan.assignment,
                        "100002")
    choice = next(a for a in e.alternatives if a.eligible and not a.full)
    page = wait(c, post(c, f"/plans/{pid}/students/100002/assign",
                        data={"staff_id": choice.staff_id}))
    words = _words(page)
    assert re.search(r"balance \(S2\)\s*: caseloads against cap:", words)
    assert re.search(r"\d+% → \d+%", words)
    assert not re.search(r"S2\s*[+-]\d", words)
    new = str(page.url).rsplit("/", 1)[1]
    post(c, f"/plans/{new}/undo")


# 7. Warnings grouped by kind, folded, linked.

def test_warnings_grouped_by_kind_and_folded(director):
    c, rid = director["c"], director["rid"]
    page = c.get(f"/rosters/{rid}").text
    groups = re.findall(r'<details id="(w\d+)" class="group">', page)
    assert groups, "warnings are not grouped"
    for anchor in groups:
        assert f'href="#{anchor}"' in page
    state = c.app.state.cache.roster(rid)
    total = len(state.roster.warnings)
    counts = [int(n.replace(",", "")) for n in re.findall(
        r'<details id="w\d+" class="group"><summary><strong>([\d,]+)'
        r'</strong>', page)]
    assert sum(counts) == total and len(counts) < total
    # Plans come before the warnings.
    assert page.index('id="plans"') < page.index('id="warnings"')


# 8. The defaults the roster left to the tool.

def test_defaults_left_to_the_tool_are_listed(director):
    c, rid = director["c"], director["rid"]
    words = _words(c.get(f"/rosters/{rid}"))
    assert "What the roster left to the tool" in words
    assert "Who may case-manage" in words
    # The coordinator may by default; the PT may not (no CTC credential).
    assert "Tomas Foster (T0030)" in words and "Grace Duarte (T0027)" in \
        words
    assert "Every site" in words and "Samuel Hughes (T0032" in words
    assert "can_case_manage" in words
    # A way to change them before planning: tried first as a what-if.
    page = c.get(f"/rosters/{rid}").text
    asked = re.findall(r'name="asked" value="([^"]+)"', page)
    may = [sid for sid in re.findall(
        r'id="may-([^"]+)" name="may" value="[^"]+" checked', page)
        if sid != "T0030"]
    r = post(c, f"/rosters/{rid}/defaults", data={
        "asked": asked, "may": may, "cap:T0008": "20", "was:T0008": "28"})
    assert r.status_code == 200 and "What-if saved" in r.text
    data = tomllib.loads((c.app.state.ws.scenario_folder(rid)
                          / "defaults-changed.toml").read_text())
    assert sorted(data["update_staff"], key=lambda u: u["staff_id"]) == [
        {"staff_id": "T0008", "max_caseload": 20},
        {"staff_id": "T0030", "can_case_manage": False}]
    post(c, f"/rosters/{rid}/scenarios/defaults-changed/delete")


# 9. Delete and rename; edit a what-if; choose which to compare.

def test_rename_delete_and_edit(director):
    c, rid = director["c"], director["rid"]
    ws = c.app.state.ws
    page = wait(c, post(c, f"/rosters/{rid}/plan",
                        data={"time_limit": "30"}))
    pid = str(page.url).rsplit("/", 1)[1]
    post(c, f"/plans/{pid}/rename", data={"title": "Draft for Maria"})
    assert "Draft for Maria" in c.get(f"/rosters/{rid}").text
    assert post(c, f"/plans/{pid}/delete", data={}).status_code == 400
    post(c, f"/plans/{pid}/delete", data={"confirm": "1"})
    assert not ws.plan_folder(pid).exists()
    assert "Draft for Maria" not in c.get(f"/rosters/{rid}").text
    current = ws.record("rosters", rid)["current_plan"]
    assert post(c, f"/plans/{current}/delete",
                data={"confirm": "1"}).status_code == 400

    # A what-if: saved, none pre-ticked, edited in place, deleted.
    post(c, f"/rosters/{rid}/scenarios", data={
        "name": "Cap change", "cap_staff_id": "T0008", "cap_value": "20"})
    page = c.get(f"/rosters/{rid}/scenarios").text
    assert 'value="cap-change"' in page
    assert not re.search(r'name="scenario" value="[^"]+"[^>]*checked',
                         page)
    edit = c.get(f"/rosters/{rid}/scenarios/cap-change/edit").text
    assert 'name="editing" value="cap-change"' in edit
    assert 'value="T0008"' in edit and 'value="20"' in edit
    post(c, f"/rosters/{rid}/scenarios", data={
        "editing": "cap-change", "name": "Cap change",
        "cap_staff_id": "T0008", "cap_value": "22"})
    path = ws.scenario_folder(rid) / "cap-change.toml"
    assert tomllib.loads(path.read_text())["update_staff"][0][
        "max_caseload"] == 22
    assert not (ws.scenario_folder(rid) / "cap-change-2.toml").exists()
    post(c, f"/rosters/{rid}/scenarios/cap-change/delete")
    assert not path.exists()

    # A roster: renamed, then deleted with everything made from it.
    other = str(post(c, "/rosters", files={
        "students": ("s.csv", b"student_id\n1\n"),
        "staff": ("t.csv", b"staff_id\nA\n")}).url).rsplit("/", 1)[1]
    post(c, f"/rosters/{other}/rename", data={"name": "Broken export"})
    assert "Broken export" in c.get("/").text
    post(c, f"/rosters/{other}/delete", data={"confirm": "1"})
    assert "Broken export" not in c.get("/").text
    assert not ws.path("rosters", other).exists()


# 10. Comparison: RSP over 90% flagged, new hires by name, students
#     linked; a numbered pager.

def test_comparison_flags_names_and_links(director):
    c, rid, pid = director["c"], director["rid"], director["pid"]
    post(c, f"/rosters/{rid}/scenarios", data={
        "name": "Two leave, one hired", "remove_staff": "T0009; T0010",
        "add_staff_id": "NEW-RSP1", "add_name": "Jo Lee",
        "add_sites": "ROO", "add_provides": "RSP",
        "add_credentials": "R3MN", "add_max_caseload": "10"})
    page = wait(c, post(c, f"/rosters/{rid}/compare",
                        data={"scenario": ["two-leave-one-hired"]}))
    text = page.text
    assert "Jo Lee (new hire)" in _words(page)
    assert "new staff (NEW-RSP1)" not in _words(page)
    assert re.search(rf'<a href="/plans/{pid}/students/\d+">', text)
    cid = str(page.url).rsplit("/", 1)[1]
    # Planned with the current plan's settings (the roster as it is),
    # and the page says which.
    ws = c.app.state.ws
    current = ws.record("plans", ws.record("rosters", rid)["current_plan"])
    got = ws.record("compares", cid)["settings"]
    assert got["mode"] == current["mode"]
    assert got["weights"] == current["weights"]
    assert got["authorizations"] == current["authorizations"]
    assert "Each what-if planned with the same settings as the roster " \
        "as it is (\"Base roster\"): best practice first" in _words(page)
    folder = c.app.state.ws.path("compares", cid)
    import csv

    rows = list(csv.DictReader((folder / "compare.csv").open()))
    over = [r for r in rows if r.get("RSP_util_max")
            and float(r["RSP_util_max"]) > 0.9]
    assert over, "the what-if should push a resource specialist over 90%"
    assert text.count("over 90%</strong>") == len(over)
    # The what-if deleted afterwards: the comparison still opens.
    post(c, f"/rosters/{rid}/scenarios/two-leave-one-hired/delete")
    assert c.get(f"/compares/{cid}").status_code == 200


def test_students_pager_is_numbered(director):
    c, pid = director["c"], director["pid"]
    r = c.get(f"/plans/{pid}/students?page=4")
    for n in (1, 3, 5, 7):
        assert f'aria-label="page {n}"' in r.text
    assert '<span aria-current="page" class="current">4</span>' in r.text


# 11. Objective weights and order with plain controls.

def test_objective_controls_write_the_clis_settings_file(director):
    c, rid = director["c"], director["rid"]
    page = c.get(f"/rosters/{rid}")
    words = _words(page)
    for sentence in ("Students keep last year's case manager",
                     "Caseloads are spread evenly"):
        assert sentence in words
    for name in ("w_S1", "w_S2", "w_S3", "w_S4", "order_1", "order_4"):
        assert f'name="{name}"' in page.text
    r = post(c, f"/rosters/{rid}/plan", data={
        "mode": "priority", "order_1": "S1", "order_2": "S4",
        "order_3": "S3", "order_4": "S2", "time_limit": "30"})
    plan = wait(c, r)
    pid = str(plan.url).rsplit("/", 1)[1]
    record = c.app.state.ws.record("plans", pid)
    data = tomllib.loads(Path(record["settings_file"]).read_text())
    assert data["priority"] == ["S1", "S4", "S3", "S2"]
    assert "a strict order: best practice, then home language, then " \
        "last year's case manager, then balance" in _words(plan)
    # The form remembers the roster's last settings.
    assert re.search(r'name="order_2"><option value="S1">[^<]+</option>'
                     r'<option value="S2">[^<]+</option><option value="S3">'
                     r'[^<]+</option><option value="S4" selected>',
                     c.get(f"/rosters/{rid}").text)


def test_a_large_districts_staff_picker_asks_the_server(director,
                                                        monkeypatch):
    # Thousands of staff are not sent whole: the picker fetches matches.
    from optimizer.web import routes_scenarios

    c, rid = director["c"], director["rid"]
    monkeypatch.setattr(routes_scenarios, "PICKER_ALL", 5)
    page = c.get(f"/rosters/{rid}/scenarios").text
    assert '<option value="T0003"' not in page
    assert f'hx-get="/rosters/{rid}/staff-options"' in page
    r = c.get(f"/rosters/{rid}/staff-options?remove_staff=T0010%3B+rosa",
              headers={"hx-request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    values = re.findall(r'<option value="([^"]+)"', r.text)
    assert values == ["T0003", "T0022"]  # Rosa Park, Rosa Ito
    assert "resource specialist" in html.unescape(r.text)


# 5. The unverified-authorization card guides, not only alarms.

def test_unverified_rows_come_with_advice(director):
    c, pid = director["c"], director["pid"]
    page = c.get(f"/plans/{pid}")
    words = _words(page)
    assert "About the unverified rows" in words
    assert "credential analyst" in words
    assert f'href="/download/plans/{pid}/report.html"' in page.text
    # The row ids are small print, not the card's words.
    assert re.search(r'<span class="code">[^<]*S-RSP-CURRENT', page.text)


def test_names_from_an_exports_own_headers(tmp_path):
    # "Last Name" / "First Name" as an export writes them are names too.
    import shutil

    from optimizer.inputs.csv_cells import DEFAULT_SAMPLE_DIR

    shutil.copy(DEFAULT_SAMPLE_DIR / "staff.csv", tmp_path / "staff.csv")
    text = (DEFAULT_SAMPLE_DIR / "students.csv").read_text().replace(
        "student_id,last_name,first_name",
        "student_id,Last Name,First Name", 1)
    c = client_for(tmp_path / "ws")
    r = post(c, "/rosters", files={
        "students": ("students.csv", text.encode()),
        "staff": ("staff.csv", (tmp_path / "staff.csv").read_bytes())})
    rid = str(r.url).rsplit("/", 1)[1]
    page = wait(c, post(c, f"/rosters/{rid}/plan",
                        data={"time_limit": "30", "make_current": "1"}))
    pid = str(page.url).rsplit("/", 1)[1]
    assert "Noah Garcia (100002)" in _words(
        c.get(f"/plans/{pid}/students?q=garcia"))


def test_a_replans_settings_page_names_the_choice(director):
    c, pid = director["c"], director["pid"]
    plan = c.app.state.cache.plan(pid)
    from optimizer.reasons.explain import explain_student

    e = explain_student(plan.roster.instance, plan.rules, plan.assignment,
                        "100002")
    choice = next(a for a in e.alternatives if a.eligible and not a.full)
    page = wait(c, post(c, f"/plans/{pid}/students/100002/assign",
                        data={"staff_id": choice.staff_id}))
    new = str(page.url).rsplit("/", 1)[1]
    words = _words(c.get(f"/plans/{new}/settings"))
    assert f"Noah Garcia (100002) → {choice.name} ({choice.staff_id})" in \
        words
    assert "re-made from an earlier plan" in words
    post(c, f"/plans/{new}/undo")
