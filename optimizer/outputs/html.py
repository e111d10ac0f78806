"""report.html: a self-contained page for people who would rather look.

Charts are bar charts drawn by the Jinja2 template (autoescaped) from the
data below as plain HTML and CSS, so the page is self-contained, opens
from a USB stick with no network, and stays light for 700 sites. Pure
rendering: no solving.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from optimizer.domain import Instance
from optimizer.explain import short_reason
from optimizer.outputs.tables import product_version
from optimizer.rules import RuleSet
from optimizer.verify import Audit
from optimizer.vocab import DISABILITY_ABBREVIATIONS

TEMPLATES = Path(__file__).parent / "templates"
MAX_SITE_CHARTS = 12
MAX_CHANGES = 300


@dataclass
class PlanView:
    """What the report shows of one plan (or one infeasible scenario)."""

    name: str
    status: str
    proof: str = ""
    diagnosis: str = ""
    cards: list[dict[str, Any]] = field(default_factory=list)
    caseload_charts: list[dict[str, Any]] = field(default_factory=list)
    caseload_note: str = ""
    rate_chart: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    changes: list[dict[str, str]] = field(default_factory=list)
    changes_total: int = 0
    changes_more: bool = False
    services: dict[str, Any] = field(default_factory=dict)  # issue 13
    authorizations: str = "all"
    unverified: list[dict[str, Any]] = field(default_factory=list)
    unverified_students: int = 0


def caseload_charts(audit: Audit, instance: Instance, rules: RuleSet
                    ) -> tuple[list[dict[str, Any]], str]:
    """Caseload against cap per case manager, one chart per site."""
    by_site: dict[str, list] = defaultdict(list)
    for c in instance.staff:
        n, _, cap = audit.loads[c.staff_id]
        if cap <= 0 or not rules.may_case_manage(c):
            continue
        for site in c.sites:
            by_site[site].append((c.kind, c.name, c.staff_id, n, cap))
    sites = sorted(by_site)
    note = ""
    if len(sites) > MAX_SITE_CHARTS:
        note = (f"{len(sites)} sites: the first {MAX_SITE_CHARTS} are drawn;"
                " caseloads.csv lists everyone.")
        sites = sites[:MAX_SITE_CHARTS]
    charts = []
    for site in sites:
        rows = sorted(by_site[site])
        top = max(cap for *_, cap in rows)
        title = "All sites (*)" if site == "*" else f"Site {site}"
        charts.append({"title": title, "bars": [
            {"label": f"{kind} · {name} ({sid})", "value": n, "cap": cap,
             "pct": 100 * n / top, "cap_pct": 100 * cap / top,
             "text": f"{n} / {cap}", "hot": n > 0.9 * cap}
            for kind, name, sid, n, cap in rows]})
    return charts, note


def rate_chart(audit: Audit) -> dict[str, Any]:
    k = audit.kpis
    rates = [
        ("best practice", k.best_practice_matches, k.students),
        ("continuity kept", k.continuity_kept,
         k.prior_case_manager_given),
        ("language matched", k.language_matches,
         k.home_language_other_than_english),
    ]
    return {"title": "Rates", "bars": [
        {"label": label, "pct": 100 * a / max(1, b), "cap_pct": 100,
         "text": f"{a} / {b} ({a / max(1, b):.0%})", "hot": False}
        for label, a, b in rates]}


def coverage(instance: Instance, rules: RuleSet) -> dict[str, Any]:
    """Per site: categories some staff there may instruct (any grade)."""
    cats = list(DISABILITY_ABBREVIATIONS)
    can: dict[str, set[str]] = defaultdict(set)
    sites = sorted({s.site for s in instance.students})
    for c in instance.staff:
        if not {"SDC", "DEPT"} & set(c.provides):
            continue
        covered = set(rules.instruction_categories(c))
        if "*" in covered:
            covered |= set(cats)
        for site in sites:
            if c.serves_site(site):
                can[site] |= covered
    return {"categories": cats,
            "rows": [(site, [cat in can[site] for cat in cats])
                     for site in sites]}


def plan_view(name: str, status: str, proof: str, audit: Audit | None,
              instance: Instance, rules: RuleSet,
              base: dict[str, str] | None = None,
              diagnosis: str = "") -> PlanView:
    """The report's view of a plan: cards, charts, coverage, changes.

    ``base`` (student -> case manager) compares with a base plan; without
    it, changes are against each student's prior case manager.
    """
    view = PlanView(name, status, proof, diagnosis)
    if audit is None:
        return view
    k = audit.kpis
    view.cards = [
        {"label": "students", "value": k.students},
        {"label": "best practice", "value": k.best_practice_matches},
        {"label": "continuity kept", "value": k.continuity_kept},
        {"label": "language matches", "value": k.language_matches},
    ]
    view.caseload_charts, view.caseload_note = caseload_charts(
        audit, instance, rules)
    view.rate_chart = rate_chart(audit)
    view.coverage = coverage(instance, rules)
    view.authorizations = rules.authorization_mode
    view.unverified = unverified_rows(audit, rules)
    view.unverified_students = k.students_on_unverified_rows
    changes = []
    for line in audit.lines:
        sid = line.student.student_id
        before = (base or {}).get(sid) if base is not None \
            else line.student.prior_case_manager
        after = line.staff.staff_id if line.staff else ""
        if before and before != after:
            changes.append({"student": sid, "site": line.student.site,
                            "before": before, "after": after,
                            "reason": short_reason(line, rules)})
    view.changes_total = len(changes)
    view.changes_more = len(changes) > MAX_CHANGES
    view.changes = changes[:MAX_CHANGES]
    return view


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


COMPARISON_COLUMNS = (
    ("scenario", "scenario"), ("status", "status"),
    ("proven_optimal", "proven optimal"),
    ("students_unassigned", "unassigned"), ("spare_places", "spare places"),
    ("best_practice", "best practice"), ("continuity_kept", "continuity"),
    ("language_matches", "language"), ("changed_vs_base", "changed vs base"),
    ("services_shortfall", "services shortfall (students)"),
    ("authorizations", "authorizations"),
    ("on_unverified_rows", "on unverified rows"),
)


def comparison_table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The side-by-side KPIs and their charts, ready for the template."""
    def cell(value):
        if value is None:
            return "\u2013"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return value
    return {"header": [h for _, h in COMPARISON_COLUMNS],
            "rows": [[cell(r.get(k)) for k, _ in COMPARISON_COLUMNS]
                     for r in rows],
            "charts": comparison_charts(rows)}


def comparison_charts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One bar chart per KPI, a bar per scenario."""
    charts = []
    for key, label in (("best_practice", "Best-practice matches"),
                       ("continuity_kept", "Continuity kept"),
                       ("language_matches", "Language matches"),
                       ("changed_vs_base", "Students changing case manager "
                                           "vs the base")):
        values = [(r["scenario"], r.get(key)) for r in rows]
        top = max((v for _, v in values if isinstance(v, (int, float))),
                  default=0) or 1
        charts.append({"title": label, "bars": [
            {"label": name, "pct": 100 * (v or 0) / top, "cap_pct": 100,
             "text": "no plan" if v is None else str(v), "hot": False}
            for name, v in values]})
    return charts


def render(title: str, subtitle: str, plans: list[PlanView],
           comparison: dict[str, Any] | None = None) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES),
                      autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("report.html.j2").render(
        title=title, subtitle=subtitle, plans=plans, comparison=comparison,
        version=product_version())
