"""The plan page's read-only IEP meeting calendar (issue 23): shown for a
roster with meeting dates, absent otherwise."""

from __future__ import annotations

from pathlib import Path

from .conftest import client_for, post, wait

DATED = Path(__file__).parent.parent.parent / "data" / "sample-dates"


def test_plan_page_shows_the_calendar_with_dates(tmp_path):
    c = client_for(tmp_path / "ws")
    r = post(c, "/rosters", data={"name": "dated"}, files={
        "students": ("students.csv", (DATED / "students.csv").read_bytes()),
        "staff": ("staff.csv", (DATED / "staff.csv").read_bytes())})
    assert r.status_code == 200
    rid = str(r.url).rsplit("/", 1)[1]
    page = wait(c, post(c, f"/rosters/{rid}/plan",
                        data={"time_limit": "30"}))
    text = page.text
    assert "IEP meeting calendar" in text
    assert "2026-09" in text and "James Silva (T0001)" in text
    pid = str(page.url).rsplit("/", 1)[1]
    folder = c.app.state.ws.plan_folder(pid)
    first = (folder / "meetings.csv").read_text().splitlines()[1]
    assert first.startswith("T0001,James Silva,")
    # Without dates (the sample), no panel.
    r = post(c, "/rosters/sample")
    rid = str(r.url).rsplit("/", 1)[1]
    page = wait(c, post(c, f"/rosters/{rid}/plan",
                        data={"time_limit": "30"}))
    assert "IEP meeting calendar" not in page.text
