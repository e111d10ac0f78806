"""Dependency direction (STYLE.md section 2)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "optimizer"


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module.split(".")[0])
    return out


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_ortools_only_in_cpsat(path):
    if "ortools" in imports(path):
        assert path.parent.name == "cpsat", path


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_click_only_in_cli(path):
    if "click" in imports(path):
        assert path.name == "cli.py", path


@pytest.mark.parametrize("name", ["domain.py", "rules.py", "objectives.py",
                                  "vocab.py"])
def test_pure_core_uses_stdlib_and_pydantic_only(name):
    allowed = {"__future__", "pydantic", "optimizer", "typing", "math",
               "dataclasses", "functools", "collections"}
    assert imports(PACKAGE / name) <= allowed


@pytest.mark.parametrize("library, home", [
    ("pandas", {"io.py", "report.py", "scenarios.py"}),
    ("jinja2", {"report_html.py"}),
    ("openpyxl", {"excel.py"}),
    ("rich", {"cli.py"}),
])
def test_libraries_stay_in_their_module(library, home):
    users = {p.name for p in MODULES if library in imports(p)}
    assert users <= home, users
