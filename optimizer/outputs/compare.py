"""The comparison of scenarios: one row of figures per plan, changes."""

from __future__ import annotations

from typing import Any

from optimizer.domain import Instance
from optimizer.rules import RuleSet


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
        "students_unassigned": (len(instance.students) - len(
            result.assignment)),
        "spare_places": caps - len(instance.students),
        "best_practice": None, "continuity_kept": None,
        "language_matches": None, "changed_vs_base": None,
        "authorizations": rules.authorization_mode,
        "on_unverified_rows": None,
        "runtime_seconds": round(result.runtime, 2),
        "diagnosis": diagnosis,
    }
    if audit is None:
        return row
    k = audit.kpis
    row.update(best_practice=k.best_practice_matches,
               continuity_kept=k.continuity_kept,
               language_matches=k.language_matches,
               on_unverified_rows=k.students_on_unverified_rows)
    for kind, u in k.utilization_by_kind.items():
        row[f"{kind}_util_min"] = u.min
        row[f"{kind}_util_median"] = u.median
        row[f"{kind}_util_max"] = u.max
        row[f"{kind}_over_90"] = u.over_90_percent
    if base_assignment is not None:
        row["changed_vs_base"] = sum(
            1 for sid, cm in result.assignment.items()
            if base_assignment.get(sid) not in (None, cm))
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
                                     if c.endswith("_over_90"))):
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
