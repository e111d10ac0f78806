"""What the terminal shows: the plan summary, diagnoses, explanations."""

from __future__ import annotations

from optimizer.errors import printable
from optimizer.objectives import calendar_term
from optimizer.reasons.explain import (
    Explanation,
    busiest_text,
    utilization_text,
)
from optimizer.reasons.infeasible import profile
from optimizer.result import Diagnosis, Result
from optimizer.verify import Audit, rsp_warning
from optimizer.vocab import COORDINATES


def proof_text(result: Result) -> str:
    """Whether optimality is proven, and the gap when it is not."""
    if result.proven_optimal:
        return "optimal (proven)"
    if result.has_plan:
        return f"not proven optimal, gap {result.gap:.2%}"
    return "no plan"


def text_summary(result: Result, audit: Audit | None) -> str:
    """The short summary ``caseload plan`` prints."""
    lines = [f"Status: {result.status.value}, {proof_text(result)}; "
             f"{result.runtime:.2f} s"]
    if audit is None:
        return "\n".join(lines)
    k = audit.kpis
    n = k.students or 1
    lines.append(f"Students: {k.students}   Staff: {k.staff} "
                 f"({k.case_managers_available} can case-manage)")
    lines.append(f"Best practice: {k.best_practice_matches}/"
                 f"{k.students} ({k.best_practice_matches / n:.1%})")
    lines.append(f"Continuity kept: {k.continuity_kept} of "
                 f"{k.prior_case_manager_given} with a prior case "
                 f"manager ({k.prior_case_manager_allowed} still allowed)")
    lines.append(f"Language matches: {k.language_matches} of "
                 f"{k.home_language_other_than_english} families with a "
                 "home language other than English")
    rel = ", ".join(f"{r} {c}" for r, c in k.relations.items())
    lines.append(f"Relations: {rel}")
    if audit.meetings is not None:  # with IEP meeting dates only
        months = (audit.months or {}).values()
        lines.append(f"IEP meetings: busiest month {max(months, default=0)}"
                     f" for one case manager; {sum(n >= 6 for n in months)}"
                     " case-manager months with 6 or more; sum of "
                     f"squares {calendar_term(audit.meetings.values())} "
                     "(meetings.csv)")
    lines.append("Utilization by kind (min / median / max, over 90%):")
    for kind, u in k.utilization_by_kind.items():
        lines.append(f"  {kind:<11} {u.staff:>3} staff  "
                     f"{u.min:.0%} / {u.median:.0%} / {u.max:.0%}"
                     f"  ({u.over_90_percent} over 90%)")
    lines += rules_lines(audit)
    return "\n".join(lines)


def unverified_line(audit: Audit) -> str:
    """How many students rest on unverified authorization rows (issue
    21: said by ``plan`` and ``check`` alike, also when none do)."""
    k = audit.kpis
    unverified = k.unverified_authorizations_relied_on
    if unverified:
        rows = ", ".join(f"{r} x{c}" for r, c in unverified.items())
        return (f"{k.students_on_unverified_rows} student(s) rely on "
                f"unverified authorization rows: {rows} (a district must "
                "confirm these readings: see docs/authorizations.md; "
                "--authorizations verified-only never relies on them)")
    if k.authorizations != "all":
        return (f"Authorizations: {k.authorizations} (no row marked "
                "unverified is relied on)")
    return "No student rests on an unverified authorization row."


def rules_lines(audit: Audit, files: bool = True) -> list[str]:
    """The rules figures of issue 21: students on unverified rows, each
    statutory average (per person and district-wide, warned when over)
    and RSP students case-managed by someone who does not provide RSP.
    ``files``: the plan's files (caseloads.csv, report.html,
    summary.json) hold the lists in full, so long ones are cut here;
    without them (``caseload check`` writes none) every item is named."""
    k = audit.kpis
    most = TERMINAL_ITEMS if files else None

    def cut(items: list[str], where: str) -> str:
        return listed(items, where) if files else ", ".join(items)

    lines = [unverified_line(audit)]
    for avg in k.caseload_averages:
        people = cut([f"{p['staff_id']} {p['case_managed']}"
                      + ("" if p["fte"] == 1 else
                         f" ({p['case_managed_per_fte']:g}/FTE)")
                      for p in avg["per_person"]], "caseloads.csv")
        average = ("no provider" if avg["average"] is None
                   else f"{avg['average']:g} per full-time provider "
                   f"({avg['students']} students / {avg['fte']:g} FTE)")
        lines.append(f"{avg['provides']} district average ({avg['source']}"
                     f", at most {avg['limit']}): {average}; case-managed "
                     f"per person: {people or 'none'}")
        if avg["over"]:
            lines.append(f"  Warning: the average {average} is above "
                         f"{avg['limit']} ({avg['source']}): the local "
                         "plan must give the reasons, or staffing be "
                         "added")
    others = k.rsp_case_managed_by_others
    if others:
        total = sum(int(r["students"]) for r in others)
        sites = cut([f"{r['site']} {r['students']} (room for "
                     f"{r['spare_places']})" for r in others],
                    "report.html")
        lines.append(f"RSP students case-managed by someone who does not "
                     f"provide RSP (H6 counts them against no resource "
                     f"specialist): {total}; by site: {sites}")
        texts = [t for t in map(rsp_warning, others) if t]
        lines += [f"  Warning: {text}" for text in texts[:most]]
        if most is not None and len(texts) > most:
            lines.append(f"  Warning: ... {len(texts) - most} "
                         "more site(s) like this (report.html, "
                         "summary.json)")
    return lines


# A terminal line lists at most this many people, sites or rows; the
# files hold them all (a 70,000-student district has 700 sites).
TERMINAL_ITEMS = 20


def listed(items: list[str], where: str) -> str:
    """The first ``TERMINAL_ITEMS`` of ``items``, joined, then how many
    more and which file has them all."""
    shown = ", ".join(items[:TERMINAL_ITEMS])
    more = len(items) - TERMINAL_ITEMS
    return shown + (f" and {more} more ({where})" if more > 0 else "")


def render_diagnosis(d: Diagnosis, max_ids: int = 12) -> str:
    """The diagnosis as text for a terminal or a report."""
    lines = ["No plan satisfies the hard rules. Why:"]
    for nc in d.no_candidates:
        lines.append(
            f"- {len(nc.student_ids)} student(s) at site {nc.site} "
            f"({nc.profile}) have no eligible case manager: "
            f"{_ids(nc.student_ids, max_ids)}")
        if not nc.excluded:
            lines.append(f"    no staff member serves site {nc.site} (H3)")
        for ex in nc.excluded:
            why = "; ".join(f"{rule}: {msg}" for rule, msg in ex.reasons)
            lines.append(f"    {ex.staff_id}: {why}")
    for sh in d.shortfalls:
        places = sum(cap for _, _, cap in sh.staff)
        lines.append(
            f"- {len(sh.student_ids)} student(s) at site(s) "
            f"{', '.join(sh.sites)} can only go to staff with {places} "
            f"place(s) in all: {sh.shortfall} short (H6). Students: "
            f"{_ids(sh.student_ids, max_ids)}")
        staff = ", ".join(f"{i} (cap {cap})" for i, _, cap in sh.staff)
        lines.append(f"    their eligible staff: {staff or 'none'}")
    for mo in d.meetings:
        staff = ", ".join(f"{i} ({name})" for i, name in mo.staff)
        lines.append(
            f"- {mo.month}: {len(mo.student_ids)} student(s) have "
            f"{mo.meetings} IEP meeting(s) that month, but the case "
            f"managers who may take them can hold {mo.places} within "
            f"max_meetings_per_month (H8). Students: "
            f"{_ids(mo.student_ids, max_ids)}")
        lines.append(f"    their eligible case managers: {staff or 'none'}")
    lines.extend(f"- {note}" for note in d.notes)
    for i, conflict in enumerate(d.conflicts, 1):
        lines.append(f"Conflict {i} (minimal: drop any one of these facts "
                     "and the rest can all hold):")
        lines.extend(f"    {fact}" for fact in conflict.facts)
        if conflict.fixes:
            lines.append("  Fixes, each checked by re-solving:")
            lines.extend(f"    - {text}" for _, text, _ in conflict.fixes)
        else:
            lines.append("  No single fix of the kinds tried (caps, a hire, "
                         "case-management rights, pins) resolves it.")
    return "\n".join(lines)


def _ids(ids: tuple[str, ...], limit: int) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit
                    else "")


def render_explanation(e: Explanation, limit: int = 40) -> str:
    line = e.line
    s = line.student
    out = [f"Student {s.student_id} at {s.site}: {profile(s)}"]
    if line.staff is None:
        out.append("No case manager in this plan (H1).")
    else:
        c = line.staff
        out.append(f"Case manager: {printable(c.name)} ({c.staff_id}), "
                   f"{c.kind}; "
                   f"relation: {line.check.relation}")
        if line.check.relation == COORDINATES:
            out.append("  Authorization: none needed to coordinate (CTC "
                       "guidance: a coordinator-only case manager needs no "
                       "specialty area)")
        for r in e.authorization:
            held = ";".join(sorted(r.credentials & set(c.credentials)))
            flag = "" if r.verified else " [UNVERIFIED]"
            what = ("  Base of the added authorization"
                    if r.rule_id in line.check.base_rule_ids
                    else "  Authorization")
            out.append(f"{what}: {held} by rule {r.rule_id} "
                       f"({r.activity}){flag}: {r.source}"
                       + (f"; {r.note}" if r.note else ""))
    out.append(f"Best practice (S1): {e.best_practice}")
    out.append(f"Continuity (S3): {e.continuity}")
    out.append(f"Language (S4): {e.language}")
    eligible = [a for a in e.alternatives if a.eligible]
    excluded = [a for a in e.alternatives if not a.eligible]
    out.append(f"Others who could take the student ({len(eligible)}), with "
               "the change in each term if chosen instead (negative = "
               "better):")
    for a in eligible[:limit]:
        d = a.deltas or {}
        terms = ", ".join(
            f"{t} {v:+d}" + (f" ({utilization_text(a.utilization)})"
                             if t == "S2" and a.utilization else "")
            + (f" ({busiest_text(a.busiest)})" if t == "S5" and a.busiest
               else "")
            for t, v in d.items())
        note = "; at the cap (H6): someone else would have to move" \
            if a.full else ""
        out.append(f"  {a.staff_id} {printable(a.name)} ({a.relation}): "
                   f"{terms}{note}")
    out.append(f"Others who cannot ({len(excluded)}):")
    for a in excluded[:limit]:
        why = "; ".join(f"{r}: {m}" for r, m in a.reasons)
        out.append(f"  {a.staff_id}: {why}")
    if len(excluded) > limit:
        out.append(f"  ... {len(excluded) - limit} more")
    if e.elsewhere:
        out.append(f"  and {e.elsewhere} staff at other sites who would "
                   f"only coordinate (H3: they do not serve {s.site})")
    return "\n".join(out)
