"""CALPADS and SEIS code sets, read wherever the contract has a vocabulary.

An IEP system writes a value as ``"CODE - Label"``, the code alone or the
label alone (``"415 - Language and Speech"``, ``"415"``, ``"Language and
Speech"``; ``"Autism (AUT)"``; grade ``"Eighth grade"``; ``"MMSN"``).
Each reader here returns the contract's code when the reading is certain,
``None`` when the text is not of the set at all (the caller's own error
then applies), and raises ``Undecided`` for a code whose meaning a
district must decide: SAI (330) is RSP outside a special class, and
setting 203 (Separate Class) is SDC in some districts, DEPT in others.
Those are asked once, in the mapping file, never guessed.

Sources: ``shared/reference/exports.md`` (CALPADS Data Guide code sets,
SEIS report values).
"""

from __future__ import annotations

import re

from optimizer.vocab import DISABILITIES

# A leading code and a label: "415 - Language and Speech", "20-Weekly".
_CODE_LABEL = re.compile(r"^\s*([0-9A-Za-z]{1,4})\s*[-\u2013\u2014:]\s*(.+)$")
# A label with its abbreviation: "Autism (AUT)".
_LABEL_ABBR = re.compile(r"^(.+?)\s*\(\s*([A-Za-z/]{2,5})\s*\)\s*$")


class Undecided(ValueError):
    """A code whose reading the district confirms in its mapping."""


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def _read(text: str, codes: dict[str, str], labels: dict[str, str]
          ) -> str | None:
    """The contract code for ``text`` by code, label or both, else None.

    Values in ``codes``/``labels`` starting with "?" are readings to be
    decided (see ``Undecided``).
    """
    text = text.strip()
    found = codes.get(text.upper())
    if found is None:
        found = labels.get(_key(text))
    if found is None:
        m = _CODE_LABEL.match(text)
        if m and m.group(1).upper() in codes:
            found = _agreed(text, m.group(1), codes[m.group(1).upper()],
                            m.group(2), labels.get(_key(m.group(2))))
    if found is None:
        m = _LABEL_ABBR.match(text)
        if m:
            found = codes.get(m.group(2).upper())
            label = labels.get(_key(m.group(1)))
            found = label if found is None else _agreed(
                text, m.group(2), found, m.group(1), label)
    return found


def _agreed(text: str, code: str, by_code: str, label: str,
            by_label: str | None) -> str:
    """What a code and its label both read as; when the label reads as
    something else ("450 - Language and Speech": 450 is OT), which one
    is meant is asked, never taken from the code alone."""
    if by_label is None or by_label == by_code:
        return by_code
    raise Undecided(
        f'"{text}": the code {code} and the label "{label.strip()}" read '
        "differently (one of them is wrong in the export); choose the "
        "one meant for it in the mapping")


# ------------------------------------------------------------ disability

_DISABILITY_LABELS = {
    "210": "Intellectual disability", "220": "Hard of hearing",
    "230": "Deafness", "240": "Speech or language impairment",
    "250": "Visual impairment", "260": "Emotional disturbance",
    "270": "Orthopedic impairment", "280": "Other health impairment",
    "281": "Established medical disability",
    "290": "Specific learning disability", "300": "Deaf-blindness",
    "310": "Multiple disabilities", "320": "Autism",
    "330": "Traumatic brain injury",
}
_DIS_CODES = {code: abbr for code, (abbr, _n) in DISABILITIES.items()}
_DIS_CODES.update({abbr: abbr for abbr, _n in DISABILITIES.values()})
_DIS_CODES["200"] = ""  # None (Disability 2 only)
_DIS_LABELS = {_key(n): _DIS_CODES[c] for c, n in _DISABILITY_LABELS.items()}
_DIS_LABELS.update({_key(n): a for a, n in DISABILITIES.values()})
_DIS_LABELS["none"] = ""


def disability(text: str) -> str | None:
    """A CALPADS disability: ``"290 - Specific learning disability"``,
    ``"Autism (AUT)"``; ``""`` for 200 (None, Disability 2 only)."""
    return _read(text, _DIS_CODES, _DIS_LABELS)


# ----------------------------------------------------------------- grade

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth",
             "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth")
_GRADE_CODES = {"IN": "PK", "TD": "PK", "PS": "PK", "TK": "TK", "KN": "K",
                "AD": "A", **{f"{g:02d}": str(g) for g in range(1, 13)}}
_GRADE_LABELS = {f"{w} grade": str(g) for g, w in enumerate(_ORDINALS, 1)}
_GRADE_LABELS.update({
    "infant": "PK", "toddler": "PK", "preschool": "PK",
    "transitional kindergarten": "TK", "kindergarten": "K",
    "adult": "A", "adult education": "A"})


def grade(text: str) -> str | None:
    """SPED report grades: ``IN``, ``TD``, ``PS``, ``KN``, ``01``-``12``,
    ``AD`` and SEIS's words (``"Eighth grade"``)."""
    return _read(text, _GRADE_CODES, _GRADE_LABELS)


# ------------------------------------------------------ degree of support

def support_level(text: str) -> str | None:
    """CALPADS Disability Degree of Support: MMSN -> MM, ESN -> EX."""
    return _read(text, {"MMSN": "MM", "ESN": "EX"}, {
        "mild to moderate support needs": "MM",
        "extensive support needs": "EX"})


# ------------------------------------------------------------- setting

_SETTING_LABELS = {
    "103": "Community based", "104": "Other", "200": "Home",
    "201": "Regular early childhood program or kindergarten",
    "203": "Separate Class", "204": "Service provider location",
    "300": "Separate school", "301": "Residential facility",
    "400": "Regular Classroom/Public Day School",
    "401": "Homebound/Hospital", "402": "Correctional facility",
    "403": "Parentally placed in private school",
    "500": "Regular independent study or virtual charter",
}
_SETTING_CODES = {c: f"?{c}" for c in _SETTING_LABELS}
_SETTING_CODES["400"] = "GENED"
_SETTING_BY_LABEL = {_key(n): _SETTING_CODES[c]
                     for c, n in _SETTING_LABELS.items() if c != "104"}


def setting(text: str) -> str | None:
    """CALPADS program setting: 400 is GENED; 203 (a special class) is
    SDC or DEPT as the district decides; the others are asked."""
    found = _read(text, _SETTING_CODES, _SETTING_BY_LABEL)
    if found and found.startswith("?"):
        code = found[1:]
        if code == "203":
            raise Undecided(
                f'"{text}" is CALPADS program setting 203 (Separate '
                "Class), which covers both a special day class and a "
                "departmentalized special class: your district decides "
                "which; choose SDC or DEPT for it in the mapping")
        raise Undecided(
            f'"{text}" is CALPADS program setting {code} '
            f"({_SETTING_LABELS[code]}); caseload plans GENED, SDC or "
            "DEPT: choose the one that fits in the mapping")
    return found


# ------------------------------------------------------------ services

_SERVICE_CODES = {"330": "?RSP", "SAI": "?RSP", "415": "SPEECH",
                  "450": "OT", "510": "COUNSELING", "515": "COUNSELING"}
_SERVICE_LABELS = {
    "specialized academic instruction": "?RSP",
    "language and speech": "SPEECH", "occupational therapy": "OT",
    "individual counseling": "COUNSELING",
    "counseling and guidance": "COUNSELING",
    "physical therapy": "PT", "orientation and mobility": "OM",
    "adapted physical education": "APE", "audiological services": "AUD",
}


def service(text: str) -> str | None:
    """A SEIS/CALPADS service: ``"415 - Language and Speech"`` is
    SPEECH; Specialized Academic Instruction (330) is asked (RSP is SAI
    outside a special class, which the district confirms)."""
    found = _read(text, _SERVICE_CODES, _SERVICE_LABELS)
    if found == "?RSP":
        raise Undecided(
            f'"{text}" is Specialized Academic Instruction (service 330), '
            "which most districts call RSP when it is given outside a "
            "special class: your district confirms it; choose RSP for it "
            "in the mapping")
    return found


# ------------------------------------------------------------ positions

# CALPADS staff assignment codes (SASS, non-classroom) and course 9231,
# by code or by label; local position titles are the district's own.
_POSITION_CODES = {"0211": "SPEECH", "0213": "PT", "0223": "OT",
                   "0225": "OM", "0400": "COUNSELING", "9231": "RSP"}
_POSITION_LABELS = {
    "speech language pathologist": "SPEECH", "physical therapist": "PT",
    "occupational therapist": "OT", "orientation and mobility": "OM",
    "orientation and mobility specialist": "OM", "counselor": "COUNSELING",
    "school counselor": "COUNSELING",
    "special education support resource specialist program": "RSP",
    "resource specialist program": "RSP",
}


def position(text: str) -> str | None:
    """A position as CALPADS names it (``"0211"``, ``"Speech-language
    pathologist"``) -> a ``provides`` entry."""
    return _read(text, _POSITION_CODES, _POSITION_LABELS)


# ----------------------------------------------------------- credentials

_CRED_NOISE = re.compile(
    r"\b(instruction|services?|credential|clear|preliminary|"
    r"level i{1,2}|professional)\b")


def credential_key(text: str) -> str:
    """A credential title compared as people write it: case, punctuation,
    "Instruction Credential", "(legacy)" and the like do not matter."""
    text = re.sub(r"\([^)]*\)", " ", text.casefold())
    text = text.replace("mild/moderate", "mild moderate").replace(
        "moderate/severe", "moderate severe").replace(" to ", " ")
    return " ".join(_CRED_NOISE.sub(" ", _key(text)).split())


def credential_titles(credentials) -> dict[str, str]:
    """Normalised CTC title -> code, from the rules' credential table;
    a title two codes share is left out (it would be a guess)."""
    out: dict[str, str] = {}
    clash: set[str] = set()
    for info in credentials.values():
        key = credential_key(info.name)
        if key in out and out[key] != info.code:
            clash.add(key)
        out[key] = info.code
    return {k: v for k, v in out.items() if k not in clash}
