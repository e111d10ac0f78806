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


def test_choosing_a_case_manager_keeps_the_plans_limit(tmp_path):
    # The workbench's re-plan after a chosen case manager keeps the
    # parent plan's calendar settings (H8), and the student page names
    # H8 for a case manager the student's meetings would put over it.
    import json

    c = client_for(tmp_path / "ws")
    rid = _dated_roster(c)
    page = wait(c, post(c, f"/rosters/{rid}/plan", data={
        "time_limit": "30", "cal_max": "9"}))
    pid = str(page.url).rsplit("/", 1)[1]
    plan = c.app.state.cache.plan(pid)
    assert plan.audit.calendar.max_per_month == 9
    cal = plan.audit.calendar
    full = {(cm, m) for (cm, m), n in plan.audit.months.items() if n == 9}
    assert full  # the limit binds somewhere
    from optimizer.reasons.explain import explain_student

    sid, why = next(
        (s.student_id, msg) for s in plan.roster.instance.students
        if any(m in cal.months(s) for _, m in full)
        for a in explain_student(plan.roster.instance, plan.rules,
                                 plan.assignment, s.student_id,
                                 checked=plan.audit).alternatives
        for rule, msg in a.reasons if rule == "H8")
    student = c.get(f"/plans/{pid}/students/{sid}").text
    assert "over the district&#39;s limit of 9 a month" in student \
        or "over the district's limit of 9 a month" in student, why

    e = explain_student(plan.roster.instance, plan.rules, plan.assignment,
                        "100002", checked=plan.audit)
    choice = next(a for a in e.alternatives if a.eligible and not a.full)
    page = wait(c, post(c, f"/plans/{pid}/students/100002/assign",
                        data={"staff_id": choice.staff_id}))
    new = str(page.url).rsplit("/", 1)[1]
    summary = json.loads((c.app.state.ws.plan_folder(new)
                          / "summary.json").read_text())
    assert summary["parameters"]["objective"]["max_meetings_per_month"] == 9
    assert c.app.state.cache.plan(new).audit.calendar.max_per_month == 9
