"""The comparison of scenarios: one row of figures per plan, changes."""

from __future__ import annotations

from typing import Any

from optimizer.domain import Instance
from optimizer.objectives import REFERENCE, has_meeting_dates
from optimizer.rules import RuleSet

# The calendar's KPI (S5): the most IEP meetings one case manager holds
# in one month (or week), over everyone; only with meeting dates.
BUSIEST = "busiest_month"
BUSIEST_LABEL = "busiest month: most meetings held by one case manager"


def kpi_row(name: str, result, audit, instance: Instance,
            base_assignment: dict[str, str] | None, rules: RuleSet,
            diagnosis: str = "") -> dict[str, Any]:
    """One row of the comparison table (None where there is no plan)."""
    caps = sum(rules.effective_cap(c) for c in instance.staff
               if rules.may_case_manage(c))
    row: dict[str, Any] = {
        "scenario": name,
        "status": result.status.value,
        "proven_optimal": result.proven_optimal,
        "gap": round(result.gap, 6),
        "students": len(instance.students),
        # Without a plan, the students no plan can place (diagnosis).
        "students_unassigned": (
            result.diagnosis.num_students_without_case_manager
            if not result.has_plan and result.diagnosis is not None
            else len(instance.students) - len(result.assignment)),
        "spare_places": caps - len(instance.students),
        "best_practice": None, "continuity_kept": None,
        "language_matches": None, "changed_vs_base": None,
        "authorizations": rules.authorization_mode,
        "on_unverified_rows": None,
        # issue 21: the SLP 55 of EC 56363.3 is a district average
        "speech_average": None, "speech_most_per_fte": None,
        "runtime_seconds": round(result.runtime, 2),
        "diagnosis": diagnosis,
    }
    if has_meeting_dates(instance.students):  # a column only with dates
        row[BUSIEST] = None
    if audit is None:
        return row
    k = audit.kpis
    row.update(best_practice=k.best_practice_matches,
               continuity_kept=k.continuity_kept,
               language_matches=k.language_matches,
               on_unverified_rows=k.students_on_unverified_rows)
    for avg in k.caseload_averages:
        if avg["provides"] == "SPEECH":
            per_fte = [p["case_managed_per_fte"] for p in avg["per_person"]]
            row.update(speech_average=avg["average"],
                       speech_most_per_fte=max(per_fte, default=None))
    for kind, u in k.utilization_by_kind.items():
        row[f"{kind}_util_min"] = u.min
        row[f"{kind}_util_median"] = u.median
        row[f"{kind}_util_max"] = u.max
        row[f"{kind}_over_90"] = u.over_90_percent
    if base_assignment is not None:
        # The checker's R against the base plan (objectives.REFERENCE).
        row["changed_vs_base"] = audit.terms[REFERENCE]
    if audit.meetings is not None:
        row[BUSIEST] = max((audit.months or {}).values(), default=0)
    return row


def comparison_frame(rows: list[dict[str, Any]]):
    """The rows as a tidy DataFrame: fixed columns first, then per kind."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    fixed = [c for c in rows[0] if not c.endswith(
        ("_util_min", "_util_median", "_util_max", "_over_90"))]
    fixed.remove("diagnosis")
    per_kind = sorted(c for c in frame.columns if c not in fixed
                      and c != "diagnosis")
    # Counts stay whole numbers even where a row has none (no plan).
    for col in ("best_practice", "continuity_kept", "language_matches",
                "changed_vs_base", *(c for c in per_kind
                                     if c.endswith("_over_90")),
                *([BUSIEST] if BUSIEST in frame.columns else [])):
        frame[col] = frame[col].astype("Int64")
    return frame[[*fixed, *per_kind, "diagnosis"]]


def changes_rows(base: dict[str, str], name: str,
                 assignment: dict[str, str]) -> list[list[str]]:
    """Students whose case manager differs from the base (or who were
    added or removed by the scenario)."""
    out = []
    for sid in sorted(base.keys() | assignment.keys()):
        before, after = base.get(sid, ""), assignment.get(sid, "")
        if before != after:
            out.append([sid, name, before, after])
    return out


# ------------------------------------------- the report's comparison


COMPARISON_COLUMNS = (
    ("scenario", "scenario"), ("status", "status"),
    ("proven_optimal", "proven"),
    ("students_unassigned", "without a case manager"),
    ("spare_places", "spare places"),
    ("best_practice", "best practice"), ("continuity_kept",
                                         "last year's kept"),
    ("language_matches", "language"),
    ("changed_vs_base", "changed vs base plan"),
    ("services_shortfall", "services shortfall (students)"),
    ("authorizations", "authorizations"),
    ("on_unverified_rows", "on unverified rows"),
    ("speech_average", "SLP average caseload (EC 56363.3: at most 55)"),
    ("speech_most_per_fte", "SLP most case-managed per FTE"),
)
# The main kinds of provider, as the terminal table shows them.
UTILIZATION_KINDS = ("RSP", "SDC", "SPEECH")


def comparison_table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The side-by-side KPIs and their charts, ready for the template."""
    def cell(value):
        if value is None:
            return "\u2013"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return value

    present = {k.split("_util_")[0] for r in rows for k in r
               if k.endswith("_util_min")}
    kinds = [k for k in UTILIZATION_KINDS if k in present]

    def utilization(r, kind):
        if r.get(f"{kind}_util_min") is None:
            return "\u2013"
        return (f"{r[kind + '_util_min']:.0%}/"
                f"{r[kind + '_util_median']:.0%}/"
                f"{r[kind + '_util_max']:.0%} ({r[kind + '_over_90']})")
    columns = COMPARISON_COLUMNS + (
        ((BUSIEST, BUSIEST_LABEL),) if any(BUSIEST in r for r in rows)
        else ())
    return {"header": [h for _, h in columns]
            + [f"{k} utilization min/med/max (over 90%)" for k in kinds],
            "fixed": len(columns),
            "rows": [[cell(r.get(k)) for k, _ in columns]
                     + [utilization(r, k) for k in kinds] for r in rows],
            "charts": comparison_charts(rows)}


def comparison_charts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One bar chart per KPI, a bar per scenario (the base has no bar
    in the chart of changes against itself)."""
    charts = []
    for key, label, skip_base in (
            ("best_practice", "Best-practice matches", False),
            ("continuity_kept", "Continuity kept (vs last year)", False),
            ("language_matches", "Language matches", False),
            ("changed_vs_base", "Students changing case manager vs the "
                                "base plan", True),
            *(((BUSIEST, "Busiest month: most IEP meetings held by one "
                "case manager", False),)
              if any(BUSIEST in r for r in rows) else ())):
        values = [(r["scenario"], r.get(key))
                  for i, r in enumerate(rows) if not (skip_base and i == 0)]
        top = max((v for _, v in values if isinstance(v, (int, float))),
                  default=0) or 1
        charts.append({"title": label, "bars": [
            {"label": name, "pct": 100 * (v or 0) / top, "cap_pct": 100,
             "text": "no plan" if v is None else str(v), "hot": False}
            for name, v in values]})
    return charts
