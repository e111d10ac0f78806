"""The solver-free checker: audit any assignment against H1-H7, S1-S4.

This is the code behind ``caseload check`` and the re-verification of
every plan before it is written. It judges pairs with ``rules.check_pair``
and recomputes every objective term from the assignment alone.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

from optimizer.domain import (
    Instance,
    Staff,
    Student,
    assessors,
    weight_scale,
)
from optimizer.objectives import (
    CALENDAR,
    REFERENCE,
    Calendar,
    balance_term,
    best_practice_miss,
    busiest_period,
    calendar_term,
    continuity_loss,
    default_planning_year,
    has_meeting_dates,
    language_miss,
    meeting_counts,
    period_of,
    reference_change,
    school_year,
)
from optimizer.rules import (
    RULE_SOURCES,
    PairCheck,
    PairJudge,
    RuleSet,
    caseload_averages,
    check_pair,
)


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
    # issue 21: statutory averages (the SLP 55 of EC 56363.3), per person
    # and district-wide, and per site the RSP students whose case manager
    # does not provide RSP (H6 counts them against no resource specialist)
    caseload_averages: list[dict[str, object]] = field(
        default_factory=list)
    rsp_case_managed_by_others: list[dict[str, object]] = field(
        default_factory=list)

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
    # With meeting dates: meetings per (case manager, period), S5's counts.
    meetings: dict[tuple[str, str], int] | None = None
    calendar: Calendar | None = None
    # The same per calendar month, whatever S5's period: the busiest-month
    # KPI and H8 read these.
    months: dict[tuple[str, str], int] | None = None

    def busiest(self, months: bool = False) -> dict[str, tuple[str, int]]:
        """Each case manager's busiest period (earliest of equals) and its
        meetings, or with ``months`` their busiest calendar month; empty
        without dates."""
        return {cm: busiest_period(m)
                for cm, m in self.held(months).items()}

    def held(self, months: bool = False) -> dict[str, dict[str, int]]:
        """Each case manager's meetings per period (or calendar month)."""
        out: dict[str, dict[str, int]] = {}
        for (cm, period), n in ((self.months if months else self.meetings)
                                or {}).items():
            out.setdefault(cm, {})[period] = n
        return out

    @property
    def compliant(self) -> bool:
        return not self.violations


def prior_allowed(student: Student, instance: Instance, rules: RuleSet,
                  staff: dict[str, Staff],
                  judge: PairJudge | None = None, *,
                  caps: dict[str, int] | None = None,
                  eligible: Callable[[Staff], bool] | None = None) -> bool:
    """S3 applies: the prior case manager exists, no pin or forbidden pair
    rules them out, their cap is positive, and they may take the student.

    The one definition (the checker, mid-year placement and the tests call
    it). ``caps`` (staff id -> effective cap) and ``eligible`` (whether a
    staff member may take this student) pass what a caller has already
    computed; by default ``rules`` (or ``judge``) decides.
    """
    prior = student.prior_case_manager
    if not prior or prior not in staff:
        return False
    sid = student.student_id
    if instance.pins.get(sid, prior) != prior or (
            (sid, prior) in instance.forbidden):
        return False
    cap = (caps[prior] if caps is not None
           else rules.effective_cap(staff[prior]))
    if cap <= 0:
        return False
    if eligible is not None:
        return eligible(staff[prior])
    if judge is not None:
        return judge.check(student, staff[prior]).eligible
    return check_pair(student, staff[prior], rules).eligible


@dataclass(frozen=True)
class RosterPass:
    """What the checker reads of the roster alone, before any plan: the
    one cache of pair judgements, each student's facts for it, and
    whether S3 applies to them (``prior_allowed``). ``prepare`` makes it;
    ``audit`` makes its own unless given one for the same roster and
    rules (a run prepares it while the plan is being solved)."""

    instance: Instance
    rules: RuleSet
    staff: dict[str, Staff]
    caps: dict[str, int]
    judge: PairJudge
    facts: list[tuple]
    allowed: list[bool]
    # per student: the check of the pair with their prior case manager
    # when S3 applies (the judge's own, as ``judge.check`` gives it
    # again), else None
    prior_checks: list[PairCheck | None]

    @staticmethod
    def prepare(instance: Instance, rules: RuleSet) -> RosterPass:
        staff = instance.staff_by_id()
        caps = {c.staff_id: rules.effective_cap(c) for c in instance.staff}
        judge = PairJudge(rules)  # the keys read the roster, nothing solved
        facts: list[tuple] = []
        allowed: list[bool] = []
        prior_checks: list[PairCheck | None] = []
        for s in instance.students:
            f = judge.facts(s)
            facts.append(f)
            seen: list[PairCheck | None] = [None]

            def eligible(c, s=s, f=f, seen=seen) -> bool:
                seen[0] = judge.eligible(s, c, f)
                return seen[0] is not None
            allowed.append(prior_allowed(s, instance, rules, staff,
                                         caps=caps, eligible=eligible))
            prior_checks.append(seen[0] if allowed[-1] else None)
        return RosterPass(instance, rules, staff, caps, judge, facts,
                          allowed, prior_checks)


def audit(instance: Instance, rules: RuleSet,
          assignment: dict[str, str | None],
          duplicates: dict[str, int] | None = None,
          unknown_students: list[str] | None = None,
          reference: dict[str, str] | None = None,
          calendar: Calendar | None = None,
          roster_pass: RosterPass | None = None) -> Audit:
    """Check ``assignment`` (student_id -> staff_id) against H1-H8.

    ``duplicates`` and ``unknown_students`` describe problems of a
    hand-made file that a dict cannot hold (H1). With a ``reference``
    plan (student -> case manager), the terms include R: the students
    whose case manager differs from it. With meeting dates, the terms
    include S5 (counted per ``calendar``'s period, by month when None)
    and H8 is checked when ``calendar`` sets a limit. ``roster_pass``:
    the roster's side, prepared beforehand (``RosterPass``).
    """
    if roster_pass is None or roster_pass.instance is not instance \
            or roster_pass.rules is not rules:
        roster_pass = RosterPass.prepare(instance, rules)
    staff = roster_pass.staff
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
    caps = roster_pass.caps
    judge = roster_pass.judge
    tally = _Tally()
    for s, facts, allowed, known in zip(
            instance.students, roster_pass.facts, roster_pass.allowed,
            roster_pass.prior_checks):
        sid = s.student_id
        cm = assignment.get(sid)
        prior = s.prior_case_manager
        placed = staff.get(cm) if cm else None
        if placed is None:
            violations.append(Violation(
                "H1", sid, cm, f'case manager "{cm}" is not on the '
                "staff roster") if cm else Violation(
                "H1", sid, None, "the student has no case manager"))
            tally.add(prior, allowed, None, None)
            lines.append(StudentLine(s, None, None, allowed))
            continue
        check = known if known is not None and cm == prior \
            else judge.check(s, placed, facts)
        for exc in check.exclusions:
            violations.append(Violation(exc.rule, sid, cm, exc.message))
        caseload[cm] += 1
        load_units[cm] += round(s.weight * scale)
        tally.add(prior, allowed, cm, check)
        lines.append(StudentLine(s, placed, check, allowed))
    loads: dict[str, tuple[int, float, int]] = {}
    for c in instance.staff:
        cap = caps[c.staff_id]
        n = caseload[c.staff_id]
        loads[c.staff_id] = (n, load_units[c.staff_id] / scale, cap)
        if n > cap:
            violations.append(Violation(
                "H6", None, c.staff_id, f"{c.name} has {n} students, over "
                f"the cap of {cap} ({rules.cap_reason(c)})"))
    terms = tally.terms(instance, caps, load_units)
    averages = caseload_averages(instance, rules, caseload)
    others = rsp_by_others(instance, assignment, staff, loads)
    meetings = months = None
    if has_meeting_dates(instance.students):
        # the default settings: months, no limit, the default year
        calendar = calendar or Calendar(year=school_year(
            default_planning_year(instance.students) or "2000-01"))
        meetings, months, over = _calendar(instance, assignment, calendar)
        terms[CALENDAR] = calendar_term(meetings.values())
        violations += over
    else:
        calendar = None
    if reference is not None:
        terms[REFERENCE] = sum(
            reference_change(assignment.get(s.student_id) or None,
                             reference.get(s.student_id))
            for s in instance.students)
    k = replace(kpis(instance, rules, tally, loads),
                caseload_averages=[a.as_dict() for a in averages],
                rsp_case_managed_by_others=others)
    return Audit(violations, lines, terms, k, loads, meetings, calendar,
                 months)


def rsp_by_others(instance: Instance, assignment: dict[str, str | None],
                  staff: dict[str, Staff],
                  loads: dict[str, tuple[int, float, int]]
                  ) -> list[dict[str, object]]:
    """Per site: students with RSP on the IEP whose case manager does not
    provide RSP, against the places left on the caseloads of the
    resource specialists who serve the site (EC 56362(c)).

    H6 counts a resource specialist's case-managed students only: the
    roster does not say who serves these students in RSP, so the plan
    cannot count them against anyone. ``short`` is how many of them no
    resource specialist at the site has room for even if every place
    left went to them (an itinerant's places count at each site they
    serve, so it is a lower bound on the real shortage).
    """
    by_site: dict[str, int] = defaultdict(int)
    for s in instance.students:
        cm = staff.get(assignment.get(s.student_id) or "")
        if "RSP" in s.services and cm is not None \
                and "RSP" not in cm.provides:
            by_site[s.site] += 1
    # places left per site: each resource specialist's counts at every
    # site they serve (``Staff.serves_site``), summed once, not per site
    everywhere = 0
    at_site: dict[str, int] = defaultdict(int)
    for c in instance.staff:
        if "RSP" not in c.provides:
            continue
        left = max(0, loads[c.staff_id][2] - loads[c.staff_id][0])
        if "*" in c.sites:
            everywhere += left
        else:
            for site in set(c.sites):
                at_site[site] += left
    out = []
    for site, n in sorted(by_site.items()):
        spare = everywhere + at_site.get(site, 0)
        out.append({"site": site, "students": n, "spare_places": spare,
                    "short": max(0, n - spare)})
    return out


def rsp_warning(row: dict[str, object]) -> str | None:
    """The site warning when resource specialists lack room (H6)."""
    if not row["short"]:
        return None
    return (f"site {row['site']}: {row['students']} student(s) with RSP on "
            "the IEP are case-managed by someone who does not provide RSP, "
            "so H6 counts them against no resource specialist; the "
            f"resource specialists serving {row['site']} have "
            f"{row['spare_places']} place(s) left under their caps "
            f"(EC 56362(c)): at least {row['short']} cannot be on a "
            "resource specialist's caseload. Confirm who serves them in "
            "RSP")


def _calendar(instance: Instance, assignment: dict[str, str | None],
              calendar: Calendar
              ) -> tuple[dict[tuple[str, str], int],
                         dict[tuple[str, str], int], list[Violation]]:
    """S5's meetings per (case manager, period), the same per calendar
    month, and H8's violations."""
    staff = instance.staff_by_id()
    placed = [(assignment[s.student_id], s) for s in instance.students
              if assignment.get(s.student_id) in staff]
    meetings = meeting_counts(placed, calendar)
    months = meeting_counts(placed, calendar, months=True)
    over: list[Violation] = []
    if calendar.max_per_month is not None:
        limit = calendar.max_per_month
        for (cm, month), n in sorted(months.items()):
            if n > limit:
                over.append(Violation(
                    "H8", None, cm, f"{staff[cm].name} holds {n} IEP "
                    f"meetings in {month}, over the district's limit of "
                    f"{limit} a month"))
    return meetings, months, over


class _Tally:
    """Per-student counts for the terms and KPIs, gathered in one pass;
    the checks are counted per distinct object (most students share one).
    """

    def __init__(self) -> None:
        self.students = 0
        self.with_prior = 0
        self.prior_allowed = 0
        self.continuity_kept = 0
        self.continuity_lost = 0  # S3
        self._checks: dict[int, list] = {}  # id -> [check, students]

    def add(self, prior: str | None, allowed: bool,
            case_manager: str | None, check: PairCheck | None) -> None:
        """A student, with their case manager and its check if on the
        staff roster."""
        self.students += 1
        self.prior_allowed += allowed
        self.continuity_lost += continuity_loss(allowed, case_manager,
                                                prior)
        if prior:
            self.with_prior += 1
            self.continuity_kept += case_manager == prior
        if check is not None:
            entry = self._checks.get(id(check))
            if entry is None:
                self._checks[id(check)] = [check, 1]
            else:
                entry[1] += 1

    def count(self, value) -> int:
        """The students placed, each counted ``value(check)`` times."""
        return sum(value(check) * n for check, n in self._checks.values())

    def counter(self, values) -> Counter[str]:
        """``values(check)`` of every student placed, counted."""
        out: Counter[str] = Counter()
        for check, n in self._checks.values():
            for v in values(check):
                out[v] += n
        return out

    def terms(self, instance: Instance, caps: dict[str, int],
              load_units: Counter[str]) -> dict[str, int]:
        """S1-S4 exactly as the model's integer objective defines them."""
        return {
            "S1": self.count(best_practice_miss),
            "S2": sum(balance_term(caps[c.staff_id], load_units[c.staff_id])
                      for c in instance.staff),
            "S3": self.continuity_lost,
            "S4": self.count(language_miss),
        }


def kpis(instance: Instance, rules: RuleSet, tally: _Tally,
         loads: dict[str, tuple[int, float, int]]) -> Kpis:
    """The figures an administrator reads, all from the assignment."""
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
        students=tally.students,
        staff=len(instance.staff),
        case_managers_available=sum(
            1 for c in instance.staff
            if rules.may_case_manage(c) and loads[c.staff_id][2] > 0),
        students_assigned=tally.count(lambda c: 1),
        best_practice_matches=tally.count(lambda c: c.best_practice),
        relations=dict(sorted(tally.counter(
            lambda c: (c.relation,)).items())),
        prior_case_manager_given=tally.with_prior,
        prior_case_manager_allowed=tally.prior_allowed,
        continuity_kept=tally.continuity_kept,
        home_language_other_than_english=tally.count(
            lambda c: c.wants_language),
        language_matches=tally.count(
            lambda c: c.wants_language and c.language_match),
        unverified_authorizations_relied_on=dict(sorted(tally.counter(
            lambda c: c.unverified_rule_ids).items())),
        students_on_unverified_rows=tally.count(lambda c: not c.verified),
        authorizations=rules.authorization_mode,
        utilization_by_kind=utilization,
    )


def audit_assessments(assessments, staff: tuple[Staff, ...],
                      assignment: dict[str, str], kinds: tuple[str, ...],
                      max_difference: int,
                      months: dict[tuple[str, str], int] | None = None,
                      limit: int | None = None,
                      said: frozenset | set = frozenset()
                      ) -> list[Violation]:
    """AB 560's assignment checked from the files alone: each assessment
    with a person of the named kinds at its site and grade (A1), and at
    every site the people who may take its assessments within
    ``max_difference`` of one another (A2). With ``limit`` (H8), no one's
    meetings in a month, the plan's (``months``, per (staff id, month))
    and each assessment's initial IEP meeting in the month it is due,
    exceed it; a (staff id, month) in ``said`` is over without the
    assessments, already a violation of the plan's own H8."""
    by_id = {c.staff_id: c for c in staff}
    out: list[Violation] = []
    count: Counter[str] = Counter(assignment.values())
    pools: dict[str, set[str]] = defaultdict(set)
    may = assessors(assessments, staff, kinds)
    for a in assessments:
        able = {c.staff_id for c in may[a.assessment_id]}
        pools[a.site] |= able
        who = assignment.get(a.assessment_id)
        if not able:
            continue  # reported as unassignable, not as a violation
        if who not in able:
            name = by_id[who].name if who in by_id else who
            out.append(Violation(
                "A1", a.assessment_id, who,
                f"{name or 'nobody'} is not one of the "
                f"{'/'.join(kinds)} staff serving site {a.site}, grade "
                f"{a.grade}"))
    for site, pool in sorted(pools.items()):
        if not pool:
            continue
        shares = {p: count[p] for p in pool}
        if max(shares.values()) - min(shares.values()) > max_difference:
            words = ", ".join(f"{p} {n}" for p, n in sorted(shares.items()))
            out.append(Violation(
                "A2", None, None, f"at site {site} the assessments are "
                f"shared {words}: more than {max_difference} apart"))
    if limit is not None:
        held = Counter(months or {})
        for a in assessments:
            who = assignment.get(a.assessment_id)
            if who is not None:
                held[who, period_of(a.due_date, "month")] += 1
        for (who, month), n in sorted(held.items()):
            if n > limit and (who, month) not in said:
                name = by_id[who].name if who in by_id else who
                out.append(Violation(
                    "H8", None, who, f"{name} holds {n} IEP meetings in "
                    f"{month} with the initial assessments' meetings, "
                    f"over the district's limit of {limit} a month"))
    return out
