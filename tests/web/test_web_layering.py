"""The workbench is a thin face: no solver, no click, web libraries stay
in optimizer/web, and the library never imports the web layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_layering import MODULES, PACKAGE, imports, project_imports

WEB = sorted((PACKAGE / "web").glob("*.py"))


@pytest.mark.parametrize("path", WEB, ids=lambda p: p.name)
def test_web_reaches_the_solver_only_through_the_library(path):
    used = {m.split(".")[0] for m in project_imports(path)}
    assert not used & {"solver", "solve", "cli"}, used
    assert not imports(path) & {"ortools", "highspy", "click"}


@pytest.mark.parametrize("library", ["starlette", "uvicorn", "multipart",
                                     "platformdirs", "fastapi"])
def test_web_libraries_stay_in_optimizer_web(library):
    users = {p for p in MODULES if library in imports(p)}
    assert all(Path(p).parent.name == "web" for p in users), users


def test_the_library_never_imports_the_web_layer():
    outside = [p for p in MODULES if p.parent.name not in {"web", "cli"}]
    for p in outside:
        assert "web" not in {m.split(".")[0] for m in project_imports(p)}, p
