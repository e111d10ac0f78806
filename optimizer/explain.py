"""Reasons in plain words: pre-solve checks and per-assignment reasons."""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.domain import Instance
from optimizer.objectives import balance_change, balance_coefficient
from optimizer.result import CandidateExclusion, Diagnosis, NoCandidate
from optimizer.rules import (
    AuthorizationRule,
    RuleSet,
    best_practice_items,
    check_pair,
)
from optimizer.structure import Structure, weight_scale
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
    for i, conflict in enumerate(d.conflicts, 1):
        lines.append(f"Conflict {i} (minimal: drop any one of these facts "
                     "and the rest can all hold):")
        lines.extend(f"    {fact}" for fact in conflict.facts)
        if conflict.fixes:
            lines.append("  Fixes, each checked by re-solving:")
            lines.extend(f"    - {text}" for _, text, _ in conflict.fixes)
        else:
            lines.append("  No single fix of the kinds tried (caps, a hire, "
                         "case-management rights, pins) resolves it.")
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
            deltas = _move_deltas(line, c, check, loads, units, instance,
                                  rules)
            full = loads[c.staff_id][0] >= loads[c.staff_id][2]
        alternatives.append(Alternative(c.staff_id, c.name, check.relation,
                                        tuple(reasons), deltas, full))
    alternatives.sort(key=lambda a: (not a.eligible, a.full,
                                     sorted((a.deltas or {}).items()),
                                     a.staff_id))
    return Explanation(student_id, line, auth, _bp_text(line, rules),
                       _continuity_text(line), _language_text(line),
                       tuple(alternatives), elsewhere)


def _move_deltas(line: StudentLine, c, check, loads, units: int,
                 instance: Instance, rules: RuleSet) -> dict[str, int]:
    """S1-S4 change if this one student moved to ``c``, all else fixed."""
    cur, cur_check = line.staff, line.check
    _n_new, l_new, cap_new = loads[c.staff_id]
    _n_cur, l_cur, cap_cur = loads[cur.staff_id]
    s2 = (balance_change(balance_coefficient(cap_new), l_new, units)
          + balance_change(balance_coefficient(cap_cur), l_cur, -units))
    prior = line.student.prior_case_manager
    s3 = 0
    if line.prior_allowed:
        s3 = (c.staff_id != prior) - (cur.staff_id != prior)
    return {
        "S1": (not check.best_practice) - (not cur_check.best_practice),
        "S2": s2,
        "S3": s3,
        "S4": (check.wants_language and not check.language_match)
        - (cur_check.wants_language and not cur_check.language_match),
    }


def _bp_text(line: StudentLine, rules: RuleSet) -> str:
    top = best_practice_items(line.student, rules)
    if not top:
        return ("no service ranks in the best-practice table, so any "
                "eligible case manager is best practice")
    items = " or ".join(sorted("own SDC/DEPT teacher" if i == "INSTRUCTS"
                               else i for i in top))
    rank = min(rules.best_practice_rank[i] for i in top)
    met = "met" if line.check and line.check.best_practice else "not met"
    return (f"the student's most intensive service is {items} (rank "
            f"{rank} of the best-practice table): {met}")


def _continuity_text(line: StudentLine) -> str:
    prior = line.student.prior_case_manager
    if not prior:
        return "no prior case manager on the roster"
    if line.changed == "no":
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


def render_explanation(e: Explanation, limit: int = 40) -> str:
    line = e.line
    s = line.student
    out = [f"Student {s.student_id} at {s.site}: {profile(s)}"]
    if line.staff is None:
        out.append("No case manager in this plan (H1).")
    else:
        c = line.staff
        out.append(f"Case manager: {c.name} ({c.staff_id}), {c.kind}; "
                   f"relation: {line.check.relation}")
        if line.check.relation == COORDINATES:
            out.append("  Authorization: none needed to coordinate (CTC "
                       "guidance: a coordinator-only case manager needs no "
                       "specialty area)")
        for r in e.authorization:
            held = ";".join(sorted(r.credentials & set(c.credentials)))
            flag = "" if r.verified else " [UNVERIFIED]"
            out.append(f"  Authorization: {held} by rule {r.rule_id} "
                       f"({r.activity}){flag}: {r.source}"
                       + (f"; {r.note}" if r.note else ""))
    out.append(f"Best practice (S1): {e.best_practice}")
    out.append(f"Continuity (S3): {e.continuity}")
    out.append(f"Language (S4): {e.language}")
    eligible = [a for a in e.alternatives if a.eligible]
    excluded = [a for a in e.alternatives if not a.eligible]
    out.append(f"Others who could take the student ({len(eligible)}), with "
               "the change in each term if chosen instead (negative = "
               "better):")
    for a in eligible[:limit]:
        d = a.deltas or {}
        terms = ", ".join(f"{t} {v:+d}" for t, v in d.items())
        note = "; at the cap (H6): someone else would have to move" \
            if a.full else ""
        out.append(f"  {a.staff_id} {a.name} ({a.relation}): {terms}{note}")
    out.append(f"Others who cannot ({len(excluded)}):")
    for a in excluded[:limit]:
        why = "; ".join(f"{r}: {m}" for r, m in a.reasons)
        out.append(f"  {a.staff_id}: {why}")
    if len(excluded) > limit:
        out.append(f"  ... {len(excluded) - limit} more")
    if e.elsewhere:
        out.append(f"  and {e.elsewhere} staff at other sites who would "
                   f"only coordinate (H3: they do not serve {s.site})")
    return "\n".join(out)
