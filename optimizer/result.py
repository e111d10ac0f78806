"""Plain result types: no ortools types cross this boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class SolveStatus(str, Enum):
    """How a solve ended, in the product's own terms."""

    OPTIMAL = "OPTIMAL"  # proven best under the objective settings
    FEASIBLE = "FEASIBLE"  # a plan, not proven best (time limit): see gap
    INFEASIBLE = "INFEASIBLE"  # no plan satisfies H1-H7: see diagnosis
    UNKNOWN = "UNKNOWN"  # time ran out before any plan was found


@dataclass(frozen=True)
class LevelOutcome:
    """One objective level: what was minimised and how well."""

    terms: dict[str, int]
    objective: int
    bound: int
    optimal: bool

    @property
    def gap(self) -> float:
        return abs(self.objective - self.bound) / max(1, abs(self.objective))


@dataclass(frozen=True)
class CandidateExclusion:
    """A staff member who cannot take a student, and every reason."""

    staff_id: str
    staff_name: str
    reasons: tuple[tuple[str, str], ...]  # (rule id, plain words)


@dataclass(frozen=True)
class NoCandidate:
    """Students for whom no staff member is eligible."""

    student_ids: tuple[str, ...]
    site: str
    profile: str
    excluded: tuple[CandidateExclusion, ...]  # staff at or near the site


@dataclass(frozen=True)
class CapacityShortfall:
    """Students whose eligible staff lack the capacity (Hall violation)."""

    student_ids: tuple[str, ...]
    staff: tuple[tuple[str, str, int], ...]  # (id, name, cap)
    shortfall: int
    sites: tuple[str, ...]


@dataclass(frozen=True)
class Conflict:
    """A minimal set of facts that cannot all hold, and verified fixes."""

    facts: tuple[str, ...]  # in the district's words, with rule ids
    fixes: tuple[tuple[str, str, dict], ...]  # (kind, words, change)
    students: tuple[str, ...] = ()


@dataclass(frozen=True)
class MeetingOverload:
    """A month whose IEP meetings the eligible case managers cannot hold
    within the district's monthly limit (H8)."""

    month: str  # 2026-09
    student_ids: tuple[str, ...]  # students with meetings that month
    staff: tuple[tuple[str, str], ...]  # (id, name) who may take them
    meetings: int  # the students' meetings that month
    places: int  # the case managers' limit, all together


@dataclass(frozen=True)
class Diagnosis:
    """Why no plan satisfies the hard rules."""

    no_candidates: tuple[NoCandidate, ...] = ()
    shortfalls: tuple[CapacityShortfall, ...] = ()
    notes: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    meetings: tuple[MeetingOverload, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.no_candidates or self.shortfalls or self.notes
                    or self.meetings)

    @property
    def num_students_without_case_manager(self) -> int:
        """Students no plan can give a case manager: those with nobody
        eligible, plus each shortfall of places (H6)."""
        stuck = {sid for nc in self.no_candidates for sid in nc.student_ids}
        return len(stuck) + sum(sh.shortfall for sh in self.shortfalls)


@dataclass(frozen=True)
class SolverParams:
    """Solver settings; recorded in every summary."""

    time_limit: float = 60.0
    seed: int = 0
    workers: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"time_limit_seconds": self.time_limit,
                "random_seed": self.seed, "num_workers": self.workers}


@dataclass
class Result:
    """The outcome of planning: status, assignment, proof, diagnosis."""

    status: SolveStatus
    assignment: dict[str, str] = field(default_factory=dict)
    levels: list[LevelOutcome] = field(default_factory=list)
    diagnosis: Diagnosis | None = None
    runtime: float = 0.0
    params: SolverParams = field(default_factory=SolverParams)
    num_groups: int = 0
    num_pairs: int = 0
    num_components: int = 0
    counts: dict[int, int] = field(default_factory=dict)  # pair -> students

    @property
    def proven_optimal(self) -> bool:
        return self.status is SolveStatus.OPTIMAL

    @property
    def gap(self) -> float:
        return max((lv.gap for lv in self.levels), default=0.0)

    @property
    def has_plan(self) -> bool:
        return self.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
