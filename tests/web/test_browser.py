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

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .district import (
    SERVICE_WORDS,
    SETTING_WORDS,
    STAFF_HEADERS,
    STUDENT_HEADERS,
    write_export,
)

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.browser
try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - dev extra not installed
    sync_playwright = None

if BROWSER is None or sync_playwright is None:
    if os.environ.get("CASELOAD_REQUIRE_BROWSER") == "1":
        raise RuntimeError("chromium and playwright are required "
                           "(CASELOAD_REQUIRE_BROWSER)")
    pytest.skip("chromium or playwright is not installed (.ci/run installs "
                "them)", allow_module_level=True)

expect.set_options(timeout=90_000)
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


def test_walk_through_the_workbench(server, shots):
    export, _ = write_export(server["tmp"] / "sis-export")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER,
                                    args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900},
                                accept_downloads=True)
        page.set_default_timeout(120_000)

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
        shot("03-mapping")
        page.get_by_role("button",
                         name="Save the mapping and check the roster").click()
        expect(page.locator(".notice.good").first).to_contain_text(
            "reads without problems")
        shot("04-roster-ready")

        # Plan (a background run with progress), then the plan page.
        page.get_by_role("button", name="Plan case managers").click()
        expect(page.locator("h1")).to_contain_text("Plan: Spring SIS export")
        expect(page.locator(".cards")).to_contain_text("313 of 315")
        shot("05-plan")
        all_sites = page.locator("#site-table tbody tr").count()
        assert all_sites >= 2
        page.get_by_label("Find a site").fill("ROO")
        expect(page.locator("#site-table tbody tr")).to_have_count(1)
        page.get_by_label("Find a site").fill("")
        expect(page.locator("#site-table tbody tr")).to_have_count(all_sites)

        # Students, paged and filtered on the server.
        page.get_by_role("link", name="Browse the students").click()
        expect(page.locator("#students")).to_contain_text(
            "315 students match")
        page.get_by_label("Site").select_option("LIN")
        expect(page.locator("#students")).not_to_contain_text(
            "315 students match")
        shot("06-students")

        # A student: everything explain says; choose someone else.
        page.get_by_role("link", name="100002", exact=True).click()
        expect(page.locator("h1")).to_have_text("Student 100002")
        expect(page.locator("dl.facts")).to_contain_text("Best practice")
        shot("07-student")
        before = page.locator("dl.facts dd").first.inner_text()
        page.locator("#alternatives button").first.click()
        expect(page.locator("#chg")).to_have_text(
            "What changed from the previous plan")
        shot("08-reassigned")
        page.get_by_role("button",
                         name="Undo: go back to the previous plan").click()
        expect(page.locator(".notice.good").first).to_contain_text("Undone")
        page.goto(page.url.split("?")[0] + "/students/100002")
        assert page.locator("dl.facts dd").first.inner_text() == before

        # A what-if built with the form, then compared.
        page.get_by_role("link", name="What-ifs").click()
        page.get_by_label("Scenario name").fill("Ms. Shah leaves")
        page.get_by_label("Staff ids who leave").fill("T0010")
        page.get_by_role("button", name="Save the what-if").click()
        expect(page.locator(".notice.good")).to_contain_text(
            "ms-shah-leaves.toml")
        shot("09-what-ifs")
        page.get_by_role("button", name="Compare the chosen what-ifs with "
                         "the roster as it is").click()
        expect(page.locator("#kpi-table")).to_contain_text("Ms. Shah leaves")
        shot("10-compare")

        # Take it away.
        with page.expect_download() as info:
            page.get_by_role("link", name="compare.csv").click()
        text = Path(info.value.path()).read_text()
        assert text.startswith("scenario,status,")
        browser.close()
    # Stopping the server leaves the workspace whole.
    server["proc"].terminate()
    server["proc"].wait(timeout=20)
    workspace = server["workspace"]
    assert list((workspace / "plans").glob("*/assignments.csv"))
    assert list((workspace / "compares").glob("*/compare.csv"))
    assert list((workspace / "rosters").glob("*-mapping.toml"))
