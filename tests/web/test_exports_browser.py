"""A district's own files through the workbench in a real browser
(Playwright driving Debian's chromium), using only the pages: upload the
workbook as HR and SEIS gave it, answer only what the district decides,
plan, and find the sample's own figures (issue 19).

Skipped without chromium or playwright, unless CASELOAD_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import chromium

from .test_exports_web import DECISIONS, EXPORTS

pytestmark = pytest.mark.browser
BROWSER = chromium()
from playwright.sync_api import expect, sync_playwright  # noqa: E402

expect.set_options(timeout=90_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``caseload serve`` on a free port, as a user starts it."""
    tmp = tmp_path_factory.mktemp("serve")
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimizer.cli", "serve", "--no-browser",
         "--port", "0", "--workspace", str(tmp / "workspace")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline().strip()
    assert first.startswith("http://127.0.0.1:") and "?token=" in first
    yield {"url": first, "tmp": tmp}
    proc.terminate()
    proc.wait(timeout=20)


SHAPES = {"district": ["district.xlsx"],
          "seis": ["seis/HR Staff Roster.xlsx",
                   "seis/Special Education Services.csv",
                   "seis/Student Information.csv"],
          "calpads": ["calpads/PLAN.csv", "calpads/SERV.csv",
                      "calpads/Staff Roster.csv"]}
# CALPADS files carry bare codes; its district decides them the same way.
BARE = {"330": "RSP", "203": "SDC", "203-D": "DEPT"}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_shape_to_a_plan_in_the_browser(server, shape):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER,
                                    args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900},
                                accept_downloads=True)
        page.set_default_timeout(120_000)
        page.goto(server["url"])
        page.get_by_label("A name for this roster").fill(f"{shape} export")
        if shape == "district":
            page.get_by_label("Excel workbook (.xlsx)").set_input_files(
                str(EXPORTS / "district.xlsx"))
        else:  # the files as downloaded, all at once
            page.get_by_label("Or all the files as your systems gave "
                              "them", exact=False).set_input_files(
                [str(EXPORTS / f) for f in SHAPES[shape]])
        page.get_by_role("button", name="Upload and check").click()
        expect(page.locator("table.problems").first).to_contain_text(
            '"All Sites" is not a site of any student')
        page.get_by_role("link", name="Match your columns and values"
                         ).click()
        missing = page.locator("#still-missing")
        expect(missing).to_contain_text("Still missing: 11")
        staff = page.locator("fieldset", has_text="Staff: your file")
        expect(staff).to_contain_text("Read from")
        expect(staff).to_contain_text(
            "its header is row 2" if shape == "calpads" else
            "its header is row 3")
        asked = page.locator("select[id^='v-']")
        assert asked.count() == 11
        for n, select in enumerate(asked.all()):
            # A guess is never chosen for the user.
            assert select.input_value() == ""
            their = page.locator(
                f"label[for='{select.get_attribute('id')}']").inner_text()
            select.select_option({**DECISIONS, **BARE}[their.strip()])
            # The count follows each choice, live.
            expect(missing).to_contain_text(
                f"Still missing: {10 - n}" if n < 10 else
                "Nothing is missing")
        page.get_by_role("button",
                         name="Save the mapping and check the roster").click()
        expect(page.locator(".notice.good").first).to_contain_text(
            "reads without problems")
        page.get_by_role("button", name="Plan case managers").click()
        expect(page.locator(".cards")).to_contain_text("313 of 315")
        page.get_by_role("link", name="Mapping", exact=True).click()
        with page.expect_download() as info:
            page.get_by_role("link", name="Download the mapping file"
                             ).click()
        saved = Path(info.value.path()).read_text()
        browser.close()
    assert "header_row = " in saved
    assert '"Program Specialist" = "COORD"' in saved

