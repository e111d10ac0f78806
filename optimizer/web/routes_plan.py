"""Plans: run with progress and cancel, browse, explain, reassign, undo."""

from __future__ import annotations

import time

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from optimizer.errors import Problem
from optimizer.objectives import MODES
from optimizer.outputs import plan_tables
from optimizer.outputs.terminal import render_explanation
from optimizer.reasons.explain import explain_student
from optimizer.reasons.infeasible import profile
from optimizer.rules import AUTHORIZATION_MODES
from optimizer.web.pages import ident, is_fragment, redirect, render
from optimizer.web.workspace import new_id

PAGE_SIZE = 50
EXCLUDED_SHOWN = 200  # a large district has thousands of staff


async def start_plan(request: Request):
    rid = ident(request, "rid")
    ws = request.app.state.ws
    ws.record("rosters", rid)
    form = await request.form()
    try:
        limit = min(3600.0, max(1.0, float(form.get("time_limit") or 60)))
    except ValueError:
        limit = 60.0
    # Checked by the library in the run (a bad priority is a located
    # problem there); here only the choices the form offers pass.
    mode = str(form.get("mode") or "")
    auth = str(form.get("authorizations") or "all")
    if mode not in ("", *MODES) or auth not in AUTHORIZATION_MODES:
        raise HTTPException(400, "unknown setting")
    pid = new_id("p")
    jid = request.app.state.jobs.start(
        "plan", {"roster": rid, "time_limit": limit, "mode": mode,
                 "priority": str(form.get("priority") or ""),
                 "authorizations": auth}, pid)
    return redirect(f"/jobs/{jid}")


def job_page(request: Request):
    jid = ident(request, "jid")
    data = request.app.state.jobs.status(jid)
    if data["state"] == "done" and not is_fragment(request):
        return redirect(_target_url(data))
    context = _job_context(data, jid)
    if is_fragment(request):
        headers = {"HX-Redirect": _target_url(data)} \
            if data["state"] == "done" else {}
        response = render(request, "_job.html.j2", **context)
        response.headers.update(headers)
        return response
    return render(request, "job.html.j2", title=context["heading"],
                  nav_roster=data["spec"].get("roster"), **context)


def _job_context(data: dict, jid: str) -> dict:
    problems = [Problem(*p) for p in data.get("problems") or []]
    heading = {"plan": "Planning", "compare": "Comparing scenarios"}[
        data["kind"]]
    return {"job": data, "jid": jid, "problems": problems,
            "heading": heading, "shown_of": None,
            "elapsed": int(time.time() - data.get("started", time.time()))}


def _target_url(data: dict) -> str:
    if data["kind"] == "plan":
        return f"/plans/{data['target']}"
    return f"/compares/{data['target']}"


def cancel_job(request: Request):
    jid = ident(request, "jid")
    request.app.state.jobs.cancel(jid)
    return redirect(f"/jobs/{jid}")


def _plan(request: Request):
    pid = ident(request, "pid")
    return request.app.state.cache.plan(pid)


def plan_page(request: Request):
    plan = _plan(request)
    ws = request.app.state.ws
    roster = ws.record("rosters", plan.record["roster"])
    record = ws.record("plans", plan.pid)
    rows = _sites(request, plan)
    changes = None
    if plan.parent_audit is not None:
        moved = plan_tables.moved_students(plan.parent_assignment,
                                           plan.assignment)
        changes = {"moved": moved[:300], "count": len(moved),
                   "terms": plan_tables.term_changes(plan.parent_audit,
                                                     plan.audit),
                   "utilization": plan_tables.utilization_changes(
                       plan.parent_audit, plan.audit),
                   "pins": record.get("pins", {})}
    files = sorted(p.name for p in ws.plan_folder(plan.pid).iterdir())
    return render(request, "plan.html.j2", title=f"Plan: {roster['name']}",
                  plan=plan,
                  record=record, roster=roster, sites=rows,
                  changes=changes, files=files,
                  is_current=roster.get("current_plan") == plan.pid,
                  kpis=plan.audit.kpis.as_dict(), summary=plan.summary,
                  calendar=plan_tables.calendar_rows(plan.audit,
                                                     roster_staff(plan)),
                  nav_roster=plan.record["roster"], nav_plan=plan.pid,
                  crumbs=[("/", "Rosters"),
                          (f"/rosters/{plan.record['roster']}",
                           roster["name"])], **_site_args(request))


def roster_staff(plan) -> list[tuple[str, str]]:
    """(staff id, name) in the roster's order."""
    return [(c.staff_id, c.name) for c in plan.roster.instance.staff]


def _site_args(request: Request) -> dict:
    q = request.query_params
    return {"q": q.get("q", ""), "sort": q.get("sort", "site"),
            "desc": q.get("desc") == "1"}


def _sites(request: Request, plan):
    args = _site_args(request)
    try:
        return plan_tables.sort_sites(plan.sites, args["q"], args["sort"],
                                      args["desc"])
    except ValueError:
        raise HTTPException(400, "unknown sort column") from None


def sites_fragment(request: Request):
    plan = _plan(request)
    if not is_fragment(request):
        return redirect(f"/plans/{plan.pid}?{request.url.query}")
    return render(request, "_sites.html.j2", plan=plan,
                  sites=_sites(request, plan), **_site_args(request))


def _student_filter(request: Request) -> plan_tables.StudentFilter:
    q = request.query_params
    return plan_tables.StudentFilter(
        query=q.get("q", ""), site=q.get("site", ""), kind=q.get("kind", ""),
        case_manager=q.get("cm", ""), best_practice=q.get("bp", ""),
        changed=q.get("changed", ""))


def students_page(request: Request):
    plan = _plan(request)
    f = _student_filter(request)
    rows = plan_tables.filter_students(plan.students, f)
    try:
        number = int(request.query_params.get("page", "1"))
    except ValueError:
        number = 1
    shown, pages = plan_tables.page(rows, number, PAGE_SIZE)
    number = min(max(1, number), pages)
    query = {k: v for k, v in request.query_params.items() if k != "page"}
    context = {"plan": plan, "rows": shown, "total": len(rows),
               "page": number, "pages": pages, "f": f, "query": query,
               "sites": [s.site for s in plan.sites],
               "kinds": plan_tables.kinds(plan.students),
               "has_parent": plan.parent is not None}
    if is_fragment(request):
        return render(request, "_students.html.j2", **context)
    ws = request.app.state.ws
    roster = ws.record("rosters", plan.record["roster"])
    return render(request, "students.html.j2", title="Students",
                  nav_roster=plan.record["roster"], nav_plan=plan.pid,
                  crumbs=[("/", "Rosters"),
                          (f"/rosters/{plan.record['roster']}",
                           roster["name"]), (f"/plans/{plan.pid}", "Plan")],
                  **context)


def student_page(request: Request):
    plan = _plan(request)
    sid = request.path_params["sid"]
    instance = plan.roster.instance
    if sid not in instance.student_by_id():
        raise HTTPException(404)
    e = explain_student(instance, plan.rules, plan.assignment,
                        sid, checked=plan.audit)
    ws = request.app.state.ws
    roster = ws.record("rosters", plan.record["roster"])
    return render(request, "student.html.j2", title=f"Student {sid}",
                  plan=plan, e=e, profile=profile(e.line.student),
                  text=render_explanation(e),
                  eligible=[a for a in e.alternatives if a.eligible],
                  excluded=[a for a in e.alternatives
                            if not a.eligible][:EXCLUDED_SHOWN],
                  excluded_count=sum(not a.eligible for a in e.alternatives),
                  pinned=ws.record("plans", plan.pid).get("pins", {})
                  .get(sid), nav_roster=plan.record["roster"],
                  nav_plan=plan.pid,
                  crumbs=[("/", "Rosters"),
                          (f"/rosters/{plan.record['roster']}",
                           roster["name"]), (f"/plans/{plan.pid}", "Plan"),
                          (f"/plans/{plan.pid}/students", "Students")])


async def assign(request: Request):
    """Pin the chosen case manager; re-plan closest to this plan."""
    plan = _plan(request)
    sid = request.path_params["sid"]
    form = await request.form()
    staff_id = str(form.get("staff_id", ""))
    instance = plan.roster.instance
    if sid not in instance.student_by_id() or \
            staff_id not in instance.staff_by_id():
        raise HTTPException(400, "unknown student or staff member")
    ws = request.app.state.ws
    record = ws.record("plans", plan.pid)
    pins = {**record.get("pins", {}), sid: staff_id}
    name = plan.names.get(staff_id, staff_id)
    jid = request.app.state.jobs.start("plan", {
        "roster": plan.record["roster"], "parent": plan.pid, "pins": pins,
        "time_limit": 60,
        "authorizations": record.get("authorizations", "all"),
        "note": f"student {sid} given to {name} ({staff_id})"}, new_id("p"))
    return redirect(f"/jobs/{jid}")


def undo(request: Request):
    """Go back to the plan this one was re-planned from."""
    pid = ident(request, "pid")
    ws = request.app.state.ws
    record = ws.record("plans", pid)
    parent = record.get("parent")
    if not parent:
        raise HTTPException(400, "this plan was not re-planned from another")
    ws.update_record("plans", pid, undone=True)
    ws.update_record("rosters", record["roster"], current_plan=parent)
    return redirect(f"/plans/{parent}?undone={pid}")


def make_current(request: Request):
    pid = ident(request, "pid")
    ws = request.app.state.ws
    record = ws.record("plans", pid)
    ws.update_record("rosters", record["roster"], current_plan=pid)
    return redirect(f"/plans/{pid}")



ROUTES = [
    Route("/rosters/{rid}/plan", start_plan, methods=["POST"]),
    Route("/jobs/{jid}", job_page),
    Route("/jobs/{jid}/cancel", cancel_job, methods=["POST"]),
    Route("/plans/{pid}", plan_page),
    Route("/plans/{pid}/sites", sites_fragment),
    Route("/plans/{pid}/students", students_page),
    # A student id may hold "/" (pages.StudentIdConvertor); "assign"
    # first, so a post to ".../ID/assign" reaches it.
    Route("/plans/{pid}/students/{sid:sid}/assign", assign,
          methods=["POST"]),
    Route("/plans/{pid}/students/{sid:sid}", student_page),
    Route("/plans/{pid}/undo", undo, methods=["POST"]),
    Route("/plans/{pid}/current", make_current, methods=["POST"]),
]
