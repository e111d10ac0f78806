"""What-ifs: scenario forms, comparisons, and every download."""

from __future__ import annotations

import csv
import io as _io
import os
import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route

from optimizer.errors import InputError, Problem
from optimizer.inputs import scenarios, toml_text
from optimizer.inputs.settings import scenario_weights
from optimizer.objectives import MODES, ObjectiveWeights
from optimizer.outputs.files import write_text_atomic
from optimizer.web.pages import ident, redirect, render
from optimizer.web.workspace import new_id, valid_id


def _ids(text: str) -> list[str]:
    return [x.strip() for x in re.split(r"[;,\s]+", text or "")
            if x.strip()]


def scenario_data(form, roster_rel: str) -> dict:
    """The scenario TOML as the CLI reads it, from the form's fields."""
    data: dict = {"name": form.get("name", "").strip() or "What-if",
                  "description": form.get("description", "").strip(),
                  "roster": roster_rel}
    if _ids(form.get("remove_staff", "")):
        data["remove_staff"] = _ids(form.get("remove_staff", ""))
    if _ids(form.get("remove_students", "")):
        data["remove_students"] = _ids(form.get("remove_students", ""))
    add = {k: form.get(f"add_{k}", "").strip() for k in (
        "staff_id", "name", "sites", "provides", "credentials",
        "max_caseload", "grades", "languages")}
    if add["staff_id"]:
        data["add_staff"] = [{k: (int(v) if k == "max_caseload"
                                  and v.isdigit() else v)
                              for k, v in add.items() if v}]
    cap_id = form.get("cap_staff_id", "").strip()
    cap = form.get("cap_value", "").strip()
    if cap_id and cap:
        data["update_staff"] = [{"staff_id": cap_id, "max_caseload":
                                 int(cap) if cap.isdigit() else cap}]
    pin_s, pin_c = (form.get("pin_student", "").strip(),
                    form.get("pin_staff", "").strip())
    if pin_s and pin_c:
        data["pins"] = {pin_s: pin_c}
    f_s, f_c = (form.get("forbid_student", "").strip(),
                form.get("forbid_staff", "").strip())
    if f_s and f_c:
        data["forbid"] = [[f_s, f_c]]
    mode = form.get("mode", "")
    if mode:
        objective: dict = {"mode": mode}
        order = _ids(form.get("priority", "").upper())
        if order:
            objective["priority"] = order
        data["objective"] = objective
    return data


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return slug if slug and slug != "base" else "what-if"


def scenarios_page(request: Request):
    rid = ident(request, "rid")
    return _scenarios_view(request, rid)


def _scenarios_view(request: Request, rid: str, problems=None, form=None,
                    status_code: int = 200):
    ws = request.app.state.ws
    record = ws.record("rosters", rid)
    files = ws.scenario_files(rid)
    items = []
    for path in files:
        try:
            sc = scenarios.load_scenario(path)
            items.append((path.stem, sc.name, sc.description, None))
        except InputError as exc:
            items.append((path.stem, path.stem, "", exc.problems))
    compares = [(cid, rec) for cid, rec in ws.records("compares")
                if rec.get("roster") == rid]
    return render(request, "scenarios.html.j2", status_code=status_code,
                  title="What-if scenarios", rid=rid, record=record,
                  items=items, compares=compares, problems=problems or [],
                  shown_of=None, form=form or {}, modes=("", *MODES),
                  nav_roster=rid, nav_plan=record.get("current_plan"),
                  crumbs=[("/", "Rosters"), (f"/rosters/{rid}",
                                             record["name"])])


async def save_scenario(request: Request):
    rid = ident(request, "rid")
    ws = request.app.state.ws
    ws.record("rosters", rid)
    form = {k: str(v) for k, v in (await request.form()).items()}
    folder = ws.scenario_folder(rid, create=True)
    roster_rel = os.path.relpath(ws.roster_input(rid), folder)
    data = scenario_data(form, roster_rel)
    slug = _slug(data["name"])
    n = 2
    while (folder / f"{slug}.toml").exists():
        slug = f"{_slug(data['name'])}-{n}"
        n += 1
    path = folder / f"{slug}.toml"
    write_text_atomic(path, toml_text.dumps(data))
    problems = _check_scenario(request, rid, path)
    if problems:
        path.unlink()
        return _scenarios_view(request, rid, problems, form, 400)
    return redirect(f"/rosters/{rid}/scenarios?saved={slug}")


def _check_scenario(request: Request, rid: str, path) -> list[Problem]:
    """The library's own checks: the file, its ``[objective]`` (as
    compare reads it), then applying it."""
    state = request.app.state.cache.roster(rid)
    try:
        sc = scenarios.load_scenario(path)
        scenario_weights(ObjectiveWeights(), sc)
        if state.roster is not None:
            scenarios.apply(state.roster.instance, sc,
                            request.app.state.rules)
    except InputError as exc:
        return list(exc.problems)
    return []


def delete_scenario(request: Request):
    rid = ident(request, "rid")
    slug = ident(request, "slug")
    path = request.app.state.ws.scenario_folder(rid) / f"{slug}.toml"
    path.unlink(missing_ok=True)
    return redirect(f"/rosters/{rid}/scenarios")


async def start_compare(request: Request):
    rid = ident(request, "rid")
    ws = request.app.state.ws
    form = await request.form()
    chosen = [s for s in form.getlist("scenario") if valid_id(str(s))
              and (ws.scenario_folder(rid) / f"{s}.toml").is_file()]
    if not chosen:
        return _scenarios_view(request, rid, [Problem(
            "scenarios", None, None, None, "choose at least one scenario "
            "to compare with the roster as it is")], None, 400)
    jid = request.app.state.jobs.start(
        "compare", {"roster": rid, "scenarios": chosen, "time_limit": 60},
        new_id("c"))
    return redirect(f"/jobs/{jid}")


def _read_csv(path) -> list[dict]:
    if not path.is_file():
        return []
    return list(csv.DictReader(_io.StringIO(path.read_text("utf-8"))))


def compare_page(request: Request):
    cid = ident(request, "cid")
    ws = request.app.state.ws
    record = ws.record("compares", cid)
    folder = ws.path("compares", cid)
    rows = _read_csv(folder / "compare.csv")
    changes = _read_csv(folder / "changes.csv")
    by_scenario: dict[str, list[dict]] = {}
    for ch in changes:
        by_scenario.setdefault(ch["scenario"], []).append(ch)
    roster = ws.record("rosters", record["roster"])
    state = request.app.state.cache.roster(record["roster"])
    names = ({c.staff_id: c.name for c in state.roster.instance.staff}
             if state.roster is not None else {})
    top = max([_int(r.get("students")) for r in rows] + [1])
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    return render(request, "compare.html.j2", title="Scenarios compared",
                  cid=cid, record=record, rows=rows, top=top,
                  by_scenario=by_scenario, files=files, names=names,
                  folders=sorted(p.name for p in folder.iterdir()
                                 if p.is_dir()),
                  nav_roster=record["roster"],
                  crumbs=[("/", "Rosters"),
                          (f"/rosters/{record['roster']}", roster["name"]),
                          (f"/rosters/{record['roster']}/scenarios",
                           "What-ifs")])


def _int(text) -> int:
    try:
        return int(float(text))
    except (TypeError, ValueError):
        return 0


DOWNLOADABLE = (".csv", ".json", ".html", ".xlsx")


def download(request: Request):
    """Files from the workspace only: plan and comparison folders,
    scenario files and mapping files; nothing else is reachable."""
    ws = request.app.state.ws
    kind = request.path_params["kind"]
    parts = request.path_params["rest"].split("/")
    if not all(valid_id(p) for p in parts):
        raise HTTPException(404)
    if kind in ("plans", "compares") and len(parts) in (2, 3) and \
            parts[-1].endswith(DOWNLOADABLE):
        path = ws.path(kind, parts[0]).joinpath(*parts[1:])
    elif kind == "scenarios" and len(parts) == 2 and \
            parts[1].endswith(".toml"):
        path = ws.scenario_folder(parts[0]) / parts[1]
    elif kind == "mapping" and len(parts) == 1:
        path = ws.mapping_file(parts[0])
    elif kind == "settings" and len(parts) == 1:
        ws.path("plans", parts[0])  # validates
        path = ws.root / "plans" / f"{parts[0]}-settings.toml"
    else:
        raise HTTPException(404)
    path = path.resolve()
    if not path.is_relative_to(ws.root) or not path.is_file():
        raise HTTPException(404)
    name = {"mapping": "mapping.toml", "settings": "settings.toml"}.get(
        kind, path.name)
    if kind == "compares" and len(parts) == 3:
        name = f"{parts[1]}-{parts[2]}"
    return FileResponse(path, filename=name,
                        content_disposition_type="attachment")


ROUTES = [
    Route("/rosters/{rid}/scenarios", scenarios_page),
    Route("/rosters/{rid}/scenarios", save_scenario, methods=["POST"]),
    Route("/rosters/{rid}/scenarios/{slug}/delete", delete_scenario,
          methods=["POST"]),
    Route("/rosters/{rid}/compare", start_compare, methods=["POST"]),
    Route("/compares/{cid}", compare_page),
    Route("/download/{kind}/{rest:path}", download),
]
