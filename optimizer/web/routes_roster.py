"""Rosters: upload, the problems table, the mapping step."""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from optimizer.errors import InputError, Problem
from optimizer.inputs import exports, mapping, vocabulary
from optimizer.inputs.csv_cells import (
    DEFAULT_SAMPLE_DIR,
    EXTRA_PREFIX,
    header_key,
    near_name,
)
from optimizer.objectives import TERMS
from optimizer.outputs.files import write_text_atomic
from optimizer.web import labels, plansettings, removal
from optimizer.web.pages import ident, redirect, render

HEADER_PROBLEM = re.compile(r"required column|appears twice|not a "
                            r"contract column|not a (students|staff) column")


def home(request: Request):
    ws = request.app.state.ws
    rosters = ws.records("rosters")
    plans: dict = {}
    titles = {}
    for pid, rec in ws.records("plans"):
        plans.setdefault(rec.get("roster"), []).append((pid, rec))
        titles[pid] = labels.plan_title(rec)
    return render(request, "home.html.j2", title="Rosters",
                  rosters=rosters, plans=plans, titles=titles)


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
    ways = [words for words, given in (
        ("the Excel workbook", book is not None
         and getattr(book, "filename", "")),
        ("the two CSV files", any(getattr(form.get(f), "filename", "")
                                  for f in ("students", "staff"))),
        ("the files as your systems gave them", downloads)) if given]
    if len(ways) > 1:  # only one would be read: the others dropped
        problems.append(Problem(
            "upload", None, None, None, "files were chosen in more than "
            f"one way ({' and '.join(ways)}); only one way is read, so "
            "choose the files in one field (an HR workbook given with "
            "SEIS or CALPADS reports goes with them, in the last field)"))
    elif downloads:  # the files as the systems gave them (SEIS, HR, ...)
        for up in downloads:
            fname = _unused(_safe_file_name(up.filename), files)
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
    if map_bytes is not None:
        problems += _mapping_problems(ws, map_bytes)
    if problems:
        return render(request, "home.html.j2", status_code=400,
                      title="Rosters", rosters=ws.records("rosters"),
                      plans={}, titles={}, upload_problems=problems)
    rid = ws.add_roster(name, files)
    ws.update_record("rosters", rid, uploaded=uploaded)
    if map_bytes is not None:
        write_text_atomic(ws.mapping_file(rid), map_bytes)
    return redirect(f"/rosters/{rid}")


def _mapping_problems(ws, data: bytes) -> list[Problem]:
    """What the library says of an uploaded mapping file: one it cannot
    use is refused with the upload, never stored."""
    with tempfile.TemporaryDirectory(dir=ws.root / "rosters",
                                     prefix=".upload.") as tmp:
        file = Path(tmp) / "mapping.toml"
        file.write_bytes(data)
        try:
            mapping.load_mapping(file)
        except InputError as exc:
            # The upload form lists messages alone: say where each is.
            return [Problem(p.file, None, None, None, str(p))
                    for p in exc.problems]
    return []


def use_sample(request: Request):
    ws = request.app.state.ws
    rid = ws.add_roster_folder("Bundled sample (3 sites, 315 students)",
                               DEFAULT_SAMPLE_DIR)
    return redirect(f"/rosters/{rid}")


def roster_page(request: Request):
    rid = ident(request, "rid")
    return roster_view(request, rid)


def roster_view(request: Request, rid: str, settings: dict | None = None,
                settings_problems=None, status_code: int = 200):
    state = request.app.state.cache.roster(rid)
    ws = request.app.state.ws
    record = ws.record("rosters", rid)
    problems = state.mapping_problems or state.problems
    needs_mapping = any(HEADER_PROBLEM.search(p.message) for p in problems) \
        or bool(state.mapping_problems) or any(
            p.column in mapping.CODES or p.column in
            _mapped_headers(state.mapping) or "in the mapping" in p.message
            for p in problems)
    plans = roster_plans(ws, rid)
    counts = None
    defaults = None
    groups: list = []
    if state.roster is not None:
        inst = state.roster.instance
        counts = {"students": len(inst.students), "staff": len(inst.staff),
                  "sites": len({s.site for s in inst.students})}
        # Kept with the roster (a large district's 5,000 staff and
        # thousands of warnings take ~0.1 s to go through).
        if "defaults" not in state.views:
            state.views["defaults"] = (
                roster_defaults(inst, request.app.state.rules),
                group_problems(state.roster.warnings))
        defaults, groups = state.views["defaults"]
    headers = [p for p in problems if HEADER_PROBLEM.search(p.message)]
    rest = [p for p in problems if p not in headers]
    if headers:
        # Missing columns make every row's value "required": the columns
        # come first, the rest only on request.
        problems, folded = headers, rest
    else:
        problems, folded = rest, []
    warnings = list(state.roster.warnings) if state.roster else []
    return render(request, "roster.html.j2", title=record["name"],
                  status_code=status_code,
                  rid=rid, record=record, state=state,
                  problems=problems[:500], shown_of=len(problems)
                  if len(problems) > 500 else None, folded=folded[:500],
                  folded_count=len(folded),
                  needs_mapping=needs_mapping, plans=plans, counts=counts,
                  warning_count=len(warnings),
                  warning_groups=groups,
                  defaults=defaults,
                  settings=settings or record.get("settings")
                  or plansettings.defaults(),
                  settings_problems=settings_problems or [],
                  term_words=labels.TERM_WORDS,
                  term_sentences=labels.TERM_SENTENCES,
                  mode_words=labels.MODE_WORDS, terms=TERMS,
                  runs=unfinished_runs(request, rid),
                  has_mapping=ws.mapping_file(rid).is_file(),
                  nav_roster=rid, nav_plan=record.get("current_plan"),
                  crumbs=[("/", "Rosters")])


def roster_plans(ws, rid: str) -> list[tuple[str, dict]]:
    """The roster's plans, newest first, each with its outcome."""
    return [(pid, labels.fill_outcome(rec, ws.plan_folder(pid)))
            for pid, rec in ws.records("plans")
            if rec.get("roster") == rid and not rec.get("deleted")]


def unfinished_runs(request: Request, rid: str) -> list[tuple[str, dict]]:
    """Runs of this roster that did not finish (interrupted by a stop of
    the server, failed) and are not yet dismissed, plus running ones."""
    jobs = request.app.state.jobs
    out = []
    for jid, rec in request.app.state.ws.records("jobs"):
        if rec.get("spec", {}).get("roster") != rid or \
                rec.get("dismissed"):
            continue
        if rec.get("state") == "running":
            rec = jobs.status(jid)
        if rec.get("state") in ("running", "interrupted", "failed"):
            out.append((jid, rec))
    return out[:10]


_VALUE = re.compile(r'"[^"]*"|\'[^\']*\'|\b\d[\d.,%]*\b')


def group_problems(problems) -> list[dict]:
    """Warnings grouped by kind (file, column and the message with its
    values left out), largest group first."""
    groups: dict[tuple, dict] = {}
    for p in problems:
        key = (p.file, p.column or "", _VALUE.sub("\u2026", p.message))
        g = groups.setdefault(key, {
            "file": p.file, "column": p.column or "", "example": p.message,
            "rows": [], "anchor": f"w{len(groups) + 1}"})
        g["rows"].append(p)
    return sorted(groups.values(), key=lambda g: -len(g["rows"]))


def roster_defaults(inst, rules) -> dict:
    """What the roster left to the tool, person by person: who may
    case-manage (H2), caps from the table times FTE (H6), sites ``*``."""
    may, may_not, caps, everywhere = [], [], [], []
    for c in inst.staff:
        if c.can_case_manage is None:
            (may if rules.may_case_manage(c) else may_not).append(c)
        if c.max_caseload is None:
            caps.append((c, rules.effective_cap(c)))
        if "*" in c.sites:
            everywhere.append(c)
    shown = may + may_not
    return {"may": may, "may_not": may_not, "caps": caps,
            "everywhere": everywhere,
            "may_ids": {c.staff_id for c in may},
            "people": shown[:DEFAULTS_SHOWN], "caps_shown":
            caps[:DEFAULTS_SHOWN], "shown": DEFAULTS_SHOWN,
            "by_kind": Counter(c.kind for c in may),
            "any": bool(may or may_not or caps or everywhere)}


DEFAULTS_SHOWN = 200  # rows of each table; a large district has 5,000


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


async def rename_roster(request: Request):
    rid = ident(request, "rid")
    ws = request.app.state.ws
    ws.record("rosters", rid)
    form = await request.form()
    name = " ".join(str(form.get("name") or "").split())[:120]
    if name:
        ws.update_record("rosters", rid, name=name)
    return redirect(f"/rosters/{rid}")


async def delete_roster(request: Request):
    """The roster and everything made from it; not while a run of it is
    going (cancel that first)."""
    rid = ident(request, "rid")
    ws = request.app.state.ws
    ws.record("rosters", rid)
    form = await request.form()
    if form.get("confirm") != "1":
        raise HTTPException(400, "tick the box to confirm")
    if any(rec.get("state") == "running" for _j, rec in
           unfinished_runs(request, rid)):
        raise HTTPException(409, "a run of this roster is still going: "
                            "cancel it first")
    removal.delete_roster(ws, rid)
    return redirect("/?deleted=roster")


def _safe_file_name(name: str) -> str:
    """A downloaded file's name as stored: its own suffix kept when it is
    one a roster may be (.csv, .txt, .xlsx, .xlsm), else .csv."""
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", name.rsplit("/", 1)[-1]
                  .rsplit("\\", 1)[-1]).strip(" .") or "export"
    if not base.lower().endswith((".csv", ".txt", ".xlsx", ".xlsm")):
        base += ".csv"
    return base[-80:]


def _unused(fname: str, taken) -> str:
    """``fname``, or ``name-2.csv``, ... when another uploaded file is
    already stored under it (two names may differ only in characters a
    stored name cannot hold)."""
    stem, dot, suffix = fname.rpartition(".")
    n = 2
    while fname.lower() in {t.lower() for t in taken}:
        fname = f"{stem[:70]}-{n}{dot}{suffix}"
        n += 1
    return fname


def _safe_name(name: str, default_suffix: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", name.rsplit("/", 1)[-1]
                  .rsplit("\\", 1)[-1]).strip(" .") or "roster"
    if not base.lower().endswith((".xlsx", ".xlsm")):
        base += default_suffix
    stem, dot, suffix = base.rpartition(".")
    # At most 80 characters, the suffix kept (the loader reads by it).
    return stem[:79 - len(suffix)].rstrip(" .") + dot + suffix


ROUTES = [
    Route("/", home),
    Route("/rosters", upload, methods=["POST"]),
    Route("/rosters/sample", use_sample, methods=["POST"]),
    Route("/rosters/{rid}", roster_page),
    Route("/rosters/{rid}/mapping", mapping_page),
    Route("/rosters/{rid}/mapping", save_mapping, methods=["POST"]),
    Route("/rosters/{rid}/rename", rename_roster, methods=["POST"]),
    Route("/rosters/{rid}/delete", delete_roster, methods=["POST"]),
]
