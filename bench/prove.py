"""Prove a weighted roster's optimum offline, once (issue 24).

The product stops at its time limit with a proven gap; to know how far
that reported gap is from the *true* gap, the optimum of the second
objective level (the default settings: S1 first, then S2 + S3 + S4) is
proven here by HiGHS given as long as it needs, from the same start as
the product (the S1-first flow plan improved by single-student moves).
The result is appended to ``bench/proofs.json``: the level's proven
optimum (or the best plan and bound reached), the seconds and the peak
memory, with the roster's input hash.

This is slow (the tight 70,000-student weighted roster took minutes and
gigabytes): run it niced, in the background, once per roster.

Usage: python -m bench.prove ROSTER [--time-limit 3600]
       [--out bench/proofs.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import optimizer as cl
from optimizer.objectives import ObjectiveWeights
from optimizer.result import LevelOutcome
from optimizer.solver import mip
from optimizer.solver.flow import solve_flow
from optimizer.solver.moves import improve_by_moves
from optimizer.solver.structure import build_structure

HERE = Path(__file__).parent


def prove(folder: Path, time_limit: float) -> dict:
    rules = cl.load_rules()
    roster = cl.load_roster(folder, rules)
    structure = build_structure(roster.instance, rules)
    levels = ObjectiveWeights().levels(structure.weight_scale)
    if len(structure.components) != 1 or len(levels) != 2:
        raise SystemExit("expected one part and two levels")
    comp = structure.components[0]
    start = time.monotonic()
    flow = solve_flow(structure, comp, levels)
    hint = dict(zip(comp.pairs, flow.counts.counts.tolist()))
    s1 = flow.levels[0].objective
    structure.groups = list(structure.groups)
    hint = improve_by_moves(structure, comp, hint, levels[1])
    solved = [LevelOutcome(levels[0], s1, s1, True)]
    found = mip.solve_levels(structure, comp, levels, solved, hint,
                             time_limit)
    level = found.levels[1]
    return {"roster": str(folder), "input_hash": roster.input_hash,
            "level": level.terms, "s1": s1,
            "objective": level.objective, "bound": level.bound,
            "proven_optimal": level.optimal,
            "seconds": round(time.monotonic() - start, 1),
            "time_limit": time_limit,
            "peak_mb": round(resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss / 1024),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("roster", type=Path)
    ap.add_argument("--time-limit", type=float, default=3600)
    ap.add_argument("--out", type=Path, default=HERE / "proofs.json")
    args = ap.parse_args()
    record = prove(args.roster, args.time_limit)
    print(json.dumps(record, indent=1))
    old = json.loads(args.out.read_text()) if args.out.exists() else []
    args.out.write_text(json.dumps([*old, record], indent=1) + "\n")


if __name__ == "__main__":
    main()
