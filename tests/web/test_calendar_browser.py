"""The meeting calendar in the workbench, in a real browser (issue 23):
the plan form's calendar settings, the plan page's calendar, and a case
manager's calendar beside their caseload. Screenshots go to
``$CASELOAD_SCREENSHOTS`` when set (docs/ holds the README's), else a
temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import chromium

pytestmark = pytest.mark.browser
BROWSER = chromium()
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from .test_browser import check_accessibility, new_page  # noqa: E402

expect.set_options(timeout=90_000)
DATED = Path(__file__).parent.parent.parent / "data" / "sample-dates"


def test_calendar_settings_and_a_case_managers_calendar(tmp_path):
    shots = Path(os.environ.get("CASELOAD_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimizer.cli", "serve", "--no-browser",
         "--port", "0", "--workspace", str(tmp_path / "ws")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=BROWSER,
                                        args=["--no-sandbox"])
            page = new_page(browser)
            page.goto(url)
            page.get_by_label("A name for this roster").fill("Dated")
            page.get_by_label("Students CSV").set_input_files(
                str(DATED / "students.csv"))
            page.get_by_label("Staff CSV").set_input_files(
                str(DATED / "staff.csv"))
            page.get_by_role("button", name="Upload and check").click()
            calendar = page.locator("#calendar-settings")
            expect(calendar).to_contain_text("IEP meeting calendar")
            calendar.get_by_label("Most IEP meetings one case manager "
                                  "holds in a month").fill("9")
            calendar.get_by_label("Balance meetings per").select_option(
                "month")
            check_accessibility(page, "plan form with the calendar")
            calendar.screenshot(path=str(shots / "calendar-form.png"))
            page.get_by_role("button", name="Plan case managers").click()
            table = page.locator("#calendar-h + p + div table")
            expect(page.locator("#calendar-h")).to_have_text(
                "IEP meeting calendar")
            expect(table).to_contain_text("2026-09")
            check_accessibility(page, "plan with the calendar")
            page.get_by_role("link", name="James Silva (T0001)").click()
            strip = page.locator("section.cm-calendar")
            expect(strip).to_contain_text(
                "IEP meetings of James Silva (T0001) per month")
            expect(strip).to_contain_text(
                "the district's limit is 9 a month (H8)")
            expect(page.locator("#student-table")).to_be_visible()
            # the busiest month within the limit, in the strip itself
            counts = [int(t) for t in strip.locator("svg text.n")
                      .all_text_contents()]
            assert counts and max(counts) <= 9
            check_accessibility(page, "caseload with the calendar")
            page.screenshot(path=str(shots / "calendar-caseload.png"),
                            clip={"x": 0, "y": 0, "width": 1280,
                                  "height": 640})
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
