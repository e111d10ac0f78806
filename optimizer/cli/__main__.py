"""``python -m optimizer.cli``."""

from optimizer.cli import run

run()
