"""The workbench in a real browser (Playwright driving Debian's chromium).

Starts ``caseload serve`` as a user would, reads the tokened address from
its first line on stdout, and walks the path a program specialist takes:
upload an export with the district's own headers and words, map it, plan,
open a student, reassign, undo, build a what-if, compare, download. Each
page is saved as a screenshot (into ``$CASELOAD_SCREENSHOTS`` when set,
e.g. docs/screenshots, else a temporary folder).

.ci/run installs chromium and sets CASELOAD_REQUIRE_BROWSER=1, so in CI a
missing browser fails rather than skips. Playwright's own browser download
is never used (``executable_path``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import chromium

from .district import (
    SERVICE_WORDS,
    SETTING_WORDS,
    STAFF_HEADERS,
    STUDENT_HEADERS,
    write_export,
)

pytestmark = pytest.mark.browser
BROWSER = chromium()
from playwright.sync_api import expect, sync_playwright  # noqa: E402

expect.set_options(timeout=90_000)
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# axe-core's rules for WCAG 2.0 and 2.1, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CODES = {v: k for k, v in {**SERVICE_WORDS, **SETTING_WORDS}.items()}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``caseload serve`` on a free port; its URL and workspace."""
    tmp = tmp_path_factory.mktemp("serve")
    workspace = tmp / "workspace"
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimizer.cli", "serve", "--no-browser",
         "--port", "0", "--workspace", str(workspace)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline().strip()
    assert first.startswith("http://127.0.0.1:") and "?token=" in first, \
        (first, proc.stderr.read() if proc.poll() is not None else "")
    yield {"url": first, "workspace": workspace, "tmp": tmp, "proc": proc}
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = os.environ.get("CASELOAD_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("shots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_without_the_token_the_browser_gets_403(server):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER,
                                    args=["--no-sandbox"])
        page = browser.new_page()
        response = page.goto(server["url"].split("?")[0])
        assert response.status == 403
        browser.close()


def new_page(browser):
    """A page with axe-core loaded before the page's own scripts (an init
    script, which the page's Content-Security-Policy does not govern)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(120_000)
    return page


def check_accessibility(page, where: str) -> None:
    """axe-core on the page as it stands: no serious or critical
    violation of WCAG 2.0/2.1 A or AA."""
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, "
        "help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target)})))",
        AXE_TAGS)
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"{where}: {json.dumps(bad, indent=1)}"


def tab_reaches(page, name: str, limit: int = 400) -> None:
    """Tab from the top of the page until the control named ``name``
    (its text or label) has the focus: reachable by keyboard alone."""
    page.evaluate("window.scrollTo(0, 0); document.activeElement.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        got = page.evaluate(
            "(() => { const e = document.activeElement; return (e.labels "
            "&& e.labels[0] ? e.labels[0].innerText : '') + '|' + "
            "(e.innerText || e.value || ''); })()")
        if name in got:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_the_directors_walk(server, shots):
    """Issue 20's walk: upload an HR/SEIS-style export, map, plan, find a
    student by last name, reassign and undo, re-plan without replacing the
    current plan, two what-ifs built with the pickers, compare, delete a
    what-if; axe-core on every page kind."""
    export, _ = write_export(server["tmp"] / "sis-export")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER,
                                    args=["--no-sandbox"])
        page = new_page(browser)

        def shot(name: str) -> None:
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        # Start: the tokened address sets the cookie and lands home.
        page.goto(server["url"])
        expect(page.locator("h1")).to_have_text("Rosters")
        # Keyboard first: Tab reaches "Skip to content", then the menu.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == \
            "Skip to content"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.tagName") == "A"
        check_accessibility(page, "home")
        shot("01-start")

        # Upload the district's export (its own headers and words).
        page.get_by_label("A name for this roster").fill("Spring SIS export")
        page.get_by_label("Students CSV").set_input_files(
            str(export / "students.csv"))
        page.get_by_label("Staff CSV").set_input_files(
            str(export / "staff.csv"))
        page.get_by_role("button", name="Upload and check").click()
        expect(page.locator(".notice.bad")).to_contain_text(
            "cannot be planned yet")
        expect(page.locator("table.problems").first).to_contain_text(
            'required column "student_id" is missing')
        check_accessibility(page, "roster with problems")
        shot("02-problems")

        # Map the columns, then the values it does not know.
        page.get_by_role("link", name="Match your columns and values"
                         ).click()
        for which, heads in (("students", STUDENT_HEADERS),
                             ("staff", STAFF_HEADERS)):
            for col, head in heads.items():
                page.select_option(f"#col-{which}-{col}", label=head)
        page.get_by_role("button",
                         name="Save the mapping and check the roster").click()
        expect(page.locator("body")).to_contain_text("Speech and Language")
        for select in page.locator("select[name$='.vcode']").all():
            their = page.locator(
                f"label[for='{select.get_attribute('id')}']").inner_text()
            select.select_option(CODES[their])
        check_accessibility(page, "mapping")
        shot("03-mapping")
        page.get_by_role("button",
                         name="Save the mapping and check the roster").click()
        expect(page.locator(".notice.good").first).to_contain_text(
            "reads without problems")
        # What the roster left to the tool, and warnings folded by kind.
        expect(page.locator("#defaults-h")).to_have_text(
            "What the roster left to the tool")
        groups = page.locator("details.group")
        assert groups.count() >= 1
        assert all(g.get_attribute("open") is None for g in groups.all())
        # The first plan of a roster: "make current" is ticked, visibly.
        current_box = page.get_by_label("Make the new plan the current plan")
        expect(current_box).to_be_checked()
        check_accessibility(page, "roster")
        tab_reaches(page, "Make the new plan the current plan")
        tab_reaches(page, "Plan case managers")
        shot("04-roster-ready")

        # Plan (a background run with progress), then the plan page.
        page.get_by_role("button", name="Plan case managers").click()
        expect(page.locator("p.lead")).to_contain_text(
            "Of Spring SIS export")
        expect(page.locator(".cards")).to_contain_text("313 of 315")
        expect(page.locator("main")).to_contain_text("current plan")
        plan_url = page.url.split("?")[0]
        check_accessibility(page, "plan")
        shot("05-plan")
        all_sites = page.locator("#site-table tbody tr").count()
        assert all_sites >= 2
        page.get_by_label("Find a site").fill("ROO")
        expect(page.locator("#site-table tbody tr")).to_have_count(1)
        page.get_by_label("Find a site").fill("")
        expect(page.locator("#site-table tbody tr")).to_have_count(all_sites)

        # Students: find one by last name.
        page.get_by_role("link", name="Browse the students").click()
        expect(page.locator("#students")).to_contain_text(
            "315 students match")
        page.get_by_label("Find a student").fill("Garcia")
        # Leave the field now: its "change" would otherwise fire when the
        # link below is pressed, and the list it swaps in could replace
        # the link between press and release (seen once under load).
        # Then let the field's delayed search (300 ms) run and settle.
        page.get_by_label("Find a student").blur()
        page.wait_for_timeout(400)
        expect(page.locator(".htmx-request")).to_have_count(0)
        expect(page.locator("#students")).not_to_contain_text(
            "315 students match")
        expect(page.locator("#student-table")).to_contain_text(
            "Noah Garcia (100002)")
        check_accessibility(page, "students")
        shot("06-students")

        # A student: everything explain says; choose someone else.
        page.get_by_role("link", name="Noah Garcia (100002)").click()
        expect(page.locator("h1")).to_have_text(
            "Student Noah Garcia (100002)")
        expect(page.locator("dl.facts")).to_contain_text("Best practice")
        check_accessibility(page, "student")
        shot("07-student")
        before = page.locator("dl.facts dd").first.inner_text()
        page.locator("#alternatives button").first.click()
        expect(page.locator("#chg")).to_have_text(
            "What changed from the previous plan")
        expect(page.locator("section.notice")).to_contain_text(
            "caseloads against cap")
        shot("08-reassigned")
        page.get_by_role("button",
                         name="Undo: go back to the previous plan").click()
        expect(page.locator(".notice.good").first).to_contain_text("Undone")
        page.goto(plan_url + "/students/100002")
        assert page.locator("dl.facts dd").first.inner_text() == before

        # Re-plan relying only on verified rows, without making it
        # current: the current plan stays, and each plan says what it is.
        page.get_by_role("link", name="Roster", exact=True).click()
        page.get_by_label("Authorizations").select_option("verified-only")
        expect(page.get_by_label("Make the new plan the current plan")
               ).not_to_be_checked()
        page.get_by_role("button", name="Plan case managers").click()
        expect(page.locator("main")).to_contain_text(
            "This is not the current plan")
        page.get_by_role("link", name="Spring SIS export").first.click()
        plans = page.locator("#plans")
        expect(plans).to_contain_text("relies only on rules rows verified")
        expect(plans).to_contain_text("relies on every rules row")
        expect(plans.locator(".tag")).to_have_count(1)
        shot("11-plans-labelled")
        page.locator("#plans a", has_text="settings").first.click()
        expect(page.locator("pre.cmd")).to_contain_text("caseload plan")
        expect(page.locator("pre.cmd")).to_contain_text("--weights")
        check_accessibility(page, "plan settings")
        shot("12-settings")

        # Two what-ifs built with the pickers (staff by name).
        page.get_by_role("navigation").get_by_role(
            "link", name="What-ifs").click()
        options = page.locator("#staff-list option")
        assert options.count() == 32
        label = page.locator("#staff-list option[value='T0003']"
                             ).get_attribute("label")
        assert "Rosa Park" in label and "resource specialist" in label
        page.get_by_label("What-if name").fill("Rosa Park leaves")
        page.get_by_label("Staff who leave").fill("Rosa Park")
        page.get_by_role("button", name="Save the what-if").click()
        expect(page.locator(".notice.good")).to_contain_text(
            "rosa-park-leaves.toml")
        page.get_by_label("What-if name").fill("Two leave at ROO, one hired")
        page.get_by_label("Staff who leave").fill(
            "Hector Duarte; Aisha Shah")
        page.get_by_label("New staff id").fill("NEW-RSP1")
        page.get_by_label("Name", exact=True).fill("Jo Lee")
        page.get_by_label("Sites").fill("ROO")
        page.get_by_role("checkbox", name="resource specialist (RSP)"
                         ).check()
        page.get_by_label("Credentials").fill("R3MN")
        page.get_by_label("Cap", exact=True).fill("10")
        page.get_by_role("button", name="Save the what-if").click()
        expect(page.locator(".notice.good")).to_contain_text(
            "two-leave-at-roo-one-hired.toml")
        boxes = page.locator("input[name='scenario']")
        assert boxes.count() == 2
        assert not any(b.is_checked() for b in boxes.all())
        check_accessibility(page, "what-ifs")
        tab_reaches(page, "Two leave at ROO, one hired")  # its tick box
        tab_reaches(page, "Compare the ticked what-ifs")
        shot("09-what-ifs")
        for b in boxes.all():
            b.check()
        page.get_by_role("button", name="Compare the ticked what-ifs with "
                         "the roster as it is").click()
        expect(page.locator("#kpi-table")).to_contain_text(
            "Two leave at ROO, one hired")
        expect(page.locator("#kpi-table")).to_contain_text("over 90%")
        expect(page.locator("main")).to_contain_text("Jo Lee (new hire)")
        check_accessibility(page, "compare")
        shot("10-compare")

        # Take it away.
        with page.expect_download() as info:
            page.get_by_role("link", name="compare.csv").click()
        text = Path(info.value.path()).read_text()
        assert text.startswith("scenario,status,")

        # Delete a what-if.
        page.get_by_role("navigation").get_by_role(
            "link", name="What-ifs").click()
        page.get_by_role("button", name="Delete Rosa Park leaves").click()
        expect(page.locator(".notice.good")).to_contain_text(
            "What-if deleted")
        expect(page.locator("input[name='scenario']")).to_have_count(1)
        browser.close()
    # Stopping the server leaves the workspace whole.
    server["proc"].terminate()
    server["proc"].wait(timeout=20)
    workspace = server["workspace"]
    assert list((workspace / "plans").glob("*/assignments.csv"))
    assert list((workspace / "compares").glob("*/compare.csv"))
    assert list((workspace / "rosters").glob("*-mapping.toml"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(workspace: Path, port: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimizer.cli", "serve", "--no-browser",
         "--port", str(port), "--workspace", str(workspace)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline().strip()
    assert first.startswith("http://127.0.0.1:"), \
        proc.stderr.read() if proc.poll() is not None else first
    return proc, first


def test_restart_mid_run(tmp_path, shots):
    """Stop the server while a plan runs: the open page says the server
    is gone and offers to reload; after a restart the run is reported as
    interrupted (not cancelled) on its job page and the roster page, and
    a page of the old server says its access has ended."""
    big = tmp_path / "district"
    subprocess.run([sys.executable, "-m", "bench.generate", "district",
                    str(big)], check=True, cwd=Path(__file__).parents[2],
                   capture_output=True)
    workspace = tmp_path / "ws"
    port = _free_port()
    proc, url = _serve(workspace, port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=BROWSER,
                                        args=["--no-sandbox"])
            page = new_page(browser)

            def shot(name: str) -> None:
                page.screenshot(path=str(shots / f"{name}.png"),
                                full_page=True)

            page.goto(url)
            page.get_by_label("A name for this roster").fill("District")
            page.get_by_label("Students CSV").set_input_files(
                str(big / "students.csv"))
            page.get_by_label("Staff CSV").set_input_files(
                str(big / "staff.csv"))
            page.get_by_role("button", name="Upload and check").click()
            roster_url = page.url.split("?")[0]
            # A second tab on a page that asks the server as you type.
            other = page.context.new_page()
            other.goto(roster_url)
            # All four weighed together, a long limit: a run of seconds.
            page.get_by_label("all four weighed together").check()
            page.get_by_label("Time limit for the solver (seconds)").fill(
                "600")
            page.get_by_role("button", name="Plan case managers").click()
            expect(page.locator(".progress")).to_contain_text("s")
            job_url = page.url.split("?")[0]
            assert "/jobs/" in job_url
            proc.terminate()  # Ctrl-C's twin
            proc.wait(timeout=60)
            gone = page.locator("#server-gone")
            expect(gone).to_contain_text("not answering")
            expect(page.locator(".spinner")).to_have_count(0)
            expect(gone.get_by_role("button", name="Reload the page")
                   ).to_be_visible()
            check_accessibility(page, "server gone")
            shot("13-server-gone")

            proc, url = _serve(workspace, port)
            # The old tab's next request is refused (a new token): said.
            other.evaluate("htmx.ajax('GET', location.pathname, "
                           "{target: 'main'})")
            expect(other.locator("#server-gone")).to_contain_text(
                "access has ended")
            # The new address: the run is interrupted, not cancelled.
            page.goto(url)
            page.goto(job_url)
            expect(page.locator(".notice.bad")).to_contain_text(
                "Interrupted")
            expect(page.locator("main")).not_to_contain_text("Cancelled")
            page.goto(roster_url)
            runs = page.locator("section[aria-labelledby='runs-h']")
            expect(runs).to_contain_text("Interrupted")
            shot("14-interrupted")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    # No run outlived the server.
    for rec in (workspace / "jobs").glob("*.json"):
        pid = json.loads(rec.read_text()).get("pid")
        if pid:
            deadline = time.time() + 10
            while Path(f"/proc/{pid}").exists() and time.time() < deadline:
                time.sleep(0.1)
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[
                1].split()[0] if Path(f"/proc/{pid}").exists() else None
            assert state is None, f"run {pid} left behind ({state})"
