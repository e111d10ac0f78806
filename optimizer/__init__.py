"""caseload: plan special-education case managers under the CTC rules.

The public API, for a notebook as for the command line (which is a thin
face over exactly these functions)::

    import optimizer as cl

    rules = cl.load_rules()                      # data/rules
    roster = cl.load_roster("data/sample", rules)
    result = cl.solve(roster.instance, rules)
    checked = cl.audit(roster.instance, rules, dict(result.assignment))
    run = cl.plan(roster.instance, rules, input_hash=roster.input_hash,
                  weights=cl.ObjectiveWeights(), params=cl.SolverParams())

Names load on first use, so ``import optimizer`` stays cheap: importing
the checker, the core or the readers loads neither ortools nor highspy
(``tests/test_layering.py`` checks it in a fresh interpreter), and the
layers below never import this module's re-exports.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# name -> module that defines it
_API = {
    # the pure core
    "Instance": "optimizer.domain",
    "Student": "optimizer.domain",
    "Staff": "optimizer.domain",
    "RuleSet": "optimizer.rules",
    "check_pair": "optimizer.rules",
    "ObjectiveWeights": "optimizer.objectives",
    "Result": "optimizer.result",
    "SolveStatus": "optimizer.result",
    "SolverParams": "optimizer.result",
    "Diagnosis": "optimizer.result",
    "OptimizerError": "optimizer.errors",
    "InputError": "optimizer.errors",
    "Problem": "optimizer.errors",
    # the solver (ortools and highspy load only here)
    "solve": "optimizer.solver.dispatch",
    # inputs
    "load_rules": "optimizer.inputs.rules_tables",
    "load_roster": "optimizer.inputs.roster",
    "load_student_file": "optimizer.inputs.roster",
    "load_scenario": "optimizer.inputs.scenarios",
    "apply_scenario": "optimizer.inputs.scenarios",
    "load_weights": "optimizer.inputs.settings",
    "read_assignment": "optimizer.inputs.plans",
    # solving, checking, explaining
    "audit": "optimizer.verify",
    "explain_student": "optimizer.explain",
    "apply_fix": "optimizer.diagnosis",
    # end-to-end operations
    "plan": "optimizer.workflow",
    "replan": "optimizer.workflow",
    "compare": "optimizer.workflow",
    "place": "optimizer.workflow",
    "write_plan_folder": "optimizer.outputs.files",
    "DEFAULT_SAMPLE_DIR": "optimizer.inputs.tables",
    "DEFAULT_RULES_DIR": "optimizer.inputs.tables",
}
_RENAMED = {"apply_scenario": "apply"}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
    value = getattr(import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
