"""The solver-free checker: audit any assignment against H1-H7, S1-S4.

This is the code behind ``caseload check`` and the re-verification of
every plan before it is written. It judges pairs with ``rules.check_pair``
and recomputes every objective term from the assignment alone.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

from optimizer.domain import Instance, Staff, Student
from optimizer.objectives import (
    REFERENCE,
    balance_term,
    best_practice_miss,
    continuity_loss,
    language_miss,
    reference_change,
)
from optimizer.rules import (
    RULE_SOURCES,
    PairCheck,
    PairJudge,
    RuleSet,
    check_pair,
)
from optimizer.structure import weight_scale


@dataclass(frozen=True)
class Violation:
    """A broken hard rule, in plain words, with its source."""

    rule: str
    student_id: str | None
    staff_id: str | None
    message: str

    @property
    def source(self) -> str:
        return RULE_SOURCES[self.rule]

    def __str__(self) -> str:
        who = ", ".join(x for x in (
            f"student {self.student_id}" if self.student_id else "",
            f"staff {self.staff_id}" if self.staff_id else "") if x)
        return f"{self.rule} [{who}]: {self.message} ({self.source})"


@dataclass(frozen=True)
class StudentLine:
    """One student's assignment as the outputs describe it."""

    student: Student
    staff: Staff | None
    check: PairCheck | None
    prior_allowed: bool

    @property
    def prior_kept(self) -> bool | None:
        """Whether the prior case manager is kept; None without a prior."""
        prior = self.student.prior_case_manager
        if not prior:
            return None
        return self.staff is not None and self.staff.staff_id == prior


@dataclass(frozen=True)
class Utilization:
    """Caseload over cap for one kind of case manager."""

    staff: int
    min: float
    median: float
    max: float
    over_90_percent: int


@dataclass(frozen=True)
class Kpis:
    """The figures an administrator reads, all from the assignment.

    ``as_dict`` is the ``kpis`` object of summary.json (same names).
    """

    students: int
    staff: int
    case_managers_available: int
    students_assigned: int
    best_practice_matches: int
    relations: dict[str, int]
    prior_case_manager_given: int
    prior_case_manager_allowed: int
    continuity_kept: int
    home_language_other_than_english: int
    language_matches: int
    unverified_authorizations_relied_on: dict[str, int]
    students_on_unverified_rows: int  # pairs resting on no verified row
    authorizations: str  # the setting: all or verified-only
    utilization_by_kind: dict[str, Utilization]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Audit:
    """Everything ``check`` reports about an assignment."""

    violations: list[Violation]
    lines: list[StudentLine]
    terms: dict[str, int]
    kpis: Kpis
    loads: dict[str, tuple[int, float, int]] = field(default_factory=dict)

    @property
    def compliant(self) -> bool:
        return not self.violations


def prior_allowed(student: Student, instance: Instance, rules: RuleSet,
                  staff: dict[str, Staff],
                  judge: PairJudge | None = None) -> bool:
    """S3 applies: the prior case manager exists and may take the student."""
    prior = student.prior_case_manager
    if not prior or prior not in staff:
        return False
    pin = instance.pins.get(student.student_id)
    if (pin is not None and pin != prior) or (
            (student.student_id, prior) in instance.forbidden):
        return False
    if rules.effective_cap(staff[prior]) <= 0:
        return False
    if judge is not None:
        return judge.check(student, staff[prior]).eligible
    return check_pair(student, staff[prior], rules).eligible


def audit(instance: Instance, rules: RuleSet,
          assignment: dict[str, str | None],
          duplicates: dict[str, int] | None = None,
          unknown_students: list[str] | None = None,
          reference: dict[str, str] | None = None) -> Audit:
    """Check ``assignment`` (student_id -> staff_id) against H1-H7.

    ``duplicates`` and ``unknown_students`` describe problems of a
    hand-made file that a dict cannot hold (H1). With a ``reference``
    plan (student -> case manager), the terms include R: the students
    whose case manager differs from it.
    """
    staff = instance.staff_by_id()
    violations: list[Violation] = []
    lines: list[StudentLine] = []
    for sid in unknown_students or []:
        violations.append(Violation(
            "H1", sid, None, "the assignment names a student who is not on "
            "the roster"))
    for sid, n in sorted((duplicates or {}).items()):
        violations.append(Violation(
            "H1", sid, None, f"the student has {n} case managers; exactly "
            "one is required"))
    caseload: Counter[str] = Counter()
    load_units: Counter[str] = Counter()
    scale = weight_scale(instance)
    judge = PairJudge(rules)
    for s in instance.students:
        cm = assignment.get(s.student_id)
        allowed = prior_allowed(s, instance, rules, staff, judge)
        if not cm:
            violations.append(Violation("H1", s.student_id, None,
                                        "the student has no case manager"))
            lines.append(StudentLine(s, None, None, allowed))
            continue
        if cm not in staff:
            violations.append(Violation(
                "H1", s.student_id, cm, f'case manager "{cm}" is not on the '
                "staff roster"))
            lines.append(StudentLine(s, None, None, allowed))
            continue
        check = judge.check(s, staff[cm])
        for exc in check.exclusions:
            violations.append(Violation(exc.rule, s.student_id, cm,
                                        exc.message))
        caseload[cm] += 1
        load_units[cm] += round(s.weight * scale)
        lines.append(StudentLine(s, staff[cm], check, allowed))
    loads: dict[str, tuple[int, float, int]] = {}
    for c in instance.staff:
        cap = rules.effective_cap(c)
        n = caseload[c.staff_id]
        loads[c.staff_id] = (n, load_units[c.staff_id] / scale, cap)
        if n > cap:
            violations.append(Violation(
                "H6", None, c.staff_id, f"{c.name} has {n} students, over "
                f"the cap of {cap}"))
    terms = objective_terms(instance, rules, lines, load_units)
    if reference is not None:
        terms[REFERENCE] = sum(
            reference_change(assignment.get(s.student_id) or None,
                             reference.get(s.student_id))
            for s in instance.students)
    return Audit(violations, lines, terms,
                 kpis(instance, rules, lines, loads), loads)


def objective_terms(instance: Instance, rules: RuleSet,
                    lines: list[StudentLine],
                    load_units: Counter[str]) -> dict[str, int]:
    """S1-S4 exactly as the model's integer objective defines them."""
    placed = [ln for ln in lines if ln.check is not None]
    return {
        "S1": sum(best_practice_miss(ln.check) for ln in placed),
        "S2": sum(balance_term(rules.effective_cap(c),
                               load_units[c.staff_id])
                  for c in instance.staff),
        "S3": sum(continuity_loss(
            ln.prior_allowed, ln.staff.staff_id if ln.staff else None,
            ln.student.prior_case_manager) for ln in lines),
        "S4": sum(language_miss(ln.check) for ln in placed),
    }


def kpis(instance: Instance, rules: RuleSet, lines: list[StudentLine],
         loads: dict[str, tuple[int, float, int]]) -> Kpis:
    """The figures an administrator reads, all from the assignment."""
    placed = [ln for ln in lines if ln.check is not None]
    with_prior = [ln for ln in lines if ln.student.prior_case_manager]
    wanting = [ln for ln in placed if ln.check.wants_language]
    unverified = Counter(
        rid for ln in placed for rid in ln.check.unverified_rule_ids)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for c in instance.staff:
        _n, wl, cap = loads[c.staff_id]
        if cap > 0 and rules.may_case_manage(c):
            by_kind[c.kind].append(wl / cap)
    utilization = {
        kind: Utilization(len(u), round(min(u), 3),
                          round(statistics.median(u), 3), round(max(u), 3),
                          sum(x > 0.9 for x in u))
        for kind, u in sorted(by_kind.items())
    }
    return Kpis(
        students=len(lines),
        staff=len(instance.staff),
        case_managers_available=sum(
            1 for c in instance.staff
            if rules.may_case_manage(c) and rules.effective_cap(c) > 0),
        students_assigned=len(placed),
        best_practice_matches=sum(ln.check.best_practice for ln in placed),
        relations=dict(sorted(Counter(ln.check.relation
                                      for ln in placed).items())),
        prior_case_manager_given=len(with_prior),
        prior_case_manager_allowed=sum(ln.prior_allowed for ln in lines),
        continuity_kept=sum(bool(ln.prior_kept) for ln in with_prior),
        home_language_other_than_english=len(wanting),
        language_matches=sum(ln.check.language_match for ln in wanting),
        unverified_authorizations_relied_on=dict(sorted(
            unverified.items())),
        students_on_unverified_rows=sum(not ln.check.verified
                                        for ln in placed),
        authorizations=rules.authorization_mode,
        utilization_by_kind=utilization,
    )
