"""Plain words for the workbench: what a plan is, what a code means.

A director reads "best practice" and "last year's case manager", not S1
and S3; the ids stay in small print for those who want them. A plan is
named by what it is (when, of which roster, with which settings, proven
or not) rather than by its id.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from optimizer.objectives import TERMS
from optimizer.rules import RULE_TITLES

# The soft terms as a director says them; the id goes in small print.
TERM_WORDS: dict[str, str] = {
    "S1": "best practice",
    "S2": "balance",
    "S3": "last year's case manager",
    "S4": "home language",
}
# What each term asks, one sentence each (the objective controls).
TERM_SENTENCES: dict[str, str] = {
    "S1": "Each student's case manager is the person who provides their "
          "most intensive service.",
    "S2": "Caseloads are spread evenly: nobody near their cap while a "
          "colleague of the same kind has room.",
    "S3": "Students keep last year's case manager where that is still "
          "allowed.",
    "S4": "A family whose home language is not English gets a case "
          "manager who speaks it, where one can.",
}
MODE_WORDS: dict[str, str] = {
    "priority-then-weights": "best practice first, then the other three "
                             "weighed together",
    "weights": "all four weighed together",
    "priority": "a strict order",
    "replan": "re-made from an earlier plan: best practice first, then "
              "as few changes as possible, then balance and home language",
}
AUTH_WORDS: dict[str, str] = {
    "all": "relies on every rules row (unverified ones flagged)",
    "verified-only": "relies only on rules rows verified against an "
                     "official source",
}
# Kinds of provider (a staff member's first ``provides``) in words.
KIND_WORDS: dict[str, str] = {
    "RSP": "resource specialist",
    "SDC": "special day class teacher",
    "DEPT": "department teacher (co-taught classes)",
    "SPEECH": "speech-language pathologist",
    "DHH": "teacher of the deaf and hard of hearing",
    "VI": "teacher of the visually impaired",
    "OM": "orientation and mobility specialist",
    "PT": "physical therapist",
    "OT": "occupational therapist",
    "APE": "adapted PE teacher",
    "COUNSELING": "counselor",
    "AUD": "audiologist",
    "COORD": "program coordinator",
}
RELATION_WORDS: dict[str, str] = {
    "provides": "provides a service to the student",
    "coordinates": "coordinates only",
}


def term(code: str) -> str:
    """``best practice`` for ``S1``; unknown codes as they are."""
    return TERM_WORDS.get(code, code)


def rule(code: str) -> str:
    """``caseload within the cap`` for ``H6``."""
    return RULE_TITLES.get(code, code)


def kind(code: str) -> str:
    return KIND_WORDS.get(code, code)


def settings_words(record: dict) -> str:
    """A plan's objective settings in one phrase."""
    mode = record.get("mode") or "priority-then-weights"
    words = MODE_WORDS.get(mode, mode)
    if mode == "priority":
        order = record.get("priority") or ""
        if isinstance(order, str):
            order = [t.strip().upper() for t in order.split(",")
                     if t.strip()]
        if order:
            words += ": " + ", then ".join(term(t) for t in order)
    weights = record.get("weights") or {}
    if mode not in ("priority", "replan") and weights:
        shown = [t for t in TERMS if t != "S1" or mode == "weights"]
        words += " (weights " + ", ".join(
            f"{term(t)} {_num(weights[t])}" for t in shown
            if t in weights) + ")"
    return words


def _num(x) -> str:
    return f"{float(x):g}"


def proven_words(record: dict) -> str:
    if not record.get("has_plan", True):
        return "no plan satisfies the rules"
    if record.get("proven_optimal"):
        return "proven best"
    gap = record.get("gap")
    if gap is None:
        return record.get("status", "")
    return f"best found, within {gap:.2%} of the best possible"


def when(stamp: str) -> str:
    """``7 Dec 2026 02:30`` for ``2026-12-07 02:30:15``."""
    m = re.match(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d)", stamp or "")
    if not m:
        return stamp or ""
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
              "Sep", "Oct", "Nov", "Dec")
    y, mo, d, h, mi = m.groups()
    return f"{int(d)} {months[int(mo) - 1]} {y} {h}:{mi}"


SHORT_MODE = {"weights": "all four weighed together",
              "priority": "strict order"}


def plan_title(record: dict) -> str:
    """The plan's name: the one the user gave, else how it differs from
    the default settings and when it was made (a re-plan says what was
    changed)."""
    if record.get("title"):
        return record["title"]
    what = record.get("note") or "Plan"
    if what != "Plan":
        what = what[:1].upper() + what[1:]
    else:
        bits = [SHORT_MODE[m] for m in [record.get("mode")]
                if m in SHORT_MODE]
        if record.get("authorizations") == "verified-only":
            bits.append("verified rules rows only")
        if bits:
            what += " (" + ", ".join(bits) + ")"
    return f"{what}, {when(record.get('created', ''))}"


def plan_summary(record: dict) -> str:
    """Settings in words, rules rows relied on, proven or gap, and the
    share of students with best practice (plans differ most there)."""
    return " \u00b7 ".join(x for x in (
        settings_words(record),
        AUTH_WORDS.get(record.get("authorizations") or "all", ""),
        proven_words(record), best_practice_words(record)) if x)


def best_practice_words(record: dict) -> str:
    figures = record.get("best_practice")
    if not figures or not figures[1]:
        return ""
    met, students = figures
    return f"best practice for {met / students:.1%} ({met:,} of " \
        f"{students:,})"


def fill_outcome(record: dict, folder: Path) -> dict:
    """Older records lack the outcome; read it from summary.json."""
    if "proven_optimal" in record and "best_practice" in record:
        return record
    try:
        summary = json.loads((folder / "summary.json").read_text("utf-8"))
    except (OSError, ValueError):
        return record
    kpis = summary.get("kpis") or {}
    return {"proven_optimal": summary.get("proven_optimal"),
            "gap": summary.get("gap"),
            "best_practice": [kpis["best_practice_matches"],
                              kpis["students"]]
            if "best_practice_matches" in kpis and "students" in kpis
            else None, **record}


def install(env) -> None:
    """The filters the templates use (``{{ rec|plan_title }}``)."""
    env.filters.update(plan_title=plan_title, plan_summary=plan_summary,
                       when=when, kind=kind, term=term, rule=rule,
                       settings_words=settings_words, proven=proven_words)
