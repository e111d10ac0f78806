"""Single-student moves that lower one objective level (a CP-SAT hint)."""

from __future__ import annotations

import numpy as np

from optimizer.objectives import (
    balance_change,
    balance_coefficient,
    calendar_change,
    continuity_kept,
)
from optimizer.solver.calendar import calendar_view
from optimizer.solver.flow import _view
from optimizer.solver.structure import Component, Structure


def improve_by_moves(structure: Structure, component: Component,
                     counts: dict[int, int], level: dict[str, int],
                     max_passes: int = 20,
                     allowed: np.ndarray | None = None) -> dict[int, int]:
    """Local search on one level: move single students while it helps.

    A move takes one student of a group from one eligible case manager to
    another with room, keeping best practice (S1) unchanged, when it lowers
    ``level`` exactly (S2 by the weighted loads, S3 by kept priors, S4,
    S5 by each staff member's meetings per period; H8 is not checked, so
    the caller uses them only without a monthly limit).
    Used to give CP-SAT a better starting plan for weighted loads; any
    result satisfies H1-H7 as the input did. ``allowed`` (per pair of the
    part's view): the only pairs a student may move to (those a plan with
    the input's S1 may use, ``lagrange.best_practice_pairs``: the moves
    keep S1, so they would never reach another; leaving them out saves
    their looking).
    """
    caps = structure.caps
    c2, c3, c4, c5 = (level.get(t, 0) for t in ("S2", "S3", "S4", "S5"))
    if "S1" in level:
        return counts
    cal = calendar_view(structure, component) if c5 else None
    # The part's pairs as plain lists by position (the view's arrays:
    # no Pair objects for a million pairs).
    v = _view(structure, component)
    pid = v.pairs.tolist()
    staff = np.asarray(component.staff, dtype=np.int64)[v.staff].tolist()
    units = v.units[v.group].tolist()
    s1 = v.s1.tolist()
    lang = v.s4.tolist()
    prior = v.prior.tolist()
    n = [counts.get(p, 0) for p in pid]
    start = list(n)
    load: dict[int, int] = dict.fromkeys(component.staff, 0)
    size: dict[int, int] = dict.fromkeys(component.staff, 0)
    by_group: dict[int, list[int]] = {}
    for i, g in enumerate(v.group.tolist()):
        load[staff[i]] += n[i] * units[i]
        size[staff[i]] += n[i]
        if allowed is None or allowed[i] or n[i]:
            by_group.setdefault(g, []).append(i)
    a = {c: balance_coefficient(caps[c]) for c in component.staff}
    # S5: meetings per staff member and period, and each (local) group's
    # periods.
    held: dict[int, list[int]] = {}
    periods_of: dict[int, list[tuple[int, int]]] = {}
    if cal is not None:
        for g in range(len(component.groups)):
            periods_of[g] = [(int(t), int(cal.meet[g, t]))
                             for t in cal.meet[g].nonzero()[0]]
        held = {c: [0] * cal.meet.shape[1] for c in component.staff}
        for i, g in enumerate(v.group.tolist()):
            for t, k in periods_of[g] if n[i] else ():
                held[staff[i]][t] += n[i] * k

    def meetings_change(c: int, g: int, sign: int) -> int:
        return sum(calendar_change(held[c][t], sign * k)
                   for t, k in periods_of.get(g, ()))

    def kept_change(i: int, delta: int) -> int:
        return (continuity_kept(n[i] + delta, prior[i])
                - continuity_kept(n[i], prior[i]))
    for _ in range(max_passes):
        improved = False
        for g, ps in by_group.items():
            w = units[ps[0]]
            for p in ps:
                if n[p] == 0:
                    continue
                src = staff[p]
                base = (c2 * balance_change(a[src], load[src], -w)
                        - c4 * lang[p]
                        - c3 * kept_change(p, -1)
                        + (c5 * meetings_change(src, g, -1) if held
                           else 0))
                best, best_q = 0, None
                for q in ps:
                    dst = staff[q]
                    if q == p or size[dst] >= caps[dst] or s1[q] != s1[p]:
                        continue
                    delta = (base + c2 * balance_change(a[dst], load[dst], w)
                             + c4 * lang[q]
                             - c3 * kept_change(q, 1)
                             + (c5 * meetings_change(dst, g, 1) if held
                                else 0))
                    if delta < best:
                        best, best_q = delta, q
                if best_q is not None:
                    dst = staff[best_q]
                    n[p] -= 1
                    n[best_q] += 1
                    load[src] -= w
                    load[dst] += w
                    size[src] -= 1
                    size[dst] += 1
                    for t, k in periods_of.get(g, ()):
                        held[src][t] -= k
                        held[dst][t] += k
                    improved = True
        if not improved:
            break
    counts = dict(counts)
    for i, (now, was) in enumerate(zip(n, start)):
        if now != was:
            counts[pid[i]] = now
    return counts
