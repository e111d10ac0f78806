"""Single-student moves that lower one objective level (a CP-SAT hint)."""

from __future__ import annotations

from optimizer.objectives import (
    balance_change,
    balance_coefficient,
    calendar_change,
    continuity_kept,
    language_miss,
)
from optimizer.solver.calendar import calendar_view
from optimizer.solver.structure import Component, Structure


def improve_by_moves(structure: Structure, component: Component,
                     counts: dict[int, int], level: dict[str, int],
                     max_passes: int = 20) -> dict[int, int]:
    """Local search on one level: move single students while it helps.

    A move takes one student of a group from one eligible case manager to
    another with room, keeping best practice (S1) unchanged, when it lowers
    ``level`` exactly (S2 by the weighted loads, S3 by kept priors, S4,
    S5 by each staff member's meetings per period; H8 is not checked, so
    the caller uses them only without a monthly limit).
    Used to give CP-SAT a better starting plan for weighted loads; any
    result satisfies H1-H7 as the input did.
    """
    groups, caps = structure.groups, structure.caps
    # The component's pairs, made once (the search reads them often).
    pairs = {p: structure.pairs[p] for p in component.pairs}
    inst = structure.instance
    c2, c3, c4, c5 = (level.get(t, 0) for t in ("S2", "S3", "S4", "S5"))
    if "S1" in level:
        return counts
    cal = calendar_view(structure, component) if c5 else None
    counts = dict(counts)
    load: dict[int, int] = dict.fromkeys(component.staff, 0)
    size: dict[int, int] = dict.fromkeys(component.staff, 0)
    by_group: dict[int, list[int]] = {}
    for p in component.pairs:
        pair = pairs[p]
        n = counts.get(p, 0)
        load[pair.staff] += n * groups[pair.group].weight_units
        size[pair.staff] += n
        by_group.setdefault(pair.group, []).append(p)
    a = {c: balance_coefficient(caps[c]) for c in component.staff}
    # S5: meetings per staff member and period, and each group's periods.
    held: dict[int, list[int]] = {}
    periods_of: dict[int, list[tuple[int, int]]] = {}
    if cal is not None:
        for i, g in enumerate(component.groups):
            periods_of[g] = [(int(t), int(cal.meet[i, t]))
                             for t in cal.meet[i].nonzero()[0]]
        held = {c: [0] * cal.meet.shape[1] for c in component.staff}
        for p in component.pairs:
            n = counts.get(p, 0)
            for t, k in periods_of[pairs[p].group] if n else ():
                held[pairs[p].staff][t] += n * k

    def meetings_change(staff: int, g: int, sign: int) -> int:
        return sum(calendar_change(held[staff][t], sign * k)
                   for t, k in periods_of.get(g, ()))
    prior = {p: groups[pairs[p].group].priors.get(
        inst.staff[pairs[p].staff].staff_id, 0) for p in component.pairs}
    lang = {p: language_miss(pairs[p].check) for p in component.pairs}

    def kept_change(p: int, delta: int) -> int:
        n = counts.get(p, 0)
        return (continuity_kept(n + delta, prior[p])
                - continuity_kept(n, prior[p]))
    for _ in range(max_passes):
        improved = False
        for g, ps in by_group.items():
            w = groups[g].weight_units
            for p in ps:
                if counts.get(p, 0) == 0:
                    continue
                src = pairs[p].staff
                base = (c2 * balance_change(a[src], load[src], -w)
                        - c4 * lang[p]
                        - c3 * kept_change(p, -1)
                        + (c5 * meetings_change(src, g, -1) if held
                           else 0))
                best, best_q = 0, None
                for q in ps:
                    dst = pairs[q].staff
                    if q == p or size[dst] >= caps[dst] or (
                            pairs[q].check.best_practice
                            != pairs[p].check.best_practice):
                        continue
                    delta = (base + c2 * balance_change(a[dst], load[dst], w)
                             + c4 * lang[q]
                             - c3 * kept_change(q, 1)
                             + (c5 * meetings_change(dst, g, 1) if held
                                else 0))
                    if delta < best:
                        best, best_q = delta, q
                if best_q is not None:
                    dst = pairs[best_q].staff
                    counts[p] -= 1
                    counts[best_q] = counts.get(best_q, 0) + 1
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
    return counts
