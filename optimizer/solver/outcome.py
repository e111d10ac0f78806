"""ComponentOutcome: what one component's solve produced.

Apart from ``model`` so that callers can name it without importing
CP-SAT, which (with pandas, which it imports) adds about 0.2 s to every
start-up; unit-weight rosters never need CP-SAT.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.result import LevelOutcome, SolveStatus


@dataclass
class ComponentOutcome:
    """What one component's solve produced."""

    status: SolveStatus
    counts: dict[int, int]  # pair -> students
    levels: list[LevelOutcome]
