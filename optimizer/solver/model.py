"""AssignmentModel: variables + hard rules + objective levels on one model."""

from __future__ import annotations

import math

from ortools.sat.python import cp_model

from optimizer.objectives import REFERENCE
from optimizer.result import LevelOutcome, SolverParams, SolveStatus
from optimizer.solver import objective
from optimizer.solver.bound import weighted_lower_bound
from optimizer.solver.calendar import calendar_lower_bound
from optimizer.solver.constraints import add_constraints
from optimizer.solver.flow import term_values
from optimizer.solver.outcome import ComponentOutcome
from optimizer.solver.structure import Component, Structure
from optimizer.solver.variables import AssignmentVars


class AssignmentModel:
    """The CP-SAT model of one independent part of the district.

    Levels of the objective are solved in order; after each, its value is
    fixed (``<=`` the value found) so later levels never give it up.
    """

    def __init__(self, structure: Structure, component: Component):
        self.model = cp_model.CpModel()
        self.variables = AssignmentVars(self.model, structure, component)
        add_constraints(self.model, self.variables)
        self.terms: dict[str, cp_model.LinearExprT] = {
            "S1": objective.best_practice_misses(self.variables),
            "S2": objective.balance(self.model, self.variables),
            "S3": objective.continuity_losses(self.variables),
            "S4": objective.language_misses(self.variables),
            "S5": objective.meeting_calendar(self.model, self.variables),
            REFERENCE: objective.reference_changes(self.variables),
        }

    def solve(self, levels: list[dict[str, int]], params: SolverParams,
              time_limit: float, hint: dict[int, int] | None = None,
              solved: list[LevelOutcome] | None = None) -> ComponentOutcome:
        """Solve the levels in order; ``solved`` are leading levels already
        proven optimal elsewhere (their values are fixed, not re-solved)."""
        clock = _Clock(time_limit)
        outcomes: list[LevelOutcome] = list(solved or [])
        # A hint that satisfies the fixed levels is already a plan: if time
        # runs out below, it is returned (not proven) rather than nothing.
        # With no level fixed, so is the flow's (H1-H7), unless a monthly
        # limit (H8, no flow constraint) may be what it breaks.
        cal = self.variables.structure.calendar
        unlimited = cal is None or cal.max_per_month is None
        counts: dict[int, int] = (dict(hint or {}) if outcomes or unlimited
                                  else {})
        status = SolveStatus.OPTIMAL
        for done in outcomes:
            if not done.optimal:
                raise ValueError("only proven levels may be fixed")
            expr = sum(c * self.terms[t] for t, c in done.terms.items())
            if not isinstance(expr, int):
                self.model.add(expr <= done.objective)
        for level in levels[len(outcomes):]:
            expr = sum(coef * self.terms[t] for t, coef in level.items())
            if isinstance(expr, int):  # nothing to optimise at this level
                outcomes.append(LevelOutcome(level, expr, expr, True))
                continue
            self.model.minimize(expr)
            self._hint(counts or hint or {})  # the best plan so far
            solver = cp_model.CpSolver()
            solver.parameters.max_time_in_seconds = clock.remaining()
            solver.parameters.num_workers = params.workers
            solver.parameters.random_seed = params.seed
            # One worker (the default) searches deterministically for a
            # given seed, so the same input gives the same plan. Several
            # workers race and may return different plans of equal value;
            # interleaved search would make them deterministic but is
            # slower, so it stays off and the README says so.
            solver.parameters.interleave_search = False
            code = solver.solve(self.model)
            if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                if code == cp_model.INFEASIBLE:
                    return ComponentOutcome(SolveStatus.INFEASIBLE, {},
                                            outcomes)
                # Time ran out at this level: keep the best plan so far (if
                # any), with this level's true value and the solver's bound.
                if not counts:
                    return ComponentOutcome(SolveStatus.UNKNOWN, counts,
                                            outcomes)
                values = term_values(self.variables.structure,
                                     self.variables.component, counts)
                value = sum(c * values[t] for t, c in level.items())
                bound = solver.best_objective_bound
                bound = round(bound) if math.isfinite(bound) else 0
                bound = max(bound, self._token_bound(level, outcomes))
                outcomes.append(LevelOutcome(level, value, min(bound, value),
                                             bound >= value))
                return ComponentOutcome(SolveStatus.FEASIBLE, counts, outcomes)
            value = round(solver.objective_value)
            bound = round(solver.best_objective_bound)
            optimal = code == cp_model.OPTIMAL
            if not optimal:
                bound = min(value, max(bound,
                                        self._token_bound(level, outcomes)))
                optimal = bound >= value
            if not optimal:
                status = SolveStatus.FEASIBLE
            outcomes.append(LevelOutcome(level, value, bound, optimal))
            counts = self.variables.extract(solver)
            self.model.add(expr <= value)
        return ComponentOutcome(status, counts, outcomes)

    def _token_bound(self, level: dict[str, int],
                     done: list[LevelOutcome]) -> int:
        """The weight-token flow bound (0 where it does not apply)."""
        if len(level) == 1 and ("S1" in level or REFERENCE in level):
            return 0  # S1 or R alone: CP-SAT's own bound is exact enough
        s1 = next((lv.objective for lv in done
                   if lv.terms == {"S1": 1} and lv.optimal), None)
        v = self.variables
        return weighted_lower_bound(v.structure, v.component, level,
                                    s1) + calendar_lower_bound(
            v.structure, v.component, level)

    def _hint(self, counts: dict[int, int]) -> None:
        if counts:
            self.variables.hint(self.model, counts)


class _Clock:
    def __init__(self, limit: float):
        import time

        self._time = time.monotonic
        self._end = self._time() + limit

    def remaining(self) -> float:
        return max(0.01, self._end - self._time())
