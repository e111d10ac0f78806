"""Dependency direction (STYLE.md section 2, issue 9).

The tree shows the layers; these tests keep them:

- the pure core (errors, vocab, domain, rules, objectives, result,
  csvtext) imports nothing of the project above it and no heavy library;
- ``inputs/`` reads into the core and never reaches the solver, the
  reasons or the outputs (one named exception below);
- ``solver/`` (the only home of ortools, highspy and numpy, and of the
  solver's input model: structure, groups, eligibility) imports no
  presentation: no outputs, explanations, operations or CLI;
- ``reasons/`` (explain, infeasible, fixes, coverage, midyear) reads the
  core, the checker and the solver, never inputs, outputs, operations or
  a face;
- ``outputs/`` renders and never solves, reads or re-plans;
- only the ``cli/`` package imports click, and nothing imports it;
- and at import time, in a fresh interpreter: importing the checker, the
  core, the readers or the reasons loads neither ortools nor highspy (nor
  numpy), and importing the outputs no ortools or highspy.
"""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "optimizer"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))
CORE = {"errors", "vocab", "domain", "rules", "objectives", "result",
        "csvtext"}
# Imports across layers that are known and named, each with its reason.
# Anything else across layers fails below.
EXCEPTIONS = {
    # solve() returns infeasibility explained in words (infeasible is a
    # reason people read); the dispatch should return the raw conflicts.
    ("solver/dispatch.py", "reasons.infeasible"),
    # The roster reader computes service coverage (issue 25 names it);
    # the judgement belongs to the reasons, the reader should not call it.
    ("inputs/roster.py", "reasons.coverage"),
}


def imports(path: Path) -> set[str]:
    """Top-level names of everything ``path`` imports (any depth)."""
    return {name.split(".")[0] for name in full_imports(path)}


@functools.cache
def full_imports(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            # ``from optimizer.reasons import explain`` imports the module
            # optimizer.reasons.explain: count it by its full name.
            base = PACKAGE.parent.joinpath(*node.module.split("."))
            out |= {f"{node.module}.{a.name}" for a in node.names
                    if base.joinpath(f"{a.name}.py").is_file()
                    or base.joinpath(a.name).is_dir()}
    return frozenset(out)


def project_imports(path: Path) -> set[str]:
    """Project modules imported, as dotted paths below ``optimizer``."""
    return {m.removeprefix("optimizer.") for m in full_imports(path)
            if m.startswith("optimizer.")}


def layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def ids(p: Path) -> str:
    return str(p.relative_to(PACKAGE))


@pytest.mark.parametrize("path", MODULES, ids=ids)
def test_solvers_only_in_solver(path):
    if {"ortools", "highspy"} & set(imports(path)):
        assert layer(path) == "solver", path


@pytest.mark.parametrize("path", MODULES, ids=ids)
def test_click_only_in_cli(path):
    if "click" in imports(path):
        assert layer(path) == "cli", path


@pytest.mark.parametrize("path", MODULES, ids=ids)
def test_nothing_imports_cli(path):
    if layer(path) != "cli":
        assert "cli" not in {m.split(".")[0]
                             for m in project_imports(path)}, path


@pytest.mark.parametrize("name", sorted(CORE))
def test_core_imports_only_core(name):
    above = {m for m in project_imports(PACKAGE / f"{name}.py")
             if m.split(".")[0] not in CORE}
    assert not above, above


@pytest.mark.parametrize("name", ["domain", "rules", "objectives", "vocab",
                                  "result", "errors"])
def test_pure_core_uses_stdlib_and_pydantic_only(name):
    allowed = {"__future__", "pydantic", "optimizer", "typing", "math",
               "dataclasses", "functools", "collections", "enum",
               "itertools", "operator", "datetime", "re"}
    assert imports(PACKAGE / f"{name}.py") <= allowed


# Each lower package may import only the core and itself: the solver no
# presentation, the inputs neither the solver nor the reasons nor the
# outputs.
BELOW = [(p, "solver") for p in sorted((PACKAGE / "solver").glob("*.py"))]
BELOW += [(p, "inputs") for p in sorted((PACKAGE / "inputs").glob("*.py"))]


@pytest.mark.parametrize("path, package", BELOW,
                         ids=[ids(p) for p, _ in BELOW])
def test_lower_packages_import_only_core_and_themselves(path, package):
    above = {m for m in project_imports(path)
             if m.split(".")[0] not in CORE | {package}
             and (ids(path), m) not in EXCEPTIONS
             and not any((ids(path), x) in EXCEPTIONS
                         for x in project_imports(path)
                         if x.startswith(f"{m}."))}
    assert not above, above


# The reasons people read stand on the core, the checker and the solver.
@pytest.mark.parametrize("path", sorted((PACKAGE / "reasons").glob("*.py")),
                         ids=ids)
def test_reasons_read_only_core_checker_and_solver(path):
    allowed = CORE | {"verify", "solver", "reasons"}
    above = {m for m in project_imports(path)
             if m.split(".")[0] not in allowed}
    assert not above, above


def test_the_exceptions_are_still_needed():
    for path, module in EXCEPTIONS:
        assert module in project_imports(PACKAGE / path), (path, module)


@pytest.mark.parametrize("path", sorted((PACKAGE / "outputs").glob("*.py")),
                         ids=ids)
def test_outputs_never_solve(path):
    forbidden = {"solver", "operations", "reasons.midyear", "inputs", "cli",
                 "web"}
    used = project_imports(path)
    assert not (used | {m.split(".")[0] for m in used}) & forbidden


def test_solve_depends_on_no_presentation():
    used = project_imports(PACKAGE / "solver" / "dispatch.py")
    assert not (used | {m.split(".")[0] for m in used}) & {
        "outputs", "reasons.explain", "operations", "cli", "web"}


SOLVER = {ids(p) for p in (PACKAGE / "solver").glob("*.py")}


@pytest.mark.parametrize("library, home", [
    ("pandas", {"outputs/compare.py"}),
    ("jinja2", {"outputs/report.py"}),
    ("openpyxl", {"inputs/xlsx_cells.py"}),
    ("rich", {"cli/__init__.py"}),
    ("ortools", SOLVER),
    ("highspy", SOLVER),
    ("numpy", SOLVER),
])
def test_libraries_stay_in_their_module(library, home):
    users = {ids(p) for p in MODULES if library in imports(p)}
    assert users <= home, users
    assert users, f"nothing imports {library}: drop it from this list"


# Modules that must load no solver when imported (what they import,
# at any depth, counts): the checker, the core, the readers, the reasons
# and the outputs.
LIGHT = ["optimizer", "optimizer.verify", "optimizer.domain",
         "optimizer.rules", "optimizer.objectives", "optimizer.result",
         "optimizer.errors", "optimizer.inputs.rules_tables",
         "optimizer.inputs.settings", "optimizer.inputs.roster",
         "optimizer.inputs.plans", "optimizer.inputs.scenarios",
         "optimizer.reasons.explain", "optimizer.reasons.midyear",
         "optimizer.reasons.infeasible", "optimizer.solver",
         "optimizer.solver.structure",
         *sorted(f"optimizer.outputs.{p.stem}"
                 for p in (PACKAGE / "outputs").glob("*.py")
                 if p.stem != "__init__")]
# Of those, the ones that load no numpy either: all but the solver's input
# model and what reaches it (infeasible, and the outputs through it). They
# come first in LIGHT, so what is loaded after each import is its own.
NO_ARRAYS = LIGHT[:LIGHT.index("optimizer.reasons.infeasible")]


def test_importing_the_checker_core_readers_and_outputs_loads_no_solver():
    # One fresh interpreter imports them in order and says what was
    # loaded after each (a module cannot unload what an earlier one
    # loaded, so the ones that must not load numpy come first).
    code = ("import importlib, json, sys\n"
            f"out = {{}}\nfor m in {LIGHT!r}:\n"
            "    importlib.import_module(m)\n"
            "    out[m] = [x for x in ('ortools', 'highspy', 'numpy')"
            " if x in sys.modules]\n"
            "print(json.dumps(out))\n")
    run = subprocess.run([sys.executable, "-c", code], check=True,
                         capture_output=True, text=True)
    loaded = json.loads(run.stdout)
    assert not {m: s for m, s in loaded.items()
                if {"ortools", "highspy"} & set(s)}
    assert not {m: s for m, s in loaded.items()
                if m in NO_ARRAYS and "numpy" in s}


def test_the_solver_loads_when_solve_is_first_used():
    code = ("import sys, optimizer as cl\n"
            "assert 'ortools' not in sys.modules\n"
            "import optimizer.solver.dispatch as d\n"
            "assert cl.solve is d.solve\n"
            "assert 'ortools' in sys.modules and 'highspy' in sys.modules\n"
            "from optimizer.solver import solve\n"
            "assert solve is d.solve\n")
    subprocess.run([sys.executable, "-c", code], check=True)
