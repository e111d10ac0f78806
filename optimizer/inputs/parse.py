"""Parsers for one cell of the roster, forgiving where the meaning is clear.

Each parser returns the canonical value or raises ``ValueError`` with a
user-facing reason; ``io`` attaches the file, row, column and value.
"""

from __future__ import annotations

import difflib
import math
import re

from optimizer import csvtext
from optimizer.inputs import codesets
from optimizer.vocab import (
    DISABILITIES,
    DISABILITY_ABBREVIATIONS,
    GRADE_INDEX,
    PROVIDES,
    SERVICES,
    SETTINGS,
    SPELLED_OUT,
    grade_range,
)

_TRUE = {"yes", "y", "true", "t", "1"}
_FALSE = {"no", "n", "false", "f", "0"}

_GRADE_WORDS = {
    "PRESCHOOL": "PK", "PRE-K": "PK", "PREK": "PK", "PRE-KINDERGARTEN": "PK",
    "P": "PK", "PS": "PK", "INF": "PK", "INFANT": "PK",
    "TRANSITIONAL KINDERGARTEN": "TK", "T-K": "TK",
    "KINDERGARTEN": "K", "KG": "K", "KN": "K",
    "ADULT": "A", "ADULT TRANSITION": "A", "AD": "A", "18-22": "A",
    "IN": "PK",
}
_ORDINAL = re.compile(r"^(?:GRADE\s*|GR\.?\s*)?0*(\d{1,2})(?:ST|ND|RD|TH)?"
                      r"(?:\s*GRADE)?$")

_DISABILITY_LOOKUP: dict[str, str] = {}
for _code, (_abbr, _name) in DISABILITIES.items():
    _DISABILITY_LOOKUP[_code] = _abbr
    _DISABILITY_LOOKUP[_abbr] = _abbr
    _DISABILITY_LOOKUP[_name.upper()] = _abbr
_DISABILITY_LOOKUP.update({"DHH": "DEAF", "DF": "DEAF", "SLI/SL": "SLI",
                           "SL": "SLI", "DB": "DB", "ASD": "AUT",
                           "AUTISM": "AUT", "MR": "ID"})

_SERVICE_ALIASES = {
    "SLP": "SPEECH", "LSH": "SPEECH", "LAS": "SPEECH", "SPEECH/LANGUAGE":
    "SPEECH", "SL": "SPEECH", "O&M": "OM", "O/M": "OM",
    "COUNSELLING": "COUNSELING", "AUDIOLOGY": "AUD", "RS": "RSP",
    "RESOURCE": "RSP",
}
_SETTING_ALIASES = {"GE": "GENED", "GENERAL": "GENED", "GENERALEDUCATION":
                    "GENED", "GEN": "GENED", "REG": "GENED", "RSP": "GENED",
                    "SPECIALDAYCLASS": "SDC", "DEPARTMENTALIZED": "DEPT"}


def suggest(value: str, choices: list[str] | tuple[str, ...]) -> str:
    """' (did you mean "X"?)' when a close choice exists, else ''."""
    upper = {c.upper(): c for c in choices}
    hit = difflib.get_close_matches(value.upper(), list(upper), n=1,
                                    cutoff=0.6)
    return f' (did you mean "{upper[hit[0]]}"?)' if hit else ""


# What a spreadsheet reads as the start of a formula (CWE-1236).
FORMULA_STARTS = csvtext.FORMULA_STARTS


# Ids and codes are short; a bound keeps every product cell that names
# them (the plan's reason, say) within a spreadsheet cell.
MAX_CODE_CHARS = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_QUOTES = "'\"\u2018\u2019\u201c\u201d"


def identifier(text: str, what: str = "ids") -> str:
    """A student or staff id: one line of text that a spreadsheet will
    not take for a formula (ids travel into the district's workbooks)."""
    if text.startswith(FORMULA_STARTS):
        raise ValueError(
            f'"{text}" begins with "{text[0]}", which spreadsheets read as '
            f"a formula; {what} must not (remove the leading character)")
    if _CONTROL.search(text):
        raise ValueError(
            f"the value holds a line break or another control character "
            f"({_CONTROL.search(text).group()!r}); {what} are one line "
            "of text")
    if len(text) > MAX_CODE_CHARS:
        raise ValueError(f"{len(text):,} characters; {what} have at most "
                         f"{MAX_CODE_CHARS}")
    return text


def code(text: str) -> str:
    """A site or language code, or a staff id given as a reference: as
    an id (no formula, one line), and not wrapped in quotes (``'*'`` is
    no site; ``*`` is every site)."""
    text = identifier(text, "codes")
    if len(text) > 1 and text[0] in _QUOTES and text[-1] in _QUOTES:
        raise ValueError(
            f"{text} is wrapped in quotes; write it without them "
            f"({text[1:-1].strip()})")
    return text


def code_list(text: str) -> list[str]:
    """A ``;`` list of codes (a staff member's sites or languages)."""
    items = split_list(text)
    bad = []
    for item in items:
        try:
            code(item)
        except ValueError as exc:
            bad.append((item, str(exc)))
    if bad:
        raise ItemErrors(bad)
    return items


class ItemErrors(ValueError):
    """Several bad items in one cell: ``items`` holds (item, message), so
    each distinct bad item can be reported once over the whole file."""

    def __init__(self, items: list[tuple[str, str]]):
        self.items = items
        super().__init__("; ".join(m for _, m in items))


def suggest_code(value: str, codes: tuple[str, ...] | list[str],
                 aliases: dict[str, str] | None = None) -> str:
    """Like ``suggest``, but also for spelled-out names: "Speech and
    Language" -> SPEECH, "Autism Spectrum Disorder" -> AUT."""
    aliases = aliases or {}
    words = re.findall(r"[A-Z0-9&/]+", value.upper())
    for word in words:
        code = aliases.get(word, word)
        if code in codes and len(words) > 1:
            return f' (did you mean "{code}"?)'
    names = {" ".join(n.upper().replace("-", " ").split()): code
             for code, spelled in SPELLED_OUT.items() if code in codes
             for n in spelled}
    names.update({" ".join(n.upper().split()): abbr
                  for abbr, n in DISABILITIES.values() if abbr in codes})
    key = " ".join(value.upper().replace("-", " ").split())
    hit = difflib.get_close_matches(key, list(names), n=1, cutoff=0.75)
    if hit:
        return f' (did you mean "{names[hit[0]]}"?)'
    return suggest(value, codes)


def split_list(text: str) -> list[str]:
    """A ``;`` list (``,`` accepted too when no ``;`` is present)."""
    sep = ";" if ";" in text or "," not in text else ","
    return [p.strip() for p in text.split(sep) if p.strip()]


def boolean(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f'expected yes/no, true/false, y/n or 1/0, got "{text}"')


def grade(text: str) -> str:
    """``7``, ``07``, ``7th``, ``Grade 7``, ``Kindergarten`` -> canonical."""
    up = " ".join(text.strip().upper().split())
    if up in GRADE_INDEX:
        return up
    if up in _GRADE_WORDS:
        return _GRADE_WORDS[up]
    m = _ORDINAL.match(up)
    if m and 1 <= int(m.group(1)) <= 12:
        return str(int(m.group(1)))
    read = codesets.grade(text)
    if read:
        return read
    raise ValueError(
        f'expected PK, TK, K, 1-12 or A, got "{text}"'
    )


def disability(text: str) -> str:
    key = " ".join(text.strip().upper().split())
    if key in _DISABILITY_LOOKUP:
        return _DISABILITY_LOOKUP[key]
    read = codesets.disability(text)
    if read == "":
        raise ValueError(f'"{text}" is CALPADS code 200 (None), which is '
                         "for Disability 2 only")
    if read:
        return read
    choices = list(DISABILITIES) + list(DISABILITY_ABBREVIATIONS)
    hint = suggest_code(key, choices, _DISABILITY_LOOKUP)
    raise ValueError(
        f'unknown disability code "{text}"{hint}; use a '
        "CALPADS code (210-330) or its abbreviation (SLD, AUT, ...)"
    )


def support_level(text: str) -> str:
    up = text.strip().upper().replace("-", " ")
    if up in ("MM", "MILD", "MODERATE", "MILD TO MODERATE", "MILD MODERATE"):
        return "MM"
    if up in ("EX", "EXTENSIVE", "ESN"):
        return "EX"
    read = codesets.support_level(text)
    if read:
        return read
    raise ValueError(f'expected MM or EX, got "{text}"')


def setting(text: str) -> str:
    up = re.sub(r"[\s_\-.]", "", text.strip().upper())
    up = _SETTING_ALIASES.get(up, up)
    if up in SETTINGS:
        return up
    read = codesets.setting(text)  # raises for a code to be decided
    if read:
        return read
    raise ValueError(
        f'expected GENED, SDC or DEPT, got "{text}"'
        f"{suggest_code(text, SETTINGS, _SETTING_ALIASES)}"
    )


def _code_list(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    out: list[str] = []
    bad: list[tuple[str, str]] = []
    for item in split_list(text):
        up = item.upper()
        up = _SERVICE_ALIASES.get(up, up)
        if up not in allowed:
            try:
                up = _calpads_item(item, allowed) or up
            except codesets.Undecided as exc:
                bad.append((item, str(exc)))
                continue
        if up in allowed:
            if up not in out:
                out.append(up)
        else:
            hint = suggest_code(item, allowed, _SERVICE_ALIASES)
            bad.append((item, f'unknown {what} "{item}"{hint}; expected '
                        f"{'/'.join(allowed)}"))
    if bad:
        raise ItemErrors(bad)
    return out


def _calpads_item(item: str, allowed: tuple[str, ...]) -> str | None:
    """A service or position as SEIS/CALPADS write it, else None."""
    read = codesets.service(item)
    if read is None and "COORD" in allowed:  # a staff member's position
        read = codesets.position(item)
    return read


def secondary_disability(text: str) -> str | None:
    """Disability 2: as ``disability``; CALPADS 200 (None) is none."""
    if codesets.disability(text) == "":
        return None
    return disability(text)


def services(text: str) -> list[str]:
    return _code_list(text, SERVICES, "service")


def provides(text: str) -> list[str]:
    return _code_list(text, PROVIDES, "provides entry")


def grades(text: str) -> frozenset[str]:
    parts = []
    for part in split_list(text):
        low, sep, high = part.partition("-")
        try:
            parts.append(grade(low) + (f"-{grade(high)}" if sep else ""))
        except ValueError:
            parts.append(part)
    try:
        return grade_range(";".join(parts))
    except ValueError as exc:
        raise ValueError(
            f'{exc} (expected e.g. "K-5", "6-8", "PK;TK-K")'
        ) from None


_DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|"
                   r"\d{1,2}-[A-Za-z]{3}(-\d{2,4})?)$")


def _not_a_date(text: str) -> None:
    """Excel turns some numbers into dates; say so rather than 'bad'."""
    if _DATE.match(text.strip()):
        raise ValueError(
            f'"{text.strip()}" looks like a date: Excel may have turned a '
            "number into a date; format the column as Number and re-enter it"
        )


def finite_number(text: str, expected: str) -> float:
    """A finite number (never inf or nan, which no roster means), else a
    ``ValueError`` saying what was ``expected``."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f'expected {expected}, got "{text}"') from None
    if not math.isfinite(value):
        raise ValueError(f'expected {expected}, got "{text}"')
    return value


def non_negative_int(text: str) -> int:
    _not_a_date(text)
    value = finite_number(text, "a whole number >= 0")
    if value != int(value) or value < 0:
        raise ValueError(f'expected a whole number >= 0, got "{text}"')
    return int(value)


# Below this an FTE is no one's working time (an hour a month is 0.006):
# ``0.8%`` meant 0.8 or 80%, ``1e-300`` is a slip; either would set the
# cap to 0 without a word.
MIN_FTE = 0.05


def fte(text: str) -> float:
    _not_a_date(text)
    percent = text.strip().endswith("%")
    value = finite_number(text.strip().rstrip("%"),
                          "a number with 0 < fte <= 1")
    if percent:
        value /= 100
    if not 0 < value <= 1:
        raise ValueError(f'expected 0 < fte <= 1, got "{text}"')
    if value < MIN_FTE:
        number = float(text.strip().rstrip("%"))
        hint = (f" (did you mean {number:g} as a fraction, or "
                f"{number * 100:g}%?)" if percent else "")
        raise ValueError(
            f'an FTE of {value:.4g} is under {MIN_FTE} (two hours a '
            f'week){hint}; write the FTE as a fraction from {MIN_FTE} to '
            "1, e.g. 0.8 or 80%")
    return value


# A student who counts as more than this many is no workload weighting a
# district uses; the bound also keeps the solver's integers in range.
MAX_WEIGHT = 100


def weight(text: str) -> float:
    _not_a_date(text)
    value = finite_number(text, "a number >= 0")
    if value < 0:
        raise ValueError(f'expected a number >= 0, got "{text}"')
    if value > MAX_WEIGHT:
        raise ValueError(f'expected a workload weight from 0 to '
                         f'{MAX_WEIGHT}, got "{text}"')
    return value


_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_US_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def meeting_date(text: str):
    """An IEP meeting date: ISO ``2026-09-15`` (as workbooks are read,
    a date cell too) or SEIS's ``9/15/2026`` (month/day/year)."""
    import datetime as dt

    raw = text.strip()
    iso, us = _ISO_DAY.match(raw), _US_DAY.match(raw)
    if iso:
        y, m, d = (int(x) for x in iso.groups())
    elif us:
        m, d, y = (int(x) for x in us.groups())
    else:
        raise ValueError(f'expected a date such as 2026-09-15 or '
                         f'9/15/2026, got "{raw}"')
    try:
        day = dt.date(y, m, d)
    except ValueError:
        raise ValueError(f'"{raw}" is not a calendar date') from None
    if not 2000 <= day.year <= 2100:
        raise ValueError(f'"{raw}" is not a date of a planning year')
    return day
