"""Shared fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from optimizer import io
from optimizer.rules import RuleSet


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    """The bundled rules tables (data/rules)."""
    return io.load_rules()


@pytest.fixture(scope="session")
def sample(rules):
    """The bundled sample roster (data/sample), loaded."""
    return io.load_roster(io.DEFAULT_SAMPLE_DIR, rules)
