"""Objective settings: weights of the soft terms S1-S4, or a priority order.

The soft terms, all computed from a plan alone (see ``verify``):

- S1 best practice: students *not* case-managed by the provider of their
  most intensive service (minimise).
- S2 balance: the sum over case managers of ``a_c * load_c**2`` with
  ``a_c = round(BALANCE_SCALE / cap_c)`` and ``load_c`` the weighted load
  in integer units. Its minimum spreads utilization evenly: the marginal
  cost of one more student is proportional to ``load_c / cap_c``.
- S3 continuity: students whose allowed prior case manager is not kept.
- S4 language: students with a home language other than English whose
  case manager does not speak it.
"""

from __future__ import annotations

from math import gcd
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

TERMS: tuple[str, ...] = ("S1", "S2", "S3", "S4")
TERM_NAMES: dict[str, str] = {
    "S1": "best practice",
    "S2": "caseload balance",
    "S3": "continuity",
    "S4": "language",
}
BALANCE_SCALE = 1000


def balance_coefficient(cap: int) -> int:
    """``a_c`` of S2 for a case manager with this (positive) cap."""
    return round(BALANCE_SCALE / cap)


def balance_change(coefficient: int, load: int, delta: int) -> int:
    """Change in a case manager's S2 term when its load moves by delta."""
    return coefficient * ((load + delta) ** 2 - load ** 2)
Mode = Literal["priority-then-weights", "weights", "priority"]


class ObjectiveWeights(BaseModel):
    """How the soft terms are combined (see data/rules/weights.toml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Mode = Field(
        default="priority-then-weights",
        description="S1 first then weighted S2-S4; all weighted; or strict",
    )
    S1: float = Field(default=10.0, ge=0, description="Per best-practice miss")
    S2: float = Field(default=1.0, ge=0, description="Per unit of sum l^2/cap")
    S3: float = Field(default=0.5, ge=0, description="Per continuity loss")
    S4: float = Field(default=0.3, ge=0, description="Per language miss")
    priority: tuple[str, ...] = Field(
        default=("S1", "S3", "S2", "S4"),
        description="Order for mode = priority",
    )

    @field_validator("priority")
    @classmethod
    def _priority_is_a_permutation_of_terms(cls, v: tuple[str, ...]):
        v = tuple(t.upper() for t in v)
        if sorted(v) != sorted(set(v)) or not set(v) <= set(TERMS) or not v:
            raise ValueError(
                "priority must list distinct terms from S1, S2, S3, S4"
            )
        return v

    def levels(self, weight_scale: int) -> list[dict[str, int]]:
        """Integer objective levels, solved in order (lexicographically).

        ``weight_scale`` is the integer scale of student weights; S2 is
        in units of ``weight_scale**2 * BALANCE_SCALE`` per unit of
        ``sum load**2 / cap``, so the other terms are scaled to match.
        """
        if self.mode == "priority":
            return [{t: 1} for t in self.priority]
        unit = weight_scale**2 * BALANCE_SCALE
        raw = {
            "S1": round(self.S1 * 1000 * unit),
            "S2": round(self.S2 * 1000),
            "S3": round(self.S3 * 1000 * unit),
            "S4": round(self.S4 * 1000 * unit),
        }
        terms = ["S2", "S3", "S4"] if self.mode != "weights" else list(TERMS)
        combined = {t: raw[t] for t in terms if raw[t] > 0}
        divisor = 0
        for v in combined.values():
            divisor = gcd(divisor, v)
        combined = {t: v // divisor for t, v in combined.items()}
        head = [{"S1": 1}] if self.mode == "priority-then-weights" else []
        return [*head, combined] if combined else head or [{"S1": 1}]
