"""The fresh-eyes review's findings that need a real browser."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.helpers import chromium

pytestmark = pytest.mark.browser
BROWSER = chromium()
from playwright.sync_api import sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``caseload serve`` on a free port; its URL and workspace."""
    workspace = tmp_path_factory.mktemp("serve") / "workspace"
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimizer.cli", "serve", "--no-browser",
         "--port", "0", "--workspace", str(workspace)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline().strip()
    assert first.startswith("http://127.0.0.1:"), first
    yield {"url": first, "workspace": workspace}
    proc.terminate()
    proc.wait(timeout=20)


def _running_job(workspace, jid: str) -> subprocess.Popen:
    """A run record whose process is alive (a stand-in that sleeps, named
    as a run is so that Cancel may stop it)."""
    run = subprocess.Popen([sys.executable, "-c", "import time\n"
                            "time.sleep(120)", "optimizer.web.job", jid])
    record = {"kind": "plan", "spec": {"roster": "r-none"},
              "target": "p-none", "state": "running",
              "stage": "Solving", "created": "2026-01-01 00:00:00",
              "started": time.time(), "pid": run.pid}
    (workspace / "jobs" / f"{jid}.json").write_text(json.dumps(record))
    return run


def test_cancel_can_be_pressed_from_the_keyboard(server):
    # The progress block, Cancel button included, was swapped every
    # second: a keyboard user's focus on Cancel went back to the page's
    # body within a second, so Enter cancelled nothing.
    jid = "j-keyboard"
    run = _running_job(server["workspace"], jid)
    base = server["url"].split("/?")[0]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=BROWSER,
                                        args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(server["url"])
            page.goto(f"{base}/jobs/{jid}")
            for _ in range(40):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.innerText") \
                        == "Cancel":
                    break
            else:
                raise AssertionError("Tab never reached Cancel")
            page.wait_for_timeout(2500)  # two polls of the progress
            assert page.evaluate("document.activeElement.innerText") == \
                "Cancel"
            assert "s" in page.inner_text("#job-progress")
            page.keyboard.press("Enter")
            page.wait_for_selector("text=Cancelled", timeout=20_000)
            browser.close()
        assert run.wait(timeout=20) is not None
        record = json.loads((server["workspace"] / "jobs"
                             / f"{jid}.json").read_text())
        assert record["state"] == "cancelled"
    finally:
        run.kill()
        run.wait()


def test_an_ended_run_replaces_the_whole_progress_block(server):
    # With only the progress line polled, the end of a run (here: its
    # process gone, so "interrupted") must still replace the block,
    # Cancel button included.
    jid = "j-ends"
    run = _running_job(server["workspace"], jid)
    base = server["url"].split("/?")[0]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=BROWSER,
                                        args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(server["url"])
            page.goto(f"{base}/jobs/{jid}")
            assert page.locator("#job button").count() == 1
            run.kill()
            run.wait()
            page.wait_for_selector("text=Interrupted", timeout=20_000)
            assert page.locator("#job button").count() == 0
            assert page.locator("#job-progress").count() == 0
            browser.close()
    finally:
        run.kill()
        run.wait()
