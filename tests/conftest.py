"""Shared fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import optimizer as cl
from optimizer.rules import RuleSet


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    """The bundled rules tables (data/rules)."""
    return cl.load_rules()


@pytest.fixture(scope="session")
def sample(rules):
    """The bundled sample roster (data/sample), loaded."""
    return cl.load_roster(cl.DEFAULT_SAMPLE_DIR, rules)
