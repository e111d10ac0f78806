"""Plans: run with progress and cancel, browse, explain, reassign, undo."""

from __future__ import annotations

import time
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from optimizer.errors import InputError, Problem
from optimizer.inputs.settings import apply_authorizations, load_weights
from optimizer.objectives import TERMS
from optimizer.outputs import plan_tables
from optimizer.outputs.files import write_text_atomic
from optimizer.outputs.terminal import render_explanation
from optimizer.reasons.explain import explain_student
from optimizer.reasons.infeasible import profile
from optimizer.web import labels, plansettings
from optimizer.web.pages import ident, is_fragment, redirect, render
from optimizer.web.removal import delete_item
from optimizer.web.workspace import NotFound, new_id, now

PAGE_SIZE = 50
EXCLUDED_SHOWN = 200  # a large district has thousands of staff


async def start_plan(request: Request):
    rid = ident(request, "rid")
    ws = request.app.state.ws
    record = ws.record("rosters", rid)
    form = await request.form()
    try:
        settings = plansettings.from_form(form)
    except plansettings.FormError:
        raise HTTPException(400, "unknown setting") from None
    pid = new_id("p")
    path = settings_file(ws, pid)
    write_text_atomic(path, plansettings.to_toml(settings))
    try:  # the library's own reader, as `caseload plan --weights`
        load_weights(path, None, None, {})
        apply_authorizations(request.app.state.rules, path, None)
    except InputError as exc:
        path.unlink()
        from optimizer.web.routes_roster import roster_view
        return roster_view(request, rid, settings=settings,
                           settings_problems=exc.problems, status_code=400)
    ws.update_record("rosters", rid, settings=settings)
    # The new plan becomes current only when the user ticks the box (it
    # is ticked for a roster's first plan, and says so).
    make_current = form.get("make_current") == "1"
    jid = request.app.state.jobs.start(
        "plan", {"roster": rid, "time_limit": settings["time_limit"],
                 "settings_file": str(path),
                 "mapping_file": ws.snapshot_mapping(rid, pid),
                 "make_current": make_current,
                 "current_how": "you asked for it when planning"
                 if record.get("current_plan") else
                 "the roster's first plan, as you asked when planning"},
        pid)
    return redirect(f"/jobs/{jid}")


def settings_file(ws, pid: str):
    """Beside the plan folder (which stays exactly as the CLI writes
    it): the settings file the run read."""
    ws.path("plans", pid)  # validates
    return ws.root / "plans" / f"{pid}-settings.toml"


def job_page(request: Request):
    jid = ident(request, "jid")
    data = request.app.state.jobs.status(jid)
    if data["state"] == "done" and not is_fragment(request):
        return redirect(_target_url(data))
    context = _job_context(data, jid)
    if is_fragment(request):
        # A running run's poll swaps its progress line alone; an ended
        # run's answer replaces the whole block (Cancel goes with it).
        headers = {"HX-Redirect": _target_url(data)} \
            if data["state"] == "done" else {} \
            if data["state"] == "running" else {
                "HX-Retarget": "#job", "HX-Reswap": "outerHTML",
                "HX-Reselect": "#job"}
        response = render(request, "_job.html.j2", **context)
        response.headers.update(headers)
        return response
    rid = data["spec"].get("roster")
    try:
        name = request.app.state.ws.record("rosters", rid)["name"]
    except NotFound:  # the roster was deleted since
        name = "a deleted roster"
    return render(request, "job.html.j2",
                  title=f"{context['heading']} {name}", nav_roster=rid,
                  **context)


def _job_context(data: dict, jid: str) -> dict:
    problems = [Problem(*p) for p in data.get("problems") or []]
    heading = {"plan": "Planning", "compare": "Comparing what-ifs of"}[
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
    record = labels.fill_outcome(ws.record("plans", plan.pid),
                                 ws.plan_folder(plan.pid))
    current = roster.get("current_plan")
    current_title = None
    if current and current != plan.pid:
        try:
            current_title = labels.plan_title(ws.record("plans", current))
        except NotFound:
            current_title = current
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
    return render(request, "plan.html.j2", title=labels.plan_title(record),
                  plan=plan, current_title=current_title,
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
               # a picker for the case manager filter; a very large
               # district types the id (the page stays small)
               "staff": sorted(plan.names.items(), key=lambda x: x[1])
               if len(plan.names) <= 2000 else [],
               "kinds": plan_tables.kinds(plan.students),
               "has_parent": plan.parent is not None,
               **_cm_calendar(plan, f.case_manager)}
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


def _cm_calendar(plan, staff_id: str) -> dict:
    """The case manager's meeting calendar beside their caseload (the
    students page filtered to one case manager), with meeting dates."""
    found = plan_tables.person_calendar(plan.audit, staff_id.strip())
    if found is None:
        return {}
    return {"cm_calendar": found, "cm_id": staff_id.strip(),
            "cm_name": plan.names.get(staff_id.strip(), "")}


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
    return render(request, "student.html.j2",
                  title=f"Student {plan.student(sid)}",
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
    roster = ws.record("rosters", plan.record["roster"])
    was_current = roster.get("current_plan") == plan.pid
    new = new_id("p")
    jid = request.app.state.jobs.start("plan", {
        "roster": plan.record["roster"], "parent": plan.pid, "pins": pins,
        "mapping_file": ws.snapshot_mapping(plan.record["roster"], new),
        # the time the plan was given (a large district's may be more)
        "time_limit": float(record.get("time_limit") or 60),
        "authorizations": record.get("authorizations", "all"),
        # The settings file the plan was made with: a re-plan keeps its
        # calendar settings (H8's monthly limit, S5's period).
        **({"settings_file": record["settings_file"]}
           if record.get("settings_file")
           and Path(record["settings_file"]).is_file() else {}),
        # Choosing a case manager on the current plan is the user's
        # edit of it: the re-made plan takes its place (Undo goes back).
        "make_current": was_current,
        "current_how": f"you chose {name} for {plan.student(sid)}",
        "note": f"{plan.student(sid)} given to {name} ({staff_id})"},
        new)
    return redirect(f"/jobs/{jid}")


def undo(request: Request):
    """Go back to the plan this one was re-planned from: it becomes
    the current plan again if this one is the current plan."""
    pid = ident(request, "pid")
    ws = request.app.state.ws
    record = ws.record("plans", pid)
    parent = record.get("parent")
    if not parent:
        raise HTTPException(400, "this plan was not re-planned from another")
    try:
        ws.record("plans", parent)
    except NotFound:
        raise HTTPException(400, "the previous plan was deleted, so there "
                            "is nothing to go back to") from None
    roster = ws.record("rosters", record["roster"])
    if roster.get("current_plan") != pid:
        # Not the current plan (a change made on another plan, or a
        # stale page after an undo or a later choice): the current plan
        # stays as the user left it; Undo only opens the previous plan.
        return redirect(f"/plans/{parent}")
    ws.update_record("plans", pid, undone=True)
    ws.update_record("rosters", record["roster"], current_plan=parent,
                     current_how="you undid a change",
                     current_since=now())
    return redirect(f"/plans/{parent}?undone={pid}")


def make_current(request: Request):
    pid = ident(request, "pid")
    ws = request.app.state.ws
    record = ws.record("plans", pid)
    if not record.get("has_plan", True) or record.get("deleted"):
        raise HTTPException(400, "this plan cannot be the current plan")
    ws.update_record("rosters", record["roster"], current_plan=pid,
                     current_how="you made it current",
                     current_since=now())
    return redirect(f"/plans/{pid}?current=1")


def plan_settings(request: Request):
    """Exactly what the plan was made with: the settings file, the
    command line that makes the same plan, and the words for it."""
    pid = ident(request, "pid")
    ws = request.app.state.ws
    record = labels.fill_outcome(ws.record("plans", pid),
                                 ws.plan_folder(pid))
    roster = ws.record("rosters", record["roster"])
    path = settings_file(ws, pid)
    text = path.read_text("utf-8") if path.is_file() else None
    mapping = ws.mapping_of_plan(pid, record)
    cmd = plansettings.command(
        ws.roster_input(record["roster"]),
        mapping if mapping and mapping.is_file() else None, path,
        float(record.get("time_limit") or 60), Path(f"plan-{pid}")) \
        if text is not None else None
    parent = ws.record("plans", record["parent"]) \
        if record.get("parent") else None
    choices = []
    if record.get("pins"):
        plan = request.app.state.cache.plan(pid)
        choices = [(plan.student(s), plan.names.get(c, c), c)
                   for s, c in record["pins"].items()]
    return render(request, "settings.html.j2", choices=choices,
                  title=f"Settings of {labels.plan_title(record)}",
                  pid=pid, record=record, roster=roster, text=text,
                  command=cmd, parent=parent, terms=TERMS,
                  nav_roster=record["roster"], nav_plan=pid,
                  crumbs=[("/", "Rosters"),
                          (f"/rosters/{record['roster']}", roster["name"]),
                          (f"/plans/{pid}", "Plan")])


def plan_edit(request: Request):
    pid = ident(request, "pid")
    ws = request.app.state.ws
    record = ws.record("plans", pid)
    roster = ws.record("rosters", record["roster"])
    return render(request, "plan_edit.html.j2",
                  title=f"Rename or delete: {labels.plan_title(record)}",
                  pid=pid, record=record, roster=roster,
                  is_current=roster.get("current_plan") == pid,
                  nav_roster=record["roster"],
                  crumbs=[("/", "Rosters"),
                          (f"/rosters/{record['roster']}", roster["name"])])


async def plan_rename(request: Request):
    pid = ident(request, "pid")
    ws = request.app.state.ws
    record = ws.record("plans", pid)
    form = await request.form()
    title = " ".join(str(form.get("title") or "").split())[:120]
    ws.update_record("plans", pid, title=title)
    return redirect(f"/rosters/{record['roster']}#plans-h")


async def plan_delete(request: Request):
    """Delete a plan: its folder, settings file and record. The current
    plan cannot be deleted (make another current first)."""
    pid = ident(request, "pid")
    ws = request.app.state.ws
    record = ws.record("plans", pid)
    roster = ws.record("rosters", record["roster"])
    form = await request.form()
    if roster.get("current_plan") == pid:
        raise HTTPException(400, "the current plan cannot be deleted")
    if form.get("confirm") != "1":
        raise HTTPException(400, "tick the box to confirm")
    delete_item(ws, "plans", pid)
    settings_file(ws, pid).unlink(missing_ok=True)
    ws.plan_mapping_file(pid).unlink(missing_ok=True)
    return redirect(f"/rosters/{record['roster']}?deleted=plan")


def dismiss_job(request: Request):
    jid = ident(request, "jid")
    ws = request.app.state.ws
    data = request.app.state.jobs.status(jid)
    if data["state"] != "running":
        ws.update_record("jobs", jid, dismissed=True)
    return redirect(f"/rosters/{data['spec']['roster']}")


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
    Route("/plans/{pid}/settings", plan_settings),
    Route("/plans/{pid}/edit", plan_edit),
    Route("/plans/{pid}/rename", plan_rename, methods=["POST"]),
    Route("/plans/{pid}/delete", plan_delete, methods=["POST"]),
    Route("/jobs/{jid}/dismiss", dismiss_job, methods=["POST"]),
]
