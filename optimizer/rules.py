"""The district-editable rules and the pure judgement of one pair.

The tables in ``data/rules`` (loaded by ``io.load_rules``) become a
``RuleSet``. ``check_pair`` decides whether a staff member may case-manage
a student under the per-pair hard rules H2, H3, H4, H5 and H7, and
returns every reason that excludes them, each with its rule id and source.
H1 (one case manager each) and H6 (caps) concern whole plans and live in
the model builder and ``verify``. The same ``check_pair`` is used by the
model builder, the checker and the explanations, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from math import floor
from operator import attrgetter

from pydantic import BaseModel, ConfigDict, Field

from optimizer.domain import Instance, Staff, Student
from optimizer.vocab import (
    COORDINATES,
    DISABILITY_NAME,
    INSTRUCTION_ACTIVITY,
    INSTRUCTIONAL_SETTINGS,
    INSTRUCTS,
    NO_LANGUAGE_PREFERENCE,
    OWN_TEACHER_ITEM,
    SERVES,
    describe_grades,
)

# The authorizations setting: rely on every row, flagging the unverified
# ones, or never on a row marked unverified.
ALL = "all"
VERIFIED_ONLY = "verified-only"
AUTHORIZATION_MODES = (ALL, VERIFIED_ONLY)

# Where each hard rule comes from, as the contract states it.
RULE_SOURCES: dict[str, str] = {
    "H1": "CTC Case Management guidance",
    "H2": "district policy",
    "H3": "district practice",
    "H4": "CTC Case Management guidance; 5 CCR 80046.5",
    "H5": "CTC Case Management guidance",
    "H6": "EC 56362(c) and the district caseload table",
    "H7": "district practice",
    "H8": "district setting max_meetings_per_month",
    "A1": "AB 560 (2025) and the district's assessment_kinds",
    "A2": "AB 560 (2025): equal shares unless collectively bargained",
}
RULE_TITLES: dict[str, str] = {
    "H1": "exactly one case manager per student",
    "H2": "the case manager may case-manage",
    "H3": "the case manager serves the student's site",
    "H4": "instruction is authorized for the student's disability",
    "H5": "a service the case manager provides is authorized",
    "H6": "caseload within the cap",
    "H7": "the student's grade is within the case manager's grades",
    "H8": "IEP meetings per month within the district's limit",
    "A1": "an assessment goes to a named kind at its site and grade",
    "A2": "initial assessments shared equally at each site",
}

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class CredentialInfo(BaseModel):
    """One authorization document: a credential, an added one, a license."""

    model_config = _FROZEN
    code: str = Field(description="Canonical code, e.g. R3MN")
    name: str = Field(description="What the document is called")
    kind: str = Field(description="credential, added_authorization, license")
    aliases: tuple[str, ...] = Field(default=(), description="Other codes")
    issued_today: bool = Field(
        default=False, description="The CTC issues it now (a district can "
        "hire for it); diagnosis proposes these first")
    source: str = Field(description="Citation")
    teaching_base: bool = Field(
        default=False,
        description="A special-education teaching credential (or the "
        "Special Class Authorization) that added authorizations rest on",
    )


class AuthorizationRule(BaseModel):
    """A row of the authorization table: what some documents authorize."""

    model_config = _FROZEN
    rule_id: str = Field(description="Stable id cited in every message")
    credentials: frozenset[str] = Field(description="Codes this row covers")
    activity: str = Field(description="INSTRUCT (teaching) or a service code")
    categories: frozenset[str] = Field(description="Disabilities; * = all")
    support_levels: frozenset[str] = Field(description="MM and/or EX")
    grades: frozenset[str] = Field(description="Grades authorized")
    requires_base: bool = Field(
        description="Added authorization: needs a special-education "
        "teaching base the person holds and works within its instruction "
        "grade band; unverified when that base row is"
    )
    requires_credentials: frozenset[str] = Field(
        default=frozenset(),
        description="The person must also hold one of these documents "
        "(e.g. the SLP credential under the Special Class Authorization)",
    )
    requires_secondary: frozenset[str] = Field(
        description="If set, the student's secondary disability must be one "
        "of these (e.g. DHH with autism)"
    )
    verified: bool = Field(description="Backed by an official source")
    source: str = Field(description="Citation")
    note: str = Field(default="", description="Limits, caveats")


# What a caseload-table row is in law: a cap set by law that binds
# anyone doing the work (``cap``), a district-wide average set by law
# (``average``), or a district default (blank).
CAP_LAW = "cap"
AVERAGE_LAW = "average"
CASELOAD_LAWS = ("", CAP_LAW, AVERAGE_LAW)


class CaseloadDefault(BaseModel):
    """Default cap for a kind of provider (before FTE)."""

    model_config = _FROZEN
    provides: str
    only_grades: frozenset[str] | None = Field(
        default=None, description="Applies when the person works only here"
    )
    default_cap: int = Field(ge=0)
    max_with_waiver: int | None = Field(
        default=None, ge=0, description="The most the law allows with a "
        "waiver (RSP: 32, EC 56362(c)); None: no statutory ceiling")
    law: str = Field(
        default="", description="cap: a cap set by law for anyone doing "
        "the work, whatever else they do; average: a district-wide average "
        "set by law (reported, warned when over); blank: district default")
    verified: bool
    source: str

    @property
    def citation(self) -> str:
        """The statute or policy named first in ``source``."""
        return self.source.split(":")[0].strip()

    @property
    def ceiling(self) -> int:
        """The most anyone may be given under this row (with a waiver)."""
        return max(self.default_cap, self.max_with_waiver or 0)


class RelatedServiceRule(BaseModel):
    """Which related service addresses a low-incidence primary category
    when the student is placed under the secondary one (CTC guidance)."""

    model_config = _FROZEN
    primary: str = Field(description="Low-incidence primary category")
    services: tuple[str, ...] = Field(
        description="Services of which any one addresses it")
    verified: bool = Field(description="Backed by an official source")
    source: str = Field(description="Citation")
    note: str = Field(default="", description="Limits, caveats")


class BestPracticeRule(BaseModel):
    """A row of best_practice.csv: what S1 ranks, and on what basis."""

    model_config = _FROZEN
    rank: int = Field(description="1 = strongest")
    provides: str = Field(description="INSTRUCTS or a service code")
    description: str = ""
    verified: bool = Field(default=False, description="Backed by an "
                           "official source")
    source: str = Field(default="", description="Citation")


class RuleSet(BaseModel):
    """Every rules table, as loaded from a rules folder."""

    model_config = _FROZEN
    credentials: dict[str, CredentialInfo]
    authorizations: tuple[AuthorizationRule, ...]
    caseload_defaults: tuple[CaseloadDefault, ...]
    best_practice_rank: dict[str, int] = Field(
        description="INSTRUCTS or a service code -> rank (1 = strongest)"
    )
    related_services: dict[str, RelatedServiceRule] = Field(
        default_factory=dict,
        description="Primary category -> the related services that address "
        "it under an alternate placement (alt_placement_services.csv)")
    best_practice: tuple[BestPracticeRule, ...] = Field(
        default=(), description="best_practice.csv as read (the ranks with "
        "their sources)")
    source_hash: str = Field(default="", description="sha256 of the tables")
    authorization_mode: str = Field(
        default="all",
        description="all: every row, unverified ones flagged; verified-only: "
        "never rely on a row marked unverified",
    )

    @cached_property
    def alias_to_code(self) -> dict[str, str]:
        table = {}
        for info in self.credentials.values():
            table[info.code.upper()] = info.code
            for alias in info.aliases:
                table[alias.upper()] = info.code
        return table

    def holds_ctc_credential(self, staff: Staff) -> bool:
        return any(
            self.credentials[c].kind != "license"
            for c in staff.credentials
            if c in self.credentials
        )

    def may_case_manage(self, staff: Staff) -> bool:
        """H2, by default yes when holding a CTC credential (contract)."""
        if staff.can_case_manage is not None:
            return staff.can_case_manage
        return self.holds_ctc_credential(staff)

    def default_cap(self, staff: Staff) -> CaseloadDefault | None:
        """The caseload-table row for the person's first ``provides``."""
        rows = [r for r in self.caseload_defaults if r.provides == staff.kind]
        for row in rows:  # the grade-limited rows (preschool SLP) first
            if row.only_grades is not None and staff.grades <= row.only_grades:
                return row
        return next((r for r in rows if r.only_grades is None), None)

    def legal_rows(self, staff: Staff) -> tuple[CaseloadDefault, ...]:
        """Every cap set by law that binds this person, from what they do.

        Law caps the person whatever the order of ``provides``: anyone
        providing RSP is a resource specialist (EC 56362(c)); an SLP
        whose grades lie within the row's grades (PK and TK: ages 3-5)
        has the preschool cap (EC 56441.7(a)).
        """
        return tuple(r for r in self.caseload_defaults
                     if r.law == CAP_LAW and r.provides in staff.provides
                     and (r.only_grades is None
                          or staff.grades <= r.only_grades))

    def legal_cap(self, staff: Staff) -> CaseloadDefault | None:
        """The caseload-table row whose cap set by law binds this person
        (the lowest ceiling among ``legal_rows``), or None."""
        return min(self.legal_rows(staff),
                   key=lambda r: (r.ceiling, r.default_cap), default=None)

    def effective_cap(self, staff: Staff) -> int:
        """H6 cap, from what the person does (never the order of
        ``provides`` alone).

        ``max_caseload`` as given, else the table default for the first
        ``provides`` entry times FTE, rounded down; then held to every cap
        set by law that binds the person (``legal_rows``): with a blank
        ``max_caseload`` to the law's cap times FTE (28 for a resource
        specialist, 40 for a preschool SLP), with an explicit one to the
        most the law allows (32 with a waiver). An explicit cap above that
        is refused when the roster is read (``legal_cap_issue``).
        """
        laws = self.legal_rows(staff)
        if staff.max_caseload is not None:
            return min([staff.max_caseload, *(r.ceiling for r in laws)])
        row = self.default_cap(staff)
        caps = [_times_fte(r.default_cap, staff.fte) for r in laws]
        if row is not None:
            caps.append(_times_fte(row.default_cap, staff.fte))
        return min(caps, default=0)

    def cap_reason(self, staff: Staff) -> str:
        """Where the person's H6 cap comes from, in plain words."""
        cap = self.effective_cap(staff)
        law = min(self.legal_rows(staff), key=lambda r: (
            r.ceiling if staff.max_caseload is not None
            else _times_fte(r.default_cap, staff.fte)), default=None)
        if law is not None:
            bound = (law.ceiling if staff.max_caseload is not None
                     else _times_fte(law.default_cap, staff.fte))
            if bound == cap:
                who = _law_who(law)
                if staff.max_caseload is not None:
                    return (f"{who}: at most {law.ceiling} with a waiver "
                            f"({law.citation})")
                fte = "" if staff.fte == 1 else f" times FTE {staff.fte:g}"
                return (f"{who}: {law.default_cap}{fte} ({law.citation})")
        if staff.max_caseload is not None:
            return "max_caseload as given"
        row = self.default_cap(staff)
        if row is None:
            return f"no caseload-table row for {staff.kind}"
        fte = "" if staff.fte == 1 else f" times FTE {staff.fte:g}"
        return (f"the caseload table's default for {row.provides}: "
                f"{row.default_cap}{fte}")

    def legal_cap_issue(self, staff: Staff) -> tuple[str, str] | None:
        """``("error" | "warning", why)`` when an explicit ``max_caseload``
        passes a cap set by law, or a statutory average for the person's
        kind of work (None when it does not, or is blank)."""
        if staff.max_caseload is None:
            return None
        given = staff.max_caseload
        row = self.legal_cap(staff)
        if row is not None:
            cap, most = row.default_cap, row.ceiling
            who = _law_who(row)
            if given > most:
                waiver = f", {most} with a waiver" if most > cap else ""
                return ("error", f"{given} is above the cap set by law for "
                        f"{who}: at most {cap}{waiver} ({row.citation})")
            if given > cap:
                return ("warning", f"{given} is above {cap} and needs a "
                        f"waiver, allowed up to {most} ({row.citation})")
            return None
        for avg in self.average_rows(staff):
            if given > _times_fte(avg.default_cap, staff.fte):
                return ("warning", f"{given} is above the average of "
                        f"{avg.default_cap} per full-time "
                        f"{_provider_name(avg.provides)} that "
                        f"{avg.citation} sets district-wide: allowed for "
                        "one person only while the district average stays "
                        f"within {avg.default_cap} (the plan reports it), "
                        "or the local plan gives the reasons")
        return None

    def average_rows(self, staff: Staff) -> tuple[CaseloadDefault, ...]:
        """Statutory averages (``law = average``) for what the person
        does (the SLP 55 of EC 56363.3)."""
        return tuple(r for r in self.caseload_defaults
                     if r.law == AVERAGE_LAW and r.provides in staff.provides)

    def usable(self, rule: AuthorizationRule) -> bool:
        """Whether the authorization setting lets a plan rely on a row."""
        return self.authorization_mode == ALL or rule.verified

    def with_authorization_mode(self, mode: str) -> RuleSet:
        """The same tables under ``all`` or ``verified-only``."""
        if mode not in AUTHORIZATION_MODES:
            raise ValueError(f"authorizations must be one of "
                             f"{', '.join(AUTHORIZATION_MODES)}, got {mode!r}")
        return self.model_copy(update={"authorization_mode": mode})

    def instruction_categories(self, staff: Staff) -> frozenset[str]:
        """Disabilities the person may instruct at some grade and support
        level (``*`` = all), under the same reading as ``check_pair``."""
        held = set(staff.credentials)
        bases = set().union(*(b.grades for b in self.base_rows(staff)))
        return frozenset().union(*(
            r.categories for r in self.authorizations
            if r.activity == INSTRUCTION_ACTIVITY and _holds(r, held)
            and self.usable(r)
            and (not r.requires_base or r.grades & bases)))

    def base_rows(self, staff: Staff) -> tuple[AuthorizationRule, ...]:
        """The person's special-education teaching bases: instruction rows
        of a teaching credential they hold (or of the Special Class
        Authorization with its SLP credential), usable under the setting.

        An added authorization works "at the grade and age levels
        authorized by the prerequisite credential" (5 CCR 80048.7; CTC
        C8), so these rows' grades are where it may work.
        """
        held = set(staff.credentials)
        return tuple(
            r for r in self.authorizations
            if r.activity == INSTRUCTION_ACTIVITY and not r.requires_base
            and _holds(r, held) and self.usable(r)
            and any(self.credentials[c].teaching_base
                    for c in r.credentials & held if c in self.credentials))


def _times_fte(cap: int, fte: float) -> int:
    return floor(cap * fte + 1e-9)


def _provider_name(provides: str) -> str:
    return {"RSP": "resource specialist",
            "SPEECH": "speech-language pathologist"}.get(
        provides, f"{provides} provider")


def _law_who(row: CaseloadDefault) -> str:
    """Whom a cap set by law binds, in plain words."""
    if row.only_grades:
        return (f"a preschool {_provider_name(row.provides)} (grades "
                f"{describe_grades(row.only_grades)})")
    return f"anyone providing {row.provides}"


@dataclass(frozen=True)
class CaseloadAverage:
    """A district-wide average set by law (``law = average``), measured.

    The SLP 55 of EC 56363.3 and 5 CCR 3051.1(b) is an average over the
    district's full-time language, speech and hearing specialists, not a
    per-person cap. ``students``: students with the service on the IEP;
    ``fte``: the FTE of everyone who provides it; ``people``: per person,
    ``(staff_id, name, fte, case-managed students in the plan)``.
    """

    provides: str
    limit: int
    source: str
    verified: bool
    students: int
    fte: float
    people: tuple[tuple[str, str, float, int], ...]

    @property
    def average(self) -> float | None:
        return round(self.students / self.fte, 1) if self.fte else None

    @property
    def over(self) -> bool:
        return self.average is not None and self.average > self.limit

    @property
    def citation(self) -> str:
        return self.source.split(":")[0].strip()

    def warning(self) -> str | None:
        """The warning when the average is over the limit, else None."""
        if not self.over:
            return None
        return (f"the district-wide average {self.provides} caseload is "
                f"{self.average:g} students per full-time provider "
                f"({self.students} students with {self.provides} on the "
                f"IEP / {self.fte:g} FTE), above the {self.limit} of "
                f"{self.citation}: the local plan must give the reasons "
                "for a higher average, or staffing be added")

    def as_dict(self) -> dict[str, object]:
        return {
            "provides": self.provides, "limit": self.limit,
            "source": self.citation, "verified": self.verified,
            "students": self.students, "fte": round(self.fte, 2),
            "average": self.average, "over": self.over,
            "per_person": [
                {"staff_id": i, "name": n, "fte": f, "case_managed": c,
                 "case_managed_per_fte": round(c / f, 1)}
                for i, n, f, c in self.people]}


def caseload_averages(instance: Instance, rules: RuleSet,
                      case_managed: Mapping[str, int]
                      ) -> tuple[CaseloadAverage, ...]:
    """Every statutory average of the rules tables, measured on a roster
    and a plan's caseloads (``case_managed``: staff_id -> students)."""
    out = []
    for row in rules.caseload_defaults:
        if row.law != AVERAGE_LAW:
            continue
        staff = [c for c in instance.staff if row.provides in c.provides]
        out.append(CaseloadAverage(
            row.provides, row.default_cap, row.source, row.verified,
            sum(1 for s in instance.students if row.provides in s.services),
            sum(c.fte for c in staff),
            tuple((c.staff_id, c.name, c.fte, case_managed.get(
                c.staff_id, 0)) for c in staff)))
    return tuple(out)


@dataclass(frozen=True)
class Exclusion:
    """Why a staff member cannot case-manage a student: one hard rule."""

    rule: str
    message: str

    @property
    def source(self) -> str:
        return RULE_SOURCES[self.rule]

    def __str__(self) -> str:
        return f"{self.rule}: {self.message} [{self.source}]"


@dataclass(frozen=True)
class PairCheck:
    """The judgement of one (student, staff) pair under H2-H5 and H7."""

    relation: str
    exclusions: tuple[Exclusion, ...]
    authorized_by: tuple[str, ...] = ()
    rule_ids: tuple[str, ...] = ()
    verified: bool = True
    base_rule_ids: tuple[str, ...] = ()  # bases of added authorizations
    unverified_rule_ids: tuple[str, ...] = ()  # what an unverified pair
    # relies on: unverified rows matched, or the unverified base rows of a
    # verified added authorization (empty when the pair is verified)
    best_practice: bool = False
    language_match: bool = False
    wants_language: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def eligible(self) -> bool:
        return not self.exclusions


def relation(student: Student, staff: Staff) -> str:
    """The pair's relation, computed from the roster (never read)."""
    if student.setting in INSTRUCTIONAL_SETTINGS and (
        student.setting in staff.provides
    ):
        tor = student.teacher_of_record
        if tor is None or tor == staff.staff_id:
            return INSTRUCTS
    if set(student.services) & set(staff.provides):
        return SERVES
    return COORDINATES


def wants_language(student: Student) -> bool:
    lang = (student.home_language or "").strip().upper()
    return lang not in NO_LANGUAGE_PREFERENCE


def best_practice_items(student: Student, rules: RuleSet) -> frozenset[str]:
    """The student's most intensive items (S1), or empty if none ranks."""
    items = set(student.services)
    if student.setting in INSTRUCTIONAL_SETTINGS:
        items.add(OWN_TEACHER_ITEM)
    ranked = {i: rules.best_practice_rank[i] for i in items
              if i in rules.best_practice_rank}
    if not ranked:
        return frozenset()
    top = min(ranked.values())
    return frozenset(i for i, r in ranked.items() if r == top)


def provided_items(student: Student, staff: Staff, rel: str) -> frozenset[str]:
    if rel == INSTRUCTS:
        return frozenset({OWN_TEACHER_ITEM})
    if rel == SERVES:
        return frozenset(set(student.services) & set(staff.provides))
    return frozenset()


def check_pair(student: Student, staff: Staff, rules: RuleSet) -> PairCheck:
    """Judge a pair under H2, H3, H4, H5 and H7, collecting every reason.

    Parameters
    ----------
    student, staff
        The pair.
    rules
        The rules tables; ``rules.authorization_mode`` says whether rows
        marked unverified may be relied on.

    Returns
    -------
    PairCheck
        The relation, every exclusion (rule id and reason), the rows and
        codes that authorize the pair, and whether it rests only on rows
        marked unverified.
    """
    rel = relation(student, staff)
    out: list[Exclusion] = []
    who = f"{staff.name} ({staff.staff_id})"
    if not rules.may_case_manage(staff):
        why = ("can_case_manage is no" if staff.can_case_manage is False
               else "holds no CTC credential (license-only staff)")
        out.append(Exclusion("H2", f"{who} may not case-manage: {why}"))
    if not staff.serves_site(student.site):
        out.append(Exclusion(
            "H3", f"{who} does not serve site {student.site} "
            f"(serves {';'.join(staff.sites)})"))
    if student.grade not in staff.grades:
        out.append(Exclusion(
            "H7", f"grade {student.grade} is outside {who}'s grades "
            f"({describe_grades(staff.grades)})"))
    matched: list[_Match] = []
    if rel == INSTRUCTS:
        matched, misses = _authorizing(student, staff, rules,
                                       {INSTRUCTION_ACTIVITY})
        if not matched:
            cat = student.placement_disability
            basis = (" (secondary disability: low-incidence alternate "
                     "placement)" if student.alt_placement_secondary else "")
            out.append(Exclusion(
                "H4", f"{who} would instruct the student in "
                f"{student.setting} but holds no credential authorizing "
                f"instruction for {DISABILITY_NAME[cat]} ({cat}){basis} at "
                f"grade {student.grade}, support level "
                f"{student.support_level}{_why_not(misses)}"))
    elif rel == SERVES:
        shared = set(student.services) & set(staff.provides)
        matched, misses = _authorizing(student, staff, rules, shared)
        if not matched:
            cats = "/".join(sorted(
                {student.primary_disability, student.secondary_disability}
                - {None}))
            out.append(Exclusion(
                "H5", f"{who} would serve the student "
                f"({';'.join(sorted(shared))}) but holds no authorization "
                f"for {'/'.join(sorted(shared))} at grade {student.grade} "
                f"for a student with {cats}{_why_not(misses)}"))
    held = set(staff.credentials)
    verified = not matched or any(m.verified for m in matched)
    # What the pair relies on: its verified rows where it has one (so
    # AAAS on R3MM shows AAAS, not R3MM's unverified autism row), else
    # every row that authorizes it.
    relied = [m for m in matched if m.verified] or matched
    codes = tuple(sorted({c for m in relied
                          for c in m.rule.credentials & held}))
    top = best_practice_items(student, rules)
    wants = wants_language(student)
    return PairCheck(
        relation=rel,
        exclusions=tuple(out),
        authorized_by=codes,
        rule_ids=tuple(m.rule.rule_id for m in relied),
        verified=verified,
        base_rule_ids=tuple(dict.fromkeys(
            b.rule_id for m in relied for b in m.bases)),
        unverified_rule_ids=() if verified else tuple(dict.fromkeys(
            r.rule_id for m in matched for r in (m.rule, *m.bases)
            if not r.verified)),
        best_practice=(not top)
        or bool(top & provided_items(student, staff, rel)),
        language_match=wants and staff.speaks(student.home_language),
        wants_language=wants,
    )


@dataclass(frozen=True)
class _Match:
    """A row that authorizes the pair, with the bases it rests on."""

    rule: AuthorizationRule
    bases: tuple[AuthorizationRule, ...]
    verified: bool


def _holds(rule: AuthorizationRule, held: set[str]) -> bool:
    """The person holds a document of the row and any it requires."""
    return bool(rule.credentials & held) and (
        not rule.requires_credentials
        or bool(rule.requires_credentials & held))


def _fits(rule: AuthorizationRule, student: Student, instruct: bool
          ) -> bool:
    """The row speaks to this student: disability, support level, grade."""
    if instruct:
        cat_ok = ("*" in rule.categories
                  or student.placement_disability in rule.categories)
    else:  # a service reaches a student through either disability
        cat_ok = "*" in rule.categories or bool(rule.categories & {
            student.primary_disability, student.secondary_disability})
    return (cat_ok and student.support_level in rule.support_levels
            and student.grade in rule.grades
            and (not rule.requires_secondary
                 or student.secondary_disability in rule.requires_secondary))


def _authorizing(student: Student, staff: Staff, rules: RuleSet,
                 activities: set[str]) -> tuple[list[_Match], list[str]]:
    """Rows authorizing the pair, and why near misses do not."""
    held = set(staff.credentials)
    instruct = INSTRUCTION_ACTIVITY in activities
    found: list[_Match] = []
    misses: list[str] = []
    for r in rules.authorizations:
        if not (r.activity in activities and r.credentials & held
                and _fits(r, student, instruct)):
            continue
        codes = ";".join(sorted(r.credentials & held))
        if not _holds(r, held):
            need = " or ".join(sorted(r.requires_credentials))
            misses.append(f"{codes} authorizes this only with {need} "
                          f"(row {r.rule_id})")
            continue
        if not rules.usable(r):
            misses.append(f"row {r.rule_id} ({codes}) is unverified and "
                          "authorizations = verified-only")
            continue
        bases: tuple[AuthorizationRule, ...] = ()
        if r.requires_base:
            bases = tuple(b for b in rules.base_rows(staff)
                          if student.grade in b.grades)
            if not bases:
                usable = ("" if rules.authorization_mode == ALL
                          else "verified ")
                misses.append(
                    f"{codes} is an added authorization and needs a "
                    f"{usable}special-education teaching credential "
                    f"covering grade {student.grade} as its base "
                    f"(row {r.rule_id})")
                continue
            # rely on one base, a verified one where the person has it
            bases = (min(bases, key=lambda b: not b.verified),)
        found.append(_Match(r, bases, r.verified
                            and all(b.verified for b in bases)))
    return found, misses


def _why_not(misses: list[str]) -> str:
    return f": {'; '.join(dict.fromkeys(misses))}" if misses else ""


# The facts of a pair that ``check_pair`` reads only in a derived form,
# or not at all (``tests/test_pair_facts.py`` pins what it reads): every
# other field of the models is part of a judged pair's key, so a field
# added to a model keeps pairs apart until it is shown no rule reads it.
STUDENT_APART = ("student_id", "site", "teacher_of_record", "home_language",
                 "prior_case_manager", "weight", "annual_review_date",
                 "reevaluation_date")
STAFF_APART = ("staff_id", "name", "sites", "languages", "max_caseload",
               "fte")
_student_profile = attrgetter(*(f for f in Student.model_fields
                                if f not in STUDENT_APART))
_staff_profile = attrgetter(*(f for f in Staff.model_fields
                              if f not in STAFF_APART))


class PairJudge:
    """``check_pair`` memoized on the facts it reads: the one cache of
    pair judgements (the checker, mid-year placement, the greedy
    baseline; the solver judges in blocks, ``solver.eligibility``).

    A pair's key: the student's profile (every field but
    ``STUDENT_APART``) and whether they have a teacher of record; the
    staff member's profile (every field but ``STAFF_APART``); whether the
    person serves the student's site (H3, the only use of the sites);
    whether they are the student's teacher of record. The key determines
    whether the pair is eligible, and an eligible pair's whole
    ``PairCheck`` up to the two language fields, which are then set as
    ``check_pair`` sets them (``wants_language`` and ``Staff.speaks``, the
    only use of the languages). An ineligible pair's full check (its
    messages name the people) is computed afresh by ``check``. Build one
    per roster: staff members are known by id.
    ``tests/test_verify.py`` compares it with ``check_pair`` pair by pair.
    """

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self._judged: dict[tuple, PairCheck] = {}  # first pair of a key
        self._variants: dict[tuple, PairCheck] = {}  # other languages
        self._students: dict[tuple, int] = {}
        self._profiles: dict[tuple, int] = {}
        self._staff: dict[str, tuple] = {}

    def facts(self, student: Student) -> tuple:
        """What the keys need of a student (compute once per student
        when judging them against many staff members)."""
        profile = self._students.setdefault(
            (_student_profile(student), student.teacher_of_record is None),
            len(self._students))
        wants = wants_language(student)
        # Staff.speaks: a blank language matches nobody
        spoken = (student.home_language.strip().casefold()
                  if wants and student.home_language else None)
        return profile, student.site, student.teacher_of_record, wants, spoken

    def _staff_facts(self, staff: Staff) -> tuple:
        found = self._staff.get(staff.staff_id)
        if found is None:
            profile = self._profiles.setdefault(_staff_profile(staff),
                                                len(self._profiles))
            found = self._staff[staff.staff_id] = (
                profile, "*" in staff.sites, frozenset(staff.sites),
                frozenset(x.strip().casefold() for x in staff.languages))
        return found

    def _judge(self, student: Student, facts: tuple, staff: Staff
               ) -> tuple[tuple, PairCheck, bool]:
        """(key, the key's check, whether it was computed for this pair)."""
        profile, site, tor, _, _ = facts
        staff_profile, everywhere, sites, _ = self._staff_facts(staff)
        key = (profile, staff_profile, everywhere or site in sites,
               tor == staff.staff_id)
        check = self._judged.get(key)
        if check is not None:
            return key, check, False
        check = check_pair(student, staff, self.rules)
        self._judged[key] = check
        return key, check, True

    def eligible(self, student: Student, staff: Staff,
                 facts: tuple | None = None) -> PairCheck | None:
        """The pair's check if it is eligible, else None (the fast path;
        ``facts`` is ``self.facts(student)``, if at hand)."""
        facts = facts or self.facts(student)
        key, check, fresh = self._judge(student, facts, staff)
        if not check.eligible:
            return None
        return check if fresh else self._language(key, check, facts, staff)

    def check(self, student: Student, staff: Staff,
              facts: tuple | None = None) -> PairCheck:
        """``check_pair(student, staff, rules)``, messages included."""
        facts = facts or self.facts(student)
        key, check, fresh = self._judge(student, facts, staff)
        if fresh:
            return check
        if not check.eligible:
            return check_pair(student, staff, self.rules)
        return self._language(key, check, facts, staff)

    def verdict(self, student: Student, staff: Staff,
                facts: tuple | None = None) -> PairCheck:
        """The check of the pair's key, eligible or not: its relation,
        eligibility and excluding rule ids are this pair's, its messages
        and language facts may be another pair's of the same key."""
        return self._judge(student, facts or self.facts(student), staff)[1]

    def _language(self, key: tuple, check: PairCheck, facts: tuple,
                  staff: Staff) -> PairCheck:
        """The key's eligible check with this pair's language facts."""
        wants, spoken = facts[3], facts[4]
        match = spoken in self._staff[staff.staff_id][3]
        if check.wants_language == wants and check.language_match == match:
            return check
        variant = self._variants.get((key, wants, match))
        if variant is None:
            variant = replace(check, wants_language=wants,
                              language_match=match)
            self._variants[key, wants, match] = variant
        return variant
