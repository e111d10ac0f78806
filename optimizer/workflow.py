"""End-to-end operations the CLI (or a notebook) calls in one line."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import ValidationError

from optimizer import io, report, report_html
from optimizer.cpsat import solver_version
from optimizer.domain import Instance
from optimizer.errors import InputError, Problem
from optimizer.explain import render_diagnosis
from optimizer.objectives import ObjectiveWeights
from optimizer.result import Result, SolverParams
from optimizer.rules import RuleSet
from optimizer.solve import solve
from optimizer.verify import Audit, audit


@dataclass
class PlanRun:
    """A finished ``plan``: the result, the checker's audit, the files."""

    result: Result
    audit: Audit | None
    files: dict[str, str | bytes]
    warnings: list[str]


def plan(instance: Instance, rules: RuleSet, *, input_hash: str,
         weights: ObjectiveWeights, params: SolverParams,
         warnings: list[str] | None = None,
         redact: bool = False, xlsx: bool = True, html: bool = True,
         title: str = "Case-manager plan",
         solve_on: Instance | None = None) -> PlanRun:
    """Solve, re-verify with the checker, and render the plan files.

    A plan the checker rejects is a bug and raises ``AssertionError``: it
    is never written. With ``redact``, student ids in the files become
    stable pseudonyms (keyed by the roster's hash), the roster's own
    columns are left out, and warnings are only counted.
    """
    rename = report.pseudonymizer(input_hash) if redact else None
    warnings = list(warnings or [])
    # solve_on: the same roster with planning-only changes (pins, or
    # published case managers standing in as priors); the files always
    # describe and check the real roster.
    result = solve(solve_on or instance, rules, weights, params)
    files: dict[str, str | bytes] = {}
    checked = None
    if result.has_plan:
        checked = audit(instance, rules, dict(result.assignment))
        if checked.violations:
            raise AssertionError(
                "the solver's plan fails the checker: "
                + "; ".join(map(str, checked.violations[:5])))
        files["assignments.csv"] = report.assignments_csv(checked, instance,
                                                          rules, rename)
        files["caseloads.csv"] = report.caseloads_csv(checked, instance)
    shown = ([f"{len(warnings)} warning(s) withheld (--redact)"]
             if redact and warnings else warnings)
    summary = report.summary(result, checked, input_hash=input_hash,
                             rules=rules, weights=weights, warnings=shown,
                             solver_version=solver_version())
    summary["redacted"] = redact
    if result.diagnosis is not None:
        diagnosis = diagnosis_dict(result, rename)
        if not redact:
            summary["diagnosis"] = render_diagnosis(
                result.diagnosis).splitlines()
        files["diagnosis.json"] = report.to_json(diagnosis)
    files["summary.json"] = report.to_json(summary)
    if html and not redact:
        view = _plan_view(title, result, checked, instance, rules)
        files["report.html"] = report_html.render(
            title, f"{len(instance.students)} students, "
            f"{len(instance.staff)} staff", [view])
    if xlsx and checked is not None:
        from optimizer import excel  # openpyxl is slow to import

        files["plan.xlsx"] = excel.plan_workbook(files)
    return PlanRun(result, checked, files, warnings)


def _plan_view(name: str, result: Result, checked: Audit | None,
               instance: Instance, rules: RuleSet,
               base: dict[str, str] | None = None):
    proof = report.proof_text(result) if result.has_plan else ""
    diagnosis = (render_diagnosis(result.diagnosis)
                 if result.diagnosis is not None else "")
    return report_html.plan_view(name, result.status.value, proof, checked,
                                 instance, rules, base, diagnosis)


@dataclass
class Comparison:
    """A finished ``compare``: the table, the files, each scenario's run."""

    rows: list[dict]
    files: dict[str, str | bytes]
    runs: dict[str, PlanRun]
    warnings: tuple[Problem, ...] = ()  # about the base roster


def compare(paths: list[Path], rules: RuleSet, *, weights: ObjectiveWeights,
            params: SolverParams, xlsx: bool = True,
            progress=None) -> Comparison:
    """Plan the base roster and every scenario with the same settings.

    An infeasible scenario is a row with its diagnosis, not an error.
    """
    from optimizer import scenarios

    loaded = [scenarios.load_scenario(p) for p in paths]
    rosters = {sc.roster for sc in loaded}
    if len(rosters) > 1:
        raise InputError([Problem(sc.path.name, None, "roster",
                                  str(sc.roster), "all scenarios of one "
                                  "comparison must share a base roster")
                          for sc in loaded])
    slugs = [sc.slug for sc in loaded]
    if len(set(slugs)) != len(slugs) or "base" in slugs:
        raise InputError([Problem(p.name, None, None, None,
                                  "scenario file names must be distinct "
                                  "and not 'base'") for p in paths])
    base_roster = io.load_roster(rosters.pop(), rules)
    base = base_roster.instance
    todo = [("base", "Base roster", base, weights, base_roster.input_hash)]
    for sc in loaded:
        instance = scenarios.apply(base, sc, rules)
        # A scenario's inputs are the roster and the scenario file.
        digest = hashlib.sha256(base_roster.input_hash.encode()
                                + sc.path.read_bytes()).hexdigest()
        todo.append((sc.slug, sc.name, instance,
                     _scenario_weights(weights, sc), digest))
    files: dict[str, str | bytes] = {}
    rows, views, runs = [], [], {}
    base_assignment: dict[str, str] | None = None
    changes = [["student_id", "scenario", "base_case_manager",
                "scenario_case_manager"]]
    for i, (slug, name, instance, w, digest) in enumerate(todo):
        if progress:
            progress(i, len(todo), name)
        run = plan(instance, rules, input_hash=digest, weights=w,
                   params=params, xlsx=xlsx, html=False)
        runs[slug] = run
        diag = (render_diagnosis(run.result.diagnosis)
                if run.result.diagnosis is not None else "")
        rows.append(scenarios.kpi_row(name, run.result, run.audit, instance,
                                      base_assignment, rules, diag))
        views.append(_plan_view(name, run.result, run.audit, instance,
                                rules, base_assignment))
        if slug == "base":
            base_assignment = dict(run.result.assignment)
        else:
            changes += scenarios.changes_rows(base_assignment or {}, slug,
                                              run.result.assignment)
        for fname, text in run.files.items():
            files[f"{slug}/{fname}"] = text
    frame = scenarios.comparison_frame(rows)
    files["compare.csv"] = frame.to_csv(index=False, lineterminator="\n")
    files["changes.csv"] = report.csv_text(changes)
    files["report.html"] = report_html.render(
        "Scenario comparison", f"{len(loaded)} scenario(s) on "
        f"{len(base.students)} students", views,
        report_html.comparison_table(rows))
    files["summary.json"] = report.to_json(
        {"kind": "comparison", "scenarios": rows})
    return Comparison(rows, files, runs, base_roster.warnings)


def _scenario_weights(base: ObjectiveWeights, sc) -> ObjectiveWeights:
    objective = sc.objective()
    if not objective:
        return base
    data = base.model_dump()
    data.update({k: objective[k] for k in ("mode", "priority")
                 if k in objective})
    data.update(objective.get("weights", {}))
    try:
        return ObjectiveWeights(**data)
    except ValidationError as exc:
        raise InputError([
            Problem(sc.path.name, None,
                    "objective." + ".".join(map(str, e["loc"])),
                    str(e.get("input")),
                    e["msg"].removeprefix("Value error, "))
            for e in exc.errors()]) from None


def diagnosis_dict(result: Result, rename=None) -> dict:
    d = result.diagnosis
    assert d is not None
    if rename is not None:
        d = replace(d, no_candidates=tuple(
            replace(nc, student_ids=tuple(map(rename, nc.student_ids)))
            for nc in d.no_candidates), shortfalls=tuple(
            replace(sh, student_ids=tuple(map(rename, sh.student_ids)))
            for sh in d.shortfalls))
    return {
        "status": result.status.value,
        "no_eligible_case_manager": [
            {"students": list(nc.student_ids), "site": nc.site,
             "profile": nc.profile,
             "excluded": [{"staff_id": ex.staff_id,
                           "reasons": [{"rule": r, "reason": m}
                                       for r, m in ex.reasons]}
                          for ex in nc.excluded]}
            for nc in d.no_candidates],
        "capacity_shortfalls": [
            {"students": list(sh.student_ids), "sites": list(sh.sites),
             "staff": [{"staff_id": i, "cap": cap}
                       for i, _, cap in sh.staff],
             "shortfall": sh.shortfall, "rule": "H6"}
            for sh in d.shortfalls],
        "notes": list(d.notes),
        "conflicts": [
            {"facts": list(c.facts),
             "students": [rename(x) if rename else x for x in c.students],
             "fixes": [{"kind": k, "fix": t, "change": ch}
                       for k, t, ch in c.fixes]}
            for c in d.conflicts],
    }


def load_weights(path: Path | None, mode: str | None,
                 priority: str | None,
                 overrides: dict[str, float]) -> ObjectiveWeights:
    """Objective settings from a TOML file, then command-line overrides."""
    data: dict = {}
    file = str(path) if path else "weights.toml"
    if path is not None:
        raw = io.load_weights_file(path)
        unknown = set(raw) - {"mode", "priority", "weights"}
        problems = [Problem(file, None, key, None, "unknown key; expected "
                            "mode, priority or [weights]")
                    for key in sorted(unknown)]
        if problems:
            raise InputError(problems)
        data.update({k: raw[k] for k in ("mode", "priority") if k in raw})
        data.update(raw.get("weights", {}))
    if mode:
        data["mode"] = mode
    if priority:
        data["priority"] = tuple(p.strip() for p in priority.split(","))
    data.update(overrides)
    try:
        return ObjectiveWeights(**data)
    except ValidationError as exc:
        where = file if path is not None else "command line"
        raise InputError([
            Problem(where, None, ".".join(map(str, e["loc"])) or None,
                    str(e.get("input")),
                    e["msg"].removeprefix("Value error, "))
            for e in exc.errors()]) from None


def read_assignment(path: Path) -> tuple[dict[str, str | None],
                                         dict[str, int]]:
    """A hand-made or produced assignments.csv: student -> case manager."""
    table = io.read_table(path, ["student_id", "case_manager_id"])
    header = [h.strip().lower() for h in table.header]
    problems = [Problem(table.file, 1, col, None,
                        f'required column "{col}" is missing')
                for col in ("student_id", "case_manager_id")
                if col not in header]
    if problems:
        raise InputError(problems)
    i, j = header.index("student_id"), header.index("case_manager_id")
    assignment: dict[str, str | None] = {}
    counts: dict[str, int] = {}
    for _row, cells in table.rows:
        sid = cells[i].strip() if i < len(cells) else ""
        cm = cells[j].strip() if j < len(cells) else ""
        if not sid:
            continue
        counts[sid] = counts.get(sid, 0) + 1
        assignment.setdefault(sid, cm or None)
    duplicates = {s: n for s, n in counts.items() if n > 1}
    return assignment, duplicates


def compare_with_published(new_csv: str, published: Path
                           ) -> tuple[list[str], bool | None]:
    """Students whose case manager differs from a published plan folder,
    and whether its recorded input hash matches (None if unknown)."""
    import csv
    import io as _io
    import json

    def table(text: str) -> dict[str, str]:
        return {r["student_id"]: r["case_manager_id"]
                for r in csv.DictReader(_io.StringIO(text))}

    file = published / "assignments.csv"
    if not file.is_file():
        raise InputError([Problem(str(published), None, None, None,
                                  "not a plan folder (no assignments.csv)")])
    old = table(file.read_text(encoding="utf-8"))
    new = table(new_csv)
    differ = sorted(s for s in old.keys() | new.keys()
                    if old.get(s) != new.get(s))
    same_input = None
    summary = published / "summary.json"
    if summary.is_file():
        same_input = json.loads(summary.read_text()).get("input_hash")
    return differ, same_input


@dataclass
class Placing:
    """A finished ``place``: rankings per new student, optional re-plan."""

    rankings: list[tuple]  # (Student, [midyear.Placement, ...])
    stale: bool  # the published plan breaks a hard rule on this roster
    run: PlanRun | None = None
    moved: int = 0


def place(roster: io.Roster, rules: RuleSet, published: dict[str, str],
          new: list, *, replan: bool) -> Placing:
    """Rank who can take each new student; optionally re-plan with every
    published assignment pinned (so nobody else moves)."""
    from optimizer import midyear

    instance = roster.instance
    clash = sorted({s.student_id for s in new}
                   & {s.student_id for s in instance.students})
    if clash:
        raise InputError([Problem("student file", None, "student_id", sid,
                                  "already on the roster") for sid in clash])
    current = audit(instance, rules, published)
    outcome = Placing([(s, midyear.rank_placements(s, instance, rules,
                                                   current)) for s in new],
                      stale=bool(current.violations))
    if not replan:
        return outcome
    width = len(instance.extra_columns)
    combined = instance.replace(
        students=(*instance.students, *new),
        extras={**instance.extras,
                **{s.student_id: ("",) * width for s in new}})
    outcome.run = plan(combined, rules, input_hash=roster.input_hash,
                       weights=ObjectiveWeights(), params=SolverParams(),
                       solve_on=midyear.pin_published(combined, published))
    outcome.moved = sum(1 for sid, cm in published.items()
                        if outcome.run.result.assignment.get(sid)
                        not in (None, cm))
    return outcome
