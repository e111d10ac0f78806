"""Reasons in plain words: pre-solve checks and per-assignment reasons."""

from __future__ import annotations

from optimizer.result import (
    CandidateExclusion,
    CapacityShortfall,
    Diagnosis,
    NoCandidate,
)
from optimizer.rules import RULE_SOURCES, RULE_TITLES, RuleSet, check_pair
from optimizer.structure import Structure
from optimizer.verify import StudentLine
from optimizer.vocab import COORDINATES, INSTRUCTS


def no_candidate_diagnosis(structure: Structure) -> list[NoCandidate]:
    """Students with no eligible case manager, and what excluded each one.

    Lists every staff member at the student's site, and staff elsewhere
    who would instruct or serve the student, each with every rule (H-id)
    that excludes them.
    """
    inst, rules = structure.instance, structure.rules
    out = []
    for g in structure.no_candidates:
        group = structure.groups[g]
        s = group.student
        excluded = []
        ids = tuple(inst.students[m].student_id for m in group.members)
        if not any(c.serves_site(s.site) for c in inst.staff):
            # Nobody serves the site (H3 for everyone): say just that.
            out.append(NoCandidate(ids, s.site, profile(s), ()))
            continue
        for j, c in enumerate(inst.staff):
            check = check_pair(s, c, rules)
            near = c.serves_site(s.site) or check.relation != COORDINATES
            if not near:
                continue
            reasons = [(e.rule, e.message) for e in check.exclusions]
            if structure.caps[j] == 0:
                reasons.append(("H6", f"{c.name} has a caseload cap of 0"))
            if (s.student_id, c.staff_id) in inst.forbidden:
                reasons.append(("PLAN", "the pair is forbidden by the "
                                        "scenario"))
            pin = inst.pins.get(s.student_id)
            if pin is not None and pin != c.staff_id:
                reasons.append(("PLAN", f"the student is pinned to {pin}"))
            if reasons:
                excluded.append(CandidateExclusion(c.staff_id, c.name,
                                                   tuple(reasons)))
        out.append(NoCandidate(ids, s.site, profile(s), tuple(excluded)))
    return out


def profile(s) -> str:
    parts = [f"grade {s.grade}", s.primary_disability]
    if s.secondary_disability:
        parts.append(f"secondary {s.secondary_disability}")
    parts.append(s.support_level)
    parts.append(s.setting)
    if s.services:
        parts.append("+".join(s.services))
    return ", ".join(parts)


def render_diagnosis(d: Diagnosis, max_ids: int = 12) -> str:
    """The diagnosis as text for a terminal or a report."""
    lines = ["No plan satisfies the hard rules. Why:"]
    for nc in d.no_candidates:
        lines.append(
            f"- {len(nc.student_ids)} student(s) at site {nc.site} "
            f"({nc.profile}) have no eligible case manager: "
            f"{_ids(nc.student_ids, max_ids)}")
        if not nc.excluded:
            lines.append(f"    no staff member serves site {nc.site} (H3)")
        for ex in nc.excluded:
            why = "; ".join(f"{rule}: {msg}" for rule, msg in ex.reasons)
            lines.append(f"    {ex.staff_id}: {why}")
    for sh in d.shortfalls:
        places = sum(cap for _, _, cap in sh.staff)
        lines.append(
            f"- {len(sh.student_ids)} student(s) at site(s) "
            f"{', '.join(sh.sites)} can only go to staff with {places} "
            f"place(s) in all: {sh.shortfall} short (H6). Students: "
            f"{_ids(sh.student_ids, max_ids)}")
        staff = ", ".join(f"{i} (cap {cap})" for i, _, cap in sh.staff)
        lines.append(f"    their eligible staff: {staff or 'none'}")
    lines.extend(f"- {note}" for note in d.notes)
    return "\n".join(lines)


def _ids(ids: tuple[str, ...], limit: int) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit
                    else "")


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
    if line.changed == "no":
        parts.append("prior case manager kept")
    elif line.changed == "yes":
        parts.append("new case manager" if line.prior_allowed
                     else "prior case manager not available")
    if check.language_match:
        parts.append(f"speaks {s.home_language}")
    if not check.verified:
        parts.append("relies on an unverified authorization")
    return "; ".join(parts)


def shortfall_fixes(sh: CapacityShortfall) -> str:
    return (f"raise the caps of {', '.join(i for i, _, _ in sh.staff)} by "
            f"{sh.shortfall} in all, or add eligible staff at "
            f"{', '.join(sh.sites)}")


__all__ = ["RULE_SOURCES", "RULE_TITLES", "no_candidate_diagnosis",
           "render_diagnosis", "short_reason"]
