"""The reviewer's findings on the workbench, each pinned by a test."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from .conftest import BASE, TOKEN, client_for, post, wait

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
XSS = "<script>alert(1)</script>"


def _upload(client, name: str, students: bytes | None = None):
    students = students or (SAMPLE / "students.csv").read_bytes()
    return post(client, "/rosters", data={"name": name}, files={
        "students": ("students.csv", students, "text/csv"),
        "staff": ("staff.csv", (SAMPLE / "staff.csv").read_bytes(),
                  "text/csv")})


def test_roster_name_scenario_name_and_cell_are_escaped(tmp_path):
    c = client_for(tmp_path)
    lines = (SAMPLE / "students.csv").read_text().splitlines()
    cells = lines[1].split(",")
    cells[4] = XSS  # grade: the loader names the bad value
    bad = "\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n"
    r = _upload(c, XSS, bad.encode())
    assert r.status_code == 200
    rid = str(r.url).rsplit("/", 1)[1]
    assert XSS not in r.text and "&lt;script&gt;" in r.text
    assert XSS not in c.get("/").text
    assert "&lt;script&gt;alert(1)" in c.get("/").text
    good = _upload(c, "clean").url
    grid = str(good).rsplit("/", 1)[1]
    r = post(c, f"/rosters/{grid}/scenarios", data={"name": XSS})
    page = c.get(f"/rosters/{grid}/scenarios").text
    assert XSS not in page and "&lt;script&gt;alert(1)" in page
    assert rid


def test_verified_only_plan_offers_no_forbidden_alternative(tmp_path):
    # In the sample, T0003 may take student 100001 only through a row
    # marked unverified, so verified-only must not offer them.
    c = client_for(tmp_path)
    rid = str(post(c, "/rosters/sample").url).rsplit("/", 1)[1]
    r = post(c, f"/rosters/{rid}/plan", data={
        "time_limit": "30", "authorizations": "verified-only"})
    pid = str(wait(c, r).url).rsplit("/", 1)[1]
    page = c.get(f"/plans/{pid}/students/100001").text
    split = page.index('id="excluded"')
    offered, refused = page[page.index('id="alternatives"'):split], \
        page[split:]
    assert "(T0003)" not in offered
    assert "(T0003)" in refused and "verified-only" in refused
    assert c.app.state.cache.plan(pid).rules.authorization_mode == \
        "verified-only"


def test_cancel_discards_only_its_own_half_written_folder(tmp_path):
    from optimizer.web.jobs import Jobs
    from optimizer.web.workspace import Workspace

    ws = Workspace(tmp_path)
    rid = ws.add_roster_folder("sample", SAMPLE)
    jobs = Jobs(ws)
    jid = jobs.start("plan", {"roster": rid, "time_limit": 30}, "pmine")
    own = ws.root / "plans" / ".pmine.x1y2"
    other = ws.root / "plans" / ".pother.a1b2"
    other_compare = ws.root / "compares" / ".cother.a1b2"
    for folder in (own, other, other_compare):
        folder.mkdir()
        (folder / "assignments.csv").write_text("student_id\n")
    assert jobs.cancel(jid)["state"] == "cancelled"
    assert not own.exists()
    assert other.is_dir() and other_compare.is_dir()


def test_cancel_after_a_restart_stops_the_run(tmp_path):
    from optimizer.web.jobs import Jobs
    from optimizer.web.workspace import Workspace

    ws = Workspace(tmp_path)
    rid = ws.add_roster_folder("sample", SAMPLE)
    before = Jobs(ws)
    jid = before.start("plan", {"roster": rid, "time_limit": 30}, "prun")
    proc = before.procs[jid]
    after = Jobs(ws)  # the server restarted: it holds no process
    assert after.cancel(jid)["state"] == "cancelled"
    assert proc.wait(timeout=30) != 0  # stopped, not finished
    assert ws.record("jobs", jid)["state"] == "cancelled"
    assert not (ws.root / "plans" / "prun").exists()


def test_a_cancelled_run_never_says_done(tmp_path):
    from optimizer.web import job
    from optimizer.web.workspace import Workspace

    ws = Workspace(tmp_path)
    rid = ws.add_roster_folder("sample", SAMPLE)
    ws.save_record("jobs", "jx", {
        "kind": "plan", "spec": {"roster": rid, "time_limit": 5},
        "target": "px", "state": "cancelled", "stage": "Cancelled"})
    assert job.main([str(ws.root), "jx"]) == 1
    assert ws.record("jobs", "jx")["state"] == "cancelled"
    assert not (ws.root / "plans" / "px").exists()


def test_an_unexpected_error_fails_the_run_without_student_data_in_the_log(
        tmp_path, monkeypatch, capsys):
    from optimizer.web import job
    from optimizer.web.workspace import Workspace

    def broken(ws, jid, spec, target):
        raise RuntimeError("student 100001 Emma Johnson has no row")

    ws = Workspace(tmp_path)
    ws.save_record("jobs", "jy", {
        "kind": "plan", "spec": {"roster": "r1"}, "target": "py",
        "state": "running", "stage": "Starting"})
    monkeypatch.setattr(job, "run_plan", broken)
    assert job.main([str(ws.root), "jy"]) != 0
    record = ws.record("jobs", "jy")
    assert record["state"] == "failed"
    assert record["stage"] == job.INTERNAL_ERROR
    log = capsys.readouterr()
    text = log.out + log.err
    assert "RuntimeError" in text and "job.py:" in text
    assert "100001" not in text and "Emma" not in text


@pytest.mark.parametrize("url", ["/?token=%C3%A9", "/?token=%E2%82%AC"])
def test_non_ascii_token_is_403_not_500(tmp_path, url):
    from starlette.testclient import TestClient

    from optimizer.web.app import create_app

    c = TestClient(create_app(tmp_path, TOKEN), base_url=BASE,
                   raise_server_exceptions=False)
    assert c.get(url).status_code == 403
    held = "caseload_8765=\u00e9t\u00e9".encode()  # this port's cookie
    assert c.get("/", headers={"cookie": held}).status_code == 403


def test_non_ascii_csrf_header_is_403_not_500(tmp_path):
    c = client_for(tmp_path)
    r = c.post("/rosters/sample", headers={
        "x-csrf-token": "\u00e9t\u00e9".encode()})
    assert r.status_code == 403
    r = c.post("/rosters/sample?csrf=%C3%A9")
    assert r.status_code == 403


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_workspace_is_private_to_its_owner(tmp_path):
    from optimizer.web.workspace import Workspace

    new = Workspace(tmp_path / "new" / "ws").root
    assert stat.S_IMODE(new.stat().st_mode) == 0o700
    old = tmp_path / "old"
    old.mkdir(mode=0o755)
    os.chmod(old, 0o755)
    with pytest.raises(PermissionError, match="0755"):
        Workspace(old)  # refused, and left as its owner made it
    assert stat.S_IMODE(old.stat().st_mode) == 0o755


def test_htmx_keeps_no_history_snapshots(tmp_path):
    import html
    import json
    import re

    page = client_for(tmp_path).get("/").text
    meta = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>',
                     page)
    assert meta, "no htmx-config meta"
    assert json.loads(html.unescape(meta.group(1)))[
        "historyCacheSize"] == 0


def test_reading_creates_no_scenario_folder(tmp_path):
    c = client_for(tmp_path)
    scenarios = tmp_path / "scenarios"
    assert c.get("/download/scenarios/newdir123/a.toml").status_code == 404
    rid = str(post(c, "/rosters/sample").url).rsplit("/", 1)[1]
    assert c.get(f"/rosters/{rid}/scenarios").status_code == 200
    assert list(scenarios.iterdir()) == []
    r = post(c, f"/rosters/{rid}/scenarios", data={"name": "Plain"})
    assert r.status_code == 200
    assert (scenarios / rid / "plain.toml").is_file()


@pytest.mark.parametrize("kind", ["websocket", "webtransport"])
def test_only_http_and_lifespan_reach_the_app(kind):
    import asyncio

    from optimizer.web.security import Guard

    reached, sent = [], []

    async def app(scope, receive, send):
        reached.append(scope["type"])

    async def receive():
        return {"type": f"{kind}.connect"}

    async def send(message):
        sent.append(message)

    guard = Guard(app, TOKEN, 1000)
    asyncio.run(guard({"type": kind, "path": "/", "headers": []},
                      receive, send))
    assert reached == []
    if kind == "websocket":
        assert sent == [{"type": "websocket.close", "code": 1008}]
    asyncio.run(guard({"type": "lifespan"}, receive, send))
    assert reached == ["lifespan"]


def test_missing_items_are_404_but_a_key_error_bug_is_not_hidden(
        tmp_path, monkeypatch):
    from starlette.testclient import TestClient

    from optimizer.web.app import create_app

    c = TestClient(create_app(tmp_path, TOKEN), base_url=BASE,
                   raise_server_exceptions=False)
    c.get(f"/?token={TOKEN}")
    assert c.get("/rosters/r20200101-000000-abcdef").status_code == 404
    assert c.get("/plans/p20200101-000000-abcdef").status_code == 404

    def bug(kind):
        raise KeyError("a bug, not a missing page")

    monkeypatch.setattr(c.app.state.ws, "records", bug)
    assert c.get("/").status_code == 500


@pytest.mark.parametrize("form", [{"mode": "bogus"},
                                  {"mode": "priority", "priority": "S9"}])
def test_a_scenario_with_a_bad_objective_is_refused(tmp_path, form):
    c = client_for(tmp_path)
    rid = str(post(c, "/rosters/sample").url).rsplit("/", 1)[1]
    r = post(c, f"/rosters/{rid}/scenarios",
             data={"name": "Odd goal", **form})
    assert r.status_code == 400
    assert "objective" in r.text
    assert not list((tmp_path / "scenarios").glob("*/*.toml"))


def test_a_workbench_plan_is_solved_ahead_with_the_clis_files(tmp_path,
                                                              monkeypatch):
    """The workbench's plan job solves a yearly plan in a second process
    while it judges the roster's warnings, as ``caseload plan`` does:
    the files are the CLI's, byte for byte (but the run time)."""
    import json

    from click.testing import CliRunner

    from optimizer import operations
    from optimizer.cli import main
    from optimizer.web import job
    from optimizer.web.workspace import Workspace

    made = []

    class Spy(operations.SolveAhead):
        def __init__(self, *args, **kwargs):
            made.append(args[0])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(operations, "SolveAhead", Spy)
    ws = Workspace(tmp_path / "ws")
    rid = ws.add_roster_folder("sample", SAMPLE)
    ws.save_record("jobs", "ja", {
        "kind": "plan", "spec": {"roster": rid, "time_limit": 60},
        "target": "pa", "state": "running", "stage": "Starting"})
    assert job.main([str(ws.root), "ja"]) == 0
    assert len(made) == 1  # solved ahead, once
    cli = tmp_path / "cli"
    assert CliRunner().invoke(main, ["plan", str(SAMPLE), "--out",
                                     str(cli)]).exit_code == 0
    web = ws.plan_folder("pa")
    for name in ("assignments.csv", "caseloads.csv", "staffing.csv"):
        assert (web / name).read_bytes() == (cli / name).read_bytes(), name
    ours, theirs = (json.loads((f / "summary.json").read_text())
                    for f in (web, cli))
    for summary in (ours, theirs):
        summary.pop("runtime_seconds")
    assert ours == theirs
