"""Service coverage as outputs: staffing.csv, summary.json, text, report.

Pure rendering of a ``coverage.Coverage`` and its verified fixes; the
judgement itself lives in ``optimizer.coverage``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from optimizer.coverage import Coverage, StaffingRow
from optimizer.outputs.tables import csv_text
from optimizer.rules import RuleSet

# staffing.csv: ids first, then the counts, then the figures (README).
STAFFING_COLUMNS: tuple[str, ...] = (
    "site", "service", "students", "students_without_provider",
    "providers", "provider_fte", "capacity", "shortfall_students",
    "spare_students", "shortfall_fte", "spare_fte", "cap_per_fte",
    "provider_ids", "cap_source",
)
MAX_SHOWN = 300  # rows of each table in report.html


def _num(x: float | None, digits: int = 1) -> str:
    if x is None:
        return ""
    x = round(x, digits)
    return str(int(x)) if x == int(x) else f"{x:.{digits}f}".rstrip("0")


def staffing_record(r: StaffingRow) -> dict[str, Any]:
    """One staffing row as text cells, keyed by ``STAFFING_COLUMNS``."""
    return {
        "site": r.site, "service": r.service, "students": r.students,
        "students_without_provider": r.without_provider,
        "providers": len(r.provider_ids),
        "provider_fte": _num(r.provider_fte, 2),
        "capacity": _num(r.capacity), "shortfall_students":
        _num(r.shortfall), "spare_students": _num(r.spare),
        "shortfall_fte": _num(r.shortfall_fte, 2),
        "spare_fte": _num(r.spare_fte, 2),
        "cap_per_fte": "" if r.cap_per_fte is None else r.cap_per_fte,
        "provider_ids": ";".join(r.provider_ids),
        "cap_source": r.cap_source,
    }


def staffing_csv(cov: Coverage) -> str:
    """staffing.csv: one row per site and service some student needs."""
    rows: list[list[Any]] = [list(STAFFING_COLUMNS)]
    for r in cov.staffing:
        rec = staffing_record(r)
        rows.append([rec[c] for c in STAFFING_COLUMNS])
    return csv_text(rows)


def summary(cov: Coverage, fixes: list,
            rename: Callable[[str], str] | None = None) -> dict[str, Any]:
    """The ``services`` key of summary.json."""
    name = rename or (lambda x: x)
    return {
        "gaps": [{"student_id": name(g.student_id), "site": g.site,
                  "grade": g.grade, "service": g.service,
                  "unauthorized_providers": list(g.unauthorized),
                  "excluded_by": list(g.rules)}
                 for g in cov.gaps],
        "alternate_placement_gaps": [
            {"student_id": name(g.student_id), "site": g.site,
             "primary_disability": g.primary, "services": list(g.services),
             "missing": g.missing, "mapping_verified": g.verified}
            for g in cov.placement_gaps],
        "needs_action": list(cov.needs_action),
        "rule_flags": [{"student_id": name(f.student_id), "site": f.site,
                        "column": f.column, "needs_action": f.needs_action,
                        "text": str(f)} for f in cov.flags],
        "shortfall_students": cov.shortfall,
        "shortfall_fte": cov.shortfall_fte,
        "short_rows": sum(1 for r in cov.staffing if r.shortfall > 0),
        "fixes": [{"kind": f.kind, "fix": f.text, "change": f.change}
                  for f in fixes],
    }


def text_lines(cov: Coverage, fixes: list, limit: int = 10) -> list[str]:
    """What ``caseload check`` prints about services (never a violation)."""
    # Issue 21: what needs action comes first, every item of it.
    act = cov.needs_action
    lines = [f"Needs action: {len(act)}"]
    lines += [f"  {a}" for a in act]
    gaps = [str(g) for g in cov.gaps] + [
        str(f) for f in cov.flags if not f.needs_action]
    lines += [f"IEP services nobody at the site may provide: {len(cov.gaps)}"
              f"; alternate placements missing a related service: "
              f"{len(cov.placement_gaps)}; staffing shortfall "
              f"{_num(cov.shortfall)} student(s), "
              f"{_num(cov.shortfall_fte, 2)} FTE"]
    lines += [f"  Warning: {g}" for g in gaps[:limit]]
    if len(gaps) > limit:
        lines.append(f"  ... {len(gaps) - limit} more")
    lines += [f"  Fix (checked by recomputing coverage): {f.text}"
              for f in fixes[:limit]]
    return lines


def html_view(cov: Coverage, fixes: list, rules: RuleSet
              ) -> dict[str, Any]:
    """What ``_services.html.j2`` shows."""
    def cap(kind: str, pre: bool) -> str:
        row = next((r for r in rules.caseload_defaults if r.provides == kind
                    and (r.only_grades is not None) == pre), None)
        return "none" if row is None else str(row.default_cap)

    staffing = sorted(cov.staffing, key=lambda r: -r.shortfall)[:MAX_SHOWN]
    shown = set(map(id, staffing))
    return {
        "gaps_total": len(cov.gaps),
        "gaps": [{"student": g.student_id, "site": g.site, "grade": g.grade,
                  "service": g.service,
                  "why": (f"{', '.join(g.unauthorized)} provide it there "
                          f"but may not for this student "
                          f"({', '.join(g.rules)})" if g.unauthorized
                          else "nobody there provides it")}
                 for g in cov.gaps[:MAX_SHOWN]],
        "gaps_more": len(cov.gaps) > MAX_SHOWN,
        "placement": [{"student": g.student_id, "site": g.site,
                       "primary": g.primary, "needs": " or ".join(g.services)
                       + ("" if g.verified else " (unverified)"),
                       "missing": ("the service is not on the IEP"
                                   if g.missing == "service" else
                                   "nobody at the site may provide it")}
                      for g in cov.placement_gaps],
        "fixes": [f.text for f in fixes],
        "needs_action": list(cov.needs_action),
        "shortfall": _num(cov.shortfall),
        "shortfall_fte": _num(cov.shortfall_fte, 2),
        "speech_cap": cap("SPEECH", False),
        "preschool_cap": cap("SPEECH", True),
        "rsp_cap": cap("RSP", False),
        # In site order, the largest shortfalls kept when there are many.
        "staffing": [{**staffing_record(r), "short": r.shortfall > 0,
                      "without_provider": r.without_provider,
                      "providers": ", ".join(r.provider_ids) or "none",
                      "fte": _num(r.provider_fte, 2),
                      "shortfall": _num(r.shortfall)}
                     for r in cov.staffing if id(r) in shown],
        "staffing_total": len(cov.staffing),
        "staffing_more": len(cov.staffing) > MAX_SHOWN,
    }
