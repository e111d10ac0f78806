"""Plan outputs as text: assignments.csv, caseloads.csv, summary.json.

Pure functions of an ``Audit`` (the checker's view of the plan) and a
``Result``; no solving. Column orders are fixed and documented.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from optimizer.csvtext import csv_text
from optimizer.domain import Instance
from optimizer.objectives import TERM_NAMES, ObjectiveWeights, period_range
from optimizer.reasons.explain import short_reason
from optimizer.result import Result
from optimizer.rules import RuleSet
from optimizer.verify import Audit

ASSIGNMENT_COLUMNS: tuple[str, ...] = (
    "student_id", "site", "case_manager_id", "case_manager_name",
    "relation", "authorized_by", "best_practice", "prior_case_manager",
    "changed",
)
# Product columns, after the roster's own extra columns (README).
PRODUCT_COLUMNS: tuple[str, ...] = ("authorization_verified", "reason")
CASELOAD_COLUMNS: tuple[str, ...] = (
    "staff_id", "name", "caseload", "weighted_load", "max_caseload",
    "utilization",
)


def product_version() -> str:
    try:
        return version("caseload")
    except PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def _changed(prior_kept: bool | None) -> str:
    """The ``changed`` column: blank without a prior case manager."""
    return "" if prior_kept is None else "no" if prior_kept else "yes"


def _number(x: float) -> str:
    return f"{x:.3f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def pseudonymizer(key: str) -> Callable[[str], str]:
    """Stable pseudonyms: HMAC-SHA256 of the id under ``key``."""
    def name(student_id: str) -> str:
        digest = hmac.new(key.encode(), student_id.encode(), hashlib.sha256)
        return "P-" + digest.hexdigest()[:12]
    return name


def assignments_csv(audit: Audit, instance: Instance, rules: RuleSet,
                    redact: Callable[[str], str] | None = None) -> str:
    """One row per student, in input order (contract columns first).

    With ``redact``, student ids are replaced by pseudonyms and the
    roster's own columns (names and the like) are left out.
    """
    return csv_text(assignments_rows(audit, instance, rules, redact))


def assignments_rows(audit: Audit, instance: Instance, rules: RuleSet,
                     redact: Callable[[str], str] | None = None
                     ) -> list[list[str]]:
    """assignments.csv's rows, header first, every value a string (as
    ``csv.reader`` reads the file back); see ``assignments_csv``."""
    extra_columns = () if redact else instance.extra_columns
    rows: list[list[str]] = [[*ASSIGNMENT_COLUMNS, *extra_columns,
                              *PRODUCT_COLUMNS]]
    extras = {} if redact else instance.extras
    shown: dict[int, tuple[str, str, str, str]] = {}  # per PairCheck
    for line in audit.lines:
        s, c, check = line.student, line.staff, line.check
        sid = s.student_id
        prior = s.prior_case_manager or ""
        if check is None or c is None:
            rows.append([redact(sid) if redact else sid, s.site, "", "", "",
                         "", "", prior, _changed(line.prior_kept),
                         *extras.get(sid, ()), "", ""])
            continue
        words = shown.get(id(check))
        if words is None:
            words = shown[id(check)] = (
                check.relation, ";".join(check.authorized_by),
                "yes" if check.best_practice else "no",
                ("yes" if check.verified else "no")
                if check.authorized_by else "")
        kept = c.staff_id == prior if prior else None
        reason = short_reason(line, rules)
        rows.append([redact(sid) if redact else sid, s.site, c.staff_id,
                     c.name, words[0], words[1], words[2], prior,
                     _changed(kept), *extras.get(sid, ()), words[3],
                     reason])
    return rows


def caseloads_csv(audit: Audit, instance: Instance) -> str:
    """One row per staff member, in input order. With meeting dates, two
    more columns: the busiest month (or week) and its IEP meetings."""
    dated = audit.meetings is not None
    busiest = audit.busiest()
    rows: list[list[Any]] = [list(CASELOAD_COLUMNS) + (
        ["busiest_period", "meetings_in_busiest_period"] if dated else [])]
    for c in instance.staff:
        n, wl, cap = audit.loads[c.staff_id]
        util = _number(round(wl / cap, 3)) if cap > 0 else ""
        row = [c.staff_id, c.name, n, _number(round(wl, 3)), cap, util]
        if dated:
            row += list(busiest.get(c.staff_id, ("", 0)))
        rows.append(row)
    return csv_text(rows)


def meetings_csv(audit: Audit, instance: Instance) -> str | None:
    """meetings.csv: IEP meetings per case manager (rows, input order)
    and month or week (columns, in order); None without meeting dates."""
    if audit.meetings is None:
        return None
    periods = period_range(p for _, p in audit.meetings)
    rows: list[list[Any]] = [["staff_id", "name", *periods, "total"]]
    for c in instance.staff:
        counts = [audit.meetings.get((c.staff_id, p), 0) for p in periods]
        if any(counts) or audit.loads[c.staff_id][0]:
            rows.append([c.staff_id, c.name, *counts, sum(counts)])
    return csv_text(rows)


def summary(result: Result, audit: Audit | None, *, input_hash: str,
            rules: RuleSet, weights: ObjectiveWeights,
            warnings: list[str], solver_versions: dict[str, str]
            ) -> dict[str, Any]:
    """summary.json: status, proof, terms, KPIs, parameters, versions."""
    terms = None
    if audit is not None:
        terms = {f"{t}_{TERM_NAMES[t].replace(' ', '_')}": v
                 for t, v in audit.terms.items()}
    return {
        "product": {"name": "caseload", "version": product_version(),
                    **solver_versions},
        "status": result.status.value,
        "proven_optimal": result.proven_optimal,
        "gap": round(result.gap, 6),
        "objective": {
            "terms": terms,
            "levels": [{"terms": lv.terms, "objective": lv.objective,
                        "bound": lv.bound, "optimal": lv.optimal}
                       for lv in result.levels],
        },
        "kpis": audit.kpis.as_dict() if audit is not None else None,
        "warnings": warnings,
        "runtime_seconds": round(result.runtime, 3),
        "parameters": {
            "solver": result.params.as_dict(),
            "objective": weights.model_dump(
                mode="json", exclude=None if audit is not None
                and audit.meetings is not None
                else set(weights.CALENDAR_FIELDS)),
            "authorizations": rules.authorization_mode,
        },
        "model": {"groups": result.num_groups, "pairs": result.num_pairs,
                  "components": result.num_components},
        "input_hash": input_hash,
        "rules_hash": rules.source_hash,
    }


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def diagnosis_dict(result: Result, rename=None) -> dict:
    """diagnosis.json: the diagnosis of a plan that could not be made."""
    d = result.diagnosis
    assert d is not None
    if rename is not None:
        d = replace(d, no_candidates=tuple(
            replace(nc, student_ids=tuple(map(rename, nc.student_ids)))
            for nc in d.no_candidates), shortfalls=tuple(
            replace(sh, student_ids=tuple(map(rename, sh.student_ids)))
            for sh in d.shortfalls), meetings=tuple(
            replace(mo, student_ids=tuple(map(rename, mo.student_ids)))
            for mo in d.meetings))
    extra = {"meeting_limit": [
        {"month": mo.month, "students": list(mo.student_ids),
         "staff": [i for i, _ in mo.staff], "meetings": mo.meetings,
         "places": mo.places, "rule": "H8"} for mo in d.meetings]
    } if d.meetings else {}
    return {
        "status": result.status.value,
        "no_eligible_case_manager": [
            {"students": list(nc.student_ids), "site": nc.site,
             "profile": nc.profile,
             "excluded": [{"staff_id": ex.staff_id,
                           "reasons": [{"rule": r, "reason": m}
                                       for r, m in ex.reasons]}
                          for ex in nc.excluded]}
            for nc in d.no_candidates],
        "capacity_shortfalls": [
            {"students": list(sh.student_ids), "sites": list(sh.sites),
             "staff": [{"staff_id": i, "cap": cap}
                       for i, _, cap in sh.staff],
             "shortfall": sh.shortfall, "rule": "H6"}
            for sh in d.shortfalls],
        "notes": list(d.notes),
        "conflicts": [
            {"facts": list(c.facts),
             "students": [rename(x) if rename else x for x in c.students],
             "fixes": [{"kind": k, "fix": t, "change": ch}
                       for k, t, ch in c.fixes]}
            for c in d.conflicts],
        **extra,
    }
