"""Why no plan exists, and the smallest fixes, each verified by re-solving.

Exact reasons first: students nobody may case-manage (with every hard
rule that excludes each nearby staff member) and capacity shortfalls
(``solver.diagnose``). Then minimal conflicts: a conflict is a minimal set of
facts: students who need a case manager (H1), staff caps (H6), pins. The
fixes offered are the ones a program administrator can act on: raise a
named cap (an RSP cap only up to the EC 56362 waiver limit of 32), add a
staff member with a named credential at a named site, let a named person
case-manage, drop a named pin. Each is applied to a copy of the roster
and kept only if the conflict's students can then all be planned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from optimizer.domain import Instance, Staff
from optimizer.result import (
    CandidateExclusion,
    Conflict,
    Diagnosis,
    NoCandidate,
)
from optimizer.rules import RuleSet, best_practice_items, check_pair
from optimizer.solver.structure import Structure, build_structure
from optimizer.vocab import (
    COORDINATES,
    GRADE_INDEX,
    GRADES,
    INSTRUCTION_ACTIVITY,
    OWN_TEACHER_ITEM,
    grade_range,
)


@dataclass(frozen=True)
class Fix:
    """A change that makes a conflict go away (verified by re-solving)."""

    kind: str  # raise_cap, add_staff, allow_case_management, drop_pin
    text: str
    change: dict = field(default_factory=dict)


def describe_fact(fact, structure: Structure) -> str:
    inst = structure.instance
    if fact.kind == "needs":
        g = structure.groups[fact.group]
        ids = [inst.students[m].student_id for m in g.members]
        shown = ", ".join(ids[:8]) + (" ..." if len(ids) > 8 else "")
        return (f"{len(ids)} student(s) at {g.student.site} "
                f"({profile(g.student)}) need a case manager (H1): {shown}")
    staff = inst.staff[fact.staff]
    if fact.kind == "cap":
        return (f"{staff.name} ({staff.staff_id}) may take at most "
                f"{fact.count} student(s) (H6)")
    g = structure.groups[fact.group]
    pinned = [inst.students[m].student_id for m in g.members
              if structure.pins.get(inst.students[m].student_id)
              == staff.staff_id]
    return (f"student(s) {', '.join(pinned)} pinned to {staff.name} "
            f"({staff.staff_id})")


def propose(conflict, structure: Structure, rules: RuleSet,
            resolves: Callable[[Instance], bool]) -> list[Fix]:
    """Candidate fixes for one conflict, keeping those that work."""
    inst = structure.instance
    needs = [f for f in conflict if f.kind == "needs"]
    caps = [f for f in conflict if f.kind == "cap"]
    pins = [f for f in conflict if f.kind == "pin"]
    short = max(1, sum(f.count for f in needs) - sum(f.count for f in caps))
    candidates: list[Fix] = []
    for f in caps:
        staff = inst.staff[f.staff]
        new = f.count + short
        note = ""
        # H6: the law's cap binds from what the person does (any RSP)
        law = rules.legal_cap(staff)
        if law is not None:
            if new > law.ceiling:
                continue  # beyond what the law allows
            if new > law.default_cap:
                note = (f" (over {law.default_cap}: needs an "
                        f"{law.citation} waiver, at most "
                        f"{law.ceiling})")
        candidates.append(Fix(
            "raise_cap", f"raise {staff.name} ({staff.staff_id})'s cap "
            f"from {f.count} to {new}{note}",
            {"staff_id": staff.staff_id, "max_caseload": new}))
    students = [structure.groups[f.group].student for f in needs]
    if students:
        found = _hire(students, rules, short)
        if found is not None:
            hire, verified = found
            creds = ";".join(hire.credentials)
            caveat = "" if verified else (" (relies on an unverified "
                                          "authorization row)")
            candidates.append(Fix(
                "add_staff", f"add a staff member at {hire.sites[0]} "
                f"providing {hire.provides[0]} with credential {creds} "
                f"(grades {_span(hire.grades)}){caveat}",
                {"staff_id": "NEW-HIRE", "site": hire.sites[0],
                 "provides": hire.provides[0],
                 "credentials": list(hire.credentials),
                 "grades": _span(hire.grades),
                 "max_caseload": hire.max_caseload}))
        for staff in inst.staff:
            if rules.may_case_manage(staff) or not any(
                    staff.serves_site(s.site) and s.grade in staff.grades
                    for s in students):
                continue
            candidates.append(Fix(
                "allow_case_management", f"let {staff.name} "
                f"({staff.staff_id}) case-manage (coordinate)",
                {"staff_id": staff.staff_id, "can_case_manage": True}))
    for f in pins:
        staff = inst.staff[f.staff]
        g = structure.groups[f.group]
        for m in g.members:
            sid = inst.students[m].student_id
            if structure.pins.get(sid) == staff.staff_id:
                candidates.append(Fix(
                    "drop_pin", f"drop the pin of student {sid} to "
                    f"{staff.name} ({staff.staff_id})",
                    {"student_id": sid, "staff_id": staff.staff_id}))
    return [fix for fix in candidates if resolves(apply_fix(inst, fix))]


def apply_fix(inst: Instance, fix: Fix) -> Instance:
    """The roster with one fix applied, exactly as ``fix.change`` says."""
    change = fix.change
    if fix.kind == "drop_pin":
        return inst.replace(pins={k: v for k, v in inst.pins.items()
                                  if k != change["student_id"]})
    if fix.kind == "add_staff":
        hire = Staff(staff_id=change["staff_id"], name="New hire",
                     sites=(change["site"],), provides=(change["provides"],),
                     credentials=tuple(change["credentials"]),
                     grades=grade_range(change["grades"]),
                     max_caseload=change.get("max_caseload"),
                     fte=change.get("fte", 1.0))
        return inst.replace(staff=(*inst.staff, hire))
    staff = inst.staff_by_id()[change["staff_id"]]
    update = {k: v for k, v in change.items() if k != "staff_id"}
    return _replace_staff(inst, Staff(**{**dict(staff), **update}))


def _replace_staff(inst: Instance, changed: Staff) -> Instance:
    return inst.replace(staff=tuple(
        changed if c.staff_id == changed.staff_id else c
        for c in inst.staff))


def _span(grades) -> str:
    idx = sorted(GRADE_INDEX[g] for g in grades)
    return (GRADES[idx[0]] if idx[0] == idx[-1]
            else f"{GRADES[idx[0]]}-{GRADES[idx[-1]]}")


def _hire(students, rules: RuleSet, places: int
          ) -> tuple[Staff, bool] | None:
    """A new staff member who would be best practice for these students,
    holding a current credential where one works; and whether the rule
    relied on is verified."""
    s = students[0]
    lo = min(GRADE_INDEX[x.grade] for x in students)
    hi = max(GRADE_INDEX[x.grade] for x in students)
    grades = frozenset(GRADES[lo:hi + 1])
    top = sorted(best_practice_items(s, rules))
    provides = (s.setting if top and top[0] == OWN_TEACHER_ITEM
                else top[0] if top else "COORD")
    activity = (INSTRUCTION_ACTIVITY if provides in ("SDC", "DEPT", "COORD")
                else provides)
    # Credentials the CTC issues today first (credentials.csv,
    # issued_today), in the table's order; then verified rows first.
    order = {code: i for i, code in enumerate(rules.credentials)}
    options = sorted(
        {(not rules.credentials[code].issued_today, order[code],
          not rule.verified, code, rule.verified)
         for rule in rules.authorizations
         if rule.activity == activity and not rule.requires_base
         for code in rule.credentials
         if rules.credentials[code].kind != "license"})
    for *_, code, verified in options:
        staff = Staff(staff_id="NEW-HIRE", name="New hire",
                      sites=(s.site,), provides=(provides,),
                      credentials=(code,), grades=grades,
                      max_caseload=max(places, 1) if provides == "COORD"
                      else None)
        if all(check_pair(x, staff, rules).eligible for x in students):
            return staff, verified
    return None


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


def diagnose(structure: Structure) -> Diagnosis:
    """Exact feasibility test of H1-H7, with the reasons when it fails."""
    # ortools loads only when a diagnosis is made: the outputs import
    # this module (profile) and must load no solver.
    from optimizer.solver.diagnose import capacity_shortfalls

    return Diagnosis(tuple(no_candidate_diagnosis(structure)),
                     tuple(capacity_shortfalls(structure)))


MAX_CONFLICT_FACTS = 4000


def explain_infeasibility(instance: Instance, rules: RuleSet,
                          diagnosis: Diagnosis) -> Diagnosis:
    """Add minimal conflicts (pins included) and verified fixes."""
    from optimizer.solver.diagnose import minimal_conflicts

    relaxed = build_structure(instance.replace(pins={}), rules)
    relaxed.pins = dict(instance.pins)
    relaxed.instance = instance
    conflicts = []
    notes = list(diagnosis.notes)
    for facts in minimal_conflicts(relaxed, MAX_CONFLICT_FACTS):
        students = tuple(
            instance.students[m].student_id for f in facts
            if f.group is not None
            for m in relaxed.groups[f.group].members)

        def resolves(fixed: Instance, ids=frozenset(students)) -> bool:
            d = diagnose(build_structure(fixed, rules))
            stuck = {sid for nc in d.no_candidates for sid in nc.student_ids}
            stuck |= {sid for sh in d.shortfalls for sid in sh.student_ids}
            return not (stuck & ids)

        fixes = propose(facts, relaxed, rules, resolves)
        conflicts.append(Conflict(
            tuple(describe_fact(f, relaxed) for f in facts),
            tuple((f.kind, f.text, f.change) for f in fixes), students))
    if not conflicts and not diagnosis.empty:
        notes.append("the conflict search was skipped: the roster is too "
                     "large; the reasons above are exact")
    return Diagnosis(diagnosis.no_candidates, diagnosis.shortfalls,
                     tuple(notes), tuple(conflicts))
