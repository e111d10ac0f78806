"""The ``caseload`` command: thin over the library API."""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import shutil
import sys
from collections import Counter
from pathlib import Path

import click

from optimizer import operations
from optimizer.errors import (
    InputError,
    OptimizerError,
    UsageError,
    printable,
    terminal_text,
)
from optimizer.inputs.arrivals import load_arrivals
from optimizer.inputs.csv_cells import DEFAULT_SAMPLE_DIR
from optimizer.inputs.dates import planning_year_problems
from optimizer.inputs.plans import (
    load_assignment_file,
    name_mismatches,
    plan_assignments,
    published_assignment,
    published_names,
    read_assignment,
)
from optimizer.inputs.roster import Roster, load_roster, with_warnings
from optimizer.inputs.rules_tables import load_rules
from optimizer.inputs.settings import (
    apply_authorizations,
    load_weights,
    plan_settings,
    settings_for,
)
from optimizer.objectives import ObjectiveWeights
from optimizer.outputs import rules_doc
from optimizer.outputs.files import write_plan_folder, write_text_atomic
from optimizer.outputs.terminal import (
    listed,
    render_diagnosis,
    render_explanation,
    rules_lines,
    text_summary,
)
from optimizer.reasons.explain import explain_student, utilization_text
from optimizer.result import SolverParams
from optimizer.rules import RULE_TITLES
from optimizer.solver.dispatch import solve
from optimizer.verify import audit

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
EXIT_INFEASIBLE = 3
EXIT_VIOLATIONS = 4


def _echo(message: str = "", **kwargs) -> None:
    """``click.echo`` with control characters escaped: roster values
    and scenario names reach the terminal, which must show them, never
    act on them (an escape sequence, a carriage return over a line)."""
    click.echo(terminal_text(message), **kwargs)


class _UsageError(click.ClickException):
    """A command line that cannot be carried out as given (exit 2)."""

    exit_code = 2


class _Cli(click.Group):
    """Turns every product error into a clean message: exit 1 for bad
    input, exit 2 for a folder that cannot serve (a usage error)."""

    def invoke(self, ctx: click.Context):
        operations.tune_gc_for_large_rosters()
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise _UsageError(terminal_text(str(exc))) from None
        except OptimizerError as exc:
            raise click.ClickException(terminal_text(str(exc))) from None


def default_out(roster: Path) -> Path:
    """``out/<roster name>``: a folder of its own for each roster, so a
    plan without --out never lands on another plan's parent folder."""
    name = roster.stem if roster.is_file() else roster.resolve().name
    return Path("out") / (name or "plan")


def rules_option(f):
    return click.option(
        "--rules", "rules_dir", type=click.Path(exists=True, file_okay=False,
                                                path_type=Path),
        help="A district's edited copy of data/rules.")(f)


def _finite(ctx, param, value):
    """Refuse inf and nan, which click's FloatRange lets through."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"expected a number of seconds, got {value}")
    return value


def authorizations_option(f):
    return click.option(
        "--authorizations", type=click.Choice(["all", "verified-only"]),
        help="Rely on every authorization row, flagging unverified ones "
        "(all, the default), or never on a row marked unverified "
        "(verified-only). Also the key `authorizations` in a settings "
        "file.")(f)


def solver_options(f):
    """--time-limit, --seed and --workers, shared by every solving command."""
    for option in reversed((
        click.option("--time-limit", type=click.FloatRange(min=0.1),
                     default=60.0, show_default=True, callback=_finite,
                     help="Seconds the solvers may search for better plans "
                     "and proofs (for each plan); reading and writing come "
                     "on top."),
        click.option("--seed", type=int, default=0, show_default=True,
                     help="Random seed; the same seed gives the same plan "
                     "unless the time limit stops the search first."),
        click.option("--workers", type=click.IntRange(min=1), default=1,
                     show_default=True, help="Solver threads.")),
    ):
        f = option(f)
    return f


def mapping_option(f):
    return click.option(
        "--mapping", "mapping_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A mapping file (TOML) from the district's own headers and "
        "values to the roster contract; see docs/roster-format.md.")(f)


def _load(roster: Path, rules, mapping_file: Path | None, *,
          defer_warnings: bool = False) -> Roster:
    from optimizer.inputs.mapping import load_mapping

    mapping = load_mapping(mapping_file) if mapping_file else None
    return load_roster(roster, rules, mapping,
                       defer_warnings=defer_warnings)


def _warn(problems, limit: int = 3, where: str | None = None) -> None:
    """Warnings on stderr, at most ``limit`` of each kind, then a count
    and the rows of the rest: the first of them and ``where`` (the file
    the command writes that holds them all), or every row when the
    command writes no such file."""
    kinds: dict[tuple, list] = {}
    for p in problems:
        kinds.setdefault((p.file, p.column), []).append(p)
    for items in kinds.values():
        for p in items[:limit]:
            _echo(f"Warning: {p}", err=True)
        if len(items) > limit:
            rows = [str(p.row) for p in items[limit:] if p.row]
            rows = listed(rows, where) if where else ", ".join(rows)
            _echo(f"Warning: ... {len(items) - limit} more like this "
                       f"in {items[0].file}"
                       + (f" (rows {rows})" if rows else ""), err=True)


@click.group(cls=_Cli, context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="caseload")
def main() -> None:
    """Plan special-education case managers under California CTC rules."""


# Under ``run``: a finished command's large objects, left for the
# process's end (``_keep_for_exit``); None otherwise.
_KEPT: list | None = None


def _keep_for_exit(*objects) -> None:
    """Under ``run``, keep a finished command's large objects (the roster,
    the plan) until the process ends, which frees them all at once: the
    command's return would free them one by one (0.13 s on a
    70,000-student roster, after the plan is written). Called by
    ``CliRunner`` or a notebook, nothing is kept."""
    if _KEPT is not None:
        _KEPT.extend(objects)


def run() -> None:
    """The ``caseload`` command (and ``python -m optimizer.cli``): ``main``,
    then out without freeing every object one by one. Everything is
    written and flushed by then, and the exit functions still run; on a
    70,000-student roster the interpreter's teardown took 0.1 s for
    nothing. ``main`` itself (``CliRunner``, a notebook) is unchanged."""
    global _KEPT
    _KEPT = []
    try:
        main()
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):  # sys.exit("message"): shown, as Python does
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # None: closed (``>&-``; pythonw)
            stream.flush()
    os._exit(code or 0)


@main.command()
@click.argument("roster", required=False,
                type=click.Path(exists=True, path_type=Path),
                default=DEFAULT_SAMPLE_DIR)
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder for the plan files (default: out/ROSTER-NAME, "
              "e.g. out/sample).")
@rules_option
@authorizations_option
@mapping_option
@click.option("--weights", "weights_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Objective settings (TOML, see data/rules/weights.toml).")
@click.option("--mode", type=click.Choice(
    ["priority-then-weights", "weights", "priority"]),
    help="How S1-S4 combine (default: priority-then-weights).")
@click.option("--priority", help="Strict order for --mode priority, e.g. "
              "S1,S3,S2,S4.")
@click.option("--weight", "weight_pairs", multiple=True,
              metavar="TERM=VALUE", help="Override one weight, e.g. S3=2.")
@solver_options
@click.option("--xlsx/--no-xlsx", default=True, show_default=True,
              help="Also write plan.xlsx (slow for very large rosters).")
@click.option("--quiet", is_flag=True, help="No progress or warnings on "
              "stderr.")
@click.option("--json", "as_json", is_flag=True,
              help="Print summary.json to stdout instead of the summary.")
@click.option("--redact", is_flag=True, help="Write student ids as stable "
              "pseudonyms and leave out the roster's own columns.")
@click.option("--from", "from_dir",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Re-plan after roster changes, keeping this published "
              "plan wherever it remains valid; writes changes.csv. Its "
              "priorities are its own; --weights gives only the [calendar] "
              "settings (H8 stays hard).")
@click.option("--verify-against", "published",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Confirm a published plan folder is still what these "
              "inputs produce (exit 4 if not).")
@click.option("--assessments", "assessments_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Pending initial assessments (CSV: assessment_id, "
              "site, grade, due_date, areas) to share equally among the "
              "resource specialists at each site (AB 560); writes "
              "assessments.csv.")
def plan(roster: Path, out: Path | None, rules_dir: Path | None,
         authorizations: str | None,
         mapping_file: Path | None, weights_file: Path | None,
         mode: str | None, priority: str | None,
         weight_pairs: tuple[str, ...], time_limit: float, seed: int,
         workers: int, xlsx: bool, quiet: bool, as_json: bool,
         redact: bool, from_dir: Path | None,
         published: Path | None,
         assessments_file: Path | None = None) -> None:
    """Plan case managers for ROSTER (default: the bundled sample).

    Example:

    \b
        caseload plan data/sample --out out/sample
    """
    overrides = _parse_weight_pairs(weight_pairs)
    out = out or default_out(roster)
    rules = apply_authorizations(load_rules(rules_dir), weights_file,
                                 authorizations)
    # A yearly plan is solved by a second process (``SolveAhead``) while
    # this one judges the roster for its warnings.
    yearly = from_dir is None
    loaded = _load(roster, rules, mapping_file, defer_warnings=yearly)
    weights = load_weights(weights_file, mode, priority, overrides)
    if from_dir is not None and weights_file is None:
        # A re-plan keeps the published plan's meeting-calendar settings
        # (H8's limit, the period, the planning year) unless --weights
        # gives the district's anew.
        found = plan_settings(from_dir)
        if found is not None:  # --weight S5=... still applies
            weights = load_weights(None, None, None, {
                **found.model_dump(), **overrides})
    params = SolverParams(time_limit, seed, workers)
    pending = None
    if assessments_file is not None:
        from optimizer.inputs.assessments import load_assessments

        calendar = weights.calendar(loaded.instance.students)
        pending = load_assessments(
            assessments_file, loaded.instance, weights.assessment_kinds,
            calendar.year if calendar is not None else None)
    with (operations.SolveAhead(loaded.instance, rules, weights, params)
          if yearly else contextlib.nullcontext()) as ahead:
        loaded = with_warnings(loaded)
        warnings = [str(w) for w in loaded.warnings]
        if not quiet:
            # summary.json holds them all, unless --redact withholds them
            _warn(loaded.warnings,
                  where=None if redact else "summary.json")
        with _status("Solving", quiet):
            run = operations.plan_or_replan(
                loaded, rules, weights=weights, params=params,
                published=(None if yearly
                           else published_assignment(from_dir)),
                warnings=warnings, redact=redact, xlsx=xlsx,
                roster_label=str(roster), source=str(from_dir or ""),
                published_names=(None if yearly
                                 else published_names(from_dir)),
                assessments=pending, ahead=ahead)
    if not quiet:  # the plan's own, e.g. an assessment left unassigned
        for line in run.warnings[len(warnings):]:
            _echo(f"Warning: {printable(line)}", err=True)
    if run.changes is not None and not as_json:
        _echo(f"{len(run.changes) - 1} student(s) change case manager "
                   f"from the plan in {from_dir} (changes.csv):")
        for row in run.changes[1:11]:
            _echo(f"  {row[0]}: {row[1] or '-'} -> {row[2]}: "
                       f"{row[3]}")
    write_plan_folder(out, run.files, protected=[roster, *loaded.files])
    _keep_for_exit(loaded, run, ahead)
    if as_json:
        _echo(run.files["summary.json"], nl=False)
    else:
        _echo(text_summary(run.result, run.audit))
        act = run.coverage.needs_action_students if run.coverage else ()
        if act:  # issue 21: named above as warnings; counted here
            when = ("before this plan is used" if run.result.has_plan
                    else "on this roster, with no plan yet")
            _echo(f"Needs action {when}: {len(act)} student(s) (see "
                  "the warnings above and the report): "
                  f"{', '.join(act[:20])}"
                  + (" ..." if len(act) > 20 else ""))
    if not run.result.has_plan:
        if run.result.diagnosis is not None and not as_json:
            _echo(render_diagnosis(run.result.diagnosis))
            _echo(f"Diagnosis written to {out / 'diagnosis.json'}")
        sys.exit(EXIT_INFEASIBLE)
    if not as_json:
        _echo(f"Plan written to {out}/ ({', '.join(sorted(run.files))})")
    if published is not None:
        _verify_against(published, run.files["assignments.csv"],
                        loaded.input_hash)


@main.command()
@click.argument("roster", type=click.Path(exists=True, path_type=Path))
@click.option("--plan", "plan_dir", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The published plan folder.")
@click.option("--student-file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="New students (students.csv columns).")
@click.option("--out", type=click.Path(path_type=Path),
              help="Also re-plan with everyone else kept and write here.")
@click.option("--top", type=click.IntRange(min=1), default=5,
              show_default=True, help="Candidates shown per student.")
@click.option("--weights", "weights_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Objective settings (TOML). Default: the settings the "
              "plan was made with (its summary.json): its weights order "
              "the candidates and its monthly limit (H8) holds.")
@rules_option
@authorizations_option
@mapping_option
def place(roster: Path, plan_dir: Path, student_file: Path,
          out: Path | None, top: int, rules_dir: Path | None,
          authorizations: str | None,
          mapping_file: Path | None,
          weights_file: Path | None = None) -> None:
    """Rank who can take new students mid-year, moving nobody else.

    Example:

    \b
        caseload place data/sample --plan out/sample --student-file new.csv
    """
    rules = apply_authorizations(load_rules(rules_dir), None,
                                 authorizations)
    loaded = _load(roster, rules, mapping_file)
    _warn(loaded.warnings)
    new = load_arrivals(student_file, loaded)
    weights, source = settings_for(plan_dir, weights_file)
    limit = weights.max_meetings_per_month
    if weights.calendar([*loaded.instance.students,
                         *new.students]) is not None:
        _echo(f"Settings from {source}"
              + (f"; at most {limit} IEP meetings a month (H8)"
                 if limit is not None else ""))
    done = operations.place(loaded, rules, published_assignment(plan_dir), new,
                            replan=out is not None, weights=weights)
    for line in done.warnings:  # dates outside the planning year
        _echo(f"Warning: {printable(line)}", err=True)
    if done.stale:
        _echo(f"Warning: the plan in {plan_dir} no longer satisfies "
                   "the hard rules for this roster; use caseload plan "
                   "--from to re-plan.", err=True)
    for s, ranked in done.rankings:
        _echo(f"Student {s.student_id} at {printable(s.site)} (grade "
              f"{s.grade}, {s.primary_disability}): {len(ranked)} can take "
              "them without moving anyone")
        held = done.held_back.get(s.student_id)
        if held:  # left out by H8, said: not fewer names without a word
            _echo(f"  {len(held)} more could, but the student's meetings "
                  f"would put them over the limit of {limit} IEP meetings "
                  f"a month (H8): {printable(', '.join(held))}")
        for p in ranked[:top]:
            terms = ", ".join(
                f"{t} {v:+d}" + (f" ({utilization_text(p.utilization)})"
                                 if t == "S2" else "")
                for t, v in p.deltas.items())
            _echo(f"  {printable(p.staff_id)} {printable(p.name)} "
                  f"({p.relation}"
                       f"{', best practice' if p.best_practice else ''}; "
                       f"{p.room} place(s) left): {terms}")
    if done.run is None:
        return
    if not done.run.result.has_plan:
        # No diagnosis when time ran out before any plan (UNKNOWN).
        _echo(text_summary(done.run.result, None))
        if done.run.result.diagnosis is not None:
            _echo(render_diagnosis(done.run.result.diagnosis))
        sys.exit(EXIT_INFEASIBLE)
    write_plan_folder(out, done.run.files,
                            protected=[roster, *loaded.files])
    roster_out = out / operations.ROSTER_FOLDER
    _echo(f"Re-planned with {len(new.students)} new student(s); "
               f"{done.moved} other student(s) moved. Written to {out}/, "
               f"with the updated roster in {roster_out}/ (check it with: "
               f"caseload check {roster_out} {out / 'assignments.csv'})")


def _verify_against(published: Path, new_csv: str, input_hash: str) -> None:
    found = operations.verify_against(published, new_csv, input_hash)
    if found.same_input is False:
        _echo(f"The inputs differ from those of {published} "
                   "(input hash changed).")
    if not found.comparable:
        _echo(f"Cannot compare with {published}: it was written with "
                   "--redact, and its student pseudonyms are keyed by its "
                   "own inputs, which differ from these. Verify against an "
                   "unredacted copy of that plan.")
        sys.exit(EXIT_VIOLATIONS)
    differ = found.differ
    by = (" (compared by pseudonym: it was written with --redact)"
          if found.redacted else "")
    if not differ:
        _echo(f"Verified: this plan matches the published plan in "
                   f"{published}{by}.")
        return
    shown = ", ".join(differ[:10]) + (" ..." if len(differ) > 10 else "")
    _echo(f"{len(differ)} student(s) differ from the published plan "
               f"in {published}: {shown}")
    sys.exit(EXIT_VIOLATIONS)


def _interactive(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


class _status:
    """A spinner on stderr while work runs (terminals only)."""

    def __init__(self, text: str, quiet: bool):
        self.live = None
        if _interactive(quiet):
            from rich.console import Console

            self.live = Console(stderr=True).status(text)

    def __enter__(self):
        if self.live:
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live:
            self.live.__exit__(*exc)


@main.command()
@click.argument("scenario_files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path),
              default=Path("out/compare"), show_default=True,
              help="Folder for compare.csv, changes.csv, report.html and "
              "one plan folder per scenario.")
@rules_option
@authorizations_option
@mapping_option
@click.option("--weights", "weights_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Objective settings for the base (scenarios may change "
              "them).")
@solver_options
@click.option("--xlsx/--no-xlsx", default=True, show_default=True)
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the comparison rows as JSON.")
@click.option("--assessments", "assessments_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Pending initial assessments (CSV) for the base and "
              "every scenario; a scenario may add, remove or change them.")
def compare(scenario_files: tuple[Path, ...], out: Path,
            rules_dir: Path | None, authorizations: str | None,
            mapping_file: Path | None,
            weights_file: Path | None,
            time_limit: float, seed: int, workers: int, xlsx: bool,
            quiet: bool, as_json: bool,
            assessments_file: Path | None = None) -> None:
    """Plan the base roster and each what-if scenario; compare them.

    Example:

    \b
        caseload compare scenarios/*.toml --out out/compare
    """
    from optimizer.inputs.mapping import load_mapping

    rules = apply_authorizations(load_rules(rules_dir), weights_file,
                                 authorizations)
    weights = load_weights(weights_file, None, None, {})
    mapping = load_mapping(mapping_file) if mapping_file else None
    with _progress(quiet) as progress:
        result = operations.compare(
            list(scenario_files), rules, weights=weights, xlsx=xlsx,
            mapping=mapping,
            params=SolverParams(time_limit, seed, workers),
            progress=progress, assessments=assessments_file)
    if not quiet:
        _warn(result.warnings)
    write_plan_folder(out, result.files)
    if as_json:
        _echo(json.dumps(result.rows, indent=2))
        return
    _print_comparison(result.rows)
    _echo(f"Written to {out}/ (compare.csv, changes.csv, report.html, "
               "one folder per scenario)")


class _progress:
    """A progress bar over scenarios on stderr (terminals only)."""

    def __init__(self, quiet: bool):
        self.bar = None
        if _interactive(quiet):
            from rich.progress import Progress

            self.bar = Progress(transient=True,
                                console=_stderr_console())
            self.task = None

    def __enter__(self):
        if self.bar is None:
            return None
        self.bar.__enter__()

        def update(i: int, n: int, name: str) -> None:
            if self.task is None:
                self.task = self.bar.add_task("Planning", total=n)
            self.bar.update(self.task, completed=i,
                            description=f"Planning {name}")
        return update

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _cell_text(value: str):
    """A scenario name as a rich cell: text as written (no markup), its
    control characters escaped."""
    from rich.text import Text

    return Text(printable(str(value)))


def _print_comparison(rows: list[dict]) -> None:
    """Two tables that fit the terminal: the KPIs, then utilization."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    # COLUMNS when set, else the window; 120 for a file or a pipe.
    console = Console(width=shutil.get_terminal_size((120, 24)).columns)
    kpis = Table(title="Scenarios compared (each plan proven optimal "
                 "unless its status is shown)", box=box.SIMPLE_HEAD,
                 pad_edge=False)
    # Short header lines leave the scenario names room to read.
    columns = [("students_unassigned", "no case\nmanager"),
               ("spare_places", "spare\nplaces"),
               ("best_practice", "best\npractice"),
               ("continuity_kept", "last\nyear's\nkept"),
               ("language_matches", "language"),
               ("changed_vs_base", "changed\nvs base"),
               ("on_unverified_rows", "on un-\nverified\nrows"),
               ("services_shortfall", "services\nshort")]
    if any("busiest_month" in r for r in rows):  # with meeting dates
        columns.append(("busiest_month", "busiest\nmonth"))
    kpis.add_column("scenario", ratio=1, min_width=8)
    for _key, head in columns:
        # As wide as the longest header line: numbers never wrap.
        kpis.add_column(head, justify="right",
                        width=max(6, *map(len, head.split("\n"))))
    for r in rows:
        name = r["scenario"] if r["proven_optimal"] else \
            f"{r['scenario']} ({r['status']})"
        kpis.add_row(_cell_text(name), *("-" if r.get(k) is None else str(r[k])
                             for k, _ in columns))
    console.print(kpis)
    # The main kinds of provider only; compare.csv has them all.
    present = {k.split("_util_")[0] for r in rows for k in r
               if k.endswith("_util_min")}
    kinds = [k for k in ("RSP", "SDC", "SPEECH") if k in present]
    if kinds:
        util = Table(title="Utilization: min / median / max (over 90%)",
                     box=box.SIMPLE_HEAD, pad_edge=False)
        util.add_column("scenario", ratio=1, min_width=8)
        for kind in kinds:
            util.add_column(kind, justify="right", no_wrap=True)
        for r in rows:
            util.add_row(_cell_text(r["scenario"]), *(
                "-" if r.get(f"{k}_util_min") is None else
                f"{r[k + '_util_min']:.0%} / {r[k + '_util_median']:.0%} / "
                f"{r[k + '_util_max']:.0%} ({r[k + '_over_90']})"
                for k in kinds))
        console.print(util)
    for r in rows:
        if r["diagnosis"]:
            _echo(f"\n{printable(r['scenario'])}: {r['diagnosis']}")


@main.command()
@click.argument("roster", type=click.Path(exists=True, path_type=Path))
@click.option("--student", "student_id", required=True,
              help="The student_id to explain.")
@click.option("--plan", "plan_dir",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A plan folder (default: plan the roster now).")
@rules_option
@authorizations_option
@mapping_option
def explain(roster: Path, student_id: str, plan_dir: Path | None,
            rules_dir: Path | None, authorizations: str | None,
            mapping_file: Path | None) -> None:
    """Explain why a student has their case manager, and the alternatives.

    Example:

    \b
        caseload explain data/sample --student 100002 --plan out/sample
    """
    rules = apply_authorizations(load_rules(rules_dir), None,
                                 authorizations)
    loaded = _load(roster, rules, mapping_file)
    ids = {s.student_id for s in loaded.instance.students}
    if student_id not in ids:
        raise click.BadParameter(f'no student "{student_id}" in the roster',
                                 param_hint="--student")
    weights = ObjectiveWeights()
    if plan_dir is not None:
        assignment, _ = read_assignment(plan_assignments(plan_dir))
        # S5's changes counted as the plan counts them (its period and
        # planning year): the plan's own settings.
        weights = settings_for(plan_dir, None)[0]
    else:
        result = solve(loaded.instance, rules)
        if not result.has_plan:
            raise click.ClickException("no plan exists for this roster; "
                                       "run caseload plan for the diagnosis")
        assignment = result.assignment
    instance = loaded.instance
    checked = audit(instance, rules, dict(assignment),
                    calendar=weights.calendar(instance.students))
    _echo(render_explanation(explain_student(
        instance, rules, assignment, student_id, weights=weights,
        checked=checked)))


def _parse_weight_pairs(pairs: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for pair in pairs:
        term, sep, value = pair.partition("=")
        term = term.strip().upper()
        try:
            if not sep or term not in ("S1", "S2", "S3", "S4", "S5"):
                raise ValueError
            out[term] = float(value)
        except ValueError:
            raise click.BadParameter(
                f'"{pair}": expected TERM=VALUE with TERM one of S1-S5',
                param_hint="--weight") from None
    return out


@main.command()
@click.argument("roster", type=click.Path(exists=True, path_type=Path))
@click.argument("assignments",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@rules_option
@authorizations_option
@mapping_option
@click.option("--weights", "weights_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Objective settings (TOML): its [calendar] table sets "
              "the meeting period and the monthly limit (H8). Default: "
              "the settings the plan was made with (summary.json beside "
              "ASSIGNMENTS).")
@click.option("--assessments", "assessments_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An assessments.csv (plan --assessments): each "
              "assessment checked against AB 560's rules (A1 kind, site "
              "and grade; A2 shares at each site; H8 with the initial "
              "meetings).")
def check(roster: Path, assignments: Path, rules_dir: Path | None,
          authorizations: str | None,
          mapping_file: Path | None,
          weights_file: Path | None = None,
          assessments_file: Path | None = None) -> None:
    """Audit an assignment (the optimizer's or a hand-made one) vs H1-H8.

    Exits 0 when every hard rule holds, 4 when any is broken.

    Example:

    \b
        caseload check data/sample out/sample/assignments.csv
    """
    rules = apply_authorizations(load_rules(rules_dir), None,
                                 authorizations)
    loaded = _load(roster, rules, mapping_file)
    _warn(loaded.warnings)
    sheet = load_assignment_file(assignments)
    _warn([*sheet.repeats,
           *name_mismatches(sheet, loaded.instance.staff_by_id())])
    known = {s.student_id for s in loaded.instance.students}
    unknown = sorted(s for s in sheet.assignment if s not in known)
    # H8's limit, the period and AB 560's settings: --weights, else the
    # plan's own (summary.json beside the assignments), else defaults.
    weights, source = settings_for(assignments.parent, weights_file)
    errors, notes = planning_year_problems(loaded, weights)
    if errors:
        raise InputError(errors)
    _warn(notes)
    calendar = weights.calendar(loaded.instance.students)
    if calendar is not None:
        limit = calendar.max_per_month
        _echo(f"Calendar settings from {source}: meetings per "
              f"{calendar.period}, "
              + (f"at most {limit} a month (H8)" if limit is not None
                 else "no monthly limit (H8 off)"))
    result = audit(loaded.instance, rules, sheet.assignment,
                   sheet.duplicates, unknown, calendar=calendar)
    if assessments_file is not None:
        result.violations.extend(_check_assessments(
            assessments_file, loaded.instance, weights, result))
    for v in result.violations:
        _echo(str(v))
    t = result.terms
    _echo(f"Soft objectives: S1 best-practice misses {t['S1']}, "
               f"S2 balance {t['S2']}, S3 continuity losses {t['S3']}, "
               f"S4 language misses {t['S4']}"
               + (f", S5 meeting calendar {t['S5']}" if "S5" in t else ""))
    busiest = max(result.busiest(months=True).items(),
                  key=lambda kv: kv[1][1],
                  default=None)
    if busiest is not None:
        cm, (period, n) = busiest
        _echo(f"Busiest month: {n} IEP meetings held by {cm} in "
                   f"{period}")
    k = result.kpis
    # S1 counts misses among students with a case manager on the roster,
    # so "Best practice N/M" counts over the same students.
    placed = k.students_assigned
    _echo(f"Best practice {k.best_practice_matches}/{placed}"
               f", continuity kept {k.continuity_kept}/"
               f"{k.prior_case_manager_given}, language "
               f"{k.language_matches}/"
               f"{k.home_language_other_than_english}")
    if k.students > placed:
        _echo(f"{k.students - placed} student(s) without a case "
                   "manager on the roster (H1); best practice and "
                   f"language count the {placed} with one")
    # Services are warnings (issue 13): they never change the exit code.
    for line in operations.service_report(loaded.instance, rules):
        _echo(line)
    # Issue 21: unverified rows, statutory averages, RSP by others.
    for line in rules_lines(result, files=False):  # check writes none
        _echo(line)
    if result.violations:
        tally = Counter(v.rule for v in result.violations)
        _echo(f"{len(result.violations)} hard-rule violation(s):")
        for rule, n in sorted(tally.items()):
            _echo(f"  {rule} ({RULE_TITLES[rule]}): {n}")
        sys.exit(EXIT_VIOLATIONS)
    n = k.students_on_unverified_rows
    _echo("Compliant: every hard rule (H1-H7"
               + (", H8" if result.calendar and
                  result.calendar.max_per_month else "")
               + ") holds" + (
                   f"; {n} student(s) rest on unverified authorization "
                   "rows, which a district must confirm." if n else
                   "; no student rests on an unverified authorization "
                   "row."))


def _check_assessments(path: Path, instance, weights, result) -> list:
    """AB 560's rules on an assessments.csv (A1, A2, and H8 with the
    initial meetings): the violations, and the shares said."""
    from optimizer.inputs.assessments import load_assessment_assignment
    from optimizer.verify import audit_assessments

    kinds = weights.assessment_kinds
    pending, taken = load_assessment_assignment(path, instance, kinds)
    calendar = result.calendar
    limit = calendar.max_per_month if calendar is not None else \
        weights.max_meetings_per_month
    months = result.months or {}
    # A month over the limit without the assessments is already said
    # (that month only: another the assessments put over is not).
    said = {k for k, n in months.items() if limit is not None
            and n > limit}
    broken = audit_assessments(
        pending, instance.staff, taken, kinds,
        weights.assessment_max_difference, months, limit, said)
    unassigned = [a.assessment_id for a in pending
                  if a.assessment_id not in taken]
    shares = Counter(taken.values())
    _echo(f"Assessments ({path.name}): {len(taken)} of {len(pending)} "
          f"assigned, to {len(shares)} staff member(s) of the kinds "
          f"{', '.join(kinds)}; shares within "
          f"{weights.assessment_max_difference} at each site (A2) "
          + ("broken" if any(v.rule == "A2" for v in broken) else "kept"))
    if unassigned:
        _echo(f"Unassigned: {', '.join(unassigned[:20])}"
              + (" ..." if len(unassigned) > 20 else ""))
    return broken


@main.command()
@rules_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the page here (default: print it).")
def rules(rules_dir: Path | None, out: Path | None) -> None:
    """Print every rules table as Markdown (authorizations, caseload caps,
    best practice, alternate placement, documents): each row's reading,
    source and whether it is verified (docs/authorizations.md).

    Example:

    \b
        caseload rules --out docs/authorizations.md
    """
    page = rules_doc.render(load_rules(rules_dir))
    if out is None:
        _echo(page, nl=False)
        return
    write_text_atomic(out, page)
    _echo(f"Written to {out}")


@main.command()
@click.argument("roster", required=False,
                type=click.Path(exists=True, path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (default: the first free from 8765).")
@click.option("--no-browser", is_flag=True,
              help="Print the address but do not open a browser.")
@click.option("--workspace", type=click.Path(file_okay=False,
                                             path_type=Path),
              help="Folder for rosters, mappings, plans and scenarios "
              "(default: your user data folder).")
def serve(roster: Path | None, port: int | None, no_browser: bool,
          workspace: Path | None) -> None:
    """Open the planning workbench in your browser (this computer only).

    Prints the address with its access token first on stdout.

    Example:

    \b
        caseload serve data/sample
    """
    from optimizer.web.serve import serve as run

    try:
        run(roster, port, not no_browser, workspace)
    except OSError as exc:
        raise click.ClickException(f"cannot start the server: {exc}"
                                   ) from None


if __name__ == "__main__":  # python -m optimizer.cli
    main()
