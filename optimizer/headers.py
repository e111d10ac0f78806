"""Match the headers of a district's export to the contract's columns.

People write ``Support Level``, ``support-level`` or ``SUPPORT_LEVEL``
for ``support_level``: all of them mean the column. A header that is
*near* a contract column but not the same (``Suport Level``,
``Primary Disability Code``) is an error with "did you mean", since
silently carrying it as an extra column would drop the data the rules
read. A header matching nothing is the district's own column and is
carried through; ``x_`` in front marks a near one as such on purpose.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from optimizer.errors import Problem

EXTRA_PREFIX = "x_"

# Everyday names that mean a contract column but are not spelled like it;
# they are reported with "did you mean", never read silently, since a
# district's "case_manager" might be this year's or last year's.
_SYNONYMS: dict[str, str] = {
    "school": "site", "school_code": "site", "campus": "site",
    "schools": "sites", "site": "sites",
    "disability": "primary_disability",
    "primary_eligibility": "primary_disability",
    "secondary_eligibility": "secondary_disability",
    "language": "home_language", "primary_language": "home_language",
    "cm": "prior_case_manager", "prior_cm": "prior_case_manager",
    "case_manager": "prior_case_manager",
    "tor": "teacher_of_record", "teacher": "teacher_of_record",
    "cap": "max_caseload", "caseload_cap": "max_caseload",
    "caseload_max": "max_caseload", "max_cap": "max_caseload",
    "case_manager_ok": "can_case_manage",
    "is_case_manager": "can_case_manage",
}


def header_key(text: str) -> str:
    """The comparable form of a header.

    Case, spaces, hyphens, dots and underscores do not matter:
    ``"Can Case-Manage"`` and ``"can_case_manage"`` give the same key.
    """
    return re.sub(r"[\s\-_.]+", "_", text.strip().lower()).strip("_")


def near_name(key: str, names: Sequence[str]) -> str | None:
    """The contract name ``key`` was probably meant to be, or None.

    Near means a small misspelling (similar letters), every word of a
    several-word name present (``primary_disability_code``), or an
    everyday synonym (``school`` for ``site``).
    """
    if key.startswith(EXTRA_PREFIX) or not key:
        return None
    if _SYNONYMS.get(key) in names:
        return _SYNONYMS[key]
    words = set(key.split("_"))
    compact = key.replace("_", "")
    best, best_score = None, 0.0
    for name in names:
        parts = name.split("_")
        if len(parts) > 1 and set(parts) <= words:
            score = 1.0
        else:
            score = difflib.SequenceMatcher(
                None, compact, name.replace("_", "")).ratio()
        if score >= 0.85 and score > best_score:
            best, best_score = name, score
    return best


@dataclass
class HeaderMatch:
    """Where each contract column is, the extra columns, the problems."""

    found: dict[str, int] = field(default_factory=dict)
    extra: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def match_headers(file: str, header: Sequence[str],
                  columns: Sequence[tuple[str, bool]]) -> HeaderMatch:
    """Match a header row to contract ``columns`` (name, required).

    Parameters
    ----------
    file
        The file name used in problems.
    header
        The header cells as written.
    columns
        The contract's columns in order, each ``(name, required)``.

    Returns
    -------
    HeaderMatch
        Positions of the matched columns and of the extra ones, and every
        header problem (row 1): duplicates, near misses, missing required
        columns, each with the suggestion that fits.
    """
    names = [n for n, _ in columns]
    match = HeaderMatch()
    unmatched: list[int] = []
    for pos, head in enumerate(header):
        key = header_key(head)
        if key in names:
            if key in match.found:
                match.problems.append(Problem(
                    file, 1, head, None, f'column "{key}" appears twice'))
            else:
                match.found[key] = pos
        elif key:
            unmatched.append(pos)
    missing = [n for n in names if n not in match.found]
    hinted: set[int] = set()
    for name, required in columns:
        if not required or name in match.found:
            continue
        near = [p for p in unmatched
                if near_name(header_key(header[p]), missing) == name]
        hint = (f' (did you mean "{header[near[0]]}"?)' if near else "")
        hinted.update(near[:1])
        match.problems.append(Problem(
            file, 1, name, None,
            f'required column "{name}" is missing{hint}; expected '
            f"columns: {', '.join(names)}"))
    for pos in unmatched:
        near = near_name(header_key(header[pos]), missing)
        if near is None or pos in hinted:
            match.extra.append(pos)
            continue
        match.problems.append(Problem(
            file, 1, header[pos], None,
            f'not a contract column (did you mean "{near}"?); rename it, '
            f'or start it with "{EXTRA_PREFIX}" to keep it as a column of '
            "your own"))
    return match


def match_key(key: str, valid: Sequence[str]) -> tuple[str | None, str]:
    """A key of a settings or scenario file: (canonical name or None,
    hint). ``"Max Caseload"`` is ``max_caseload``; an unknown key gets a
    "did you mean" hint when one is near."""
    norm = header_key(key)
    if norm in valid:
        return norm, ""
    near = near_name(norm, valid)
    if near is None:
        upper = {v.upper(): v for v in valid}
        hit = difflib.get_close_matches(norm.upper(), list(upper), n=1,
                                        cutoff=0.6)
        near = upper[hit[0]] if hit else None
    return None, (f' (did you mean "{near}"?)' if near else "")
