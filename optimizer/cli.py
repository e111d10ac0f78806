"""The ``caseload`` command: thin over the library API."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from optimizer import io, workflow
from optimizer.errors import OptimizerError
from optimizer.explain import render_diagnosis
from optimizer.report import text_summary
from optimizer.result import SolverParams
from optimizer.verify import audit

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
EXIT_INFEASIBLE = 3
EXIT_VIOLATIONS = 4


class _Cli(click.Group):
    """Turns every product error into a clean message and exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OptimizerError as exc:
            raise click.ClickException(str(exc)) from None


def rules_option(f):
    return click.option(
        "--rules", "rules_dir", type=click.Path(exists=True, file_okay=False,
                                                path_type=Path),
        help="A district's edited copy of data/rules.")(f)


def _warn(problems, limit: int = 3) -> None:
    """Warnings on stderr, at most ``limit`` of each kind, then a count."""
    kinds: dict[tuple, list] = {}
    for p in problems:
        kinds.setdefault((p.file, p.column), []).append(p)
    for items in kinds.values():
        for p in items[:limit]:
            click.echo(f"Warning: {p}", err=True)
        if len(items) > limit:
            rows = ", ".join(str(p.row) for p in items[limit:] if p.row)
            click.echo(f"Warning: ... {len(items) - limit} more like this "
                       f"in {items[0].file}"
                       + (f" (rows {rows})" if rows else ""), err=True)


@click.group(cls=_Cli, context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="caseload")
def main() -> None:
    """Plan special-education case managers under California CTC rules."""


@main.command()
@click.argument("roster", required=False,
                type=click.Path(exists=True, path_type=Path),
                default=io.DEFAULT_SAMPLE_DIR)
@click.option("--out", type=click.Path(path_type=Path), default=Path("out"),
              show_default=True, help="Folder for the plan files.")
@rules_option
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
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=60.0,
              show_default=True, help="Seconds for the solver.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1,
              show_default=True)
@click.option("--redact", is_flag=True, help="Write student ids as stable "
              "pseudonyms and leave out the roster's own columns.")
@click.option("--verify-against", "published",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Confirm a published plan folder is still what these "
              "inputs produce (exit 4 if not).")
def plan(roster: Path, out: Path, rules_dir: Path | None,
         weights_file: Path | None, mode: str | None, priority: str | None,
         weight_pairs: tuple[str, ...], time_limit: float, seed: int,
         workers: int, redact: bool, published: Path | None) -> None:
    """Plan case managers for ROSTER (default: the bundled sample).

    Example:

    \b
        caseload plan data/sample --out out/sample
    """
    overrides = _parse_weight_pairs(weight_pairs)
    rules = io.load_rules(rules_dir)
    loaded = io.load_roster(roster, rules)
    warnings = [str(w) for w in loaded.warnings]
    _warn(loaded.warnings)
    weights = workflow.load_weights(weights_file, mode, priority, overrides)
    run = workflow.plan(loaded.instance, rules, input_hash=loaded.input_hash,
                        weights=weights, warnings=warnings,
                        params=SolverParams(time_limit, seed, workers),
                        redact=redact)
    io.write_plan_folder(out, run.files, protected=[roster, *loaded.files])
    click.echo(text_summary(run.result, run.audit))
    if not run.result.has_plan:
        if run.result.diagnosis is not None:
            click.echo(render_diagnosis(run.result.diagnosis))
        click.echo(f"Diagnosis written to {out / 'diagnosis.json'}")
        sys.exit(EXIT_INFEASIBLE)
    click.echo(f"Plan written to {out}/ (assignments.csv, caseloads.csv, "
               "summary.json)")
    if published is not None:
        _verify_against(published, run.files["assignments.csv"],
                        loaded.input_hash)


def _verify_against(published: Path, new_csv: str, input_hash: str) -> None:
    differ, recorded = workflow.compare_with_published(new_csv, published)
    if recorded is not None and recorded != input_hash:
        click.echo(f"The inputs differ from those of {published} "
                   "(input hash changed).")
    if not differ:
        click.echo(f"Verified: this plan matches the published plan in "
                   f"{published}.")
        return
    shown = ", ".join(differ[:10]) + (" ..." if len(differ) > 10 else "")
    click.echo(f"{len(differ)} student(s) differ from the published plan "
               f"in {published}: {shown}")
    sys.exit(EXIT_VIOLATIONS)


def _parse_weight_pairs(pairs: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for pair in pairs:
        term, sep, value = pair.partition("=")
        term = term.strip().upper()
        try:
            if not sep or term not in ("S1", "S2", "S3", "S4"):
                raise ValueError
            out[term] = float(value)
        except ValueError:
            raise click.BadParameter(
                f'"{pair}": expected TERM=VALUE with TERM one of S1-S4',
                param_hint="--weight") from None
    return out


@main.command()
@click.argument("roster", type=click.Path(exists=True, path_type=Path))
@click.argument("assignments",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@rules_option
def check(roster: Path, assignments: Path, rules_dir: Path | None) -> None:
    """Audit an assignment (the optimizer's or a hand-made one) vs H1-H7.

    Exits 0 when every hard rule holds, 4 when any is broken.

    Example:

    \b
        caseload check data/sample out/sample/assignments.csv
    """
    rules = io.load_rules(rules_dir)
    loaded = io.load_roster(roster, rules)
    _warn(loaded.warnings)
    assignment, duplicates, _ = workflow.read_assignment(assignments)
    known = {s.student_id for s in loaded.instance.students}
    unknown = sorted(s for s in assignment if s not in known)
    result = audit(loaded.instance, rules, assignment, duplicates, unknown)
    for v in result.violations:
        click.echo(str(v))
    t = result.terms
    click.echo(f"Soft objectives: S1 best-practice misses {t['S1']}, "
               f"S2 balance {t['S2']}, S3 continuity losses {t['S3']}, "
               f"S4 language misses {t['S4']}")
    k = result.kpis
    click.echo(f"Best practice {k['best_practice_matches']}/{k['students']}"
               f", continuity kept {k['continuity_kept']}/"
               f"{k['prior_case_manager_given']}, language "
               f"{k['language_matches']}/"
               f"{k['home_language_other_than_english']}")
    if result.violations:
        click.echo(f"{len(result.violations)} hard-rule violation(s).")
        sys.exit(EXIT_VIOLATIONS)
    click.echo("Compliant: every hard rule (H1-H7) holds.")


if __name__ == "__main__":  # python -m optimizer.cli
    main()
