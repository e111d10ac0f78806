"""report.html: a self-contained page a director can show a principal.

Charts are bar charts drawn by the Jinja2 template (autoescaped) from the
data below as plain HTML and CSS, so the page is self-contained, opens
from a USB stick with no network, and stays light for 700 sites. Every
count names what it counts against (last year's case managers, the base
plan of a comparison, or a published plan). Pure rendering: no solving.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from optimizer.domain import Instance
from optimizer.objectives import (
    ObjectiveWeights,
    calendar_term,
    period_range,
)
from optimizer.outputs.names import Names
from optimizer.outputs.plan_files import product_version
from optimizer.reasons.explain import short_reason
from optimizer.result import SolverParams
from optimizer.rules import RuleSet, best_practice_items
from optimizer.verify import Audit, rsp_warning
from optimizer.vocab import (
    DISABILITY_ABBREVIATIONS,
    DISABILITY_NAME,
    OWN_TEACHER_ITEM,
)

TEMPLATES = Path(__file__).parent / "templates"
MAX_SITE_CHARTS = 12
MAX_CHANGES = 300
MAX_LISTED = 50  # best-practice misses and warnings listed in full
# Speech or language impairment is served by SLPs (a service), never
# taught in an SDC, so it has no instruction coverage to show.
NOT_INSTRUCTED = ("SLI",)


@dataclass(frozen=True)
class Against:
    """What a plan's changes are counted against.

    ``plan`` is None for last year's case managers (each student's
    ``prior_case_manager``); otherwise student -> case manager of the base
    or published plan. ``names`` names staff no longer on the roster;
    ``reasons`` (student -> words) come from changes.csv when known;
    ``source`` says where the plan came from (the report's header).
    """

    words: str = "last year's case manager"
    plan: dict[str, str] | None = None
    names: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    source: str = ""


@dataclass
class PlanView:
    """What the report shows of one plan (or one infeasible scenario)."""

    name: str
    status: str
    proof: str = ""
    diagnosis: str = ""
    cards: list[dict[str, Any]] = field(default_factory=list)
    attention: dict[str, Any] = field(default_factory=dict)
    caseload_charts: list[dict[str, Any]] = field(default_factory=list)
    caseload_note: str = ""
    rate_chart: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    against: str = ""
    changes: list[dict[str, str]] = field(default_factory=list)
    changes_total: int = 0
    new_students: int = 0
    services: dict[str, Any] = field(default_factory=dict)  # issue 13
    authorizations: str = "all"
    unverified: list[dict[str, Any]] = field(default_factory=list)
    unverified_students: int = 0
    rules: dict[str, Any] = field(default_factory=dict)  # issue 21
    calendar: dict[str, Any] = field(default_factory=dict)  # issue 23


def rules_view(audit: Audit) -> dict[str, Any]:
    """What ``_rules.html.j2`` shows (issue 21): each statutory average
    per person and district-wide, and RSP students case-managed by
    someone who does not provide RSP, by site."""
    k = audit.kpis
    return {
        "averages": [{**a, "warn": a["over"]} for a in k.caseload_averages
                     if a["per_person"]],
        "rsp_others": [{**r, "warning": rsp_warning(r)}
                       for r in k.rsp_case_managed_by_others],
    }


def caseload_charts(audit: Audit, instance: Instance, rules: RuleSet,
                    names: Names) -> tuple[list[dict[str, Any]], str]:
    """Caseload against cap per case manager: one chart per site for
    staff at one site, and one chart, counted once, for those who serve
    several sites (itinerants) with their district total."""
    by_site: dict[str, list] = defaultdict(list)
    several: list = []
    for c in instance.staff:
        n, _, cap = audit.loads[c.staff_id]
        if cap <= 0 or not rules.may_case_manage(c):
            continue
        row = (c.kind, c.name, c.staff_id, n, cap)
        if len(c.sites) > 1 or "*" in c.sites:
            several.append((*row, ", ".join(c.sites)))
        else:
            by_site[c.sites[0]].append(row)
    sites = sorted(by_site)
    note = ""
    if len(sites) > MAX_SITE_CHARTS:
        note = (f"{len(sites)} sites: the first {MAX_SITE_CHARTS} are drawn;"
                " caseloads.csv lists everyone.")
        sites = sites[:MAX_SITE_CHARTS]
    charts = [_chart(names.of_site(site), sorted(by_site[site]))
              for site in sites]
    if several:
        rows = sorted(several)
        charts.append(_chart("Staff who serve several sites (counted "
                             "once, whole caseload)",
                             [r[:5] for r in rows],
                             [f" \u00b7 {r[5]}" for r in rows]))
    return charts, note


def _chart(title: str, rows: list, suffix: list[str] | None = None
           ) -> dict[str, Any]:
    top = max(cap for *_, cap in rows)
    return {"title": title, "bars": [
        {"label": f"{kind} \u00b7 {name} ({sid})"
                  + (suffix[i] if suffix else ""),
         "value": n, "cap": cap, "pct": 100 * n / top,
         "cap_pct": 100 * cap / top,
         "text": f"{n} of {cap} ({n / cap:.0%})", "hot": n > 0.9 * cap}
        for i, (kind, name, sid, n, cap) in enumerate(rows)]}


def rate_chart(audit: Audit) -> dict[str, Any]:
    k = audit.kpis
    rates = [
        ("best practice", k.best_practice_matches,
         k.students_assigned),
        ("last year's case manager kept", k.continuity_kept,
         k.prior_case_manager_given),
        ("home language matched", k.language_matches,
         k.home_language_other_than_english),
    ]
    return {"title": "Rates (of the students each applies to)", "bars": [
        {"label": label, "pct": 100 * a / max(1, b), "cap_pct": 100,
         "text": f"{a} of {b} ({a / max(1, b):.0%})", "hot": False}
        for label, a, b in rates]}


def coverage(instance: Instance, rules: RuleSet, names: Names
             ) -> dict[str, Any]:
    """Per site: categories some SDC/DEPT teacher there may instruct."""
    cats = [c for c in DISABILITY_ABBREVIATIONS if c not in NOT_INSTRUCTED]
    can: dict[str, set[str]] = defaultdict(set)
    sites = sorted({s.site for s in instance.students})
    roster_sites = set(sites)
    need: dict[str, set[str]] = defaultdict(set)
    for s in instance.students:
        if s.setting in ("SDC", "DEPT"):
            need[s.site].add(s.placement_disability)
    # instruction_categories reads only the credentials (and the rules)
    by_credentials: dict[tuple[str, ...], frozenset[str]] = {}
    for c in instance.staff:
        if not {"SDC", "DEPT"} & set(c.provides):
            continue
        covered = by_credentials.get(c.credentials)
        if covered is None:
            covered = rules.instruction_categories(c)
            if "*" in covered:
                covered |= set(cats)
            by_credentials[c.credentials] = covered
        # the sites c.serves_site accepts, without asking for each site
        for site in sites if "*" in c.sites else set(c.sites):
            if site in roster_sites:
                can[site] |= covered
    return {"categories": [(c, DISABILITY_NAME.get(c, c)) for c in cats],
            "rows": [(names.of_site(site),
                      [("yes" if cat in can[site] else
                        "gap" if cat in need[site] else "no")
                       for cat in cats]) for site in sites]}


def attention(audit: Audit, rules: RuleSet, names: Names,
              warnings: list[str]) -> dict[str, Any]:
    """What a director should look at: best-practice misses and the
    roster's warnings (the unverified rows relied on have their own
    section, _unverified.html.j2)."""
    misses = []
    for line in audit.lines:
        if line.check is None or line.check.best_practice:
            continue
        s = line.student
        top = " or ".join(f"their {s.setting} teacher"
                          if i == OWN_TEACHER_ITEM
                          else i for i in sorted(
                              best_practice_items(s, rules))) or "\u2013"
        misses.append({"student": names.of_student(s.student_id),
                       "site": names.of_site(s.site), "top": top,
                       "cm": names.of_staff(line.staff.staff_id),
                       "relation": line.check.relation})
    return {"misses": misses[:MAX_LISTED], "misses_total": len(misses),
            "warnings": grouped_warnings(warnings),
            "warnings_total": len(warnings)}


_LOCATED = re.compile(r'^(?P<file>.*?), row (?P<row>\d+), '
                      r'(?P<column>column "[^"]*")')


def grouped_warnings(warnings: list[str], per_kind: int = 3) -> list[str]:
    """At most ``per_kind`` warnings of each kind (file and column), then
    one line for the rest, as the terminal shows them."""
    kinds: dict[tuple, list[tuple[str, str]]] = {}
    for w in warnings:
        m = _LOCATED.match(w)
        key = (m["file"], m["column"]) if m else (w,)
        kinds.setdefault(key, []).append((w, m["row"] if m else ""))
    out = []
    for key, items in kinds.items():
        out += [w for w, _ in items[:per_kind]]
        if len(items) > per_kind:
            rows = ", ".join(r for _, r in items[per_kind:] if r)
            out.append(f"... {len(items) - per_kind} more like this in "
                       f"{key[0]}" + (f" (rows {rows})" if rows else ""))
    return out


def plan_view(name: str, status: str, proof: str, audit: Audit | None,
              instance: Instance, rules: RuleSet,
              against: Against | None = None, diagnosis: str = "",
              warnings: list[str] | None = None) -> PlanView:
    """The report's view of a plan: cards, charts, coverage, changes."""
    against = against or Against()
    view = PlanView(name, status, proof, diagnosis)
    if audit is None:
        return view
    names = Names(instance, against.names)
    view.changes, view.changes_total, view.new_students = _changes(
        audit, rules, against, names)
    view.against = against.words
    view.authorizations = rules.authorization_mode
    view.unverified = unverified_rows(audit, rules, limit=20)
    view.unverified_students = audit.kpis.students_on_unverified_rows
    k = audit.kpis
    view.rules = rules_view(audit)
    over = sum(u.over_90_percent
               for u in k.utilization_by_kind.values())
    view.cards = [
        {"value": k.students, "label": "students"},
        {"value": f"{k.best_practice_matches} of "
                  f"{k.students_assigned}",
         "label": "case-managed by the provider of their most intensive "
                  "service (best practice)"},
        {"value": f"{k.continuity_kept} of "
                  f"{k.prior_case_manager_given}",
         "label": "keep last year's case manager"},
        {"value": f"{k.language_matches} of "
                  f"{k.home_language_other_than_english}",
         "label": "families whose home language the case manager speaks"},
        {"value": view.changes_total,
         "label": f"change case manager vs {against.words}"},
        {"value": over, "label": "case managers over 90% of their cap"},
        {"value": k.students_on_unverified_rows,
         "label": "students resting on unverified authorization rows "
                  "(a district must confirm them)"},
    ]
    view.attention = attention(audit, rules, names, warnings or [])
    view.caseload_charts, view.caseload_note = caseload_charts(
        audit, instance, rules, names)
    view.rate_chart = rate_chart(audit)
    view.coverage = coverage(instance, rules, names)
    view.calendar = calendar_heat_map(audit, instance, names)
    return view


# The heat map's geometry (px) and its scale, white to deep red.
_CELL_W, _CELL_H, _LABEL_W, _HEAD_H = 46, 20, 230, 34
_HEAT = ("#ffffff", "#fde7d9", "#fbc4a6", "#f79a72", "#ee6a47",
         "#d6402b", "#a9231b")


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
           "Oct", "Nov", "Dec")


def _short_period(period: str) -> str:
    """``2026-09`` -> ``Sep 26``; ``2026-W37`` -> ``W37`` (a week's
    column is narrow; its title holds the year)."""
    year, _, rest = period.partition("-")
    if rest.startswith("W"):
        return rest
    return f"{_MONTHS[int(rest) - 1]} {year[2:]}"


def calendar_heat_map(audit: Audit, instance: Instance, names: Names
                      ) -> dict[str, Any]:
    """IEP meetings per case manager and month (or week) as a plain SVG
    heat map (no scripts): a row per person with meetings, a column per
    period, each cell's count written in it and its busiest period
    outlined. Empty without meeting dates."""
    if audit.meetings is None:
        return {}
    periods = period_range(p for _, p in audit.meetings)
    top = max(audit.meetings.values(), default=0) or 1
    busiest = audit.busiest()
    rows = []
    for c in instance.staff:
        counts = [audit.meetings.get((c.staff_id, p), 0) for p in periods]
        if not any(counts):
            continue
        y = _HEAD_H + len(rows) * _CELL_H
        cells = []
        for i, n in enumerate(counts):
            shade = _HEAT[min(len(_HEAT) - 1,
                              -(-n * (len(_HEAT) - 1) // top))]
            cells.append({
                "x": _LABEL_W + i * _CELL_W, "n": n, "fill": shade,
                "dark": shade in _HEAT[4:],
                "busiest": busiest.get(c.staff_id, ("", 0))
                == (periods[i], n) and n > 0})
        rows.append({"y": y, "label": f"{names.staff.get(c.staff_id, '')}"
                     f" ({c.staff_id})", "total": sum(counts),
                     "cells": cells})
    width = _LABEL_W + len(periods) * _CELL_W + 50
    return {
        "periods": [{"x": _LABEL_W + i * _CELL_W + _CELL_W / 2,
                     "label": _short_period(p), "title": p}
                    for i, p in enumerate(periods)],
        "rows": rows, "cell_w": _CELL_W, "cell_h": _CELL_H,
        "label_w": _LABEL_W, "head_h": _HEAD_H, "width": width,
        "height": _HEAD_H + len(rows) * _CELL_H + 4,
        "total_x": _LABEL_W + len(periods) * _CELL_W + 8,
        "most": max(audit.meetings.values(), default=0),
        "s5": calendar_term(audit.meetings.values()),
        # the legend's words follow the [calendar] period setting
        "unit": audit.calendar.period if audit.calendar else "month",
    }


def _changes(audit: Audit, rules: RuleSet, against: Against,
             names: Names) -> tuple[list[dict[str, Any]], int, int]:
    """The first ``MAX_CHANGES`` changes (described), the number of
    students who change case manager, and the number of new students."""
    out: list[dict[str, Any]] = []
    changed = new = 0
    for line in audit.lines:
        s = line.student
        sid = s.student_id
        after = line.staff.staff_id if line.staff else ""
        if against.plan is None:
            before = s.prior_case_manager or ""
            if not before:
                continue
        else:
            before = against.plan.get(sid, "")
        if before == after:
            continue
        if before:
            changed += 1
        else:
            new += 1
        if len(out) == MAX_CHANGES:
            continue  # counted, not shown
        out.append({
            "student": names.of_student(sid), "site": names.of_site(s.site),
            "before": names.of_staff(before) if before else "new student",
            "after": names.of_staff(after), "new": not before,
            "reason": against.reasons.get(sid) or short_reason(line, rules)})
    return out, changed, new


def unverified_rows(audit: Audit, rules: RuleSet,
                    limit: int = MAX_CHANGES) -> list[dict[str, Any]]:
    """Students who rely on rows marked unverified, grouped by row."""
    by_row: dict[str, list[str]] = defaultdict(list)
    for line in audit.lines:
        if line.check is None or line.staff is None:
            continue
        for rid in line.check.unverified_rule_ids:
            by_row[rid].append(f"{line.student.student_id} "
                               f"({line.staff.staff_id})")
    rows = {r.rule_id: r for r in rules.authorizations}
    return [{"rule_id": rid, "credentials": ";".join(sorted(
                rows[rid].credentials)),
             "activity": rows[rid].activity, "source": rows[rid].source,
             "note": rows[rid].note, "count": len(ids),
             "students": ids[:limit], "more": len(ids) > limit}
            for rid, ids in sorted(by_row.items(),
                                   key=lambda kv: (-len(kv[1]), kv[0]))]


def settings_text(weights: ObjectiveWeights, params: SolverParams,
                  closest_to: str = "") -> str:
    """The objective and solver settings in a line a reader can follow."""
    def weighted(terms):
        return " + ".join(
            (f"{getattr(weights, t):g} x " if getattr(weights, t) != 1
             else "") + t for t in terms if getattr(weights, t) > 0)
    if weights.mode == "priority":
        how = "strict order " + " > ".join(weights.priority)
    elif weights.mode == "weights":
        how = weighted(("S1", "S2", "S3", "S4"))
    else:
        how = "S1 first, then " + weighted(("S2", "S3", "S4"))
    if closest_to:
        how += f"; ties: closest to {closest_to}"
    workers = f"{params.workers} worker" + ("s" if params.workers > 1
                                            else "")
    return (f"{weights.mode} ({how}); time limit {params.time_limit:g} s, "
            f"seed {params.seed}, {workers}")


def template_environment(folder: Path | str) -> Environment:
    """Jinja2 over ``folder`` escaping ``*.html.j2`` templates (the
    default ``select_autoescape()`` knows only .html/.htm/.xml)."""
    return Environment(loader=FileSystemLoader(str(folder)),
                       autoescape=select_autoescape(["html", "j2"]))


def render(title: str, meta: dict[str, str], plans: list[PlanView],
           comparison: dict[str, Any] | None = None) -> str:
    """The page; ``meta`` (label -> words: date, roster, settings ...)
    is the header under the one title."""
    env = template_environment(TEMPLATES)
    return env.get_template("report.html.j2").render(
        title=title, meta=meta, plans=plans, comparison=comparison,
        version=product_version())
