"""Dependency direction (STYLE.md section 2, issue 9).

The tree shows the layers; these tests keep them:

- the pure core (errors, vocab, domain, rules, objectives, result,
  structure, groups, eligibility) imports nothing of the project above it
  and no heavy library (numpy only for the arrays of structure, groups and
  eligibility);
- ``inputs/`` reads into the core and never reaches the solver or outputs;
- ``solver/`` (the only home of ortools) imports no presentation: no
  outputs, explanations, diagnosis texts, workflow or CLI;
- ``outputs/`` renders and never solves;
- only ``cli.py`` imports click, and nothing imports ``cli``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "optimizer"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))
CORE = {"errors", "vocab", "domain", "rules", "objectives", "result",
        "csvtext", "structure", "groups", "coverage", "eligibility"}
# The structure of a large roster is held in arrays (issue 11).
ARRAYS = {"structure", "groups", "eligibility"}


def imports(path: Path) -> set[str]:
    """Top-level names of everything ``path`` imports (any depth)."""
    return {name.split(".")[0] for name in full_imports(path)}


def full_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "optimizer":
                out |= {f"optimizer.{a.name}" for a in node.names}
            else:
                out.add(node.module)
    return out


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
        assert path.name == "cli.py", path


@pytest.mark.parametrize("path", MODULES, ids=ids)
def test_nothing_imports_cli(path):
    assert "cli" not in project_imports(path), path


@pytest.mark.parametrize("name", sorted(CORE))
def test_core_imports_only_core(name):
    above = {m for m in project_imports(PACKAGE / f"{name}.py")
             if m.split(".")[0] not in CORE}
    assert not above, above


@pytest.mark.parametrize("name", ["domain", "rules", "objectives", "vocab",
                                  "result", "errors", "structure", "groups",
                                  "coverage", "eligibility"])
def test_pure_core_uses_stdlib_and_pydantic_only(name):
    allowed = {"__future__", "pydantic", "optimizer", "typing", "math",
               "dataclasses", "functools", "collections", "enum",
               "itertools", "operator", "datetime"}
    if name in ARRAYS:
        allowed.add("numpy")
    assert imports(PACKAGE / f"{name}.py") <= allowed


# Each lower package may import only the core and itself: the solver no
# presentation, the inputs neither the solver nor the outputs.
BELOW = [(p, "solver") for p in sorted((PACKAGE / "solver").glob("*.py"))]
BELOW += [(p, "inputs") for p in sorted((PACKAGE / "inputs").glob("*.py"))]


@pytest.mark.parametrize("path, package", BELOW,
                         ids=[ids(p) for p, _ in BELOW])
def test_lower_packages_import_only_core_and_themselves(path, package):
    above = {m for m in project_imports(path)
             if m.split(".")[0] not in CORE | {package}}
    assert not above, above


@pytest.mark.parametrize("path", sorted((PACKAGE / "outputs").glob("*.py")),
                         ids=ids)
def test_outputs_never_solve(path):
    forbidden = {"solve", "solver", "workflow", "midyear", "inputs"}
    assert not {m.split(".")[0] for m in project_imports(path)} & forbidden


def test_solve_depends_on_no_presentation():
    assert not {m.split(".")[0] for m in project_imports(
        PACKAGE / "solve.py")} & {"outputs", "explain", "workflow"}


@pytest.mark.parametrize("library, home", [
    ("pandas", {"inputs/roster.py", "outputs/compare.py"}),
    ("jinja2", {"outputs/html.py"}),
    ("openpyxl", {"inputs/excel.py", "outputs/xlsx.py"}),
    ("rich", {"cli.py"}),
])
def test_libraries_stay_in_their_module(library, home):
    users = {ids(p) for p in MODULES if library in imports(p)}
    assert users <= home, users
