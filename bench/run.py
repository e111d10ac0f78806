"""Benchmark runner: the product vs a baseline, greedy and the flow bound.

For each shape, size and variant it runs, on the same roster:

- product: ``caseload plan ROSTER --out DIR`` as a user runs it (the
  default run, which also writes plan.xlsx and report.html), as a whole
  process: median wall time over ``--repeats`` runs and peak memory;
- baseline (``--baseline DIR``): the same command run from another
  checkout of the code (e.g. main before a change), interleaved with the
  product's runs, so that both see the same machine load: the ratio of
  the two is meaningful when others share the machine;
- greedy: ``bench.greedy`` (best-practice provider first, least-loaded);
- bound: the min-cost-flow optimum on the prepared structure (for unit
  weights the exact optimum, so the physical limit for solving time);
- for weighted rosters, the proven gap the product reports with time
  limits of ``--gap-times`` seconds (time to gap).

The 1-minute load average is recorded with every run.

Shapes: ``connected`` (the default generator), ``tight`` (the same
shape, tightly staffed: median case manager near 80% of cap, a third
above 90%) and ``regional`` (the earlier generator).

Usage: python -m bench.run [--shapes connected tight regional]
       [--sizes school district large] [--variants unit weighted]
       [--repeats 3] [--baseline DIR] [--results bench/RESULTS.md]
       python -m bench.run --gap-only --shapes tight --sizes large
       [--gap-times 2 5 10 20] [--baseline DIR]   (time to gap only)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optimizer as cl
from bench.generate import generate, write
from bench.greedy import greedy
from bench.render import _gap_cell, render
from optimizer.inputs.plans import read_assignment
from optimizer.objectives import ObjectiveWeights
from optimizer.solver.flow import solve_flow
from optimizer.solver.structure import build_structure
from optimizer.verify import audit

HERE = Path(__file__).parent
ORDER = {"school": 0, "district": 1, "large": 2}
SHAPES = ["connected", "tight", "regional"]


def roster(shape: str, size: str, weighted: bool, root: Path) -> Path:
    """The seeded roster of a case (made once); shape ``tight`` is the
    connected shape with tight staffing (``bench.connected.STAFFING``)."""
    staffing = "tight" if shape == "tight" else "slack"
    shape = "connected" if shape == "tight" else shape
    folder = root / (f"{size}-{shape}"
                     + ("-tight" if staffing == "tight" else "")
                     + ("-weighted" if weighted else ""))
    if not (folder / "students.csv").exists():
        students, staff = generate(size, seed=7, weighted=weighted,
                                   shape=shape, staffing=staffing)
        write(students, staff, folder)
    return folder


def run_plan(folder: Path, out: Path, extra: list[str],
             code: Path | None = None) -> dict:
    """One whole ``caseload plan`` process; ``code``: another checkout."""
    # Peak memory from /usr/bin/time: a child forked from this process
    # (which holds the loaded roster) would report this process's peak
    # too (Linux keeps the larger across fork and exec).
    rss = out.parent / f"{out.name}.rss"
    cmd = ["/usr/bin/time", "-f", "%M", "-o", str(rss), sys.executable,
           "-m", "optimizer.cli", "plan", str(folder), "--out", str(out),
           *extra]
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # nothing written there
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env,
                            cwd=code or None)
    _, status, _ = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code_ = os.waitstatus_to_exitcode(status)
    if code_ != 0:
        raise RuntimeError(f"caseload plan exited {code_}: {cmd}")
    summary = json.loads((out / "summary.json").read_text())
    return {"wall": wall, "mb": int(rss.read_text().split()[-1]) / 1024,
            "load": load, "summary": summary}


def _row(base: dict, method: str, runs: list[dict], inst, rules,
         plan_dir: Path) -> dict:
    assignment, _ = read_assignment(plan_dir / "assignments.csv")
    checked = audit(inst, rules, assignment)
    summary = runs[0]["summary"]
    return {**base, "method": method,
            "seconds": statistics.median(r["wall"] for r in runs),
            "walls": [round(r["wall"], 2) for r in runs],
            "peak_mb": max(r["mb"] for r in runs),
            "load": [round(r["load"], 2) for r in runs],
            "status": summary["status"], "gap": summary["gap"],
            "solve_seconds": summary["runtime_seconds"],
            "terms": checked.terms, "kpis": checked.kpis.as_dict(),
            "compliant": checked.compliant,
            "utilization": _utilization(plan_dir / "caseloads.csv"),
            "plan_bytes": (plan_dir / "assignments.csv").read_bytes()}


def _utilization(path: Path) -> dict:
    """Median case manager's utilization and the share above 90%."""
    with open(path, newline="", encoding="utf-8") as fh:
        used = [float(r["utilization"]) for r in csv.DictReader(fh)
                if r["utilization"]]
    return {"median": statistics.median(used) if used else 0.0,
            "above_90": sum(u > 0.9 for u in used) / max(1, len(used))}


def measure(shape: str, size: str, weighted: bool, args) -> list[dict]:
    folder = roster(shape, size, weighted, args.rosters)
    rules = cl.load_rules()
    inst = cl.load_roster(folder, rules).instance
    base = {"shape": shape, "size": size,
            "variant": "weighted" if weighted else "unit",
            "students": len(inst.students), "staff": len(inst.staff)}
    extra = ([] if args.time_limit is None
             else ["--time-limit", str(args.time_limit)])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        mine, theirs = [], []
        for i in range(args.repeats):
            mine.append(run_plan(folder, Path(tmp) / f"p{i}", extra))
            if args.baseline and i < args.baseline_repeats:
                theirs.append(run_plan(folder, Path(tmp) / f"b{i}", extra,
                                       args.baseline))
        rows.append(_row(base, "product", mine, inst, rules,
                         Path(tmp) / "p0"))
        same = all((Path(tmp) / f"p{i}" / "assignments.csv").read_bytes()
                   == rows[0]["plan_bytes"] for i in range(args.repeats))
        rows[0]["same_plan_every_run"] = same
        if theirs:
            rows.append(_row(base, "baseline", theirs, inst, rules,
                             Path(tmp) / "b0"))
        gaps = []
        for t in (args.gap_times if weighted else []):
            run = run_plan(folder, Path(tmp) / f"t{t}",
                           ["--time-limit", str(t)])
            gaps.append({"limit": t, "wall": round(run["wall"], 2),
                         "mb": round(run["mb"]), "load": run["load"],
                         "status": run["summary"]["status"],
                         "gap": run["summary"]["gap"]})
        rows[0]["time_to_gap"] = gaps
    for r in rows:
        r.pop("plan_bytes")
    start = time.perf_counter()
    g = greedy(inst, rules)
    g_time = time.perf_counter() - start
    g_checked = audit(inst, rules, g)
    rows.append({**base, "method": "greedy", "seconds": g_time,
                 "status": "unassigned "
                 f"{len(inst.students) - len(g)}", "terms": g_checked.terms,
                 "kpis": g_checked.kpis.as_dict(),
                 "compliant": g_checked.compliant})
    structure = build_structure(inst, rules)
    levels = ObjectiveWeights().levels(structure.weight_scale)
    start = time.perf_counter()
    values = [0] * len(levels)
    for comp in structure.components:
        for i, lv in enumerate(solve_flow(structure, comp, levels).levels):
            values[i] += lv.objective
    rows.append({**base, "method": "bound (min-cost flow)",
                 "seconds": time.perf_counter() - start,
                 "status": "exact" if not weighted else "hint only",
                 "levels": values, "groups": len(structure.groups),
                 "pairs": len(structure.pairs),
                 "components": len(structure.components)})
    return rows


def time_to_gap(args) -> str:
    """The proven gap and whole-process seconds of ``caseload plan
    --time-limit T`` for each T of ``--gap-times``, product and baseline
    run one after the other, as a Markdown table."""
    lines = ["| shape | size | code | " + " | ".join(
        f"T = {t:g} s" for t in args.gap_times) + " |",
        "|---|---|---|" + "---|" * len(args.gap_times)]
    for shape in args.shapes:
        for size in args.sizes:
            folder = roster(shape, size, True, args.rosters)
            cells: dict[str, list[str]] = {"product": [], "baseline": []}
            with tempfile.TemporaryDirectory() as tmp:
                for t in args.gap_times:
                    for name, code in (("product", None),
                                       ("baseline", args.baseline)):
                        if name == "baseline" and code is None:
                            continue
                        run = run_plan(folder, Path(tmp) / f"{name}{t}",
                                       ["--time-limit", str(t)], code)
                        cells[name].append(_gap_cell({
                            "wall": run["wall"], "load": run["load"],
                            "status": run["summary"]["status"],
                            "gap": run["summary"]["gap"]}) + (
                            f", {run['mb']:.0f} MB"))
            for name, row in cells.items():
                if row:
                    lines.append(f"| {shape} | {size} | {name} | "
                                 + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", nargs="+",
                    default=["connected", "tight", "regional"])
    ap.add_argument("--sizes", nargs="+",
                    default=["school", "district", "large"])
    ap.add_argument("--variants", nargs="+", default=["unit", "weighted"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=None,
                    help="Solver limit (default: the product's own).")
    ap.add_argument("--baseline", type=Path,
                    help="Another checkout of the code to time alongside.")
    ap.add_argument("--baseline-repeats", type=int, default=1)
    ap.add_argument("--gap-times", nargs="*", type=float,
                    default=[2, 5, 10, 20, 30])
    ap.add_argument("--gap-only", action="store_true",
                    help="Only the time-to-gap runs of the weighted "
                    "rosters (with --baseline, interleaved), printed as "
                    "a table; RESULTS.md is left as it is.")
    ap.add_argument("--rosters", type=Path, default=HERE / "out")
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--update", action="store_true",
                    help="Merge these cases into the rows of the last run "
                    "(rows.json) instead of starting afresh.")
    ap.add_argument("--render", action="store_true",
                    help="Only re-render RESULTS.md from rows.json.")
    args = ap.parse_args()
    saved = args.rosters / "rows.json"
    if args.gap_only:
        print(time_to_gap(args))
        return
    if args.render:
        data = json.loads(saved.read_text())
        args.results.write_text(render(data["rows"], data["commands"]))
        return
    rows = []
    for shape in args.shapes:
        for size in args.sizes:
            for variant in args.variants:
                rows += measure(shape, size, variant == "weighted", args)
                print(f"{shape}/{size}/{variant} done", file=sys.stderr)
    commands = ["python -m bench.run " + " ".join(sys.argv[1:])]
    if args.update and saved.exists():
        data = json.loads(saved.read_text())
        fresh = {(r["shape"], r["size"], r["variant"]) for r in rows}
        old = [r for r in data["rows"]
               if (r["shape"], r["size"], r["variant"]) not in fresh]
        rows = sorted(old + rows, key=lambda r: (
            SHAPES.index(r["shape"]), ORDER[r["size"]], r["variant"]))
        commands = data["commands"] + commands
    args.rosters.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps({"rows": rows, "commands": commands},
                                indent=1))
    text = render(rows, commands)
    args.results.write_text(text)
    print(text)
    bad = [r for r in rows if r["method"] == "product"
           and not r["compliant"]]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
