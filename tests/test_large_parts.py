"""Parts too large for CP-SAT: the moves plan with the token bound."""

from __future__ import annotations

import importlib

import pytest

from bench.generate import generate, write
from optimizer.inputs.roster import load_roster
from optimizer.inputs.rules_tables import load_rules
from optimizer.result import SolverParams, SolveStatus
from optimizer.verify import audit

pytestmark = pytest.mark.slow
# The dispatch module holds the threshold.
solving = importlib.import_module("optimizer.solver.dispatch")


# Seed 3: the moves plan is not optimal; 5 and 8: the bound proves it is.
@pytest.mark.parametrize("seed", [3, 5, 8])
def test_bound_of_large_parts_never_exceeds_the_optimum(tmp_path, seed,
                                                        monkeypatch):
    write(*generate("school", seed, True, "connected"), tmp_path)
    rules = load_rules()
    inst = load_roster(tmp_path, rules).instance
    exact = solving.solve(inst, rules, params=SolverParams(time_limit=20))
    assert exact.status is SolveStatus.OPTIMAL
    optimum = exact.levels[1].objective
    monkeypatch.setattr(solving, "CPSAT_MAX_PAIRS", 0)
    # (an unproven part uses all of its time: a short limit suffices)
    quick = solving.solve(inst, rules, params=SolverParams(time_limit=4))
    assert quick.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    s1, level = quick.levels
    assert s1.objective == exact.levels[0].objective and s1.optimal
    assert level.bound <= optimum <= level.objective
    assert level.optimal == (level.bound == level.objective)
    checked = audit(inst, rules, dict(quick.assignment))
    assert checked.compliant
    assert len(quick.assignment) == len(inst.students)
