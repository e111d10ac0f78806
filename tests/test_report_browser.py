"""report.html in a real headless browser (Debian's chromium).

.ci/run installs chromium and sets CASELOAD_REQUIRE_BROWSER=1, so in CI a
missing browser fails rather than skips.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import main
from tests.helpers import chromium

ROOT = Path(__file__).parent.parent
pytestmark = pytest.mark.browser
BROWSER = chromium(playwright=False)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]



def browse(html: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BROWSER, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args,
         html.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports")
    runner = CliRunner()
    assert runner.invoke(main, ["plan", "--out", str(tmp / "plan"),
                                "--no-xlsx"]).exit_code == 0
    # A re-plan after Ms. Ortiz (T0018) leaves, from the plan above.
    roster = tmp / "roster"
    shutil.copytree(ROOT / "data" / "sample", roster)
    staff = (roster / "staff.csv").read_text().splitlines()
    (roster / "staff.csv").write_text("\n".join(
        ln for ln in staff if not ln.startswith("T0018,")) + "\n")
    assert runner.invoke(main, ["plan", str(roster), "--from",
                                str(tmp / "plan"), "--out",
                                str(tmp / "from"), "--no-xlsx"]
                         ).exit_code == 0
    scenarios = sorted(str(p) for p in (ROOT / "scenarios").glob("*.toml"))
    assert runner.invoke(main, ["compare", *scenarios, "--out",
                                str(tmp / "cmp"), "--no-xlsx"]
                         ).exit_code == 0
    return tmp


@pytest.mark.parametrize("which", ["plan", "from", "cmp"])
def test_report_is_self_contained(reports, which):
    text = (reports / which / "report.html").read_text()
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', text)
    assert "<script" not in text


@pytest.mark.parametrize("which", ["plan", "from", "cmp"])
def test_report_renders_with_charts_and_tables(reports, tmp_path, which):
    result = browse(reports / which / "report.html", tmp_path, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert dom.count('class="chart"') >= 4
    assert dom.count('class="fill') >= 10  # bars drawn
    assert '<table class="coverage">' in dom
    assert dom.count("<h1") == 1 and '<header id="report-header">' in dom
    against = {"plan": "last year's case manager",
               "from": "the published plan",
               "cmp": "the base plan"}[which]
    assert f"Students whose case manager differs from {against}" in dom
    if which != "cmp":
        assert 'class="bp-misses"' in dom and 'class="unverified"' in dom
    if which == "cmp":
        assert '<table id="kpi-table">' in dom
        assert "Open Washington before staffing it" in dom
        assert "no staff member serves site WAS (H3)" in dom


@pytest.mark.parametrize("which, name", [
    ("plan", "plan-report.png"), ("from", "from-report.png"),
    ("cmp", "compare-report.png")])
def test_report_screenshot(reports, tmp_path, which, name):
    """Screenshots; CASELOAD_SCREENSHOT_DIR=docs keeps them (docs/*.png
    were made so, and looked at)."""
    shot = tmp_path / name
    result = browse(reports / which / "report.html", tmp_path,
                    f"--screenshot={shot}", "--window-size=1280,3600",
                    "--hide-scrollbars")
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    keep = os.environ.get("CASELOAD_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / name)
