"""Better plans for parts too large for the MIP: neighbourhoods re-planned.

On the tightly staffed 70,000-student weighted district the plan of the
moves was 0.036% above the optimum while the cap-aware bound, after it
levels off, is 0.015% below it (bench/NOTES.md): the time left after the
bound stops rising does more on the plan. A neighbourhood is a few staff
members linked through students they may both take, grown from one
drawn with the run's seed until they hold about ``SIZE`` students; those
students are re-planned among them by the MIP (``mip._Program`` on that
share of each group, best practice held), everyone else held. Every
student and every staff member whose terms a re-plan changes is inside
it, so a neighbourhood's price (the program's, exact on its start, never
below the exact value of a plan HiGHS returns) falls only if the whole
part's level falls; S1 is held, caps and eligibility are the part's own
pairs. The caller re-prices the result exactly, and the checker
re-verifies every plan.
"""

from __future__ import annotations

import random
import time

import highspy
import numpy as np

from optimizer.solver import mip
from optimizer.solver.flow import _view
from optimizer.solver.structure import Component, Structure

# Students per neighbourhood: the MIP proves a part of this size (about
# 15,000 pairs) in well under a second with its start.
SIZE = 1500
# HiGHS's time per neighbourhood at most.
ROUND_SECONDS = 3.0
# Neighbourhoods in a row that improve nothing before the search gives up
# (the slack 70,000-student weighted roster: 24 of 24 improved nothing in
# 10 s, its gap being the bound's; the tight one improves about every
# other round).
FUTILE = 8


def improve_by_neighbourhoods(structure: Structure, component: Component,
                              counts: dict[int, int], level: dict[str, int],
                              allowed: np.ndarray | None, deadline: float,
                              seed: int = 0) -> dict[int, int]:
    """Re-plan neighbourhoods until ``deadline`` (monotonic clock) or
    ``FUTILE`` in a row improve nothing; the plan returned is never
    worse in ``level`` than ``counts``, with the same S1."""
    v = _view(structure, component)
    ok = allowed if allowed is not None else np.ones(len(v.pairs), bool)
    n = np.array([counts.get(int(p), 0) for p in v.pairs], dtype=np.int64)
    ok = ok | (n > 0)
    groups_of: dict[int, list[int]] = {}
    staff_of: dict[int, list[int]] = {}
    for g, c in zip(v.group[ok].tolist(), v.staff[ok].tolist()):
        groups_of.setdefault(c, []).append(g)
        staff_of.setdefault(g, []).append(c)
    rnd = random.Random(seed)
    n_staff = len(component.staff)
    futile = 0
    while time.monotonic() + 0.5 < deadline and futile < FUTILE:
        held = np.bincount(v.staff, weights=n, minlength=n_staff)
        first = rnd.randrange(n_staff)
        chosen, queue, total = {first}, [first], held[first]
        while queue and total < SIZE:
            c = queue.pop(0)
            near = sorted({d for g in groups_of.get(c, ())
                           for d in staff_of[g]} - chosen)
            rnd.shuffle(near)
            for d in near:
                if total >= SIZE:
                    break
                chosen.add(d)
                queue.append(d)
                total += held[d]
        inside = np.zeros(n_staff, dtype=bool)
        inside[list(chosen)] = True
        better = _replan(structure, component, v, n, ok & inside[v.staff],
                         level, min(deadline, time.monotonic()
                                    + ROUND_SECONDS), seed)
        futile = 0 if better is not None else futile + 1
        if better is not None:
            n = better
    return {int(p): int(k) for p, k in zip(v.pairs, n.tolist())
            if k or int(p) in counts}


def _replan(structure: Structure, component: Component, v, n: np.ndarray,
            free: np.ndarray, level: dict[str, int], end: float,
            seed: int) -> np.ndarray | None:
    """The students on ``free`` pairs' staff re-planned over those pairs;
    the new counts if the program prices them lower, else None."""
    sizes = np.bincount(v.group[free], weights=n[free],
                        minlength=len(v.size)).astype(np.int64)
    # Every student of a chosen staff member is free: their pairs that
    # carry students are all in ``free`` (``ok`` keeps used pairs).
    limits = np.where(free, np.iinfo(np.int64).max, 0)
    program = mip._Program(structure, component, limits, sizes)
    counts = {int(p): int(k) for p, k in zip(v.pairs[free], n[free])
              if k}
    h = mip._Quiet()
    for option, value in (("output_flag", False), ("threads", 1),
                          ("random_seed", seed), ("presolve", "off"),
                          ("time_limit", max(0.05, end - time.monotonic()))):
        h.setOptionValue(option, value)
    h.passModel(program.lp)
    s1, _ = program.level({"S1": 1})
    start = program.start(counts)
    mip._fix(h, program, {"S1": 1}, round(float(s1 @ start)))
    weights, _ = program.level(level)
    h.changeColsCost(len(weights), np.arange(len(weights), dtype=np.int32),
                     weights.astype(float))
    before = float(weights.astype(float) @ start)
    sol = highspy.HighsSolution()
    sol.col_value = start.tolist()
    sol.value_valid = True
    h.setSolution(sol)
    h.run()
    if h.getInfo().primal_solution_status != 2:
        return None
    values = np.asarray(h.getSolution().col_value)
    after = float(weights.astype(float) @ values)
    if not after < before - 0.5:
        return None
    found = program.counts(values)
    if found is None:
        return None
    out = n.copy()
    out[free] = 0
    index = {int(p): i for i, p in enumerate(v.pairs[free].tolist())}
    where = np.flatnonzero(free)
    for p, k in found.items():
        out[where[index[p]]] = k
    return out
