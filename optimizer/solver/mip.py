"""Weighted objective levels as a mixed-integer program (HiGHS).

With workload weights, S2 (balance) is no longer a min-cost-flow cost and
CP-SAT rarely closes the last gap. Here S2 is written as what it is, a
convex piecewise-linear function of an integer load: a case manager's load
(in units of the part's common divisor of weight units) is the sum of
segment variables ``y_k`` in [0, 1], the k-th costing
``a_c * d**2 * (2k + 1)``. Rising costs fill the segments in order, so the
cost of an integer load L is exactly ``a_c * (d * L)**2`` (what
``objectives.balance_term`` counts), and the linear relaxation is the
convex one: tight enough for HiGHS's branch and bound to prove optima in
seconds where CP-SAT's bound stalls (issue 11).

HiGHS comes from highspy, its makers' own Python package: OR-Tools bundles
HiGHS too, but its interface crashes on a starting solution and reports
neither the best plan nor the bound when time runs out. The plan it
returns is re-scored exactly by ``flow.term_values`` and, like every
plan, re-verified by the checker.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import reduce

import highspy
import numpy as np

from optimizer.objectives import (
    CALENDAR,
    balance_coefficient,
    balance_increment,
)
from optimizer.objectives import TERMS as SOFT_TERMS
from optimizer.result import LevelOutcome
from optimizer.solver.calendar import (
    calendar_view,
    staff_meetings,
    within_limit,
)
from optimizer.solver.flow import _view, level_value
from optimizer.solver.structure import Component, Structure

# The program expresses S1-S4 and S5 (objectives.TERMS and CALENDAR); R,
# the closeness term, is left to CP-SAT.
TERMS = (*SOFT_TERMS, CALENDAR)
# HiGHS's answer is a float: a count within this of an integer is that
# integer (anything further off is refused, not rounded).
_INTEGRAL = 1e-6


def leading(levels: list[dict[str, int]]) -> list[dict[str, int]]:
    """The levels before the first the program cannot express (R)."""
    out = []
    for level in levels:
        if not set(level) <= set(TERMS):
            break
        out.append(level)
    return out


@dataclass
class MipOutcome:
    counts: dict[int, int]
    levels: list[LevelOutcome]
    # No plan: proven impossible (H8), or none found in time.
    infeasible: bool = False

    @property
    def optimal(self) -> bool:
        return all(lv.optimal for lv in self.levels)


class _Quiet(highspy.Highs):
    """highspy's solver without its callbacks: setting them makes HiGHS
    print its banner before any option can turn output off
    (ERGO-Code/HiGHS#2749), and a command's output must stay its own.
    Callbacks serve interruption only, which the time limit covers."""

    def enableCallbacks(self) -> None:
        pass


class _Program:
    """The part's columns and rows, and each term as objective weights.

    Columns: x (one integer count per eligible pair), y (load segments
    per case manager), keep (kept priors per pair with priors).
    """

    def __init__(self, structure: Structure, component: Component,
                 limits: np.ndarray | None = None,
                 sizes: np.ndarray | None = None):
        v = _view(structure, component)
        if sizes is not None:  # part of each group (neighbourhoods)
            v = dataclasses.replace(v, size=sizes)
        prior_total = int(v.prior.sum())
        caps = np.array([structure.caps[c] for c in component.staff],
                        dtype=np.int64)
        upper = np.minimum(v.size[v.group], caps[v.staff])
        if limits is not None:
            # Reduced-cost fixing (``lagrange.pair_limits``): a pair no
            # plan worth keeping uses has no column at all.
            upper = np.minimum(upper, limits)
            kept = upper > 0
            v = dataclasses.replace(
                v, pairs=v.pairs[kept], group=v.group[kept],
                staff=v.staff[kept], s1=v.s1[kept], s4=v.s4[kept],
                prior=v.prior[kept])
            upper = upper[kept]
        self.view = v
        pairs = len(v.pairs)
        d = reduce(math.gcd, v.units.tolist(), 0) or 1
        w = v.units[v.group] // d  # load units per student on each pair
        # Largest load: every eligible student, or cap times the heaviest.
        heaviest = np.zeros(len(caps), dtype=np.int64)
        np.maximum.at(heaviest, v.staff, w)
        top = np.minimum(np.bincount(v.staff, weights=w * upper,
                                     minlength=len(caps)).astype(np.int64),
                         caps * heaviest)
        top[caps <= 0] = 0
        seg_staff = np.repeat(np.arange(len(caps)), top)
        seg_k = np.arange(len(seg_staff)) - np.repeat(
            np.cumsum(top) - top, top)
        with_prior = np.flatnonzero(v.prior > 0)
        # S5: per (staff, period) segments of the meetings, as S2's.
        cal = calendar_view(structure, component)
        cal_top = self._calendar_top(cal, v, upper, caps)
        cal_cell = np.repeat(np.arange(cal_top.size), cal_top.ravel())
        cal_k = np.arange(len(cal_cell)) - np.repeat(
            np.cumsum(cal_top.ravel()) - cal_top.ravel(), cal_top.ravel())
        # Column numbers: x, then y, then keep, then z (S5's segments).
        self.x = np.arange(pairs)
        self.y = pairs + np.arange(len(seg_staff))
        self.keep = pairs + len(seg_staff) + np.arange(len(with_prior))
        self.z = (pairs + len(seg_staff) + len(with_prior)
                  + np.arange(len(cal_cell)))
        lower = np.zeros(pairs + len(seg_staff) + len(with_prior)
                         + len(cal_cell))
        upper_all = np.concatenate([upper, np.ones(len(seg_staff)),
                                    v.prior[with_prior],
                                    np.ones(len(cal_cell))]).astype(float)
        rows = _Rows()
        # H1: each group's students all placed. (A neighbourhood's
        # program holds the part's other groups with no student and no
        # column: their rows would say 0 = 0, tens of thousands of them.)
        for g, ps in enumerate(_split(v.group, len(v.size))):
            if len(ps) or v.size[g]:
                rows.add(self.x[ps], np.ones(len(ps)), v.size[g],
                         v.size[g])
        # H6: caps; and each load equals its segments.
        seg_of = np.split(np.arange(len(seg_staff)), np.cumsum(top)[:-1])
        for c, ps in enumerate(_split(v.staff, len(caps))):
            if not len(ps):
                continue
            rows.add(self.x[ps], np.ones(len(ps)), -math.inf, caps[c])
            if top[c]:
                rows.add(np.concatenate([self.x[ps], self.y[seg_of[c]]]),
                         np.concatenate([w[ps], -np.ones(top[c])]), 0, 0)
        # S3 bookkeeping: a kept prior is an actual assignment.
        for i, p in enumerate(with_prior):
            rows.add(np.array([self.keep[i], self.x[p]]),
                     np.array([1.0, -1.0]), -math.inf, 0)
        if cal is not None:
            self._calendar_rows(rows, cal, v, cal_top, caps)
        a = np.array([balance_coefficient(int(c)) if c > 0 else 0
                      for c in caps], dtype=np.int64)
        # Each term as (columns, integer weights, constant).
        self.terms = {
            "S1": (self.x, v.s1, 0),
            "S2": (self.y, balance_increment(a[seg_staff] * d * d,
                                             seg_k + 1), 0),
            "S3": (self.keep, -np.ones(len(with_prior), dtype=np.int64),
                   prior_total),
            "S4": (self.x, v.s4, 0),
            "S5": (self.z, 2 * cal_k + 1, 0),
        }
        self.w, self.top, self.with_prior = w, top, with_prior
        self.cal, self.cal_top = cal, cal_top
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(lower), rows.count
        lp.col_cost_ = np.zeros(len(lower))
        lp.col_lower_, lp.col_upper_ = lower, upper_all
        lp.row_lower_, lp.row_upper_ = rows.bounds()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = (
            rows.matrix())
        lp.a_matrix_.num_col_ = lp.num_col_
        lp.a_matrix_.num_row_ = rows.count
        lp.integrality_ = ([highspy.HighsVarType.kInteger] * pairs
                           + [highspy.HighsVarType.kContinuous]
                           * (len(lower) - pairs))
        self.lp = lp

    @staticmethod
    def _calendar_top(cal, v, upper: np.ndarray, caps: np.ndarray
                      ) -> np.ndarray:
        """Most meetings each staff member may hold in each period: every
        eligible student's, or the cap times the most of one student."""
        if cal is None:
            return np.zeros((len(caps), 0), dtype=np.int64)
        reach = np.zeros((len(caps), cal.meet.shape[1]), dtype=np.int64)
        np.add.at(reach, v.staff, upper[:, None] * cal.meet[v.group])
        most = np.zeros((len(caps), cal.meet.shape[1]), dtype=np.int64)
        np.maximum.at(most, v.staff, cal.meet[v.group])
        top = np.minimum(reach, caps[:, None] * most)
        if cal.limit is not None and cal.meet.shape == cal.month.shape:
            top = np.minimum(top, cal.limit)  # periods are months: H8
        return top

    def _calendar_rows(self, rows: _Rows, cal, v, top: np.ndarray,
                       caps: np.ndarray) -> None:
        """S5: each (staff, period)'s meetings equal its segments; H8:
        each (staff, month)'s meetings within the district's limit."""
        by_staff = _split(v.staff, len(caps))
        periods = top.shape[1]
        start = np.cumsum(top.ravel()) - top.ravel()
        for c, ps in enumerate(by_staff):
            if not len(ps):
                continue
            for t in range(periods):
                amounts = cal.meet[v.group[ps], t]
                if not amounts.any():
                    continue
                cell = c * periods + t
                segs = self.z[start[cell]:start[cell] + top[c, t]]
                rows.add(np.concatenate([self.x[ps], segs]),
                         np.concatenate([amounts, -np.ones(len(segs))]),
                         0, 0)
            if cal.limit is None:
                continue
            for m in range(cal.month.shape[1]):  # H8
                amounts = cal.month[v.group[ps], m]
                if amounts.any():
                    rows.add(self.x[ps], amounts, -math.inf, cal.limit)

    def level(self, level: dict[str, int]) -> tuple[np.ndarray, int]:
        """A level as column weights and a constant."""
        weights = np.zeros(self.lp.num_col_, dtype=np.int64)
        constant = 0
        for t, coef in level.items():
            cols, amounts, const = self.terms[t]
            constant += coef * const
            np.add.at(weights, cols, coef * np.asarray(amounts,
                                                       dtype=np.int64))
        return weights, constant

    def start(self, counts: dict[int, int]) -> np.ndarray:
        """Every column's value for a plan: its counts, kept priors, and
        load segments filled in order."""
        v = self.view
        n = np.array([counts.get(int(p), 0) for p in v.pairs],
                     dtype=np.int64)
        load = np.bincount(v.staff, weights=n * self.w,
                           minlength=len(self.top)).astype(np.int64)
        filled = np.concatenate([np.arange(t) < load[c]
                                 for c, t in enumerate(self.top)]
                                or [np.zeros(0, dtype=bool)])
        kept = np.minimum(n[self.with_prior], v.prior[self.with_prior])
        parts = [n, filled, kept]
        if self.cal is not None:
            meets = staff_meetings(self.cal.meet, v.group, v.staff, n,
                                   len(self.top)).ravel()
            parts.append(np.concatenate(
                [np.arange(t) < m for t, m in
                 zip(self.cal_top.ravel().tolist(), meets.tolist())]
                or [np.zeros(0, dtype=bool)]))
        return np.concatenate(parts).astype(float)

    def within_limit(self, counts: dict[int, int]) -> bool:
        """Whether a plan keeps H8 (true without a limit)."""
        v = self.view
        n = np.array([counts.get(int(p), 0) for p in v.pairs],
                     dtype=np.int64)
        return within_limit(self.cal, v.group, v.staff, n, len(self.top))

    def counts(self, values: np.ndarray) -> dict[int, int] | None:
        x = values[self.x]
        n = np.rint(x)
        if np.abs(x - n).max(initial=0) > _INTEGRAL:
            return None
        return {int(p): int(c) for p, c in zip(self.view.pairs, n) if c}


class _Rows:
    """Rows gathered one by one, handed to HiGHS as one sparse matrix."""

    def __init__(self):
        self.cols: list[np.ndarray] = []
        self.coefs: list[np.ndarray] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    @property
    def count(self) -> int:
        return len(self.lower)

    def add(self, cols, coefs, lower, upper) -> None:
        coefs = np.asarray(coefs, dtype=float)
        keep = coefs != 0
        self.cols.append(np.asarray(cols)[keep])
        self.coefs.append(coefs[keep])
        self.lower.append(float(lower))
        self.upper.append(float(upper))

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        inf = highspy.kHighsInf
        return (np.clip(self.lower, -inf, inf), np.clip(self.upper, -inf,
                                                        inf))

    def matrix(self):
        sizes = [len(c) for c in self.cols]
        start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32)
        index = (np.concatenate(self.cols) if self.cols
                 else np.zeros(0)).astype(np.int32)
        value = (np.concatenate(self.coefs) if self.coefs
                 else np.zeros(0)).astype(float)
        return start, index, value


def _split(keys: np.ndarray, n: int) -> list[np.ndarray]:
    """Positions of each key 0..n-1 in ``keys``, in order."""
    order = np.argsort(keys, kind="stable")
    starts = np.searchsorted(keys[order], np.arange(n))
    return np.split(order, starts[1:])


def solve_levels(structure: Structure, component: Component,
                 levels: list[dict[str, int]], solved: list[LevelOutcome],
                 hint: dict[int, int], time_limit: float,
                 seed: int = 0, limits: np.ndarray | None = None,
                 presolve: str | None = None) -> MipOutcome:
    """Solve ``levels`` after the proven ``solved`` ones, from ``hint``.

    Each level is minimised with HiGHS (one thread, fixed seed: the same
    input gives the same plan when HiGHS finishes), starting from the best
    plan so far, then held at the value reached for the next. A level
    HiGHS does not prove in time keeps the best plan found, with HiGHS's
    bound; the later levels are still minimised, held under it, so their
    bounds hold given the levels above as they are (as CP-SAT's do).

    ``limits`` (per pair of the part's view, from reduced-cost fixing)
    caps each pair's count; pairs limited to 0 get no column. Every plan
    they remove is worse in the first unsolved level than ``hint``
    (which they keep), so the program's optimum is the part's and its
    bound, capped at the plan's value, a bound of the part.
    """
    import time

    end = time.monotonic() + time_limit
    program = _Program(structure, component, limits)
    h = _Quiet()
    # A program cut down by fixing is small: HiGHS's presolve took 1-1.4 s
    # of a 1.6-4 s solve of the tight 5,000-student roster's, without it
    # the root node proves the optimum in 0.5 s.
    if presolve is None:
        presolve = "off" if limits is not None else "choose"
    for option, value in (("output_flag", False), ("threads", 1),
                          ("mip_rel_gap", 0.0), ("random_seed", seed),
                          ("presolve", presolve)):
        h.setOptionValue(option, value)
    h.passModel(program.lp)
    for done in solved:
        _fix(h, program, done.terms, done.objective)
    counts = dict(hint)
    if not program.within_limit(counts):
        counts = {}  # the flow's plan breaks H8: no plan yet
    # A start worse than a held level is no incumbent: a later level's
    # best plan must keep the levels held above it. It is the answer
    # only if HiGHS finds none, its levels then as they are.
    unheld = None
    if counts and solved and any(
            level_value(structure, component, counts, done.terms)
            > done.objective for done in solved):
        unheld, counts = counts, {}
    outcomes = list(solved)
    for level in levels[len(solved):]:
        weights, constant = program.level(level)
        h.changeColsCost(len(weights),
                         np.arange(len(weights), dtype=np.int32),
                         weights.astype(float))
        h.changeObjectiveOffset(float(constant))
        run = _run(h, program, weights, constant, counts, end)
        if not counts and run.found is None and unheld is not None:
            return _unheld(structure, component, unheld, levels, solved)
        if not counts and run.found is None:
            # No plan at all: HiGHS proved there is none (H8 with the
            # rest), or ran out of time before finding one.
            return MipOutcome({}, outcomes, infeasible=run.infeasible)
        current = (level_value(structure, component, counts, level)
                   if counts else math.inf)
        optimal = False
        if run.found is not None:
            exact = level_value(structure, component, run.found, level)
            _check_pricing(run.priced, exact, run.proven, level)
            if exact <= current:
                counts, current = run.found, exact
            optimal = run.proven and exact == current
        bound = current if optimal else min(run.bound, current)
        outcomes.append(LevelOutcome(level, current, bound,
                                     bound >= current))
        _fix(h, program, level, current)
    return MipOutcome(counts, outcomes)


def _unheld(structure: Structure, component: Component,
            counts: dict[int, int], levels: list[dict[str, int]],
            solved: list[LevelOutcome]) -> MipOutcome:
    """A plan worse than a held level, when HiGHS found no other: each
    level at the plan's own value. The held levels it keeps stay proven;
    the first it breaks keeps its proven bound, unmet; the later ones get
    0 (no term is below zero): their bounds held only with the levels
    above at their values."""
    outcomes, kept = [], True
    for k, level in enumerate(levels):
        value = level_value(structure, component, counts, level)
        if kept and k < len(solved) and value == solved[k].objective:
            outcomes.append(solved[k])
            continue
        bound = min(solved[k].bound, value) if kept and k < len(
            solved) else 0
        kept = False
        outcomes.append(LevelOutcome(level, value, bound, False))
    return MipOutcome(counts, outcomes)


@dataclass
class _Run:
    found: dict[int, int] | None  # HiGHS's plan, if integral and usable
    priced: float  # the program's price of that plan
    proven: bool
    bound: int  # HiGHS's lower bound, rounded toward safety
    infeasible: bool = False  # HiGHS proved there is no plan


def _run(h, program: _Program, weights: np.ndarray, constant: int,
         counts: dict[int, int], end: float) -> _Run:
    """One level with HiGHS, started from the plan ``counts``.

    HiGHS 1.16 can report an optimum while handing back its starting
    solution unchanged (seen with presolve on and a start from
    ``setSolution``): a plan whose price by the program's own weights is
    not HiGHS's objective is not HiGHS's answer. The level is then run
    again from scratch; if the two still disagree nothing of the run is
    used (no plan, no bound), so nothing unproven is called optimal.
    """
    import time

    for with_start in (True, False):
        if with_start:
            start = highspy.HighsSolution()
            start.col_value = program.start(counts).tolist()
            start.value_valid = True
            h.setSolution(start)
        else:
            h.clearSolver()
        h.setOptionValue("time_limit", max(0.05, end - time.monotonic()))
        h.run()
        info = h.getInfo()
        bound = info.mip_dual_bound
        bound = (math.ceil(bound - 1e-6 * max(1.0, abs(bound)))
                 if math.isfinite(bound) else 0)
        if info.primal_solution_status != 2:  # no feasible solution
            return _Run(None, math.inf, False, bound, h.getModelStatus()
                        == highspy.HighsModelStatus.kInfeasible)
        values = np.asarray(h.getSolution().col_value)
        priced = float(weights.astype(float) @ values) + constant
        reported = info.objective_function_value
        if abs(priced - reported) <= 0.5 + 1e-7 * abs(reported):
            proven = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
            return _Run(program.counts(values), priced, proven, bound)
    return _Run(None, math.inf, False, 0)


def _fix(h, program: _Program, level: dict[str, int], value: int) -> None:
    """Hold a solved level at its optimum (its value is an integer, so
    ``<= value + 0.5`` is ``<= value`` without float trouble)."""
    weights, constant = program.level(level)
    cols = np.flatnonzero(weights).astype(np.int32)
    h.addRow(-highspy.kHighsInf, value - constant + 0.5, len(cols), cols,
             weights[cols].astype(float))


def _check_pricing(priced: float, exact: int, proven: bool,
                   level: dict[str, int]) -> None:
    """The program must price a plan as the checker does, or its bound
    proves nothing: at a proven optimum exactly (up to float noise); an
    unproven plan may be priced higher (segments not yet filled in
    order), never lower. A mismatch is a fault in the program (the terms
    as weights), not in HiGHS: ``_run`` already refused answers HiGHS's
    own objective does not price."""
    noise = 0.5 + 1e-7 * abs(exact)
    if priced < exact - noise or (proven and priced > exact + noise):
        raise AssertionError(f"the MIP prices its plan at {priced}, but "
                             f"its {level} is {exact}")


