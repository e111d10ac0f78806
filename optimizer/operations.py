"""End-to-end operations the CLI (or a notebook) calls in one line."""

from __future__ import annotations

import csv
import gc
import hashlib
import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from optimizer.domain import Assessment, Instance
from optimizer.errors import InputError, Problem
from optimizer.inputs import scenarios
from optimizer.inputs.arrivals import Arrivals, updated_roster_files
from optimizer.inputs.dates import (
    arrival_date_problems,
    planning_year_problems,
    scenario_date_problems,
)
from optimizer.inputs.plans import compare_with_published, published_summary
from optimizer.inputs.roster import Roster, load_roster
from optimizer.inputs.settings import scenario_rules, scenario_weights
from optimizer.objectives import ObjectiveWeights
from optimizer.outputs import compare as comparing
from optimizer.outputs import plan_files, report, staffing
from optimizer.outputs.terminal import proof_text, render_diagnosis
from optimizer.reasons import midyear
from optimizer.reasons.coverage import Coverage, service_coverage
from optimizer.reasons.fixes import coverage_fixes
from optimizer.result import Result, SolverParams
from optimizer.rules import RuleSet
from optimizer.solver import solver_versions
from optimizer.solver.dispatch import solve
from optimizer.verify import Audit, RosterPass, audit


def tune_gc_for_large_rosters() -> None:
    """The collector setting of every run (the CLI's commands and the
    workbench's jobs alike).

    A large roster builds millions of small objects that live until the
    run ends; the cyclic collector's repeated full passes over them cost
    about a quarter of a 70,000-student run (issue 11). Young objects are
    still collected; full passes become rare.
    """
    gc.set_threshold(100_000, 50, 100)


@dataclass
class PlanRun:
    """A finished ``plan``: the result, the checker's audit, the files."""

    result: Result
    audit: Audit | None
    files: dict[str, str | bytes]
    warnings: list[str]
    # Re-plans only: changes.csv's rows (header first), see ``replan``.
    changes: list[list[str]] | None = None
    # Service coverage of the roster (issue 13) and its verified fixes.
    coverage: Coverage | None = None
    coverage_fixes: list = field(default_factory=list)


def solve_timeout(params: SolverParams) -> float:
    """Seconds a solve aside may take before it is taken for stuck: the
    time limit, what comes before and after the search (building the
    parts, the flows, re-pricing: about 10 s at 70,000 students), and
    room for a loaded machine."""
    return 3 * params.time_limit + 120


# Seconds plan.xlsx may take aside (about 0.7 s at 70,000 students).
WORKBOOK_TIMEOUT = 300.0


class SolveAhead:
    """The plan of a roster solved in a forked child (``outputs.aside``)
    while the caller goes on: ``caseload plan`` judges and prints the
    roster's warnings meanwhile, and ``plan`` prepares the checker's
    roster pass. The result is the one ``solve`` returns in line (the
    same settings, the same seed; a system without fork, or a child
    that fails, solves in line). Use as a context manager: leaving it
    early stops the child.
    """

    def __init__(self, instance: Instance, rules: RuleSet,
                 weights: ObjectiveWeights, params: SolverParams):
        import pickle

        from optimizer.outputs.aside import Aside

        self.key = (instance, rules, weights, params)
        self._aside = Aside(lambda: pickle.dumps(
            solve(instance, rules, weights, params),
            pickle.HIGHEST_PROTOCOL), collect=True,
            timeout=solve_timeout(params))

    def made_for(self, instance: Instance, rules: RuleSet,
                 weights: ObjectiveWeights, params: SolverParams) -> bool:
        i, r, w, p = self.key
        return i is instance and r is rules and w == weights \
            and p == params

    def result(self) -> Result:
        import pickle

        return pickle.loads(self._aside.result())

    @property
    def note(self) -> str | None:
        """Why the plan was solved again in line, if it was: the child
        that solved it failed (killed for memory, say)."""
        if self._aside.failed is None:
            return None
        return (f"the second process solving the plan {self._aside.failed};"
                " the plan was solved again in this process (the same "
                "plan, in more time)")

    def __enter__(self) -> SolveAhead:
        return self

    def __exit__(self, *exc) -> None:
        self._aside.__exit__(*exc)


def plan(instance: Instance, rules: RuleSet, *, input_hash: str,
         weights: ObjectiveWeights, params: SolverParams,
         warnings: list[str] | None = None,
         redact: bool = False, xlsx: bool = True, html: bool = True,
         title: str = "Case-manager plan",
         solve_on: Instance | None = None, roster_label: str = "",
         against: report.Against | None = None,
         reference: dict[str, str] | None = None,
         district: dict[str, str] | None = None,
         assessments: list[Assessment] | None = None,
         ahead: SolveAhead | None = None) -> PlanRun:
    """Solve, re-verify with the checker, and render the plan files.

    A plan the checker rejects is a bug and raises ``AssertionError``: it
    is never written. With ``redact``, student ids in the files become
    stable pseudonyms (keyed by the roster's hash), the roster's own
    columns are left out, and warnings are only counted. ``against``
    says what report.html counts changes against (default: last year's
    case managers); ``roster_label`` names the roster in its header.
    With a ``reference`` plan, the plan is the one closest to it among
    equally good plans (objective R, recomputed by the checker).
    With ``district`` (the export's own headers, ``Roster.headers``),
    the files gain the change list in the export's terms
    (``outputs.district``). ``ahead``: the plan already being solved
    (``SolveAhead``, for ``instance`` as it is, without a reference);
    the checker's roster pass is prepared while it finishes.
    """
    rename = plan_files.pseudonymizer(input_hash) if redact else None
    warnings = list(warnings or [])
    # solve_on: the same roster with planning-only changes (pins, or
    # published case managers standing in as priors); the files always
    # describe and check the real roster.
    roster_pass = fixes = staffing_text = None
    cov = service_coverage(instance, rules)  # (judged at loading: kept)
    if ahead is not None:
        if solve_on is not None or reference is not None \
                or not ahead.made_for(instance, rules, weights, params):
            raise ValueError("the plan solved ahead is another roster's "
                             "or settings'")
        # what reads the roster alone, while the plan is solved aside
        roster_pass = RosterPass.prepare(instance, rules)
        fixes = coverage_fixes(instance, rules, cov)
        staffing_text = staffing.staffing_csv(cov)
        result = ahead.result()
        if ahead.note is not None:
            warnings.append(ahead.note)
    else:
        result = solve(solve_on or instance, rules, weights, params,
                       reference=reference)
    files: dict[str, str | bytes] = {}
    checked = None
    if result.has_plan:
        checked = audit(instance, rules, dict(result.assignment),
                        reference=reference,
                        calendar=weights.calendar(instance.students),
                        roster_pass=roster_pass)
        if checked.violations:
            raise AssertionError(
                "the solver's plan fails the checker: "
                + "; ".join(map(str, checked.violations[:5])))
        rows = plan_files.assignments_rows(checked, instance, rules, rename)
        # its text below, while plan.xlsx is made aside (same order)
        files["assignments.csv"] = ""
        if assessments is not None:  # their meetings join the calendar
            files["assessments.csv"] = _assessments(
                instance, weights, checked, assessments, warnings, rename,
                params)
        files["caseloads.csv"] = plan_files.caseloads_csv(checked, instance)
        meetings = plan_files.meetings_csv(checked, instance)
        if meetings is not None:  # with IEP meeting dates only
            files["meetings.csv"] = meetings
        if district and not redact:
            from optimizer.outputs import district as in_district

            files[in_district.FILE] = plan_files.csv_text(
                in_district.change_rows(checked, instance, district))
    shown = ([f"{len(warnings)} warning(s) withheld (--redact)"]
             if redact and warnings else warnings)
    summary = plan_files.summary(result, checked, input_hash=input_hash,
                                 rules=rules, weights=weights,
                                 warnings=shown,
                                 solver_versions=solver_versions())
    summary["redacted"] = redact
    if result.diagnosis is not None:
        diagnosis = plan_files.diagnosis_dict(result, rename)
        if not redact:
            summary["diagnosis"] = render_diagnosis(
                result.diagnosis).splitlines()
        files["diagnosis.json"] = plan_files.to_json(diagnosis)
    # Services never block a plan: coverage is reported, not enforced.
    if fixes is None:
        fixes = coverage_fixes(instance, rules, cov)
    summary["services"] = staffing.summary(cov, fixes, rename)
    files["staffing.csv"] = (staffing_text if staffing_text is not None
                             else staffing.staffing_csv(cov))
    files["summary.json"] = plan_files.to_json(summary)
    with _workbook_aside(files, rows if checked is not None else None,
                         xlsx) as book:
        if checked is not None:
            files["assignments.csv"] = plan_files.csv_text(rows)
        if html and not redact:
            files["report.html"] = _report(
                title, result, checked, instance, rules, weights, params,
                roster_label, against, warnings, (cov, fixes))
        if book is not None:
            files["plan.xlsx"] = book.result()
    return PlanRun(result, checked, files, warnings, coverage=cov,
                   coverage_fixes=fixes)


@contextmanager
def _workbook_aside(files: dict[str, str | bytes],
                    rows: list[list[str]] | None, xlsx: bool):
    """plan.xlsx made by a child process (``outputs.aside``) while the
    caller writes the rest; None without a checked plan or ``xlsx``.
    The checker has passed: the workbook is made of its rows."""
    if not xlsx or rows is None:
        yield None
        return
    from optimizer.outputs import workbook
    from optimizer.outputs.aside import Aside

    ready = {name: files[name] for name in ("caseloads.csv",
                                            "summary.json")}
    # the rows as they are: the same workbook as from the CSV text
    with Aside(lambda: workbook.plan_workbook(
            ready, {"assignments.csv": rows}),
            timeout=WORKBOOK_TIMEOUT) as book:
        yield book


# Seconds the assessments' search may take at most (the plan's time limit
# when it is shorter).
ASSESSMENT_SECONDS = 20.0


def _assessments(instance: Instance, weights: ObjectiveWeights,
                 checked: Audit, assessments: list[Assessment],
                 warnings: list[str], rename, params: SolverParams) -> str:
    """AB 560: share the pending initial assessments (a small assignment
    after the plan, ``solver.assessments``), re-check it, and add each
    assessment's initial IEP meeting to the calendar (meetings.csv). Its
    search gets the plan's time limit, at most ``ASSESSMENT_SECONDS``
    (3,000 pending assessments at 70,000 students took all 20 s of it
    after a plan limited to 20 s)."""
    from optimizer.objectives import Calendar, meeting_counts, period_of
    from optimizer.reasons.assessments import why_unassigned
    from optimizer.solver.assessments import NotSolved, assign_assessments
    from optimizer.verify import audit_assessments

    calendar = checked.calendar or Calendar(
        weights.calendar_period, weights.max_meetings_per_month)
    kinds = weights.assessment_kinds
    placed = [(line.staff.staff_id, line.student) for line in checked.lines
              if line.staff is not None]
    months = meeting_counts(placed, calendar, months=True)
    try:
        shared = assign_assessments(
            assessments, instance.staff, kinds,
            weights.assessment_max_difference, checked.meetings or {},
            calendar.period, min(ASSESSMENT_SECONDS, params.time_limit),
            params.seed, limit=calendar.max_per_month, months=months)
    except ValueError as exc:
        raise InputError([Problem("assessments", None,
                                  "assessment_max_difference",
                                  str(weights.assessment_max_difference),
                                  str(exc))]) from None
    except NotSolved as exc:
        raise InputError([Problem("assessments", None, None, None,
                                  str(exc))]) from None
    broken = audit_assessments(assessments, instance.staff,
                               shared.assignment, kinds,
                               weights.assessment_max_difference,
                               months, calendar.max_per_month)
    if broken:
        raise AssertionError("the assessments' assignment fails the "
                             "checker: " + "; ".join(map(str, broken)))
    why = {a.assessment_id: why_unassigned(a, instance.staff, kinds)
           for a in shared.unassignable}
    for a in shared.unassignable:
        warnings.append(f"assessment {a.assessment_id} is left "
                        f"unassigned: {why[a.assessment_id]}")
    meetings = dict(checked.meetings or {})
    for a in assessments:
        who = shared.assignment.get(a.assessment_id)
        if who is not None:
            for counts, period in ((meetings, calendar.period),
                                   (months, "month")):
                key = (who, period_of(a.due_date, period))
                counts[key] = counts.get(key, 0) + 1
    checked.meetings, checked.calendar = meetings, calendar
    checked.months = months
    names = {c.staff_id: c.name for c in instance.staff}
    rows = [["assessment_id", "site", "grade", "due_date", "areas",
             "staff_id", "name", "why_unassigned"]]
    for a in assessments:
        who = shared.assignment.get(a.assessment_id, "")
        rows.append([rename(a.assessment_id) if rename else a.assessment_id,
                     a.site, a.grade, a.due_date.isoformat(),
                     ";".join(a.areas), who, names.get(who, ""),
                     why.get(a.assessment_id, "")])
    return plan_files.csv_text(rows)


def service_report(instance: Instance, rules: RuleSet) -> list[str]:
    """What ``caseload check`` says about services: gaps, alternate
    placements, the staffing shortfall and verified fixes (issue 13)."""
    cov = service_coverage(instance, rules)
    return staffing.text_lines(cov, coverage_fixes(instance, rules, cov))


def _plan_view(name: str, result: Result, checked: Audit | None,
               instance: Instance, rules: RuleSet,
               against: report.Against | None = None,
               warnings: list[str] | None = None,
               coverage: tuple[Coverage, list] | None = None):
    proof = proof_text(result) if result.has_plan else ""
    diagnosis = (render_diagnosis(result.diagnosis)
                 if result.diagnosis is not None else "")
    view = report.plan_view(name, result.status.value, proof, checked,
                            instance, rules, against, diagnosis, warnings)
    if coverage is not None:
        view.services = staffing.html_view(*coverage, rules)
    return view


def _report(title: str, result: Result, checked: Audit | None,
            instance: Instance, rules: RuleSet, weights: ObjectiveWeights,
            params: SolverParams, roster_label: str,
            against: report.Against | None,
            warnings: list[str],
            coverage: tuple[Coverage, list] | None = None) -> str:
    view = _plan_view(title, result, checked, instance, rules, against,
                      warnings, coverage)
    meta = _meta(roster_label, instance, weights, params,
                 against.words if against else "",
                 against.source if against else "")
    return report.render(title, meta, [view])


def _meta(roster_label: str, instance: Instance, weights: ObjectiveWeights,
          params: SolverParams, ties: str = "", counted: str = ""
          ) -> dict[str, str]:
    """report.html's header: when, which roster, which settings, and what
    changes are counted against (``ties``: the reference plan, if any)."""
    roster = (f"{_label(Path(roster_label))}: " if roster_label else "") + (
        f"{len(instance.students)} students, {len(instance.staff)} staff")
    return {"Date": date.today().isoformat(), "Roster": roster,
            "Settings": report.settings_text(weights, params, ties),
            "Changes counted against": counted or (
                "last year's case managers (prior_case_manager)")}


def _label(path: Path) -> str:
    """A path as the user would type it: relative to here when inside."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass
class Comparison:
    """A finished ``compare``: the table, the files, each scenario's run."""

    rows: list[dict]
    files: dict[str, str | bytes]
    runs: dict[str, PlanRun]
    warnings: tuple[Problem, ...] = ()  # about the base roster


def compare(paths: list[Path], rules: RuleSet, *, weights: ObjectiveWeights,
            params: SolverParams, xlsx: bool = True,
            progress=None, mapping=None,
            assessments: Path | None = None) -> Comparison:
    """Plan the base roster and every scenario with the same settings.

    ``assessments`` (a CSV of pending initial assessments) is shared by
    the base and every scenario; a scenario may replace, add, remove or
    change them (``scenarios.apply_assessments``).

    An infeasible scenario is a row with its diagnosis, not an error.
    ``mapping`` (an ``inputs.mapping.Mapping``) is applied to the base roster.
    """
    problems: list[Problem] = []  # of every file, reported in one pass
    loaded = []
    for path in paths:
        try:
            loaded.append(scenarios.load_scenario(path))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    rosters = {sc.roster for sc in loaded}
    if len(rosters) > 1:
        raise InputError([Problem(sc.path.name, None, "roster",
                                  str(sc.roster), "all scenarios of one "
                                  "comparison must share a base roster")
                          for sc in loaded])
    slugs = [sc.slug for sc in loaded]
    clash = [Problem(str(p), None, None, None,
                     "the comparison's own plan is 'base': name this "
                     "scenario file otherwise" if slug == "base" else
                     f"another scenario file is also named {slug!r}: "
                     "each names its folder of the comparison")
             for p, slug in zip(paths, slugs)
             if slug == "base" or slugs.count(slug) > 1]
    if clash:
        raise InputError(clash)
    base_roster_path = rosters.pop()
    base_roster = load_roster(base_roster_path, rules, mapping)
    base = base_roster.instance
    errors, notes = planning_year_problems(base_roster, weights)
    problems += errors
    pending = None
    if assessments is not None:
        from optimizer.inputs.assessments import load_assessments

        try:
            pending = load_assessments(assessments, base,
                                       weights.assessment_kinds,
                                       _year(weights, base))
        except InputError as exc:
            problems += exc.problems
    todo = [("base", "Base roster", base, weights, base_roster.input_hash,
             rules, pending)]
    for sc in loaded:
        sc_rules = scenario_rules(rules, sc)  # its authorizations setting
        # This scenario's problems, all of them whatever another file
        # (the base's, another scenario's) holds: reported in one pass.
        mine: list[Problem] = []
        instance = changed = own = None
        try:
            instance = scenarios.apply(base, sc, sc_rules)
        except InputError as exc:
            mine += exc.problems
        try:
            changed = scenario_weights(weights, sc)
        except InputError as exc:
            mine += exc.problems
        if instance is not None and changed is not None:
            # the meeting dates it moves or adds, as the roster's are
            errors, moved = scenario_date_problems(
                sc.path.name, base.students, instance.students, changed)
            mine += errors
            notes += moved
            # (a base file that did not read leaves nothing to change)
            if assessments is None or pending is not None:
                try:
                    own = scenarios.apply_assessments(
                        pending, sc, instance, changed.assessment_kinds,
                        _year(changed, instance))
                except InputError as exc:
                    mine += exc.problems
        problems += mine
        if problems:
            continue
        assert instance is not None and changed is not None
        # A scenario's inputs are the roster and the scenario file.
        digest = hashlib.sha256(base_roster.input_hash.encode()
                                + sc.path.read_bytes()).hexdigest()
        if own is not None and "assessments" in sc.data:
            digest = hashlib.sha256(
                digest.encode() + (sc.path.parent / sc.data["assessments"])
                .read_bytes()).hexdigest()
        todo.append((sc.slug, sc.name, instance, changed, digest, sc_rules,
                     own))
    if problems:
        raise InputError(problems)
    files: dict[str, str | bytes] = {}
    rows, views, runs = [], [], {}
    base_assignment: dict[str, str] | None = None
    base_names = {c.staff_id: c.name for c in base.staff}
    changes = [["student_id", "scenario", "base_case_manager",
                "scenario_case_manager"]]
    for i, (slug, name, instance, w, digest, run_rules, own) in \
            enumerate(todo):
        if progress:
            progress(i, len(todo), name)
        # Scenarios: the plan closest to the base among equally good ones.
        run = plan(instance, run_rules, input_hash=digest, weights=w,
                   params=params, xlsx=xlsx, html=False,
                   reference=base_assignment, assessments=own)
        runs[slug] = run
        diag = (render_diagnosis(run.result.diagnosis)
                if run.result.diagnosis is not None else "")
        row = comparing.kpi_row(name, run.result, run.audit, instance,
                                base_assignment, run_rules, diag)
        assert run.coverage is not None
        row["services_shortfall"] = run.coverage.shortfall
        if own is not None and "assessments.csv" in run.files:
            shared = run.files["assessments.csv"]
            assert isinstance(shared, str)
            row["assessments"] = len(own)
            row["assessments_unassigned"] = sum(
                1 for r in csv.DictReader(io.StringIO(shared))
                if not r["staff_id"])
        rows.append(row)
        against = None if slug == "base" else report.Against(
            "the base plan", base_assignment or {}, base_names)
        shown = [str(w) for w in base_roster.warnings] if slug == "base" \
            else None  # a scenario's roster warnings are the base's
        views.append(_plan_view(name, run.result, run.audit, instance,
                                run_rules, against, shown,
                                coverage=(run.coverage, run.coverage_fixes)))
        if slug == "base":
            base_assignment = dict(run.result.assignment)
        elif run.result.has_plan:  # no plan: nobody "moves to nobody"
            changes += comparing.changes_rows(base_assignment or {}, slug,
                                              run.result.assignment)
        for fname, text in run.files.items():
            files[f"{slug}/{fname}"] = text
    frame = comparing.comparison_frame(rows)
    files["compare.csv"] = frame.to_csv(index=False, lineterminator="\n")
    files["changes.csv"] = plan_files.csv_text(changes)
    meta = _meta(str(base_roster_path), base, weights, params,
                 "the base plan", "last year's case managers for the base "
                 "roster; the base plan for each scenario")
    meta["Scenarios"] = ", ".join(sc.path.name for sc in loaded)
    files["report.html"] = report.render(
        "Scenario comparison", meta, views,
        comparing.comparison_table(rows))
    files["summary.json"] = plan_files.to_json(
        {"kind": "comparison", "scenarios": rows})
    return Comparison(rows, files, runs, (*base_roster.warnings, *notes))


def _year(weights: ObjectiveWeights, instance: Instance):
    """The planning year's first and last day; None without dates."""
    calendar = weights.calendar(instance.students)
    return calendar.year if calendar is not None else None


ROSTER_FOLDER = "roster"  # in a plan folder that place --out writes


@dataclass
class Verification:
    """A new plan compared with a published plan folder."""

    differ: list[str]  # students whose case manager differs
    same_input: bool | None  # the recorded input hash matches (None: unknown)
    redacted: bool  # the published plan has pseudonyms for student ids
    comparable: bool = True


def verify_against(published: Path, new_csv: str, input_hash: str
                   ) -> Verification:
    """Compare a new plan's assignments.csv with a published plan.

    A plan written with ``--redact`` holds pseudonyms keyed by its own
    inputs: with the same inputs the new ids are pseudonymized the same
    way and compared; with other inputs no student can be matched, and
    the result says so (``comparable`` False) instead of counting every
    student twice as a difference.
    """
    summary = published_summary(published)
    recorded = summary.get("input_hash")
    same = None if recorded is None else recorded == input_hash
    redacted = bool(summary.get("redacted"))
    if redacted and not same:
        return Verification([], same, True, comparable=False)
    rename = plan_files.pseudonymizer(input_hash) if redacted else None
    differ, _ = compare_with_published(new_csv, published, rename)
    return Verification(differ, same, redacted)


@dataclass
class Placing:
    """A finished ``place``: rankings per new student, optional re-plan."""

    rankings: list[tuple]  # (Student, [midyear.Placement, ...])
    stale: bool  # the published plan breaks a hard rule on this roster
    run: PlanRun | None = None
    moved: int = 0
    # per new student: who could take them but for the monthly limit (H8)
    held_back: dict[str, list[str]] = field(default_factory=dict)
    # meeting dates outside the planning year (not counted by S5 or H8)
    warnings: list[str] = field(default_factory=list)


def place(roster: Roster, rules: RuleSet, published: dict[str, str],
          new: list | Arrivals, *, replan: bool,
          weights: ObjectiveWeights | None = None) -> Placing:
    """Rank who can take each new student; optionally re-plan with every
    published assignment pinned (so nobody else moves).

    ``new`` read with ``load_arrivals`` (checked against the roster) also
    gives the re-plan's files the updated roster, ``roster/students.csv``
    and ``roster/staff.csv``, so the plan can be checked later.
    """
    arrivals = new if isinstance(new, Arrivals) else None
    new = arrivals.students if arrivals is not None else new
    instance = roster.instance
    clash = sorted({s.student_id for s in new}
                   & {s.student_id for s in instance.students})
    if clash:
        raise InputError([Problem("student file", None, "student_id", sid,
                                  "already on the roster") for sid in clash])
    # The plan's settings (``weights``): its weights order the
    # candidates, and its monthly limit (H8) holds for them and the
    # re-plan, as ``plan`` keeps it.
    weights = weights or ObjectiveWeights()
    # The planning year, as plan judges it: a mistyped year is an error,
    # a date outside the year a warning (the roster's and the new ones')
    errors, notes = (arrival_date_problems(arrivals, roster, weights)
                     if arrivals is not None
                     else planning_year_problems(roster, weights))
    if errors:
        raise InputError(errors)
    current = audit(instance, rules, published,
                    calendar=weights.calendar(instance.students))
    outcome = Placing([(s, midyear.rank_placements(s, instance, rules,
                                                   current, weights))
                       for s in new],
                      stale=bool(current.violations),
                      held_back={s.student_id: midyear.held_back_by_h8(
                          s, instance, rules, current) for s in new},
                      warnings=[str(p) for p in notes])
    if not replan:
        return outcome
    width = len(instance.extra_columns)
    combined = instance.replace(
        students=(*instance.students, *new),
        extras={**instance.extras,
                **{s.student_id: ("",) * width for s in new}})
    outcome.run = plan(combined, rules, input_hash=roster.input_hash,
                       weights=weights, params=SolverParams(),
                       solve_on=midyear.pin_published(combined, published))
    outcome.moved = sum(1 for sid, cm in published.items()
                        if outcome.run.result.assignment.get(sid)
                        not in (None, cm))
    if arrivals is not None:
        outcome.run.files.update(
            (f"{ROSTER_FOLDER}/{name}", text) for name, text in
            updated_roster_files(roster, arrivals).items())
    return outcome


def plan_or_replan(roster: Roster, rules: RuleSet, *,
                   weights: ObjectiveWeights, params: SolverParams,
                   published: dict[str, str] | None = None,
                   warnings: list[str] | None = None,
                   redact: bool = False, xlsx: bool = True,
                   roster_label: str = "", source: str = "",
                   published_names: dict[str, str] | None = None,
                   pins: dict[str, str] | None = None,
                   assessments: list[Assessment] | None = None,
                   ahead: SolveAhead | None = None) -> PlanRun:
    """What ``caseload plan`` and the workbench's plan job both run: a
    yearly plan (``plan``, with the roster's export headers), or with a
    ``published`` plan a re-plan from it (``replan``, under its own strict
    priorities: of ``weights`` only the meeting-calendar settings apply).

    The roster's meeting dates are checked against the planning year
    first: a date that cannot be this year's is a located error, one
    outside the year a located warning (``inputs.dates``)."""
    errors, notes = planning_year_problems(roster, weights)
    if errors:
        raise InputError(errors)
    if notes:
        warnings = [*(warnings or []), *map(str, notes)]
    if published is not None:
        if ahead is not None:
            raise ValueError("a re-plan is not solved ahead")
        return replan(roster, rules, published, params=params,
                      warnings=warnings, redact=redact, xlsx=xlsx,
                      source=source, published_names=published_names,
                      roster_label=roster_label, pins=pins,
                      weights=weights, assessments=assessments)
    if pins:
        raise ValueError("pins apply to a re-plan only")
    return plan(roster.instance, rules, input_hash=roster.input_hash,
                weights=weights, warnings=warnings, redact=redact,
                xlsx=xlsx, params=params, roster_label=roster_label,
                district=roster.headers, assessments=assessments,
                ahead=ahead)


def replan(roster: Roster, rules: RuleSet, published: dict[str, str], *,
           params: SolverParams, warnings: list[str] | None = None,
           redact: bool = False, xlsx: bool = True,
           source: str = "", published_names: dict[str, str] | None = None,
           roster_label: str = "",
           pins: dict[str, str] | None = None,
           weights: ObjectiveWeights | None = None,
           assessments: list[Assessment] | None = None) -> PlanRun:
    """Re-plan after roster changes, keeping a published plan wherever it
    remains valid (``caseload plan --from``).

    Strict priorities: best practice, then as few changes from the
    published plan as possible, then balance and language; ``weights``
    gives only the district's meeting-calendar settings (H8, the period,
    AB 560's: ``midyear.replan_weights``). The run's
    files gain ``changes.csv``: every student whose case manager differs
    from the published plan, with the reason; report.html counts its
    changes against the published plan too (``source`` names it).

    ``pins`` fix chosen students' case managers (a planner's choice in
    the workbench) for the solve only; the files describe and check the
    roster itself.
    """
    wanted = roster.instance.replace(
        pins={**roster.instance.pins, **(pins or {})})
    weights = midyear.replan_weights(weights)
    run = plan(roster.instance, rules, input_hash=roster.input_hash,
               weights=weights, params=params,
               warnings=warnings, redact=redact, xlsx=xlsx, html=False,
               solve_on=midyear.replan_instance(wanted, published),
               reference=published, assessments=assessments)
    reasons: dict[str, str] = {}
    if run.audit is not None:
        run.changes = midyear.change_reasons(
            roster.instance, rules, published, run.result.assignment,
            run.audit, chosen=pins)
        run.files["changes.csv"] = plan_files.csv_text(run.changes)
        reasons = {row[0]: row[3] for row in run.changes[1:]}
    if not redact:
        against = report.Against(
            "the published plan", published, published_names or {},
            reasons, f"the published plan in {source}" if source else "")
        run.files["report.html"] = _report(
            "Case-manager plan (re-planned)", run.result, run.audit,
            roster.instance, rules, weights, params,
            roster_label, against, run.warnings,
            (run.coverage, run.coverage_fixes) if run.coverage else None)
    return run
