"""Rosters: upload, the problems table, the mapping step."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.routing import Route

from optimizer.errors import InputError, Problem
from optimizer.inputs import exports, mapping, vocabulary
from optimizer.inputs.tables import (
    DEFAULT_SAMPLE_DIR,
    EXTRA_PREFIX,
    header_key,
    near_name,
)
from optimizer.outputs.files import write_text_atomic
from optimizer.web.pages import ident, redirect, render

HEADER_PROBLEM = re.compile(r"required column|appears twice|not a "
                            r"contract column|not a (students|staff) column")


def home(request: Request):
    ws = request.app.state.ws
    rosters = ws.records("rosters")
    plans = {}
    for pid, rec in ws.records("plans"):
        plans.setdefault(rec.get("roster"), []).append((pid, rec))
    return render(request, "home.html.j2", title="Rosters",
                  rosters=rosters, plans=plans)


async def upload(request: Request):
    ws = request.app.state.ws
    form = await request.form()
    name = (form.get("name") or "").strip()
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    uploaded: dict[str, str] = {}  # stored name -> the user's file name
    book = form.get("workbook")
    downloads = [f for f in form.getlist("files")
                 if getattr(f, "filename", "")]
    if downloads:  # the files as the systems gave them (SEIS, HR, ...)
        for up in downloads:
            fname = _safe_file_name(up.filename)
            files[fname] = await up.read()
            uploaded[fname] = up.filename
        name = name or "Uploaded export"
    elif book is not None and getattr(book, "filename", ""):
        fname = _safe_name(book.filename, ".xlsx")
        files[fname] = await book.read()
        name = name or book.filename
    else:
        for field, target in (("students", "students.csv"),
                              ("staff", "staff.csv")):
            up = form.get(field)
            if up is None or not getattr(up, "filename", ""):
                problems.append(Problem(target, None, None, None,
                                        f"choose the {field} CSV file, or "
                                        "one Excel workbook"))
                continue
            files[target] = await up.read()
            uploaded[target] = up.filename
        name = name or "Uploaded roster"
    map_up = form.get("mapping")
    map_bytes = await map_up.read() if map_up is not None and getattr(
        map_up, "filename", "") else None
    if problems:
        return render(request, "home.html.j2", status_code=400,
                      title="Rosters", rosters=ws.records("rosters"),
                      plans={}, upload_problems=problems)
    rid = ws.add_roster(name, files)
    ws.update_record("rosters", rid, uploaded=uploaded)
    if map_bytes is not None:
        write_text_atomic(ws.mapping_file(rid), map_bytes)
    return redirect(f"/rosters/{rid}")


def use_sample(request: Request):
    ws = request.app.state.ws
    rid = ws.add_roster_folder("Bundled sample (3 sites, 315 students)",
                               DEFAULT_SAMPLE_DIR)
    return redirect(f"/rosters/{rid}")


def roster_page(request: Request):
    rid = ident(request, "rid")
    state = request.app.state.cache.roster(rid)
    ws = request.app.state.ws
    record = ws.record("rosters", rid)
    problems = state.mapping_problems or state.problems
    needs_mapping = any(HEADER_PROBLEM.search(p.message) for p in problems) \
        or bool(state.mapping_problems) or any(
            p.column in mapping.CODES or p.column in
            _mapped_headers(state.mapping) or "in the mapping" in p.message
            for p in problems)
    plans = [(pid, rec) for pid, rec in ws.records("plans")
             if rec.get("roster") == rid]
    counts = None
    if state.roster is not None:
        inst = state.roster.instance
        counts = {"students": len(inst.students), "staff": len(inst.staff),
                  "sites": len({s.site for s in inst.students})}
    headers = [p for p in problems if HEADER_PROBLEM.search(p.message)]
    rest = [p for p in problems if p not in headers]
    if headers:
        # Missing columns make every row's value "required": the columns
        # come first, the rest only on request.
        problems, folded = headers, rest
    else:
        problems, folded = rest, []
    return render(request, "roster.html.j2", title=record["name"],
                  rid=rid, record=record, state=state,
                  problems=problems[:500], shown_of=len(problems)
                  if len(problems) > 500 else None, folded=folded[:500],
                  folded_count=len(folded),
                  needs_mapping=needs_mapping, plans=plans, counts=counts,
                  warnings=list(state.roster.warnings)[:300]
                  if state.roster else [],
                  has_mapping=ws.mapping_file(rid).is_file(),
                  nav_roster=rid, nav_plan=record.get("current_plan"),
                  crumbs=[("/", "Rosters")])


def _mapped_headers(m: mapping.Mapping | None) -> set[str]:
    if m is None:
        return set()
    return set(m.students.columns) | set(m.staff.columns)


def mapping_page(request: Request):
    rid = ident(request, "rid")
    return _mapping_view(request, rid)


def _mapping_view(request: Request, rid: str, problems=None,
                  status_code: int = 200):
    ws = request.app.state.ws
    record = ws.record("rosters", rid)
    mfile = ws.mapping_file(rid)
    stamp = mfile.stat().st_mtime_ns if mfile.is_file() else 0
    saved, saved_problems = _saved_mapping(mfile)
    layout = saved.layout() if saved else {}
    try:
        tables = request.app.state.cache.keep(
            ("raw", rid, stamp), lambda: mapping.raw_tables(
                ws.roster_input(rid), layout))
    except InputError as exc:
        sheets = _sheet_question(ws.roster_input(rid), exc)
        if sheets is None:
            return render(request, "roster.html.j2", title=record["name"],
                          rid=rid, record=record, state=None,
                          problems=exc.problems, needs_mapping=False,
                          plans=[], folded=[], folded_count=0,
                          counts=None, warnings=[], has_mapping=False,
                          nav_roster=rid, status_code=400)
        # Which sheet is which must be asked before anything else.
        return render(request, "mapping.html.j2", status_code=status_code,
                      title="Match your columns and values", rid=rid,
                      record=record, parts=[], problems=problems or [],
                      question=exc.problems, sheets=sheets, layout=layout,
                      missing=len(exc.problems),
                      has_mapping=mfile.is_file(), nav_roster=rid,
                      crumbs=[("/", "Rosters"), (f"/rosters/{rid}",
                                                 record["name"])])
    # Reading a 70,000-row export and testing every coded value takes
    # seconds: kept until the roster or its mapping changes.
    parts = request.app.state.cache.keep(
        ("mapping", rid, stamp), lambda: _mapping_parts(
            tables, saved, request.app.state.rules))
    problems = [*(problems or []), *saved_problems]
    missing = sum(len(p["unknown"]) + len(p["needed"]) for p in parts)
    return render(request, "mapping.html.j2", status_code=status_code,
                  title="Match your columns and values", rid=rid,
                  record=record, parts=parts, problems=problems or [],
                  question=[], sheets=None, missing=missing,
                  layout=exports.found_layout(*tables) | layout,
                  has_mapping=mfile.is_file(), nav_roster=rid,
                  crumbs=[("/", "Rosters"), (f"/rosters/{rid}",
                                             record["name"])])


def _saved_mapping(mfile) -> tuple[mapping.Mapping | None, list[Problem]]:
    if not mfile.is_file():
        return None, []
    try:
        return mapping.load_mapping(mfile), []
    except InputError as exc:
        return None, list(exc.problems)


def _sheet_question(path, exc: InputError) -> dict | None:
    """The sheets or files to choose from, per table, when the reader
    asks which is which (else None: another problem)."""
    if not any("could be the" in p.message or "reads as the" in p.message
               or "the mapping names" in p.message
               or "the mapping says the header" in p.message
               for p in exc.problems):
        return None
    try:
        sources = exports.list_sources(path)
    except InputError:
        return None
    return {"students": sources, "staff": sources, "services": sources}


def _mapping_parts(tables, saved: mapping.Mapping | None,
                   rules) -> list[dict]:
    """Per table: the contract columns with the header chosen for each
    (saved, else an export's own, else proposed), the values the loader
    reads (certain) and those it asks about (a guess, left unchosen)."""
    parts = []
    contract = mapping.contract_columns()
    base = saved or mapping.Mapping()
    eff = mapping.effective(base, *tables)
    chosen_all = {}
    for which, table in zip(mapping.TABLES, tables):
        part = eff.part(which)
        # Once a mapping is saved, a column left out stays out: only
        # exact names are proposed again.
        proposed = mapping.propose_columns(table.header, which,
                                           near=saved is None)
        chosen = {}
        for col in contract[which]:
            by_saved = [h for h, t in part.columns.items() if t == col.name]
            chosen[col.name] = by_saved[0] if by_saved else \
                proposed.get(col.name)
        chosen_all[which] = chosen
    current = mapping.Mapping(*(
        mapping.TableMapping({h: c for c, h in chosen_all[w].items() if h},
                             base.part(w).values, eff.part(w).own)
        for w in mapping.TABLES))
    found = vocabulary.readings(*tables, current, rules)
    for which, table in zip(mapping.TABLES, tables):
        chosen = chosen_all[which]
        part = base.part(which)
        readings, offers = found[which]
        known = [(col, their, code) for col, tm in part.values.items()
                 for their, code in tm.items()]
        names = [c.name for c in contract[which]]
        missing = [n for n in names if not chosen.get(n)]
        # The district's other columns; one the loader would take for a
        # misspelt contract column must be marked as its own to be kept.
        others = [(h, near_name(header_key(h), missing))
                  for h in table.header if h.strip()
                  and h not in chosen.values() and header_key(h) not in names
                  and not header_key(h).startswith(EXTRA_PREFIX)]
        parts.append({"which": which, "file": table.file,
                      "headers": table.header, "columns": contract[which],
                      "chosen": chosen,
                      "unknown": [r for r in readings if not r.certain],
                      "certain": [r for r in readings if r.certain],
                      "known": known, "codes": offers, "others": others,
                      "own": set(part.own) | set(eff.part(which).own),
                      "needed": [c.name for c in contract[which]
                                 if c.required and not chosen[c.name]]})
    return parts


async def save_mapping(request: Request):
    rid = ident(request, "rid")
    ws = request.app.state.ws
    ws.record("rosters", rid)
    form = await request.form()
    columns: dict[str, dict[str, str]] = {}
    values: dict[str, list[tuple[str, str, str]]] = {}
    own: dict[str, list[str]] = {}
    layout: dict[str, dict] = {}
    for which in mapping.TABLES:
        columns[which] = {
            key.split(":", 2)[2]: str(form[key]) for key in form
            if key.startswith(f"col:{which}:")}
        cols = form.getlist(f"{which}.vcol")
        theirs = form.getlist(f"{which}.vval")
        codes = form.getlist(f"{which}.vcode")
        values[which] = [(str(c), str(t), str(k))
                         for c, t, k in zip(cols, theirs, codes)]
        own[which] = [str(h) for h in form.getlist(f"{which}.own")]
        layout[which] = {}
        for key in ("sheet", "services", "header_row"):
            text = str(form.get(f"layout:{which}:{key}", "")).strip()
            if key == "header_row":
                layout[which][key] = int(text) if text.isdigit() else 0
            else:
                layout[which][key] = text
    try:
        chosen = mapping.from_choices(columns, values,
                                      ws.mapping_file(rid).name, own,
                                      layout)
    except InputError as exc:
        return _mapping_view(request, rid, exc.problems, 400)
    write_text_atomic(ws.mapping_file(rid), mapping.to_toml(chosen))
    state = request.app.state.cache.roster(rid)
    if state.roster is None:
        return redirect(f"/rosters/{rid}/mapping?saved=1")
    return redirect(f"/rosters/{rid}?mapped=1")


def _safe_file_name(name: str) -> str:
    """A downloaded file's name as stored: its own suffix kept when it is
    one a roster may be (.csv, .txt, .xlsx, .xlsm), else .csv."""
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", name.rsplit("/", 1)[-1]
                  .rsplit("\\", 1)[-1]).strip(" .") or "export"
    if not base.lower().endswith((".csv", ".txt", ".xlsx", ".xlsm")):
        base += ".csv"
    return base[-80:]


def _safe_name(name: str, default_suffix: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", name.rsplit("/", 1)[-1]
                  .rsplit("\\", 1)[-1]).strip(" .") or "roster"
    if not base.lower().endswith((".xlsx", ".xlsm")):
        base += default_suffix
    return base[:80]


ROUTES = [
    Route("/", home),
    Route("/rosters", upload, methods=["POST"]),
    Route("/rosters/sample", use_sample, methods=["POST"]),
    Route("/rosters/{rid}", roster_page),
    Route("/rosters/{rid}/mapping", mapping_page),
    Route("/rosters/{rid}/mapping", save_mapping, methods=["POST"]),
]
