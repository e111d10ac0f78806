"""Does every service on an IEP have someone who may provide it?

The CTC guidance makes the case manager responsible for "ensuring services
and supports are in place and provided as determined by the student's
IEP", and for a low-incidence student placed under the secondary
disability it adds that "the student's needs related to the primary
disability category will still need to be addressed by the appropriate
related service providers". This module answers both questions for a
roster, and sums up staffing by site and service. It never blocks a
plan: the answers are warnings and figures.

A staff member *may provide* a service to a student when they serve the
student's site (H3), work with the student's grade (their ``grades``, H7)
and list the service and hold an authorization for it for this student
(H5): ``check_pair`` itself asked about that one service (see
``exclusions``), so coverage and the hard rules cannot disagree.
Pure: no files, no solver.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from optimizer.domain import Instance, Staff, Student
from optimizer.rules import AVERAGE_LAW, RuleSet, check_pair
from optimizer.vocab import (
    DISABILITY_NAME,
    GRADE_INDEX,
    INSTRUCTIONAL_SETTINGS,
    SERVES,
    describe_grades,
)


@dataclass(frozen=True)
class ServiceGap:
    """A service on a student's IEP that nobody at the site may provide."""

    student_id: str
    site: str
    grade: str
    service: str
    unauthorized: tuple[str, ...] = ()  # provide it at the site, may not
    rules: tuple[str, ...] = ()  # what excludes them: H5 and/or H7

    def __str__(self) -> str:
        text = (f"student {self.student_id}: nobody at site {self.site} "
                f"may provide {self.service}")
        if not self.unauthorized:
            return text + f" (no staff member there provides {self.service})"
        who = ", ".join(self.unauthorized)
        why = []
        if "H5" in self.rules:
            why.append(f"no authorization for it at grade {self.grade} "
                       "for this student (H5)")
        if "H7" in self.rules:
            why.append(f"grade {self.grade} outside their grades (H7)")
        verb = "provides" if len(self.unauthorized) == 1 else "provide"
        return (text + f" ({who} {verb} {self.service} there: "
                f"{'; '.join(why)})")


@dataclass(frozen=True)
class PlacementGap:
    """An alternate placement whose primary category nobody addresses."""

    student_id: str
    site: str
    primary: str
    secondary: str
    services: tuple[str, ...]  # any one addresses the primary category
    missing: str  # "service" (not on the IEP) or "provider"
    verified: bool

    def __str__(self) -> str:
        options = " or ".join(self.services)
        text = (f"needs action: student {self.student_id} is placed "
                "under the secondary "
                f"disability ({self.secondary}); the primary category, "
                f"{DISABILITY_NAME[self.primary]} ({self.primary}), needs a "
                f"related service ({options}) and ")
        if self.missing == "service":
            text += "the IEP lists none"
        else:
            text += f"nobody at site {self.site} may provide it"
        if not self.verified:
            text += (f" (which service addresses {self.primary} is "
                     "unverified: see alt_placement_services.csv)")
        return text


@dataclass(frozen=True)
class RuleFlag:
    """Something about one student an administrator must act on or check
    (issue 21): an SDC/DEPT student nobody at the site may instruct (H4,
    needs action), EMD past ages 3-5, an OI alternate placement at
    mild-to-moderate support."""

    student_id: str
    site: str
    column: str  # the roster column the flag is about
    text: str
    needs_action: bool = False

    def __str__(self) -> str:
        return ("needs action: " if self.needs_action else "") + self.text


@dataclass(frozen=True)
class StaffingRow:
    """Students needing a service at a site against who may provide it.

    ``capacity`` is in students: each provider's cap for the service (as
    given, else the rules table's default times FTE); an itinerant's cap
    and FTE are shared among the sites they are counted at in proportion
    to the students needing the service there. ``None`` where the rules
    table has no cap for the service.
    """

    site: str
    service: str
    students: int
    without_provider: int
    provider_ids: tuple[str, ...]
    provider_fte: float
    capacity: float | None
    cap_per_fte: int | None
    cap_source: str
    # the cap per FTE is a district-wide average set by law (the SLP 55 of
    # EC 56363.3), not a site's limit: students over it are no shortfall
    # (the plan reports the average and warns when it is over)
    average: bool = False

    @property
    def shortfall(self) -> float:
        """Students short: those nobody may serve, plus those over cap
        (where the cap is a limit, not a district average)."""
        covered = self.students - self.without_provider
        over = (0.0 if self.capacity is None or self.average
                else max(0.0, covered - self.capacity))
        return self.without_provider + over

    @property
    def spare(self) -> float | None:
        if self.capacity is None:
            return None
        return max(0.0, self.capacity - (self.students
                                         - self.without_provider))

    @property
    def shortfall_fte(self) -> float | None:
        return self.shortfall / self.cap_per_fte if self.cap_per_fte \
            else None

    @property
    def spare_fte(self) -> float | None:
        if not self.cap_per_fte or self.spare is None:
            return None
        return self.spare / self.cap_per_fte


@dataclass(frozen=True)
class Coverage:
    """Service coverage of a roster: gaps, placement gaps, staffing."""

    gaps: tuple[ServiceGap, ...]
    placement_gaps: tuple[PlacementGap, ...]
    staffing: tuple[StaffingRow, ...]
    flags: tuple[RuleFlag, ...] = ()

    @property
    def needs_action(self) -> tuple[str, ...]:
        """What an administrator must act on before the plan is used:
        alternate placements without the primary category's related
        service, SDC/DEPT students nobody at the site may instruct."""
        return tuple([str(g) for g in self.placement_gaps]
                     + [str(f) for f in self.flags if f.needs_action])

    @property
    def needs_action_students(self) -> tuple[str, ...]:
        """The students of ``needs_action``, in its order, once each."""
        return tuple(dict.fromkeys(
            [g.student_id for g in self.placement_gaps]
            + [f.student_id for f in self.flags if f.needs_action]))

    @property
    def shortfall(self) -> int | float:
        """Total services shortfall in students (all sites, services),
        a whole number unless an itinerant's shared cap leaves a part."""
        total = round(sum(r.shortfall for r in self.staffing), 1)
        return int(total) if total == int(total) else total

    @property
    def shortfall_fte(self) -> float:
        """Total shortfall in FTE, over the services with a cap."""
        return round(sum(r.shortfall_fte or 0.0 for r in self.staffing), 2)


class _Judge:
    """``exclusions`` memoized on the facts H5 and H7 read."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self._cache: dict[tuple, tuple[str, ...]] = {}

    def excluded(self, student: Student, staff: Staff,
                 service: str) -> tuple[str, ...]:
        """Rule ids keeping a provider at the site from the student."""
        key = (student.grade, student.primary_disability,
               student.secondary_disability, student.support_level,
               service, staff.credentials, student.grade in staff.grades)
        hit = self._cache.get(key)
        if hit is None:
            hit = exclusions(student, staff, service, self.rules)
            self._cache[key] = hit
        return hit

    def may_provide(self, student: Student, staff: Staff,
                    service: str) -> bool:
        return (staff.serves_site(student.site) and service in staff.provides
                and not self.excluded(student, staff, service))


# The hard rules that speak to who may give a service: H3 (the site), H5
# (an authorization for it) and H7 (the person's grades). H2 (may
# case-manage) and H4 (instruction) do not: a PT may give PT.
SERVICE_RULES = ("H3", "H5", "H7")


def exclusions(student: Student, staff: Staff, service: str,
               rules: RuleSet) -> tuple[str, ...]:
    """Which of H3, H5, H7 keep ``staff`` from giving ``student`` one
    service: ``check_pair`` itself, asked about that one service alone
    (the student as if served in general education, the person as if
    providing only it), so coverage never disagrees with the hard rules
    whatever they come to read."""
    probe = student.model_copy(update={
        "services": (service,), "setting": "GENED",
        "teacher_of_record": None})
    provider = staff.model_copy(update={"provides": (service,)})
    check = check_pair(probe, provider, rules)
    assert check.relation == SERVES
    return tuple(sorted({e.rule for e in check.exclusions
                         if e.rule in SERVICE_RULES}))


def may_provide(student: Student, staff: Staff, service: str,
                rules: RuleSet) -> bool:
    """Whether ``staff`` may give ``student`` the ``service`` (see module)."""
    return _Judge(rules).may_provide(student, staff, service)


# The last roster judged: loading warns about coverage and the plan
# reports it, on the same (immutable) instance and rules; judging once
# saves about a second on a 70,000-student roster.
_last: list[tuple[Instance, RuleSet, Coverage]] = []


def service_coverage(instance: Instance, rules: RuleSet) -> Coverage:
    """Every service gap, alternate-placement gap and staffing row.

    Gaps follow the students' input order; staffing rows are sorted by
    site, then service. Instance and rules are frozen, so the result for
    the same two objects is reused.
    """
    if _last and _last[0][0] is instance and _last[0][1] is rules:
        return _last[0][2]
    cov = _service_coverage(instance, rules)
    _last[:] = [(instance, rules, cov)]
    return cov


def _service_coverage(instance: Instance, rules: RuleSet) -> Coverage:
    judge = _Judge(rules)
    providers = _Providers(instance, judge)
    # Students alike in site, grade, disabilities, support level and
    # services need the same services from the same people: each kind
    # is judged once, for its first student.
    kinds: dict[tuple, list] = {}  # kind -> [number, first student]
    for s in instance.students:
        kind = (s.site, _kind(s), s.services)
        entry = kinds.get(kind)
        if entry is None:
            kinds[kind] = [1, s]
        else:
            entry[0] += 1
    need = _Need()
    # kind -> its services nobody may provide (in the services' order)
    unserved: dict[tuple, list[str]] = {}
    for key, (num, first) in kinds.items():
        site, kind, services = key
        for service in dict.fromkeys(services):
            ok = providers.ok(site, service, kind, first)
            need.add((site, service), kind[0], num, ok)
            if not ok:
                unserved.setdefault(key, []).append(service)
    gaps: list[ServiceGap] = []
    if unserved:  # some student has a gap: find them, in order
        for s in instance.students:
            for service in unserved.get((s.site, _kind(s), s.services),
                                        ()):
                gaps.append(_service_gap(s, service, providers))
    placement = [gap for s in instance.students
                 if s.alt_placement_secondary
                 and (gap := _placement_gap(s, rules, providers))
                 is not None]
    staffing = _staffing(need, rules)
    return Coverage(tuple(gaps), tuple(placement), staffing,
                    rule_flags(instance, rules))


# Grades of children aged 3-5 and kindergarten (where a 5-year-old may
# be): EMD is an eligibility for ages 3-5 only (EC 56441.11(d)).
EMD_GRADES = frozenset({"PK", "TK", "K"})


def rule_flags(instance: Instance, rules: RuleSet) -> tuple[RuleFlag, ...]:
    """Per-student flags of issue 21, in roster order (see ``RuleFlag``)."""
    teachers: dict[tuple[str, str], list[Staff]] = defaultdict(list)
    sites = sorted({s.site for s in instance.students})
    for c in instance.staff:
        for setting in set(c.provides) & INSTRUCTIONAL_SETTINGS:
            for site in sites if "*" in c.sites else c.sites:
                teachers[site, setting].append(c)
    verdicts: dict[tuple, tuple[str, ...]] = {}
    # students alike in site, setting and what H4/H7 read share an answer
    missing: dict[tuple, list[str] | None] = {}
    out: list[RuleFlag] = []
    for s in instance.students:
        if s.setting in INSTRUCTIONAL_SETTINGS and s.teacher_of_record is None:
            kind = (s.site, s.setting, s.grade, s.primary_disability,
                    s.secondary_disability, s.support_level,
                    s.alt_placement_secondary)
            if kind not in missing:
                missing[kind] = _nobody_instructs(
                    s, teachers[s.site, s.setting], rules, verdicts)
            why = missing[kind]
            if why is not None:
                out.append(_instruction_flag(s, why))
        emd = [d for d in (s.primary_disability, s.secondary_disability)
               if d == "EMD"]
        if emd and s.grade not in EMD_GRADES:
            column = ("primary_disability" if s.primary_disability == "EMD"
                      else "secondary_disability")
            out.append(RuleFlag(
                s.student_id, s.site, column,
                f"student {s.student_id} has Established Medical "
                f"Disability (EMD) at grade {s.grade}: EMD applies to "
                "children aged 3-5 only (EC 56441.11(d)); the IEP team "
                "should review the eligibility category"))
        if (s.alt_placement_secondary and s.primary_disability == "OI"
                and s.support_level != "EX"):
            out.append(RuleFlag(
                s.student_id, s.site, "alt_placement_secondary",
                f"student {s.student_id}: an orthopedic impairment is low "
                "incidence only when severe (EC 56026.5), and the roster "
                "gives support level MM: confirm the alternate placement "
                f"under {s.secondary_disability}"))
    return tuple(out)


def _nobody_instructs(s: Student, teachers: list[Staff], rules: RuleSet,
                      verdicts: dict[tuple, tuple[str, ...]]
                      ) -> list[str] | None:
    """None if a teacher of the student's setting at the site may instruct
    them, else why each may not (H4, or H7 their grades)."""
    why: list[str] = []
    for c in teachers:
        key = (s.grade, s.primary_disability, s.secondary_disability,
               s.support_level, s.setting, s.alt_placement_secondary,
               c.credentials, c.grades, c.provides)
        rules_hit = verdicts.get(key)
        if rules_hit is None:
            check = check_pair(s, c, rules)
            rules_hit = verdicts[key] = tuple(sorted(
                e.rule for e in check.exclusions if e.rule in ("H4", "H7")))
        if not rules_hit:
            return None
        why.append(f"{c.staff_id} ({'/'.join(rules_hit)})")
    return why


def _instruction_flag(s: Student, why: list[str]) -> RuleFlag:
    """An SDC/DEPT student without a teacher of record whom no teacher of
    the setting at the site may instruct (needs action)."""
    cat = s.placement_disability
    base = (f"student {s.student_id} ({s.setting}, "
            f"{DISABILITY_NAME[cat]} ({cat}), grade {s.grade}, support "
            f"{s.support_level}) at site {s.site}: nobody there may "
            f"instruct them (H4)")
    if why:
        base += (f": {', '.join(why)} teach {s.setting} there but may not "
                 "(H4: no credential authorizing it; H7: not their grades)")
    else:
        base += f": no staff member there teaches {s.setting}"
    return RuleFlag(s.student_id, s.site, "setting", base + (
        "; the plan can give them only a coordinator or a service "
        f"provider as case manager: an authorized {s.setting} teacher is "
        "needed"), needs_action=True)


def _kind(s: Student) -> tuple[str, str, str | None, str]:
    """What the judge reads of a student besides the site (H5, H7)."""
    return (s.grade, s.primary_disability, s.secondary_disability,
            s.support_level)


def _service_gap(s: Student, service: str, providers: _Providers
                 ) -> ServiceGap:
    staff = providers.offering.get((s.site, service), [])
    return ServiceGap(
        s.student_id, s.site, s.grade, service,
        tuple(c.staff_id for c in staff), tuple(sorted({
            r for c in staff
            for r in providers.judge.excluded(s, c, service)})))


class _Need:
    """Per (site, service): students needing it, their grades, those
    nobody may serve, and everyone who may serve some of them."""

    def __init__(self) -> None:
        self.students: dict[tuple[str, str], int] = defaultdict(int)
        self.grades: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.without: dict[tuple[str, str], int] = defaultdict(int)
        self.providers: dict[tuple[str, str], dict[str, Staff]] = \
            defaultdict(dict)

    def add(self, cell: tuple[str, str], grade: str, num: int,
            ok: list[Staff]) -> None:
        """``num`` students of ``grade`` whom ``ok`` may serve."""
        self.students[cell] += num
        self.grades[cell].add(grade)
        if not ok:
            self.without[cell] += num
        people = self.providers[cell]
        for c in ok:
            people[c.staff_id] = c


class _Providers:
    """Who may give a service to students of one kind at one site.

    The judge reads the student's kind, the service and each offering
    person's credentials and whether the grade is theirs; sites whose
    offering people are alike in those (in order) share one answer.
    """

    def __init__(self, instance: Instance, judge: _Judge):
        self.judge = judge
        self.offering = _offering(instance)
        looks: dict[tuple, int] = {}
        self._alike = {
            cell: looks.setdefault(
                (cell[1], tuple((c.credentials, c.grades) for c in staff)),
                len(looks))
            for cell, staff in self.offering.items()}
        self._allowed: dict[tuple, tuple[int, ...]] = {}

    def ok(self, site: str, service: str, kind: tuple, student: Student
           ) -> list[Staff]:
        """The offering people who may provide ``service`` to
        ``student`` (of ``kind``, at ``site``)."""
        staff = self.offering.get((site, service))
        if not staff:
            return []
        verdict = (self._alike[site, service], kind)
        allowed = self._allowed.get(verdict)
        if allowed is None:
            allowed = self._allowed[verdict] = tuple(
                i for i, c in enumerate(staff)
                if self.judge.may_provide(student, c, service))
        return [staff[i] for i in allowed]


def _offering(instance: Instance) -> dict[tuple[str, str], list[Staff]]:
    """(site, service) -> staff who serve the site and list the service."""
    sites = sorted({s.site for s in instance.students})
    out: dict[tuple[str, str], list[Staff]] = defaultdict(list)
    for c in instance.staff:
        for site in sites if "*" in c.sites else c.sites:
            for service in c.provides:
                out[site, service].append(c)
    return out


def _placement_gap(s: Student, rules: RuleSet, providers: _Providers
                   ) -> PlacementGap | None:
    if not s.alt_placement_secondary:
        return None
    rule = rules.related_services.get(s.primary_disability)
    if rule is None:
        return None
    listed = [x for x in rule.services if x in s.services]
    missing = None
    if not listed:
        missing = "service"
    elif not any(providers.ok(s.site, x, _kind(s), s) for x in listed):
        missing = "provider"
    if missing is None:
        return None
    return PlacementGap(s.student_id, s.site, s.primary_disability,
                        s.secondary_disability or "", rule.services,
                        missing, rule.verified)


def service_cap(staff: Staff, service: str, rules: RuleSet) -> int | None:
    """A provider's cap for one service, by H6's own reckoning.

    Their ``max_caseload`` when the service is their kind, else the rules
    table's default for the service times FTE; ``None`` if it has none.
    """
    as_provider = staff if staff.kind == service else staff.model_copy(
        update={"provides": (service,), "max_caseload": None})
    if as_provider.max_caseload is None and (
            rules.default_cap(as_provider) is None):
        return None
    return rules.effective_cap(as_provider)


def full_time_cap(service: str, grades: frozenset[str], site: str,
                  rules: RuleSet) -> tuple[int | None, str]:
    """The table's cap for one full-time provider of these grades."""
    probe = Staff(staff_id="-", name="-", sites=(site,), provides=(service,),
                  grades=grades)
    row = rules.default_cap(probe)
    return (None, "") if row is None else (row.default_cap, row.source)


def _staffing(need: _Need, rules: RuleSet) -> tuple[StaffingRow, ...]:
    # Each provider's demand over the sites they are counted at, to share
    # an itinerant's cap and FTE in proportion.
    demand: dict[tuple[str, str], int] = defaultdict(int)
    for cell, people in need.providers.items():
        for sid in people:
            demand[sid, cell[1]] += need.students[cell]
    rows = []
    caps: dict[tuple[str, str], int | None] = {}
    caps_per_fte: dict[tuple, tuple[int | None, str]] = {}
    for (site, service), num_students in sorted(need.students.items()):
        people = need.providers[site, service]
        fte = capacity = 0.0
        known_cap = True
        for sid, c in sorted(people.items()):
            share = num_students / demand[sid, service]
            fte += c.fte * share
            if (sid, service) not in caps:
                caps[sid, service] = service_cap(c, service, rules)
            cap = caps[sid, service]
            if cap is None:
                known_cap = False
            else:
                capacity += cap * share
        grades = frozenset(need.grades[site, service])
        if (service, grades) not in caps_per_fte:
            caps_per_fte[service, grades] = full_time_cap(
                service, grades, site, rules)
        per_fte, source = caps_per_fte[service, grades]
        if not people and per_fte is None:
            known_cap = False
        average = any(r.law == AVERAGE_LAW and r.source == source
                      for r in rules.caseload_defaults)
        rows.append(StaffingRow(
            site, service, num_students, need.without[site, service],
            tuple(sorted(people)), round(fte, 2),
            round(capacity, 1) if known_cap else None, per_fte, source,
            average))
    return tuple(rows)


def gap_groups(cov: Coverage) -> list[tuple[str, str, list[ServiceGap]]]:
    """Service gaps grouped by (site, service), in order of first gap."""
    groups: dict[tuple[str, str], list[ServiceGap]] = {}
    for g in cov.gaps:
        groups.setdefault((g.site, g.service), []).append(g)
    return [(site, service, items)
            for (site, service), items in groups.items()]


def grade_span(grades: Iterable[str]) -> str:
    """Some grades as one range, e.g. ``TK-2``."""
    idx = sorted(GRADE_INDEX[g] for g in grades)
    low, high = idx[0], idx[-1]
    return describe_grades(frozenset(
        g for g, i in GRADE_INDEX.items() if low <= i <= high))
