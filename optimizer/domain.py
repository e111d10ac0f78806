"""The roster as validated, immutable domain objects (pydantic v2).

Nothing here reads files or knows about the solver. ``io`` turns CSV or
Excel rows into these models; ``rules`` judges pairs of them.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from optimizer.vocab import (
    DISABILITY_ABBREVIATIONS,
    GRADES,
    LOW_INCIDENCE,
    PROVIDES,
    SERVICES,
)

StudentId = str
StaffId = str
SiteCode = str

Grade = Literal[GRADES]  # type: ignore[valid-type]
Disability = Literal[DISABILITY_ABBREVIATIONS]  # type: ignore[valid-type]
Service = Literal[SERVICES]  # type: ignore[valid-type]
Provides = Literal[PROVIDES]  # type: ignore[valid-type]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Student(BaseModel):
    """A student with an IEP who needs a case manager next year."""

    model_config = _FROZEN

    student_id: StudentId = Field(min_length=1, description="District id")
    site: SiteCode = Field(min_length=1, description="School site code")
    grade: Grade = Field(description="PK, TK, K, 1-12 or A")
    primary_disability: Disability = Field(
        description="Primary eligibility (abbreviation, e.g. SLD)"
    )
    secondary_disability: Disability | None = Field(
        default=None, description="Secondary eligibility, if any"
    )
    support_level: Literal["MM", "EX"] = Field(
        default="MM", description="Mild-to-moderate or extensive"
    )
    setting: Literal["GENED", "SDC", "DEPT"] = Field(
        description="General education, special day class, departmentalized"
    )
    services: tuple[Service, ...] = Field(
        default=(), description="Services in the IEP"
    )
    alt_placement_secondary: bool = Field(
        default=False,
        description="Low-incidence student placed under the secondary "
        "disability (CTC guidance)",
    )
    teacher_of_record: StaffId | None = Field(
        default=None, description="The SDC/DEPT teacher, when fixed"
    )
    prior_case_manager: StaffId | None = Field(
        default=None, description="Last year's case manager"
    )
    home_language: str | None = Field(
        default=None, description="The family's home language"
    )
    weight: float = Field(default=1.0, ge=0, description="Workload weight")
    annual_review_date: date | None = Field(
        default=None, description="Date of the next annual IEP review"
    )
    reevaluation_date: date | None = Field(
        default=None, description="Date of the next reevaluation"
    )

    @model_validator(mode="after")
    def _alt_placement_needs_low_incidence_and_secondary(self) -> Student:
        if self.alt_placement_secondary:
            if self.primary_disability not in LOW_INCIDENCE:
                raise ValueError(
                    "alt_placement_secondary applies only to a low-incidence "
                    "primary disability (HH, DEAF, VI, OI, DB)"
                )
            if self.secondary_disability is None:
                raise ValueError(
                    "alt_placement_secondary needs a secondary_disability"
                )
        return self

    @property
    def placement_disability(self) -> str:
        """The category instruction must be authorized for (H4)."""
        if self.alt_placement_secondary and self.secondary_disability:
            return self.secondary_disability
        return self.primary_disability


class Staff(BaseModel):
    """A staff member who may case-manage students."""

    model_config = _FROZEN

    staff_id: StaffId = Field(min_length=1, description="District id")
    name: str = Field(min_length=1, description="Display name")
    sites: tuple[SiteCode, ...] = Field(
        min_length=1, description="Sites served; '*' means every site"
    )
    provides: tuple[Provides, ...] = Field(
        min_length=1, description="What the person delivers; first = kind"
    )
    credentials: tuple[str, ...] = Field(
        default=(), description="Authorization codes held (canonical)"
    )
    max_caseload: int | None = Field(
        default=None, ge=0, description="Cap as given; None = rules default"
    )
    fte: float = Field(default=1.0, gt=0, le=1, description="Full-time share")
    grades: frozenset[Grade] = Field(
        default=frozenset(GRADES), description="Grades the person works with"
    )
    languages: tuple[str, ...] = Field(
        default=(), description="Languages spoken (as written)"
    )
    can_case_manage: bool | None = Field(
        default=None,
        description="None = default: yes when holding a CTC credential",
    )

    @property
    def kind(self) -> str:
        """The person's kind of provider: their first ``provides`` entry."""
        return self.provides[0]

    def serves_site(self, site: SiteCode) -> bool:
        return "*" in self.sites or site in self.sites

    def speaks(self, language: str | None) -> bool:
        if not language:
            return False
        want = language.strip().casefold()
        return any(lang.strip().casefold() == want for lang in self.languages)


class Assessment(BaseModel):
    """A pending initial assessment (AB 560): assigned to a resource
    specialist (or a kind the district names) at the site."""

    model_config = _FROZEN

    assessment_id: str = Field(min_length=1,
                               description="Student or referral id")
    site: SiteCode = Field(min_length=1, description="School site code")
    grade: Grade = Field(description="PK, TK, K, 1-12 or A")
    due_date: date = Field(description="Date the assessment is due")
    areas: tuple[str, ...] = Field(default=(),
                                   description="Areas to assess")

    def may_be_taken_by(self, staff: Staff, kinds: tuple[str, ...]) -> bool:
        """Whether ``staff`` may take it: they provide one of ``kinds``
        (in any place of ``provides``: a ``COORD;RSP`` person is a
        resource specialist, as for the caps of issue 21), at its site
        and grade. The one definition the assignment and the checker
        read."""
        return (any(k in staff.provides for k in kinds)
                and staff.serves_site(self.site)
                and self.grade in staff.grades)


def assessors(assessments: list[Assessment] | tuple[Assessment, ...],
              staff: tuple[Staff, ...], kinds: tuple[str, ...]
              ) -> dict[str, list[Staff]]:
    """Who may take each assessment (``Assessment.may_be_taken_by``), in
    the staff's order: only the people of ``kinds`` at its site (or at
    every site) are asked, not the whole staff for each (3,000
    assessments and 5,500 staff were 16.5 million questions)."""
    at: dict[str, list[int]] = {}
    everywhere: list[int] = []
    for i, c in enumerate(staff):
        if not any(k in c.provides for k in kinds):
            continue
        if "*" in c.sites:
            everywhere.append(i)
        for site in set(c.sites) - {"*"}:
            at.setdefault(site, []).append(i)
    return {a.assessment_id: [
        staff[i] for i in sorted({*at.get(a.site, ()), *everywhere})
        if a.may_be_taken_by(staff[i], kinds)] for a in assessments}


class Instance(BaseModel):
    """A whole planning problem: students, staff and planning decisions.

    ``pins`` fix a student's case manager and ``forbidden`` rules a pair
    out; both come from scenarios and re-planning. ``extra_columns`` and
    ``extras`` carry the roster's own columns through to the outputs.
    """

    model_config = _FROZEN

    students: tuple[Student, ...]
    staff: tuple[Staff, ...]
    pins: dict[StudentId, StaffId] = Field(default_factory=dict)
    forbidden: frozenset[tuple[StudentId, StaffId]] = Field(
        default_factory=frozenset
    )
    extra_columns: tuple[str, ...] = ()
    extras: dict[StudentId, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _student_ids_unique(self) -> Instance:
        _require_unique([s.student_id for s in self.students], "student_id")
        return self

    @model_validator(mode="after")
    def _staff_ids_unique(self) -> Instance:
        _require_unique([c.staff_id for c in self.staff], "staff_id")
        return self

    @model_validator(mode="after")
    def _pins_name_known_people(self) -> Instance:
        students = {s.student_id for s in self.students}
        staff = {c.staff_id for c in self.staff}
        pairs = list(self.pins.items()) + list(self.forbidden)
        for student_id, staff_id in pairs:
            if student_id not in students:
                raise ValueError(f"unknown student_id {student_id!r}")
            if staff_id not in staff:
                raise ValueError(f"unknown staff_id {staff_id!r}")
        return self

    def replace(self, **changes: Any) -> Instance:
        """A re-validated copy with some fields changed."""
        return Instance.model_validate({**dict(self), **changes})

    def staff_by_id(self) -> dict[StaffId, Staff]:
        return {c.staff_id: c for c in self.staff}

    def student_by_id(self) -> dict[StudentId, Student]:
        return {s.student_id: s for s in self.students}


def weight_scale(instance: Instance, *more: Student) -> int:
    """1, 10 or 100: the smallest scale making every weight whole (of the
    roster's students and ``more``, e.g. a student being placed)."""
    weights = [s.weight for s in (*instance.students, *more)]
    for scale in (1, 10, 100):
        if all(abs(w * scale - round(w * scale)) < 1e-9 for w in weights):
            return scale
    return 100


def _require_unique(ids: list[str], column: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {column} {i!r}")
        seen.add(i)
