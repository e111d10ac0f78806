"""The contract's fixed vocabularies: grades, disability codes, services.

Everything here is from ``shared/spec/contract.md``; rules that a district
may edit live in ``data/rules`` instead.
"""

from __future__ import annotations

import re

GRADES: tuple[str, ...] = (
    "PK", "TK", "K", *(str(g) for g in range(1, 13)), "A",
)
GRADE_INDEX: dict[str, int] = {g: i for i, g in enumerate(GRADES)}

# CALPADS code -> (abbreviation, name). 281 = EMD and 330 = TBI follow
# the SELPA-style form cited in domain.md section 2 (partially verified).
DISABILITIES: dict[str, tuple[str, str]] = {
    "210": ("ID", "Intellectual Disability"),
    "220": ("HH", "Hard of Hearing"),
    "230": ("DEAF", "Deaf"),
    "240": ("SLI", "Speech or Language Impairment"),
    "250": ("VI", "Visual Impairment"),
    "260": ("ED", "Emotional Disturbance"),
    "270": ("OI", "Orthopedic Impairment"),
    "280": ("OHI", "Other Health Impairment"),
    "281": ("EMD", "Established Medical Disability"),
    "290": ("SLD", "Specific Learning Disability"),
    "300": ("DB", "Deaf-Blindness"),
    "310": ("MD", "Multiple Disabilities"),
    "320": ("AUT", "Autism"),
    "330": ("TBI", "Traumatic Brain Injury"),
}
DISABILITY_ABBREVIATIONS: tuple[str, ...] = tuple(
    abbr for abbr, _ in DISABILITIES.values()
)
DISABILITY_NAME: dict[str, str] = dict(DISABILITIES.values())
# EC 56026.5 as listed by SELPAs.
LOW_INCIDENCE: frozenset[str] = frozenset({"HH", "DEAF", "VI", "OI", "DB"})

SUPPORT_LEVELS: tuple[str, ...] = ("MM", "EX")
SETTINGS: tuple[str, ...] = ("GENED", "SDC", "DEPT")
INSTRUCTIONAL_SETTINGS: frozenset[str] = frozenset({"SDC", "DEPT"})
SERVICES: tuple[str, ...] = (
    "RSP", "SPEECH", "DHH", "VI", "OM", "PT", "OT", "APE", "COUNSELING",
    "AUD",
)
PROVIDES: tuple[str, ...] = ("SDC", "DEPT", *SERVICES, "COORD")

# Spelled-out names that IEP systems and SIS exports use. They are not
# read as codes (Specialized Academic Instruction is RSP in most
# districts, not all); they make the "did you mean" of a bad value.
SPELLED_OUT: dict[str, tuple[str, ...]] = {
    "RSP": ("Specialized Academic Instruction", "Resource Specialist",
            "Resource Specialist Program", "Resource Program"),
    "SPEECH": ("Speech and Language", "Speech-Language Pathology",
               "Language and Speech", "Speech Therapy",
               "Speech and Language Services"),
    "DHH": ("Deaf and Hard of Hearing", "Hearing Itinerant"),
    "VI": ("Vision Services", "Visual Impairment Services"),
    "OM": ("Orientation and Mobility",),
    "PT": ("Physical Therapy",),
    "OT": ("Occupational Therapy",),
    "APE": ("Adapted Physical Education", "Adaptive Physical Education"),
    "COUNSELING": ("Counseling and Guidance", "Individual Counseling",
                   "Counseling Services"),
    "AUD": ("Audiological Services", "Audiology Services"),
    "GENED": ("General Education", "Regular Class",
              "General Education Classroom", "Regular Education"),
    "SDC": ("Special Day Class", "Special Day Program"),
    "DEPT": ("Departmentalized", "Departmentalized Special Education"),
    "AUT": ("Autism Spectrum Disorder",),
    "SLI": ("Speech and Language Impairment",),
    "SLD": ("Learning Disability",),
    "DEAF": ("Deafness",),
}

# Relations between a student and a case manager (contract section
# "What a case-manager assignment means").
INSTRUCTS = "instructs"
SERVES = "serves"
COORDINATES = "coordinates"
RELATIONS: tuple[str, ...] = (INSTRUCTS, SERVES, COORDINATES)

# Three words for teaching, each with one meaning:
# - the relation "instructs" above (what an assignment means);
# - the ``activity`` of an authorization row that authorizes teaching
#   (authorizations.csv; judged by H4):
INSTRUCTION_ACTIVITY = "INSTRUCT"
# - the best-practice item "the student's own SDC/DEPT teacher"
#   (best_practice.csv; S1):
OWN_TEACHER_ITEM = "INSTRUCTS"

# Families whose home language is English need no language match (S4).
NO_LANGUAGE_PREFERENCE: frozenset[str] = frozenset({"", "ENGLISH", "EN"})


def grade_range(text: str) -> frozenset[str]:
    """Expand ``K-5`` / ``PK;TK-K`` / ``7`` into the grades covered.

    Raises ``ValueError`` with a user-facing reason when malformed.
    """
    grades: set[str] = set()
    for part in text.split(";"):
        part = part.strip().upper()
        if not part:
            continue
        low, sep, high = part.partition("-")
        low, high = low.strip(), (high.strip() if sep else low.strip())
        for end in (low, high):
            if end not in GRADE_INDEX:
                raise ValueError(
                    f'"{end}" is not a grade; use PK, TK, K, 1-12 or A'
                )
        lo, hi = GRADE_INDEX[low], GRADE_INDEX[high]
        if lo > hi:
            raise ValueError(f'range "{part}" runs backwards')
        grades.update(GRADES[lo : hi + 1])
    if not grades:
        raise ValueError("no grade given")
    return frozenset(grades)


def describe_grades(grades: frozenset[str]) -> str:
    """Compact text for a grade set: ``K-5`` or ``PK;2-4``."""
    idx = sorted(GRADE_INDEX[g] for g in grades)
    parts: list[str] = []
    start = prev = idx[0]
    for i in [*idx[1:], None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        parts.append(
            GRADES[start] if start == prev
            else f"{GRADES[start]}-{GRADES[prev]}"
        )
        if i is not None:
            start = prev = i
    return ";".join(parts)


def header_key(text: str) -> str:
    """The comparable form of a header.

    Case, spaces, hyphens, dots and underscores do not matter:
    ``"Can Case-Manage"`` and ``"can_case_manage"`` give the same key.
    """
    return re.sub(r"[\s\-_.]+", "_", text.strip().lower()).strip("_")


# The columns holding the student's own name, as exports and rosters
# write them (keys as ``header_key`` gives them, a leading "x_" left
# out): a parent's, a teacher's or a preferred name is not it. One list
# for the reader (the change list's name), the report and the workbench.
STUDENT_NAME_HEADERS: dict[str, tuple[str, ...]] = {
    "student_name": ("student_name", "name", "student",
                     "student_full_name", "full_name"),
    "last_name": ("last_name", "lastname", "student_last_name",
                  "legal_last_name", "student_legal_last_name"),
    "first_name": ("first_name", "firstname", "student_first_name",
                   "legal_first_name", "student_legal_first_name"),
}
_NAME_PART = {k: part for part, keys in STUDENT_NAME_HEADERS.items()
              for k in keys}


def student_name_part(key: str) -> str | None:
    """``"student_name"``, ``"last_name"`` or ``"first_name"`` when the
    header key (``header_key``, a leading "x_" left out) is a column of
    the student's own name, else None."""
    return _NAME_PART.get(key.removeprefix("x_"))
