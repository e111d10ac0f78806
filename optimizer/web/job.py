"""One background run: ``python -m optimizer.web.job WORKSPACE JOB``.

It calls the same library functions as ``caseload plan`` and ``caseload
compare`` and writes their folders with the same writer; its record in
``jobs/`` says how far it got, and what went wrong if it failed.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

from optimizer import operations
from optimizer.errors import InputError, OptimizerError
from optimizer.inputs.mapping import load_mapping
from optimizer.inputs.plans import published_assignment
from optimizer.inputs.roster import load_roster, with_warnings
from optimizer.inputs.rules_tables import load_rules
from optimizer.inputs.settings import (
    apply_authorizations,
    load_weights,
    plan_settings,
)
from optimizer.objectives import TERMS
from optimizer.outputs.files import write_plan_folder
from optimizer.result import SolverParams
from optimizer.web.security import safe_traceback
from optimizer.web.workspace import Workspace, now


def load(ws: Workspace, rid: str, rules, mapping_file: str | None = None,
         *, defer_warnings: bool = False):
    """The roster of ``rid`` with its mapping, as the CLI would load it:
    the copy the run was given (``mapping_file``, "" for none), else the
    roster's own (``defer_warnings``: see ``load_roster``)."""
    if mapping_file is None:
        mapping = ws.mapping(rid)
    else:
        mapping = load_mapping(Path(mapping_file)) if mapping_file \
            else None
    return load_roster(ws.roster_input(rid), rules, mapping,
                       defer_warnings=defer_warnings), mapping


def run_plan(ws: Workspace, jid: str, spec: dict, target: str) -> dict:
    rid = spec["roster"]
    # The settings file, when the form wrote one, is read exactly as
    # ``caseload plan --weights FILE`` reads it.
    settings = Path(spec["settings_file"]) if spec.get("settings_file") \
        else None
    rules = apply_authorizations(
        load_rules(), settings,
        None if settings else spec.get("authorizations") or None)
    weights = load_weights(settings, None if settings else
                           spec.get("mode") or None,
                           None if settings else
                           spec.get("priority") or None, {})
    parent = spec.get("parent")
    if parent and settings is None:
        # A re-plan from the workbench (a chosen case manager) keeps the
        # parent plan's meeting-calendar settings: H8's limit, the
        # period, the planning year (issue 23).
        weights = plan_settings(ws.plan_folder(parent)) or weights
    _stage(ws, jid, "Reading the roster")
    # A yearly plan is solved by a second process while this one judges
    # the roster's warnings, as ``caseload plan`` does (SolveAhead).
    loaded, _ = load(ws, rid, rules, spec.get("mapping_file"),
                     defer_warnings=not parent)
    params = SolverParams(time_limit=float(spec.get("time_limit", 60)))
    with (contextlib.nullcontext() if parent else operations.SolveAhead(
            loaded.instance, rules, weights, params)) as ahead:
        _stage(ws, jid, f"Solving (at most {params.time_limit:.0f} s; it "
               "stops early once the plan is proven best)")
        loaded = with_warnings(loaded)
        warnings = [str(w) for w in loaded.warnings]
        run = operations.plan_or_replan(
            loaded, rules, weights=weights, params=params,
            published=(published_assignment(ws.plan_folder(parent))
                       if parent else None),
            warnings=warnings, pins=spec.get("pins", {}) if parent else None,
            ahead=ahead)
    _stage(ws, jid, "Checking and writing the plan")
    write_plan_folder(ws.plan_folder(target), run.files,
                            protected=[ws.path("rosters", rid)])
    result = run.result
    ws.save_record("plans", target, {
        "roster": rid, "parent": parent, "pins": spec.get("pins", {}),
        "created": now(), "status": result.status.value,
        "has_plan": result.has_plan, "note": spec.get("note", ""),
        "proven_optimal": result.proven_optimal if result.has_plan
        else False, "gap": result.gap if result.has_plan else None,
        "authorizations": rules.authorization_mode,
        "mode": weights.mode if not parent else "replan",
        "priority": ",".join(weights.priority),
        "weights": {t: getattr(weights, t) for t in TERMS},
        "time_limit": params.time_limit,
        "settings_file": str(settings) if settings else "",
        **({"mapping_file": spec["mapping_file"]}
           if "mapping_file" in spec else {}),
        "best_practice": [run.audit.kpis.best_practice_matches,
                          run.audit.kpis.students]
        if run.audit is not None else None,
        "job": jid})
    # The current plan changes only when the user said so.
    if result.has_plan and spec.get("make_current"):
        ws.update_record("rosters", rid, current_plan=target,
                         current_how=spec.get("current_how")
                         or "you asked for it when planning",
                         current_since=now())
    return {"plan": target}


def run_compare(ws: Workspace, jid: str, spec: dict, target: str) -> dict:
    rid = spec["roster"]
    settings = Path(spec["settings_file"]) if spec.get("settings_file") \
        else None
    rules = apply_authorizations(load_rules(), settings, None)
    weights = load_weights(settings, None, None, {})
    _stage(ws, jid, "Reading the roster and scenarios")
    mapping = ws.mapping(rid)
    paths = [ws.scenario_folder(rid) / f"{slug}.toml"
             for slug in spec["scenarios"]]

    def progress(i: int, n: int, name: str) -> None:
        _stage(ws, jid, f"Planning {name} ({i + 1} of {n})")
    result = operations.compare(
        paths, rules, weights=weights,
        params=SolverParams(time_limit=float(spec.get("time_limit", 60))),
        progress=progress, mapping=mapping)
    _stage(ws, jid, "Writing the comparison")
    write_plan_folder(ws.path("compares", target), result.files)
    ws.save_record("compares", target, {
        "roster": rid, "scenarios": spec["scenarios"], "created": now(),
        "settings": {"mode": weights.mode,
                     "priority": ",".join(weights.priority),
                     "weights": {t: getattr(weights, t) for t in TERMS},
                     "authorizations": rules.authorization_mode}})
    return {"compare": target}


class Cancelled(Exception):
    """The run was cancelled (its record says so): stop, write nothing."""


def _check_wanted(ws: Workspace, jid: str) -> None:
    if ws.record("jobs", jid)["state"] != "running":
        raise Cancelled


def _stage(ws: Workspace, jid: str, text: str) -> None:
    _check_wanted(ws, jid)
    ws.update_record("jobs", jid, stage=text)


INTERNAL_ERROR = "An internal error stopped this run; please report it."


def main(argv: list[str]) -> int:
    operations.tune_gc_for_large_rosters()  # as every CLI command
    ws = Workspace(Path(argv[0]))
    jid = argv[1]
    record = ws.record("jobs", jid)
    runner = {"plan": run_plan, "compare": run_compare}[record["kind"]]
    try:
        outcome = runner(ws, jid, record["spec"], record["target"])
    except InputError as exc:
        ws.update_record("jobs", jid, state="failed",
                         stage="The input has problems.",
                         problems=[[p.file, p.row, p.column, p.value,
                                    p.message] for p in exc.problems])
        return 1
    except OptimizerError as exc:
        ws.update_record("jobs", jid, state="failed", stage=str(exc),
                         problems=[])
        return 1
    except Cancelled:
        return 1
    except Exception as exc:  # a bug: say so, and log no student data
        ws.update_record("jobs", jid, state="failed", problems=[],
                         stage=INTERNAL_ERROR)
        print(safe_traceback(exc), file=sys.stderr)
        return 2
    try:
        _check_wanted(ws, jid)  # cancelled while writing: not "done"
    except Cancelled:
        return 1
    ws.update_record("jobs", jid, state="done", stage="Done",
                     finished=time.time(), **outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
