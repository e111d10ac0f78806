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
       [--restrict PAIRS [--steps 30] [--plan-out FILE]]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time
from pathlib import Path

import numpy as np

import optimizer as cl
from optimizer.domain import Instance
from optimizer.objectives import ObjectiveWeights
from optimizer.result import LevelOutcome
from optimizer.solver import lagrange, mip
from optimizer.solver.disaggregate import disaggregate
from optimizer.solver.flow import solve_flow, term_values
from optimizer.solver.moves import improve_by_moves
from optimizer.solver.structure import build_structure
from optimizer.verify import audit

HERE = Path(__file__).parent


def _prepared(folder: Path):
    """The roster, its one part, levels, the S1 optimum and the moves
    plan (the product's own start)."""
    rules = cl.load_rules()
    roster = cl.load_roster(folder, rules)
    structure = build_structure(roster.instance, rules)
    levels = ObjectiveWeights().levels(structure.weight_scale)
    if len(structure.components) != 1 or len(levels) != 2:
        raise SystemExit("expected one part and two levels")
    comp = structure.components[0]
    flow = solve_flow(structure, comp, levels)
    hint = dict(zip(comp.pairs, flow.counts.counts.tolist()))
    s1 = flow.levels[0].objective
    del flow
    structure.groups = list(structure.groups)
    allowed = lagrange.best_practice_pairs(structure, comp, hint)
    hint = improve_by_moves(structure, comp, hint, levels[1],
                            allowed=allowed)
    return rules, roster, structure, comp, levels, s1, hint, allowed


def prove(folder: Path, time_limit: float, steps: int) -> dict:
    """HiGHS on the product's program, exactly: only the pairs a plan
    with the least S1 may use (``lagrange.best_practice_pairs``), each
    within its reduced-cost limit after ``steps`` flows of the cap-aware
    bound (``lagrange.pair_limits``), both exact, with HiGHS's presolve.
    Its bound, capped at the plan's value, bounds the whole."""
    start = time.monotonic()
    _, roster, structure, comp, levels, s1, hint, allowed = _prepared(
        folder)
    values = term_values(structure, comp, hint)
    upper = sum(c * values[t] for t, c in levels[1].items())
    search = lagrange.cap_search(structure, comp, levels[1], s1, hint,
                                 upper, math.inf, steps, steps, allowed)
    limits = lagrange.pair_limits(search, len(comp.pairs), upper)
    limits = np.where(allowed, np.iinfo(np.int64).max if limits is None
                      else limits, 0)
    solved = [LevelOutcome(levels[0], s1, s1, True)]
    found = mip.solve_levels(structure, comp, levels, solved, hint,
                             time_limit, limits=limits, presolve="choose")
    level = found.levels[1]
    return {"roster": str(folder), "input_hash": roster.input_hash,
            "level": level.terms, "s1": s1, "product_plan": upper,
            "pairs": int((limits > 0).sum()), "of_pairs": len(comp.pairs),
            "bound_flows": steps, "lagrangian_bound": search.bound,
            "objective": level.objective, "bound": level.bound,
            "proven_optimal": level.optimal,
            "seconds": round(time.monotonic() - start, 1),
            "time_limit": time_limit,
            "peak_mb": round(resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss / 1024),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def restricted(folder: Path, time_limit: float, pairs: int, steps: int,
               plan_out: Path | None) -> dict:
    """A better plan than the product's, searched for (not proven) by
    HiGHS on a restricted program: the ``pairs`` pairs whose reduced
    costs (the cap-aware bound after ``steps`` flows) are least, and
    every pair the product's plan uses. Any plan of it is a plan of the
    whole (restricting only removes choices), re-priced exactly, and
    the students' plan is re-checked by the checker (``verify.audit``):
    its value is an upper bound on the optimum, so the product plan's
    true gap is at least their difference. The record also gives the
    bound after ``steps`` flows (a lower bound on the optimum)."""
    start = time.monotonic()
    rules, roster, structure, comp, levels, s1, hint, allowed = _prepared(
        folder)
    values = term_values(structure, comp, hint)
    upper = sum(c * values[t] for t, c in levels[1].items())
    search = lagrange.cap_search(structure, comp, levels[1], s1, hint,
                                 upper, math.inf, steps, steps, allowed)
    got = lagrange.reduced_costs(search, len(comp.pairs), upper)
    if got is None:
        raise SystemExit("no reduced costs (potentials did not settle)")
    least, _ = got
    least = np.where(allowed, least, np.iinfo(np.int64).max)
    used = np.array([hint.get(int(p), 0) > 0 for p in comp.pairs])
    keep = used.copy()
    keep[np.argsort(least, kind="stable")[:pairs]] = True
    limits = np.where(keep, np.iinfo(np.int64).max, 0)
    solved = [LevelOutcome(levels[0], s1, s1, True)]
    found = mip.solve_levels(structure, comp, levels, solved, hint,
                             time_limit, limits=limits)
    level = found.levels[1]
    assignment = disaggregate(structure, found.counts)
    checked = audit(roster.instance, rules, assignment)
    if checked.violations:
        raise SystemExit(f"the checker refused the plan: "
                         f"{checked.violations[:3]}")
    audited = sum(c * checked.terms[t] for t, c in levels[1].items())
    if plan_out is not None:
        plan_out.write_text("student_id,case_manager_id\n" + "".join(
            f"{s},{c}\n" for s, c in sorted(assignment.items())))
    return {"roster": str(folder), "input_hash": roster.input_hash,
            "level": levels[1], "s1": s1,
            "product_plan": upper,
            "restricted_pairs": int(keep.sum()),
            "of_pairs": len(comp.pairs),
            "better_plan": level.objective,
            "better_plan_checked": audited,
            "bound_flows": steps, "lagrangian_bound": search.bound,
            "seconds": round(time.monotonic() - start, 1),
            "time_limit": time_limit,
            "peak_mb": round(resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss / 1024),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def neighbourhoods(folder: Path, rounds: int, size: int, seed: int,
                   time_limit: float, plan_out: Path | None) -> dict:
    """A better plan than the product's, searched for (not proven) by
    re-planning neighbourhoods: staff linked through students they may
    both take (pairs a least-S1 plan may use), grown from a random staff
    member until they hold ``size`` students; those students and staff
    are planned again by the product itself (``solve``, which proves
    such a part in seconds), the rest held. A better sub-plan is better
    for the whole by as much (every term of a student and of a staff
    member whose students are all re-planned is inside it). The final
    plan is re-checked and re-priced by ``verify.audit`` on the whole
    roster: its value is an upper bound on the optimum, so the product
    plan's true gap is at least their difference."""
    import random

    from optimizer.result import SolverParams, SolveStatus
    from optimizer.solver.dispatch import solve

    start = time.monotonic()
    rules, roster, structure, comp, levels, s1, hint, allowed = _prepared(
        folder)
    inst = roster.instance
    values = term_values(structure, comp, hint)
    upper = sum(c * values[t] for t, c in levels[1].items())
    assignment = disaggregate(structure, hint)
    level = levels[1]

    def value(sub_inst, plan) -> tuple[int, int]:
        terms = audit(sub_inst, rules, plan).terms
        return terms["S1"], sum(c * terms[t] for t, c in level.items())

    v = __import__("optimizer.solver.flow", fromlist=["_view"])._view(
        structure, comp)
    ok = allowed if allowed is not None else np.ones(len(v.pairs), bool)
    staff_ids = [inst.staff[c].staff_id for c in comp.staff]
    groups_of: dict[int, list[int]] = {}
    staff_of: dict[int, list[int]] = {}
    for g, c in zip(v.group[ok].tolist(), v.staff[ok].tolist()):
        groups_of.setdefault(c, []).append(g)
        staff_of.setdefault(g, []).append(c)
    rnd = random.Random(seed)
    accepted, gained = 0, 0
    ends = time.monotonic() + time_limit
    for _ in range(rounds):
        if time.monotonic() > ends:
            break
        load: dict[str, int] = {}
        for sid, cid in assignment.items():
            load[cid] = load.get(cid, 0) + 1
        first = rnd.randrange(len(staff_ids))
        chosen, queue = {first}, [first]
        held = load.get(staff_ids[first], 0)
        while queue and held < size:
            c = queue.pop(0)
            near = sorted({d for g in groups_of.get(c, ())
                           for d in staff_of[g]} - chosen)
            rnd.shuffle(near)
            for d in near:
                if held >= size:
                    break
                chosen.add(d)
                queue.append(d)
                held += load.get(staff_ids[d], 0)
        ids = {staff_ids[c] for c in chosen}
        students = tuple(s for s in inst.students
                         if assignment[s.student_id] in ids)
        sub = Instance(students=students, staff=tuple(
            c for c in inst.staff if c.staff_id in ids))
        now = {s.student_id: assignment[s.student_id] for s in students}
        before = value(sub, now)
        result = solve(sub, rules, ObjectiveWeights(),
                       SolverParams(time_limit=30))
        if result.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            continue
        after = value(sub, result.assignment)
        if after[0] <= before[0] and after[1] < before[1]:
            assignment.update(result.assignment)
            accepted += 1
            gained += before[1] - after[1]
            print(f"{time.monotonic() - start:.0f} s: {upper - gained}",
                  flush=True)
    checked = audit(inst, rules, assignment)
    if checked.violations:
        raise SystemExit(f"the checker refused the plan: "
                         f"{checked.violations[:3]}")
    if checked.terms["S1"] != s1:
        raise SystemExit("the plan's S1 is not the least")
    audited = sum(c * checked.terms[t] for t, c in level.items())
    if plan_out is not None:
        plan_out.write_text("student_id,case_manager_id\n" + "".join(
            f"{s},{c}\n" for s, c in sorted(assignment.items())))
    return {"roster": str(folder), "input_hash": roster.input_hash,
            "level": level, "s1": s1, "product_plan": upper,
            "method": f"neighbourhoods of {size} students, {rounds} "
                      f"rounds at most, seed {seed}",
            "accepted": accepted, "better_plan_checked": audited,
            "seconds": round(time.monotonic() - start, 1),
            "peak_mb": round(resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss / 1024),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("roster", type=Path)
    ap.add_argument("--time-limit", type=float, default=3600)
    ap.add_argument("--out", type=Path, default=HERE / "proofs.json")
    ap.add_argument("--restrict", type=int, default=0, metavar="PAIRS",
                    help="search a better plan on this many pairs of "
                    "least reduced cost (see restricted())")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--neighbourhoods", type=int, default=0,
                    metavar="ROUNDS", help="search a better plan by "
                    "re-planning neighbourhoods (see neighbourhoods())")
    ap.add_argument("--size", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--plan-out", type=Path)
    args = ap.parse_args()
    if args.neighbourhoods:
        record = neighbourhoods(args.roster, args.neighbourhoods, args.size,
                                args.seed, args.time_limit, args.plan_out)
    elif args.restrict:
        record = restricted(args.roster, args.time_limit, args.restrict,
                            args.steps, args.plan_out)
    else:
        record = prove(args.roster, args.time_limit, args.steps)
    print(json.dumps(record, indent=1))
    old = json.loads(args.out.read_text()) if args.out.exists() else []
    args.out.write_text(json.dumps([*old, record], indent=1) + "\n")


if __name__ == "__main__":
    main()
