"""Shared fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import optimizer as cl
from optimizer.rules import RuleSet


def pytest_collection_modifyitems(items):
    """Every hypothesis search is ``slow`` (it tries up to hundreds of
    generated rosters); other slow tests and the ``browser`` ones are
    marked where they are written."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    """The bundled rules tables (data/rules)."""
    return cl.load_rules()


@pytest.fixture(scope="session")
def sample(rules):
    """The bundled sample roster (data/sample), loaded."""
    return cl.load_roster(cl.DEFAULT_SAMPLE_DIR, rules)


# Every solving path ``solve`` can take (``method``, see
# ``optimizer.solver.dispatch.METHODS``), PyJobShop's habit: a rule or term
# test runs on each path that can solve its instance, so a path that loses
# a rule or miscounts a term fails that rule's or term's own test. Unit
# weights: the min-cost flow is exact and the MIP and CP-SAT solve them
# too; weighted loads: the flow is only a start.
UNIT_PATHS = ("flow", "mip", "cpsat")
WEIGHTED_PATHS = ("mip", "cpsat")


@pytest.fixture(params=UNIT_PATHS)
def path(request) -> str:
    """A solving path for unit-weight instances (all three)."""
    return request.param


@pytest.fixture(params=WEIGHTED_PATHS)
def weighted_path(request) -> str:
    """A solving path for weighted instances (the flow cannot)."""
    return request.param
