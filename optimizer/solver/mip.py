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
seconds where CP-SAT's bound stalls (issue 11; shared/notes/peers-measured.md).

HiGHS ships inside OR-Tools (``model_builder``), so this adds no
dependency. The plan it returns is re-scored exactly by
``flow.term_values`` and, like every plan, re-verified by the checker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce

import numpy as np
from ortools.linear_solver.python import model_builder_helper as mbh

from optimizer.objectives import balance_coefficient
from optimizer.result import LevelOutcome
from optimizer.solver.flow import _view, term_values
from optimizer.structure import Component, Structure

# Terms the program can express (R, the closeness term, is left to CP-SAT).
TERMS = ("S1", "S2", "S3", "S4")
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

    @property
    def optimal(self) -> bool:
        return all(lv.optimal for lv in self.levels)


class _Program:
    """The part's variables and rows, and each term as objective weights.

    Columns: x (one integer count per eligible pair), y (load segments
    per case manager), keep (kept priors per pair with priors).
    """

    def __init__(self, structure: Structure, component: Component):
        v = _view(structure, component)
        self.view = v
        caps = np.array([structure.caps[c] for c in component.staff],
                        dtype=np.int64)
        pairs = len(v.pairs)
        upper = np.minimum(v.size[v.group], caps[v.staff])
        d = reduce(math.gcd, v.units.tolist(), 0) or 1
        w = v.units[v.group] // d  # load units per student on each pair
        # Largest load: every eligible student, or cap times the heaviest.
        heaviest = np.zeros(len(caps), dtype=np.int64)
        np.maximum.at(heaviest, v.staff, w)
        top = np.minimum(np.bincount(v.staff, weights=w * upper,
                                     minlength=len(caps)).astype(np.int64),
                         caps * heaviest)
        top[caps <= 0] = 0
        with_prior = np.flatnonzero(v.prior > 0)
        h = mbh.ModelBuilderHelper()
        self.helper = h
        self.x = h.add_var_array_with_bounds(
            np.zeros(pairs), upper.astype(np.float64),
            np.ones(pairs, dtype=bool), "x")
        seg_staff = np.repeat(np.arange(len(caps)), top)
        seg_k = np.arange(len(seg_staff)) - np.repeat(
            np.cumsum(top) - top, top)
        self.y = h.add_var_array_with_bounds(
            np.zeros(len(seg_staff)), np.ones(len(seg_staff)),
            np.zeros(len(seg_staff), dtype=bool), "y")
        self.keep = h.add_var_array_with_bounds(
            np.zeros(len(with_prior)),
            v.prior[with_prior].astype(np.float64),
            np.zeros(len(with_prior), dtype=bool), "keep")
        # H1: each group's students all placed.
        order = np.argsort(v.group, kind="stable")
        for g, ps in zip(range(len(v.size)),
                         np.split(order, _starts(v.group, len(v.size))[1:])):
            self._row(self.x[ps], np.ones(len(ps)), v.size[g], v.size[g])
        # H6: caps; and each load equals its segments.
        order = np.argsort(v.staff, kind="stable")
        seg_of = np.split(np.arange(len(seg_staff)),
                          np.cumsum(top)[:-1])
        for c, ps in enumerate(np.split(order,
                                        _starts(v.staff, len(caps))[1:])):
            if not len(ps):
                continue
            self._row(self.x[ps], np.ones(len(ps)), -math.inf, caps[c])
            if top[c]:
                self._row(np.concatenate([self.x[ps], self.y[seg_of[c]]]),
                          np.concatenate([w[ps], -np.ones(top[c])]), 0, 0)
        # S3 bookkeeping: a kept prior is an actual assignment.
        for i, p in enumerate(with_prior):
            self._row(np.array([self.keep[i], self.x[p]]),
                      np.array([1.0, -1.0]), -math.inf, 0)
        a = np.array([balance_coefficient(int(c)) if c > 0 else 0
                      for c in caps], dtype=np.int64)
        # Each term as (columns, integer weights, constant).
        self.terms = {
            "S1": (self.x, v.s1, 0),
            "S2": (self.y, a[seg_staff] * d * d * (2 * seg_k + 1), 0),
            "S3": (self.keep, -np.ones(len(with_prior), dtype=np.int64),
                   int(v.prior.sum())),
            "S4": (self.x, v.s4, 0),
        }

    def _row(self, cols, coefs, lower, upper) -> None:
        h = self.helper
        row = h.add_linear_constraint()
        h.set_constraint_lower_bound(row, float(lower))
        h.set_constraint_upper_bound(row, float(upper))
        for col, coef in zip(cols.tolist(), np.asarray(coefs).tolist()):
            if coef:
                h.add_term_to_constraint(row, col, float(coef))

    def level(self, level: dict[str, int]) -> tuple[dict[int, float], int]:
        """A level as column weights and a constant."""
        weights: dict[int, float] = {}
        constant = 0
        for t, coef in level.items():
            cols, amounts, const = self.terms[t]
            constant += coef * const
            for col, amount in zip(cols.tolist(), amounts.tolist()):
                if amount:
                    weights[col] = weights.get(col, 0) + coef * amount
        return weights, constant

    def minimize(self, level: dict[str, int]) -> int:
        weights, constant = self.level(level)
        h = self.helper
        h.clear_objective()
        h.set_objective_coefficients(list(weights), list(weights.values()))
        h.set_objective_offset(float(constant))
        return constant

    def fix(self, level: dict[str, int], value: int) -> None:
        """Keep a solved level at its optimum (its value is an integer, so
        ``< value + 0.5`` is ``<= value`` without float trouble)."""
        weights, constant = self.level(level)
        cols = np.array(list(weights), dtype=np.int64)
        self._row(cols, np.array(list(weights.values())), -math.inf,
                  value - constant + 0.5)

    def counts(self, values: np.ndarray) -> dict[int, int] | None:
        x = values[self.x]
        n = np.rint(x)
        if np.abs(x - n).max(initial=0) > _INTEGRAL:
            return None
        return {int(p): int(c) for p, c in zip(self.view.pairs, n) if c}


def _starts(keys: np.ndarray, n: int) -> np.ndarray:
    """Where each of keys 0..n-1 starts in ``keys`` sorted (stable)."""
    return np.searchsorted(np.sort(keys, kind="stable"), np.arange(n))


def solve_levels(structure: Structure, component: Component,
                 levels: list[dict[str, int]], solved: list[LevelOutcome],
                 hint: dict[int, int], time_limit: float,
                 seed: int = 0) -> MipOutcome:
    """Solve ``levels`` after the proven ``solved`` ones, from ``hint``.

    Each level is minimised with HiGHS (one thread, fixed seed: the same
    input gives the same plan), then held at its optimum for the next.
    A level HiGHS does not prove in time keeps the best plan found (or
    the hint) with HiGHS's bound, and later levels are not attempted.
    """
    import time

    end = time.monotonic() + time_limit
    program = _Program(structure, component)
    for done in solved:
        program.fix(done.terms, done.objective)
    # No hint is passed: OR-Tools' HiGHS interface crashes on solution
    # hints (a segmentation fault, measured with OR-Tools 9.15), so HiGHS
    # starts cold and its plan replaces ``hint`` only when not worse.
    counts = dict(hint)
    outcomes = list(solved)
    for level in levels[len(solved):]:
        program.minimize(level)
        solver = mbh.ModelSolverHelper("highs")
        solver.set_time_limit_in_seconds(max(0.05, end - time.monotonic()))
        solver.set_solver_specific_parameters(
            f"output_flag=false\nmip_rel_gap=0\nthreads=1\nrandom_seed={seed}\n")
        solver.enable_output(False)
        solver.solve(program.helper)
        found = (program.counts(solver.variable_values())
                 if solver.has_solution() else None)
        proven = solver.status() == mbh.SolveStatus.OPTIMAL
        if found is not None:
            exact = _value(structure, component, found, level)
            _check_pricing(solver.objective_value(), exact, proven, level)
        current = _value(structure, component, counts, level)
        if found is not None and exact <= current:
            counts, current = found, exact
        bound = solver.best_objective_bound()
        optimal = proven and found is not None and exact == current
        if not optimal:
            # HiGHS's bound, rounded toward safety (the level is integral).
            bound = (math.ceil(bound - 1e-6 * max(1.0, abs(bound)))
                     if math.isfinite(bound) else 0)
            bound = min(bound, current)
            outcomes.append(LevelOutcome(level, current, bound,
                                         bound >= current))
            if bound < current:
                return MipOutcome(counts, outcomes)
        else:
            outcomes.append(LevelOutcome(level, current, current, True))
        program.fix(level, current)
    return MipOutcome(counts, outcomes)


def _check_pricing(priced: float, exact: int, proven: bool,
                   level: dict[str, int]) -> None:
    """The program must price a plan as the checker does, or its bound
    proves nothing: at a proven optimum exactly (up to float noise); an
    unproven plan may be priced higher (segments not yet filled in
    order), never lower."""
    noise = 0.5 + 1e-7 * abs(exact)
    if priced < exact - noise or (proven and priced > exact + noise):
        raise AssertionError(f"the MIP prices its plan at {priced}, but "
                             f"its {level} is {exact}")


def _value(structure: Structure, component: Component,
           counts: dict[int, int], level: dict[str, int]) -> int:
    values = term_values(structure, component, counts)
    return sum(c * values[t] for t, c in level.items())
