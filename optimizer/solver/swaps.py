"""Two students exchanged between two case managers (a swap), where the
caps bind and single-student moves cannot go.

``moves.improve_by_moves`` moves one student to a case manager with
room. On a tightly staffed district most of the case managers a student
should go to are full, so the plan the moves stop at can still be far
from the optimum: on the 5,000-student tight weighted roster with
meeting dates, the calendar flow and the moves ended 0.76% above the
proven optimum (bench/NOTES.md). A swap sends a student of group ``g``
from ``c1`` to ``c2`` and one of group ``h`` from ``c2`` to ``c1``: each
keeps their head count, so the caps (H6) hold, and both go along
eligible pairs (H1-H5, H7 are per pair), best practice (S1) unchanged
in total. Its change of the level is exact: S2 by both loads, S3 by the
four pairs' kept priors, S4, and S5 by both case managers' meetings per
period.

The search works in rounds over arrays: every swap (and, with
``moves``, every single-student move to a case manager with room) that
lowers the level is priced against the plan; the best ``PER_TWO`` of
each two case managers are tried best first, and one whose case
managers changed earlier in the round is priced again exactly as the
plan is then (``_price_one``) and applied only if it still lowers the
level and keeps the caps. A price changes only when one of its two case
managers changed, so each later round prices only the candidates of the
case managers the last round touched. Deterministic: the same plan and
level give the same result.

Measured (bench/NOTES.md): on the tight 70,000-student weighted roster
with dates, from the calendar flow's plan, 3.5 s to a plan 0.90% below
the one single-student moves reach from it; on the same roster without
dates, from the flow's plan, 0.0234% above the optimum in 0.57 s, where
single-student moves end 0.0313% above it in 0.92 s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.objectives import balance_coefficient
from optimizer.solver.calendar import calendar_view
from optimizer.solver.flow import _view
from optimizer.solver.moves import improve_by_moves
from optimizer.solver.structure import Component, Structure

# Triples (student's pair, alternative pair, other student's pair)
# priced at once: bounds the memory of one round (about 200 bytes each).
CHUNK = 400_000
# Swaps or moves tried per two case managers a round (the 70,000-student
# dated district: 1 a pair, 4.0 s in 14 rounds; 16, 3.5 s in 11).
PER_TWO = 16
# The prices are numpy int64 sums, which wrap around silently: a price
# beyond this would turn a dearer swap into a cheaper one.
_INT64 = 2**63


def improve_by_swaps(structure: Structure, component: Component,
                     counts: dict[int, int], level: dict[str, int],
                     allowed: np.ndarray | None = None,
                     max_rounds: int = 200, moves: bool = False,
                     limit: bool = False) -> dict[int, int]:
    """Apply swaps that lower ``level`` until none is left (or
    ``max_rounds`` rounds: the tight 70,000-student dated roster takes
    11); the plan returned keeps H1-H7 as ``counts`` did and has the same
    S1, unless S1 is in ``level``: then a swap or move may change it,
    priced like the rest (``s1_first``).
    ``allowed`` (per pair of the part's view): the pairs a student may be
    swapped onto (``lagrange.best_practice_pairs``).
    ``moves``: single-student moves to a case manager with room (and
    the same S1) too, priced and applied in the same rounds.
    ``limit``: the monthly limit (H8) of the part's calendar, if it has
    one, priced too: each meeting of a case manager's month above it
    costs more than any swap's change of the level, so a plan within the
    limit stays within it, and one beyond it is taken towards it first
    (whether it gets there, ``calendar.within_limit`` says)."""
    c2, c3, c4, c5 = (level.get(t, 0) for t in ("S2", "S3", "S4", "S5"))
    c1 = level.get("S1", 0)
    v = _view(structure, component)
    cal = calendar_view(structure, component) if c5 or limit else None
    most = _most_price(structure, component, v, cal if c5 else None, c2,
                       c3, c4, c5) + 2 * abs(c1)
    h8 = None
    if limit and cal is not None and cal.limit is not None:
        # Over the limit by one costs more than the most any price of
        # the level can be; a swap changes c1's and c2's excess by at
        # most their meetings in every month.
        big = most + 1
        most += big * 4 * int(cal.month.max(initial=0)) * cal.month.shape[1]
        if most >= _INT64:
            return counts  # (no repair: the caller checks H8)
        h8 = [cal.month.astype(np.int64), None, cal.limit, big]
    if most >= _INT64:
        # Moves price in Python's integers, exactly at any weights.
        return (improve_by_moves(structure, component, counts, level,
                                 allowed=allowed)
                if moves and not c1 else counts)
    n_staff = len(component.staff)
    n = np.array([counts.get(int(p), 0) for p in v.pairs], dtype=np.int64)
    ok = np.ones(len(v.pairs), bool) if allowed is None else allowed.copy()
    ok |= n > 0
    w = v.units.astype(np.int64)  # per local group
    a = np.array([c2 * balance_coefficient(structure.caps[c])
                  if structure.caps[c] > 0 else 0
                  for c in component.staff], dtype=np.int64)
    load = np.bincount(v.staff, weights=n * w[v.group],
                       minlength=n_staff).astype(np.int64)
    meet = None if cal is None or not c5 else cal.meet.astype(np.int64)
    held = None
    if meet is not None:
        held = np.zeros((n_staff, meet.shape[1]), dtype=np.int64)
        np.add.at(held, v.staff, n[:, None] * meet[v.group])
    if h8 is not None:  # each case manager's meetings per month
        h8[1] = np.zeros((n_staff, h8[0].shape[1]), dtype=np.int64)
        np.add.at(h8[1], v.staff, n[:, None] * h8[0][v.group])
    # The eligible pairs by (group, staff): a sorted key to look up the
    # pair taking the other student back.
    elig = np.flatnonzero(ok)
    key = v.group[elig] * n_staff + v.staff[elig]
    order = np.argsort(key, kind="stable")
    keys, key_pair = key[order], elig[order]
    # Each group's eligible pairs, for the alternatives.
    by_group = elig[np.argsort(v.group[elig], kind="stable")]
    g_start = np.searchsorted(v.group[by_group], np.arange(len(v.size)))
    g_len = np.diff(np.append(g_start, len(by_group)))
    caps = np.array([structure.caps[c] for c in component.staff],
                    dtype=np.int64)
    size = np.bincount(v.staff, weights=n,
                       minlength=n_staff).astype(np.int64)
    room = (size < caps) if moves else np.zeros(n_staff, dtype=bool)
    touched = np.ones(n_staff, dtype=bool)
    # (the rounds change its arrays in place)
    st = Plan(v, n, w, a, load, meet, held, c1, c3, c4, c5, h8)
    for _ in range(max_rounds):
        found = _price(st, keys, key_pair, by_group, g_start, g_len,
                       touched, n_staff, room)
        if found is None:
            break
        touched = np.zeros(n_staff, dtype=bool)
        for p, q, r, s in found:
            c1, cb = int(v.staff[p]), int(v.staff[q])
            # Priced against the plan before this round: one whose case
            # managers changed since is priced again, as the plan is now.
            if (touched[c1] or touched[cb]) and not (
                    n[p] and (n[r] if r >= 0 else size[cb] < caps[cb])
                    and _price_one(st, p, q, r, s) < 0):
                continue
            touched[c1] = touched[cb] = True
            n[p] -= 1
            n[q] += 1
            # A move (r < 0): one student less at c1, one more at cb.
            gone = w[v.group[p]]
            came = 0 if r < 0 else w[v.group[r]]
            load[c1] += came - gone
            load[cb] += gone - came
            if r >= 0:
                n[r] -= 1
                n[s] += 1
            else:
                size[c1] -= 1
                size[cb] += 1
                room[c1] = moves and size[c1] < caps[c1]
                room[cb] = moves and size[cb] < caps[cb]
            if held is not None:
                m = (0 if r < 0 else meet[v.group[r]]) - meet[v.group[p]]
                held[c1] += m
                held[cb] -= m
            if h8 is not None:
                mon = h8[0]
                m = (0 if r < 0 else mon[v.group[r]]) - mon[v.group[p]]
                h8[1][c1] += m
                h8[1][cb] -= m
    out = dict(counts)
    for p, k in zip(v.pairs.tolist(), n.tolist()):
        if k != counts.get(p, 0):
            out[p] = k
    return out


@dataclass
class Plan:
    """The plan as the rounds hold it, and what prices it: students per
    pair ``n`` (of the part's view ``v``), the units of each group
    ``w``, S2's coefficient per case manager ``a`` and their loads, the
    meetings per group and period ``meet`` with each case manager's
    ``held`` (None without S5), the level's coefficients, and ``h8``:
    the months' meetings per group, each case manager's, the monthly
    limit and the price of a meeting beyond it (None without H8)."""

    v: object
    n: np.ndarray
    w: np.ndarray
    a: np.ndarray
    load: np.ndarray
    meet: np.ndarray | None
    held: np.ndarray | None
    c1: int
    c3: int
    c4: int
    c5: int
    h8: list | None


def s1_first(structure: Structure, component: Component,
             level: dict[str, int]) -> dict[str, int]:
    """``level`` with S1 priced above the most one swap or move can
    change the rest (the lexicographic order, S1 first, within one
    swap)."""
    v = _view(structure, component)
    c2, c3, c4, c5 = (level.get(t, 0) for t in ("S2", "S3", "S4", "S5"))
    cal = calendar_view(structure, component) if c5 else None
    return {**level, "S1": _most_price(structure, component, v, cal, c2, c3,
                                       c4, c5) + 1}


def _most_price(structure: Structure, component: Component, v, cal,
                c2: int, c3: int, c4: int, c5: int) -> int:
    """The most any swap's or move's price, or any sum on the way to it,
    can be, in Python's integers: S2's two loads change by at most the
    heaviest student, each load at most the part's whole load; S3 and S4
    by at most 4; S5 by at most the most meetings a student holds in a
    period, against at most the part's meetings in it."""
    most = max(int(u) for u in v.units) if len(v.units) else 0
    whole = sum(s * u for s, u in zip(v.size.tolist(), v.units.tolist()))
    a = max((c2 * balance_coefficient(structure.caps[c])
             for c in component.staff if structure.caps[c] > 0), default=0)
    top = 2 * abs(a) * most * (2 * whole + most) + 4 * (abs(c3) + abs(c4))
    if cal is not None:
        m = int(cal.meet.max(initial=0))
        held = sum(int(s) * int(k) for s, k in zip(
            v.size.tolist(), cal.meet.sum(axis=1).tolist()))
        top += abs(c5) * m * (2 * held + 2 * m * cal.meet.shape[1])
    return top


def _price(st: Plan, keys, key_pair, by_group, g_start, g_len, touched,
           n_staff, room):
    """The swaps (and moves to the staff with ``room``) that lower the
    level, best first (ties by their pairs), among those with a touched
    case manager; None if there are none. Each is (p, q, r, s): a
    student of p's group from p to q, one of r's group (on q's staff)
    from r to s (on p's staff); a move has r = s = -1."""
    v, n = st.v, st.n
    used = np.flatnonzero(n > 0)
    # Used pairs by staff, for the students who may go back.
    u_order = used[np.argsort(v.staff[used], kind="stable")]
    s_start = np.searchsorted(v.staff[u_order], np.arange(n_staff))
    s_len = np.diff(np.append(s_start, len(u_order)))
    # (p, q): a used pair and another eligible pair of its group.
    reps = g_len[v.group[used]]
    p = np.repeat(used, reps)
    q = by_group[np.repeat(g_start[v.group[used]], reps)
                 + np.arange(int(reps.sum()))
                 - np.repeat(np.cumsum(reps) - reps, reps)]
    keep = (v.staff[q] != v.staff[p]) & (touched[v.staff[p]]
                                          | touched[v.staff[q]])
    p, q = p[keep], q[keep]
    found = [_moves(st, p, q, room)]
    # Expand (p, q) by the used pairs r at q's staff, in chunks of pairs.
    per = s_len[v.staff[q]]
    bounds = np.searchsorted(np.cumsum(per), np.arange(CHUNK, int(
        per.sum()) + CHUNK, CHUNK), side="right")
    lo = 0
    for hi in np.unique(np.append(bounds, len(p))):
        if hi <= lo:
            continue
        found.append(_chunk(st, keys, key_pair, u_order, s_start, s_len,
                            p[lo:hi], q[lo:hi], n_staff))
        lo = hi
    price, p, q, r, s = (np.concatenate(x) for x in zip(*found))
    if not len(price):
        return None
    # Best first, ties by the pairs; the best few of each two case
    # managers (after the first, each is priced again as the plan is
    # then: most no longer pay).
    c1, cb = v.staff[p], v.staff[q]
    two = np.minimum(c1, cb) * n_staff + np.maximum(c1, cb)
    order = np.lexsort((s, r, q, p, price, two))
    start = np.flatnonzero(np.r_[True, two[order][1:] != two[order][:-1]])
    rank = np.arange(len(order)) - np.repeat(start, np.diff(np.r_[
        start, len(order)]))
    order = order[rank < PER_TWO]
    order = order[np.lexsort((s[order], r[order], q[order], p[order],
                              price[order]))]
    return list(zip(p[order].tolist(), q[order].tolist(), r[order].tolist(),
                    s[order].tolist()))


def _chunk(st: Plan, keys, key_pair, u_order, s_start, s_len, p, q,
           n_staff):
    v, c1 = st.v, st.c1
    cb = v.staff[q]
    reps = s_len[cb]
    p, q = np.repeat(p, reps), np.repeat(q, reps)
    r = u_order[np.repeat(s_start[cb], reps) + np.arange(int(reps.sum()))
                - np.repeat(np.cumsum(reps) - reps, reps)]
    # s: the pair taking r's student back to p's staff, if eligible.
    want = v.group[r] * n_staff + v.staff[p]
    at = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
    keep = (v.group[p] != v.group[r]) & (keys[at] == want)
    p, q, r, s = p[keep], q[keep], r[keep], key_pair[at[keep]]
    if not c1:  # S1 held
        keep = v.s1[q] - v.s1[p] + v.s1[s] - v.s1[r] == 0
        p, q, r, s = p[keep], q[keep], r[keep], s[keep]
    price = _prices(st, p, q, r, s)
    good = price < 0
    return price[good], p[good], q[good], r[good], s[good]


def _moves(st: Plan, p, q, room):
    """The moves among (p, q) to a case manager with room and the same
    S1 that lower the level, priced exactly: (price, p, q, r, s) arrays
    with r = s = -1."""
    v = st.v
    keep = room[v.staff[q]] & ((v.s1[q] == v.s1[p]) | bool(st.c1))
    p, q = p[keep], q[keep]
    none = np.full(len(p), -1, dtype=np.int64)
    price = _prices(st, p, q, none,
                    none)
    good = price < 0
    return price[good], p[good], q[good], none[good], none[good]


def _price_one(st: Plan, p, q, r, s) -> int:
    """The exact change of the level by one move (r < 0) or swap, as the
    plan is now."""
    one = [np.array([x], dtype=np.int64) for x in (p, q, r, s)]
    return int(_prices(st, *one)[0])


def _prices(st: Plan, p, q, r, s) -> np.ndarray:
    """The exact change of the level by each move (r = s = -1: a student
    from p to q) or swap (and one from r to s), as the plan is now: S2
    by both loads, S3 by the pairs' kept priors, S4, S5 by both case
    managers' meetings per period, S1 if priced, and the meetings beyond
    the monthly limit if priced (the one written definition of a price:
    the rounds' and a re-priced candidate's)."""
    v, n, w, a, load = st.v, st.n, st.w, st.a, st.load
    meet, held, h8 = st.meet, st.held, st.h8
    k1, c3, c4, c5 = st.c1, st.c3, st.c4, st.c5  # (c1, cb: staff)
    swap = (r >= 0).astype(np.int64)
    g, h = v.group[p], v.group[r]
    c1, cb = v.staff[p], v.staff[q]
    d = swap * w[h] - w[g]  # c1's load change; cb's is -d
    price = (a[c1] * d * (2 * load[c1] + d)
             + a[cb] * d * (d - 2 * load[cb])
             + c4 * (v.s4[q] - v.s4[p] + swap * (v.s4[s] - v.s4[r]))
             - c3 * (_kept(n, v.prior, p, -1) + _kept(n, v.prior, q, 1)
                     + swap * (_kept(n, v.prior, r, -1)
                               + _kept(n, v.prior, s, 1))))
    if k1:
        price = price + k1 * (v.s1[q] - v.s1[p] + swap * (v.s1[s] - v.s1[r]))
    if meet is not None and len(p):
        m = swap[:, None] * meet[h] - meet[g]  # c1's meetings per period
        price = price + c5 * (m * (2 * (held[c1] - held[cb]) + 2 * m)
                              ).sum(axis=1)
    if h8 is not None and len(p):  # H8: meetings beyond the monthly limit
        mon, hm, lim, big = h8
        m = swap[:, None] * mon[h] - mon[g]
        over = (np.maximum(hm[c1] + m - lim, 0) - np.maximum(hm[c1] - lim, 0)
                + np.maximum(hm[cb] - m - lim, 0)
                - np.maximum(hm[cb] - lim, 0))
        price = price + big * over.sum(axis=1)
    return price


def _kept(n: np.ndarray, prior: np.ndarray, i: np.ndarray,
          delta: int) -> np.ndarray:
    """Change of the students kept with their prior on pairs ``i`` when
    one student joins (1) or leaves (-1) each (``objectives.
    continuity_kept``, elementwise)."""
    return np.minimum(n[i] + delta, prior[i]) - np.minimum(n[i], prior[i])
