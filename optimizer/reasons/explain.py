"""Reasons in plain words: pre-solve checks and per-assignment reasons."""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.domain import Instance, weight_scale
from optimizer.objectives import (
    TERM_NAMES,
    ObjectiveWeights,
    Seat,
    busiest_after,
    move_deltas,
)
from optimizer.rules import (
    AuthorizationRule,
    RuleSet,
    best_practice_items,
    check_pair,
)
from optimizer.verify import Audit, StudentLine
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
    # (staff_id, utilization before, after) of the two whose load changes
    utilization: tuple[tuple[str, float, float], ...] = ()
    # With meeting dates: (staff_id, (busiest period, meetings) before,
    # after) of the two whose meetings change (S5).
    busiest: tuple[tuple[str, tuple[str, int], tuple[str, int]], ...] = ()

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
                    assignment: dict[str, str], student_id: str,
                    weights: ObjectiveWeights | None = None,
                    checked: Audit | None = None) -> Explanation:
    """Why ``student_id`` has its case manager, and the alternatives.

    ``weights`` (default: the default settings) decide which term is
    named as the reason when last year's case manager is not kept.
    ``checked`` is the audit of ``assignment`` when the caller already
    has it (the workbench keeps one per plan).
    """
    from optimizer.verify import audit

    if checked is None:
        checked = audit(instance, rules, assignment)
    line = next((ln for ln in checked.lines
                 if ln.student.student_id == student_id), None)
    if line is None:
        raise ValueError(f"unknown student_id {student_id!r}")
    s = line.student
    current = line.staff.staff_id if line.staff else None
    auth = tuple(r for r in rules.authorizations
                 if line.check and r.rule_id in (*line.check.rule_ids,
                                                 *line.check.base_rule_ids))
    scale = weight_scale(instance)
    units = round(s.weight * scale)
    loads = {cid: (n, round(wl * scale), cap)
             for cid, (n, wl, cap) in checked.loads.items()}
    alternatives = []
    elsewhere = 0
    calendar = checked.calendar
    periods = calendar.periods(s) if calendar is not None else None
    held = checked.held()
    for c in instance.staff:
        if c.staff_id == current:
            continue
        check = check_pair(s, c, rules)
        reasons = [(e.rule, e.message) for e in check.exclusions]
        if rules.effective_cap(c) == 0:
            reasons.append(("H6", f"{c.name} has a caseload cap of 0"))
        reasons += _monthly_limit(s, c, checked)
        if "H3" in {r for r, _ in reasons} and check.relation == \
                COORDINATES:
            elsewhere += 1
            continue
        deltas = None
        full = False
        util: tuple[tuple[str, float, float], ...] = ()
        if not reasons and line.check is not None:
            deltas = move_deltas(
                units, Seat(c.staff_id, check, *loads[c.staff_id][1:],
                            held.get(c.staff_id, {})),
                Seat(current, line.check, *loads[current][1:],
                     held.get(current, {})),
                s.prior_case_manager, line.prior_allowed, periods)
            full = loads[c.staff_id][0] >= loads[c.staff_id][2]
            util = (_utilization(c.staff_id, loads, units),
                    _utilization(current, loads, -units))
        busy = () if periods is None or deltas is None else (
            (c.staff_id, *busiest_after(held.get(c.staff_id, {}), periods,
                                        1)),
            (current, *busiest_after(held.get(current, {}), periods, -1)))
        alternatives.append(Alternative(c.staff_id, c.name, check.relation,
                                        tuple(reasons), deltas, full, util,
                                        busy))
    alternatives.sort(key=lambda a: (not a.eligible, a.full,
                                     sorted((a.deltas or {}).items()),
                                     a.staff_id))
    prior = next((a for a in alternatives
                  if a.staff_id == s.prior_case_manager), None)
    return Explanation(student_id, line, auth, _bp_text(line, rules),
                       _continuity_text(line, prior, weights
                                        or ObjectiveWeights(),
                                        weight_scale(instance),
                                        frozenset(instance.staff_by_id())),
                       _language_text(line), tuple(alternatives), elsewhere)


def _monthly_limit(student, staff, checked: Audit
                   ) -> list[tuple[str, str]]:
    """H8: the months in which taking ``student`` would put ``staff``
    over the district's monthly limit (as the checker counts them)."""
    calendar = checked.calendar
    if calendar is None or calendar.max_per_month is None:
        return []
    limit, months = calendar.max_per_month, checked.months or {}
    adds: dict[str, int] = {}
    for m in calendar.months(student):
        adds[m] = adds.get(m, 0) + 1
    return [("H8", f"{staff.name} would hold "
             f"{months.get((staff.staff_id, m), 0) + k} IEP meetings in "
             f"{m}, over the district's limit of {limit} a month")
            for m, k in sorted(adds.items())
            if months.get((staff.staff_id, m), 0) + k > limit]


def _utilization(staff_id, loads, units: int) -> tuple[str, float, float]:
    """(staff_id, load/cap before, after) when ``units`` are added."""
    _n, load, cap = loads[staff_id]
    return staff_id, load / cap, (load + units) / cap


def busiest_text(changes) -> str:
    """``"T0002 busiest 2026-09: 6 -> 7, T0001 busiest 2027-04: 8 -> 7"``:
    what a move does to each case manager's busiest month (S5)."""
    def one(sid, before, after):
        if before == after:
            return f"{sid} busiest {before[0] or '-'}: {before[1]} (same)"
        return (f"{sid} busiest {before[0] or '-'}: {before[1]} -> "
                f"{after[0]}: {after[1]}" if before[0] != after[0] else
                f"{sid} busiest {before[0]}: {before[1]} -> {after[1]}")
    return ", ".join(one(*c) for c in changes)


def utilization_text(changes) -> str:
    """``"T0002 64% -> 68%, T0001 70% -> 66%"``: what S2 means."""
    return ", ".join(f"{sid} {a:.0%} -> {b:.0%}" for sid, a, b in changes)


def deciding_term(deltas: dict[str, int], weights: ObjectiveWeights,
                  scale: int) -> str | None:
    """The term that made a move worse under ``weights``, or None (tie).

    In priority order, the first term that changes decides; with
    weights, the term with the largest weighted cost (S1 first in
    priority-then-weights mode).
    """
    if weights.mode == "priority":
        order = [*weights.priority, *(["S5"] if "S5" in deltas
                                      and "S5" not in weights.priority
                                      else [])]
        return next((t for t in order if deltas.get(t, 0) > 0), None)
    if weights.mode == "priority-then-weights" and deltas["S1"]:
        return "S1" if deltas["S1"] > 0 else None
    cost = {t: v for t, v in weights.weighted_costs(deltas, scale).items()
            if weights.mode == "weights" or t != "S1"}
    term = max(cost, key=lambda t: cost[t])
    return term if cost[term] > 0 else None


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


def _why_not(alt: Alternative | None, on_roster: bool, site: str) -> str:
    """Why last year's case manager cannot take the student, in words."""
    if not on_roster:
        return "is not on the staff roster (left the district or moved)"
    if alt is None:  # left out of the alternatives: another site only
        return f"does not serve site {site} (H3)"
    if alt.reasons:
        return "may not take the student: " + "; ".join(
            f"{rule}: {words}" for rule, words in alt.reasons)
    return "is not available"


def _continuity_text(line: StudentLine, alt: Alternative | None,
                     weights: ObjectiveWeights, scale: int,
                     staff_ids: frozenset[str] = frozenset()) -> str:
    prior = line.student.prior_case_manager
    if not prior:
        return "no prior case manager on the roster"
    if line.prior_kept:
        return f"last year's case manager {prior} is kept (S3)"
    if not line.prior_allowed or alt is None or alt.deltas is None:
        return f"last year's case manager {prior} " + _why_not(
            alt, prior in staff_ids, line.student.site)
    head = f"last year's case manager {prior} could take the student, but "
    if alt.full:
        return head + (f"{prior} is at the cap (H6): keeping the student "
                       "would move someone else")
    term = deciding_term(alt.deltas, weights, scale)
    if term is None:
        return head + ("the plans tie on every term; the tie was broken "
                       "the same way on every run")
    why = {
        "S1": f"{prior} does not provide the student's most intensive "
              "service",
        "S2": utilization_text(alt.utilization),
        "S3": "another student's continuity would be lost",
        "S4": f"{prior} does not speak {line.student.home_language}",
        "S5": busiest_text(alt.busiest),
    }[term]
    terms = ", ".join(f"{t} {v:+d}" for t, v in alt.deltas.items())
    return head + (f"{TERM_NAMES[term]} ({term}) decided: {why} "
                   f"(keeping {prior}: {terms})")


def _language_text(line: StudentLine) -> str:
    if line.check is None or not line.check.wants_language:
        return "no home-language preference (blank or English)"
    lang = line.student.home_language
    if line.check.language_match:
        return f"the case manager speaks {lang} (S4)"
    return f"the case manager does not speak {lang}"
