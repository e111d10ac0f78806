"""What-ifs: scenario forms, comparisons, and every download."""

from __future__ import annotations

import csv
import io as _io
import os
import re
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route

from optimizer.errors import InputError, Problem
from optimizer.inputs import scenarios, toml_text
from optimizer.inputs.parse import suggest
from optimizer.inputs.settings import scenario_weights
from optimizer.objectives import MODES, TERMS, ObjectiveWeights
from optimizer.outputs.files import write_text_atomic
from optimizer.vocab import PROVIDES
from optimizer.web import labels, plansettings
from optimizer.web.pages import ident, redirect, render
from optimizer.web.removal import delete_item
from optimizer.web.state import names_of
from optimizer.web.workspace import NotFound, new_id, valid_id


def _ids(text: str) -> list[str]:
    """Items of a list field: separated by ``;``, ``,`` or new lines
    (not spaces: a name has them)."""
    return [x.strip() for x in re.split(r"[;,\n]+", text or "")
            if x.strip()]


class Vocabulary:
    """The roster's own words for what the what-if form asks: staff and
    students by id or name, credentials by code, alias, their full name
    or the export's word for them (the saved mapping)."""

    def __init__(self, instance=None, rules=None, mapping=None):
        self.staff: dict[str, str] = {}  # folded id or name -> id
        self.students: dict[str, str] = {}
        self.credentials: dict[str, str] = {}
        if instance is not None:
            for c in instance.staff:
                self.staff.setdefault(c.name.casefold(), c.staff_id)
            for c in instance.staff:
                self.staff[c.staff_id.casefold()] = c.staff_id
            names = names_of(instance)
            for st in instance.students:
                name = names.student_name(st.student_id)
                if name:
                    self.students.setdefault(name.casefold(), st.student_id)
                    last_first = " ".join(reversed(name.split(" ", 1)))
                    self.students.setdefault(last_first.casefold(),
                                             st.student_id)
            for st in instance.students:
                self.students[st.student_id.casefold()] = st.student_id
        if rules is not None:
            for code, info in rules.credentials.items():
                self.credentials[info.name.casefold()] = code
        if mapping is not None:
            words = mapping.part("staff").values.get("credentials", {})
            for their, code in words.items():
                self.credentials[their.casefold()] = code

    def person(self, text: str, which: str, field: str,
               problems: list[Problem]) -> str:
        """The id for ``text`` (an id, a name, or a picker's "Name (id)")."""
        table = self.staff if which == "staff" else self.students
        text = text.strip()
        if not table:
            return text
        m = re.match(r"^.*\(([^()]+)\)\s*$", text)
        for key in ((m.group(1),) if m else ()) + (text,):
            if key.casefold() in table:
                return table[key.casefold()]
        noun = "staff member" if which == "staff" else "student"
        problems.append(Problem("what-if form", None, field, text,
                                f"no {noun} of this roster has this id or "
                                f"name{suggest(text, list(table))}"))
        return text

    def credential(self, text: str) -> str:
        return self.credentials.get(text.strip().casefold(), text.strip())


def scenario_data(form, roster_rel: str,
                  vocab: Vocabulary | None = None
                  ) -> tuple[dict, list[Problem]]:
    """The scenario TOML as the CLI reads it, from the form's fields;
    people named as the roster names them, credentials in its words."""
    vocab = vocab or Vocabulary()
    problems: list[Problem] = []

    def get(key: str) -> str:
        value = form.get(key, "")
        return value.strip() if isinstance(value, str) else ""

    def people(key: str, which: str) -> list[str]:
        return [vocab.person(x, which, key, problems)
                for x in _ids(get(key))]

    data: dict = {"name": get("name") or "What-if",
                  "description": get("description"),
                  "roster": roster_rel}
    for key, which in (("remove_staff", "staff"),
                       ("remove_students", "students")):
        chosen = people(key, which)
        if chosen:
            data[key] = chosen
    add = {k: get(f"add_{k}") for k in (
        "staff_id", "name", "sites", "credentials", "max_caseload",
        "grades", "languages")}
    provides = [str(p) for p in _getlist(form, "add_provides") if p]
    if provides:
        add["provides"] = ";".join(provides)
    if add["credentials"]:
        add["credentials"] = ";".join(
            vocab.credential(c) for c in _ids(add["credentials"]))
    if add["staff_id"] or add["name"]:
        if not add["staff_id"]:
            problems.append(Problem("what-if form", None, "add_staff_id",
                                    None, "give the new staff member an "
                                    "id (any code not used yet, e.g. "
                                    "NEW-RSP1)"))
        if not provides:
            problems.append(Problem("what-if form", None, "add_provides",
                                    None, "tick what the new staff member "
                                    "provides"))
        data["add_staff"] = [{k: (int(v) if k == "max_caseload"
                                  and v.isdigit() else v)
                              for k, v in add.items() if v}]
    cap_id = get("cap_staff_id")
    cap = get("cap_value")
    if cap_id and cap:
        data["update_staff"] = [{
            "staff_id": vocab.person(cap_id, "staff", "cap_staff_id",
                                     problems),
            "max_caseload": int(cap) if cap.isdigit() else cap}]
    pin_s, pin_c = get("pin_student"), get("pin_staff")
    if pin_s and pin_c:
        data["pins"] = {
            vocab.person(pin_s, "students", "pin_student", problems):
            vocab.person(pin_c, "staff", "pin_staff", problems)}
    f_s, f_c = get("forbid_student"), get("forbid_staff")
    if f_s and f_c:
        data["forbid"] = [[
            vocab.person(f_s, "students", "forbid_student", problems),
            vocab.person(f_c, "staff", "forbid_staff", problems)]]
    mode = get("mode")
    if mode:
        objective: dict = {"mode": mode}
        order = [str(form.get(f"order_{i}") or "").upper()
                 for i in range(1, 5)]
        order = [t for t in order if t] or _ids(get("priority").upper())
        if order and mode == "priority":
            objective["priority"] = order
        data["objective"] = objective
    return data, problems


def _getlist(form, key: str) -> list:
    if hasattr(form, "getlist"):
        return list(form.getlist(key))
    value = form.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def form_from_data(data: dict) -> dict:
    """The form's fields for a saved what-if (to edit it)."""
    form: dict = {"name": data.get("name", ""),
                  "description": data.get("description", ""),
                  "remove_staff": "; ".join(data.get("remove_staff", [])),
                  "remove_students": "; ".join(
                      data.get("remove_students", []))}
    for rec in data.get("add_staff", [])[:1]:
        for k, v in rec.items():
            if k == "provides":
                form["add_provides"] = _ids(v) if isinstance(v, str) \
                    else list(v)
            else:
                form[f"add_{k}"] = "; ".join(v) if isinstance(v, list) \
                    else str(v)
    for rec in data.get("update_staff", [])[:1]:
        form["cap_staff_id"] = str(rec.get("staff_id", ""))
        form["cap_value"] = str(rec.get("max_caseload", ""))
    for s, c in list(data.get("pins", {}).items())[:1]:
        form["pin_student"], form["pin_staff"] = s, c
    for s, c in data.get("forbid", [])[:1]:
        form["forbid_student"], form["forbid_staff"] = s, c
    objective = data.get("objective", {})
    if objective.get("mode"):
        form["mode"] = objective["mode"]
        for i, t in enumerate(objective.get("priority", []), 1):
            form[f"order_{i}"] = t
    return form


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return slug if slug and slug != "base" else "what-if"


def scenarios_page(request: Request):
    rid = ident(request, "rid")
    return _scenarios_view(request, rid)


def _pickers(request: Request, rid: str) -> dict:
    """Staff for the pickers: name, kind, sites and caseload (from the
    current plan, when there is one) or cap."""
    state = request.app.state.cache.roster(rid)
    if state.roster is None:
        return {"staff": [], "sites": [], "credentials": []}
    inst = state.roster.instance
    rules = request.app.state.rules
    loads: dict = {}
    current = request.app.state.ws.record("rosters", rid).get(
        "current_plan")
    small = len(inst.staff) <= PICKER_ALL
    if current and small:
        try:
            loads = request.app.state.cache.plan(current).audit.loads
        except (InputError, NotFound, OSError):
            loads = {}
    staff = [(c.staff_id, _picker_words(c, rules, loads))
             for c in inst.staff] if small else []
    sites = sorted({s.site for s in inst.students} | {
        x for c in inst.staff for x in c.sites if x != "*"})
    creds = sorted((info.name, code) for code, info in
                   rules.credentials.items())
    # A large district's staff are offered as you type (the server sends
    # the matches); a small one's are all in the page.
    return {"staff": staff, "search": not small, "sites": sites,
            "credentials": creds}


PICKER_ALL = 400  # staff listed whole in the page's picker
PICKER_MATCHES = 30


def _picker_words(c, rules, loads) -> str:
    """Name, kind, sites and caseload (the current plan's) or cap."""
    cap = rules.effective_cap(c)
    n = loads.get(c.staff_id, (None,))[0]
    load = f"{n} of {cap} students" if n is not None else f"cap {cap}"
    return (f"{c.name} \u00b7 {labels.kind(c.kind)} \u00b7 "
            f"{', '.join(c.sites)} \u00b7 {load}")


def staff_options(request: Request):
    """The picker's matches for what is typed in a staff field (its last
    item after ``;``): name or id, at most PICKER_MATCHES."""
    rid = ident(request, "rid")
    typed = next((v for v in request.query_params.values()), "")
    q = typed.split(";")[-1].strip().casefold()
    state = request.app.state.cache.roster(rid)
    found = []
    if q and state.roster is not None:
        found = [c for c in state.roster.instance.staff
                 if q in c.name.casefold() or q in c.staff_id.casefold()
                 ][:PICKER_MATCHES]
    loads: dict = {}
    current = request.app.state.ws.record("rosters", rid).get(
        "current_plan")
    if current and found:
        try:
            loads = request.app.state.cache.plan(current).audit.loads
        except (InputError, NotFound, OSError):
            loads = {}
    rules = request.app.state.rules
    return render(request, "_staff_options.html.j2", options=[
        (c.staff_id, _picker_words(c, rules, loads)) for c in found])


def describe(data: dict, names: dict[str, str]) -> str:
    """What a what-if changes, in a line (when it has no description)."""
    def who(sid) -> str:
        sid = str(sid)
        return f"{names[sid]} ({sid})" if sid in names else sid
    out = []
    if data.get("remove_staff"):
        out.append("leaving: " + ", ".join(who(x)
                                           for x in data["remove_staff"]))
    for rec in data.get("add_staff", []):
        if isinstance(rec, dict):
            out.append(f"hired: {rec.get('name') or rec.get('staff_id')}"
                       f" ({labels.kind(str(rec.get('provides', '')))}, "
                       f"{rec.get('sites', '')})")
    for rec in data.get("update_staff", []):
        if isinstance(rec, dict) and "max_caseload" in rec:
            out.append(f"cap of {who(rec.get('staff_id'))} set to "
                       f"{rec['max_caseload']}")
    if data.get("remove_students"):
        out.append(f"{len(data['remove_students'])} student(s) leaving")
    for sid, cid in (data.get("pins") or {}).items():
        out.append(f"student {sid} kept with {who(cid)}")
    for pair in data.get("forbid", []):
        if isinstance(pair, list) and len(pair) == 2:
            out.append(f"student {pair[0]} never with {who(pair[1])}")
    mode = (data.get("objective") or {}).get("mode")
    if mode:
        out.append("objectives: " + labels.MODE_WORDS.get(mode, mode))
    return "; ".join(out)


def _scenarios_view(request: Request, rid: str, problems=None, form=None,
                    status_code: int = 200, editing: str | None = None):
    ws = request.app.state.ws
    record = ws.record("rosters", rid)
    files = ws.scenario_files(rid)
    items = []
    state = request.app.state.cache.roster(rid)
    staff_names = ({c.staff_id: c.name for c in state.roster.instance.staff}
                   if state.roster is not None else {})
    for path in files:
        try:
            sc = scenarios.load_scenario(path)
            items.append((path.stem, sc.name, sc.description
                          or describe(sc.data, staff_names), None))
        except InputError as exc:
            items.append((path.stem, path.stem, "", exc.problems))
    compares = [(cid, rec) for cid, rec in ws.records("compares")
                if rec.get("roster") == rid]
    return render(request, "scenarios.html.j2", status_code=status_code,
                  title="What-if scenarios", rid=rid, record=record,
                  items=items, compares=compares, problems=problems or [],
                  shown_of=None, form=form or {}, modes=("", *MODES),
                  editing=editing, pickers=_pickers(request, rid),
                  provides=[(p, labels.kind(p)) for p in PROVIDES],
                  terms=TERMS, term_words=labels.TERM_WORDS,
                  mode_words=labels.MODE_WORDS,
                  nav_roster=rid, nav_plan=record.get("current_plan"),
                  crumbs=[("/", "Rosters"), (f"/rosters/{rid}",
                                             record["name"])])


def _vocabulary(request: Request, rid: str) -> Vocabulary:
    state = request.app.state.cache.roster(rid)
    return Vocabulary(state.roster.instance if state.roster else None,
                      request.app.state.rules, state.mapping)


async def save_scenario(request: Request):
    """A new what-if, or (``editing``) a saved one changed in place."""
    rid = ident(request, "rid")
    ws = request.app.state.ws
    ws.record("rosters", rid)
    raw = await request.form()
    form = {k: str(v) for k, v in raw.items()}
    form["add_provides"] = [str(p) for p in raw.getlist("add_provides")]
    editing = form.get("editing") or None
    if editing is not None and not (
            valid_id(editing) and (ws.scenario_folder(rid)
                                   / f"{editing}.toml").is_file()):
        raise HTTPException(404)
    folder = ws.scenario_folder(rid, create=True)
    roster_rel = os.path.relpath(ws.roster_input(rid), folder)
    data, problems = scenario_data(form, roster_rel,
                                   _vocabulary(request, rid))
    if problems:
        return _scenarios_view(request, rid, problems, form, 400, editing)
    if editing:
        slug = editing
    else:
        slug = _slug(data["name"])
        n = 2
        while (folder / f"{slug}.toml").exists():
            slug = f"{_slug(data['name'])}-{n}"
            n += 1
    path = folder / f"{slug}.toml"
    # Checked before it replaces anything: a bad edit keeps the old file.
    trial = folder / f".{slug}.toml.check"
    write_text_atomic(trial, toml_text.dumps(data))
    try:
        problems = _check_scenario(request, rid, trial)
        if not problems:
            os.replace(trial, path)
    finally:
        trial.unlink(missing_ok=True)
    if problems:
        return _scenarios_view(request, rid, problems, form, 400, editing)
    return redirect(f"/rosters/{rid}/scenarios?saved={slug}")


async def defaults_what_if(request: Request):
    """The roster page's changes to the defaults (who may case-manage,
    caps) saved as a what-if, to compare before changing the roster."""
    rid = ident(request, "rid")
    ws = request.app.state.ws
    ws.record("rosters", rid)
    form = await request.form()
    state = request.app.state.cache.roster(rid)
    if state.roster is None:
        raise HTTPException(400, "the roster has problems")
    rules = request.app.state.rules
    staff = state.roster.instance.staff_by_id()
    may = {str(x) for x in form.getlist("may")}
    updates: dict[str, dict] = {}
    for sid in form.getlist("asked"):
        c = staff.get(str(sid))
        if c is None or c.can_case_manage is not None:
            continue
        wanted = c.staff_id in may
        if wanted != rules.may_case_manage(c):
            updates.setdefault(c.staff_id, {"staff_id": c.staff_id})[
                "can_case_manage"] = wanted
    for key in form:
        if not key.startswith("cap:"):
            continue
        sid = key[4:]
        value = str(form.get(key) or "").strip()
        if sid in staff and value and value != str(form.get(f"was:{sid}")):
            updates.setdefault(sid, {"staff_id": sid})["max_caseload"] = \
                int(value) if value.isdigit() else value
    if not updates:
        return redirect(f"/rosters/{rid}?defaults=unchanged")
    folder = ws.scenario_folder(rid, create=True)
    data = {"name": "Defaults changed",
            "description": "; ".join(
                f"{staff[s].name} ({s}): " + ", ".join(
                    ("may case-manage" if v else "may not case-manage")
                    if k == "can_case_manage" else f"cap {v}"
                    for k, v in u.items() if k != "staff_id")
                for s, u in updates.items()),
            "roster": os.path.relpath(ws.roster_input(rid), folder),
            "update_staff": list(updates.values())}
    slug, n = "defaults-changed", 2
    while (folder / f"{slug}.toml").exists():
        slug, n = f"defaults-changed-{n}", n + 1
    trial = folder / f".{slug}.toml.check"
    write_text_atomic(trial, toml_text.dumps(data))
    try:
        problems = _check_scenario(request, rid, trial)
        if not problems:
            os.replace(trial, folder / f"{slug}.toml")
    finally:
        trial.unlink(missing_ok=True)
    if problems:
        return _scenarios_view(request, rid, problems, None, 400)
    return redirect(f"/rosters/{rid}/scenarios?saved={slug}")


def edit_scenario(request: Request):
    rid = ident(request, "rid")
    slug = ident(request, "slug")
    path = request.app.state.ws.scenario_folder(rid) / f"{slug}.toml"
    if not path.is_file():
        raise HTTPException(404)
    try:
        data = scenarios.load_scenario(path).data
    except InputError as exc:  # a file edited by hand: say what is wrong
        return _scenarios_view(request, rid, exc.problems, None, 400)
    return _scenarios_view(request, rid, form=form_from_data(data),
                           editing=slug)


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
        return [Problem(p.file.replace(path.name, "what-if"), p.row,
                        p.column, p.value, p.message)
                for p in exc.problems]
    return []


def delete_scenario(request: Request):
    rid = ident(request, "rid")
    slug = ident(request, "slug")
    path = request.app.state.ws.scenario_folder(rid) / f"{slug}.toml"
    path.unlink(missing_ok=True)
    return redirect(f"/rosters/{rid}/scenarios?deleted={slug}")


def delete_compare(request: Request):
    cid = ident(request, "cid")
    ws = request.app.state.ws
    record = ws.record("compares", cid)
    delete_item(ws, "compares", cid)
    (ws.root / "compares" / f"{cid}-settings.toml").unlink(missing_ok=True)
    return redirect(f"/rosters/{record['roster']}/scenarios")


async def start_compare(request: Request):
    rid = ident(request, "rid")
    ws = request.app.state.ws
    form = await request.form()
    chosen = [s for s in form.getlist("scenario") if valid_id(str(s))
              and (ws.scenario_folder(rid) / f"{s}.toml").is_file()]
    if not chosen:
        return _scenarios_view(request, rid, [Problem(
            "what-ifs", None, None, None, "tick at least one what-if "
            "to compare with the roster as it is")], None, 400)
    unreadable = []
    for slug in chosen:
        try:
            scenarios.load_scenario(ws.scenario_folder(rid)
                                    / f"{slug}.toml")
        except InputError as exc:
            unreadable += exc.problems
    if unreadable:  # the run would stop on them: say so now
        return _scenarios_view(request, rid, unreadable, None, 400)
    # The settings of the roster's current plan (the roster "as it is"),
    # as the settings file `caseload compare --weights` reads; the
    # defaults when there is none.
    cid = new_id("c")
    ws.path("compares", cid)  # validates
    path = ws.root / "compares" / f"{cid}-settings.toml"
    current = ws.record("rosters", rid).get("current_plan")
    source = ws.root / "plans" / f"{current}-settings.toml" \
        if current and valid_id(current) else None
    if source is not None and not source.is_file():
        # A plan re-made after a choice has none of its own: the file
        # its run read (its parent's) holds its settings.
        try:
            read = ws.record("plans", current).get("settings_file")
        except NotFound:
            read = None
        source = Path(read) if read else None
    limit = 60.0
    if source is not None and source.is_file():
        write_text_atomic(path, source.read_bytes())
        limit = float(ws.record("plans", current).get("time_limit") or 60)
    else:
        write_text_atomic(path, plansettings.to_toml(
            plansettings.defaults()))
    jid = request.app.state.jobs.start(
        "compare", {"roster": rid, "scenarios": chosen,
                    "time_limit": limit, "settings_file": str(path)}, cid)
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
    student_names = names_of(state.roster.instance) \
        if state.roster is not None else None
    # New hires are named in their what-if files.
    for slug in record.get("scenarios", []):
        path = ws.scenario_folder(record["roster"]) / f"{slug}.toml"
        if not path.is_file():
            continue  # deleted since: its hires are shown by id
        try:
            data = scenarios.load_scenario(path).data
        except InputError:
            continue  # unreadable now: its hires are shown by id
        for rec in data.get("add_staff", []):
            if isinstance(rec, dict) and rec.get("staff_id"):
                names.setdefault(str(rec["staff_id"]),
                                 f"{rec.get('name') or 'new hire'} "
                                 "(new hire)")
    top = max([_int(r.get("students")) for r in rows] + [1])
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    return render(request, "compare.html.j2", title="What-ifs compared",
                  cid=cid, record=record, rows=rows, top=top,
                  by_scenario=by_scenario, files=files, names=names,
                  student_names=student_names,
                  settings=labels.settings_words(record.get("settings")
                                                 or {}),
                  auth=labels.AUTH_WORDS.get(
                      (record.get("settings") or {}).get("authorizations")
                      or "all", ""),
                  current_plan=roster.get("current_plan"),
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
    Route("/rosters/{rid}/scenarios/{slug}/edit", edit_scenario),
    Route("/rosters/{rid}/defaults", defaults_what_if, methods=["POST"]),
    Route("/rosters/{rid}/staff-options", staff_options),
    Route("/compares/{cid}/delete", delete_compare, methods=["POST"]),
    Route("/rosters/{rid}/compare", start_compare, methods=["POST"]),
    Route("/compares/{cid}", compare_page),
    Route("/download/{kind}/{rest:path}", download),
]
