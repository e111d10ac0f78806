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


def _dated_roster(c) -> str:
    r = post(c, "/rosters", data={"name": "dated"}, files={
        "students": ("students.csv", (DATED / "students.csv").read_bytes()),
        "staff": ("staff.csv", (DATED / "staff.csv").read_bytes())})
    assert r.status_code == 200
    return str(r.url).rsplit("/", 1)[1]


def test_plan_form_calendar_settings_reach_the_plan(tmp_path):
    # The plan form's calendar controls become the settings file's
    # [calendar] table and S5 weight; the plan keeps the limit, and the
    # plan page and a case manager's caseload show weeks, as set.
    c = client_for(tmp_path / "ws")
    rid = _dated_roster(c)
    form = c.get(f"/rosters/{rid}").text
    for name in ("w_S5", "cal_period", "cal_max", "cal_year"):
        assert f'name="{name}"' in form
    page = wait(c, post(c, f"/rosters/{rid}/plan", data={
        "time_limit": "30", "cal_max": "8", "cal_period": "week",
        "w_S5": "0.2", "cal_year": "2026-27"}))
    pid = str(page.url).rsplit("/", 1)[1]
    ws = c.app.state.ws
    settings = (ws.root / "plans" / f"{pid}-settings.toml").read_text()
    assert "S5 = 0.2" in settings and 'period = "week"' in settings
    assert "max_meetings_per_month = 8" in settings
    assert 'planning_year = "2026-27"' in settings
    summary = (ws.plan_folder(pid) / "summary.json").read_text()
    assert '"max_meetings_per_month": 8' in summary
    assert "per week" in page.text and "2026-W37" in page.text
    assert f"/plans/{pid}/students?cm=T0001" in page.text
    # a case manager's caseload with their calendar beside it
    cm = c.get(f"/plans/{pid}/students?cm=T0001").text
    assert "IEP meetings of James Silva (T0001) per week" in cm
    assert "the district's limit is 8 a month (H8)" in cm
    assert "<script" not in cm[cm.index("cm-calendar"):
                               cm.index("</section>", cm.index("cm-calendar"))]
    # a bad limit is refused with the library's located message
    bad = post(c, f"/rosters/{rid}/plan", data={
        "time_limit": "30", "cal_max": "lots"})
    assert bad.status_code == 400
    assert "calendar.max_meetings_per_month" in bad.text


def test_the_default_form_writes_no_calendar_table(tmp_path):
    from optimizer.web import plansettings

    text = plansettings.to_toml(plansettings.defaults())
    assert "[calendar]" not in text and "S5" not in text
    # settings saved before the calendar controls existed still render
    old = plansettings.defaults()
    del old["calendar"]
    assert plansettings.to_toml(old) == text
