"""Reasons in plain words: pre-solve checks and per-assignment reasons."""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.domain import Instance
from optimizer.objectives import Seat, move_deltas
from optimizer.rules import (
    AuthorizationRule,
    RuleSet,
    best_practice_items,
    check_pair,
)
from optimizer.structure import weight_scale
from optimizer.verify import StudentLine
from optimizer.vocab import COORDINATES, INSTRUCTS, OWN_TEACHER_ITEM


def short_reason(line: StudentLine, rules: RuleSet) -> str:
    """One line for assignments.csv: why this case manager."""
    check = line.check
    if check is None or line.staff is None:
        return ""
    s = line.student
    if check.relation == INSTRUCTS:
        parts = [f"instructs in {s.setting} "
                 f"({';'.join(check.authorized_by)} authorizes "
                 f"{s.placement_disability})"]
    elif check.relation == COORDINATES:
        parts = ["coordinates only (no specialty credential needed)"]
    else:
        shared = sorted(set(s.services) & set(line.staff.provides))
        parts = [f"serves {'+'.join(shared)} "
                 f"({';'.join(check.authorized_by)})"]
    parts.append("best practice" if check.best_practice
                 else "not the most intensive provider")
    if line.prior_kept:
        parts.append("prior case manager kept")
    elif line.prior_kept is False:
        parts.append("new case manager" if line.prior_allowed
                     else "prior case manager not available")
    if check.language_match:
        parts.append(f"speaks {s.home_language}")
    if not check.verified:
        parts.append("relies on an unverified authorization")
    return "; ".join(parts)


# ------------------------------------------------ why this case manager


@dataclass(frozen=True)
class Alternative:
    """Another staff member, and why not (or what it would cost)."""

    staff_id: str
    name: str
    relation: str
    reasons: tuple[tuple[str, str], ...]  # exclusions (rule id, words)
    deltas: dict[str, int] | None  # change in S1-S4 if chosen instead
    full: bool = False  # eligible but at the cap (H6)

    @property
    def eligible(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Explanation:
    student_id: str
    line: StudentLine
    authorization: tuple[AuthorizationRule, ...]
    best_practice: str
    continuity: str
    language: str
    alternatives: tuple[Alternative, ...]
    elsewhere: int  # other staff excluded only because of their site (H3)


def explain_student(instance: Instance, rules: RuleSet,
                    assignment: dict[str, str], student_id: str
                    ) -> Explanation:
    """Why ``student_id`` has its case manager, and the alternatives."""
    from optimizer.verify import audit

    checked = audit(instance, rules, assignment)
    line = next((ln for ln in checked.lines
                 if ln.student.student_id == student_id), None)
    if line is None:
        raise ValueError(f"unknown student_id {student_id!r}")
    s = line.student
    current = line.staff.staff_id if line.staff else None
    auth = tuple(r for r in rules.authorizations
                 if line.check and r.rule_id in line.check.rule_ids)
    scale = weight_scale(instance)
    units = round(s.weight * scale)
    loads = {cid: (n, round(wl * scale), cap)
             for cid, (n, wl, cap) in checked.loads.items()}
    alternatives = []
    elsewhere = 0
    for c in instance.staff:
        if c.staff_id == current:
            continue
        check = check_pair(s, c, rules)
        reasons = [(e.rule, e.message) for e in check.exclusions]
        if rules.effective_cap(c) == 0:
            reasons.append(("H6", f"{c.name} has a caseload cap of 0"))
        if "H3" in {r for r, _ in reasons} and check.relation == \
                COORDINATES:
            elsewhere += 1
            continue
        deltas = None
        full = False
        if not reasons and line.check is not None:
            deltas = move_deltas(
                units, Seat(c.staff_id, check, *loads[c.staff_id][1:]),
                Seat(current, line.check, *loads[current][1:]),
                s.prior_case_manager, line.prior_allowed)
            full = loads[c.staff_id][0] >= loads[c.staff_id][2]
        alternatives.append(Alternative(c.staff_id, c.name, check.relation,
                                        tuple(reasons), deltas, full))
    alternatives.sort(key=lambda a: (not a.eligible, a.full,
                                     sorted((a.deltas or {}).items()),
                                     a.staff_id))
    return Explanation(student_id, line, auth, _bp_text(line, rules),
                       _continuity_text(line), _language_text(line),
                       tuple(alternatives), elsewhere)


def _bp_text(line: StudentLine, rules: RuleSet) -> str:
    top = best_practice_items(line.student, rules)
    if not top:
        return ("no service ranks in the best-practice table, so any "
                "eligible case manager is best practice")
    items = " or ".join(sorted(
        "own SDC/DEPT teacher" if i == OWN_TEACHER_ITEM else i
        for i in top))
    rank = min(rules.best_practice_rank[i] for i in top)
    met = "met" if line.check and line.check.best_practice else "not met"
    return (f"the student's most intensive service is {items} (rank "
            f"{rank} of the best-practice table): {met}")


def _continuity_text(line: StudentLine) -> str:
    prior = line.student.prior_case_manager
    if not prior:
        return "no prior case manager on the roster"
    if line.prior_kept:
        return f"last year's case manager {prior} is kept (S3)"
    if not line.prior_allowed:
        return (f"last year's case manager {prior} is not available "
                "(left the roster or may not take the student)")
    return (f"last year's case manager {prior} could take the student but "
            "another choice was better overall (see the alternatives)")


def _language_text(line: StudentLine) -> str:
    if line.check is None or not line.check.wants_language:
        return "no home-language preference (blank or English)"
    lang = line.student.home_language
    if line.check.language_match:
        return f"the case manager speaks {lang} (S4)"
    return f"the case manager does not speak {lang}"
