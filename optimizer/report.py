"""Plan outputs as text: assignments.csv, caseloads.csv, summary.json.

Pure functions of an ``Audit`` (the checker's view of the plan) and a
``Result``; no solving. Column orders are fixed and documented.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from optimizer.domain import Instance
from optimizer.explain import short_reason
from optimizer.objectives import TERM_NAMES, ObjectiveWeights
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


def csv_text(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(rows)
    return buf.getvalue()


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
    extra_columns = () if redact else instance.extra_columns
    rows: list[list[Any]] = [[*ASSIGNMENT_COLUMNS, *extra_columns,
                              *PRODUCT_COLUMNS]]
    for line in audit.lines:
        s, c, check = line.student, line.staff, line.check
        extra = () if redact else instance.extras.get(s.student_id, ())
        rows.append([
            redact(s.student_id) if redact else s.student_id, s.site,
            c.staff_id if c else "", c.name if c else "",
            check.relation if check else "",
            ";".join(check.authorized_by) if check else "",
            ("yes" if check.best_practice else "no") if check else "",
            s.prior_case_manager or "", line.changed, *extra,
            ("yes" if check.verified else "no") if check and
            check.authorized_by else "",
            short_reason(line, rules),
        ])
    return csv_text(rows)


def caseloads_csv(audit: Audit, instance: Instance) -> str:
    """One row per staff member, in input order."""
    rows: list[list[Any]] = [list(CASELOAD_COLUMNS)]
    for c in instance.staff:
        n, wl, cap = audit.loads[c.staff_id]
        util = _number(round(wl / cap, 3)) if cap > 0 else ""
        rows.append([c.staff_id, c.name, n, _number(round(wl, 3)), cap,
                     util])
    return csv_text(rows)


def summary(result: Result, audit: Audit | None, *, input_hash: str,
            rules: RuleSet, weights: ObjectiveWeights,
            warnings: list[str], solver_version: str) -> dict[str, Any]:
    """summary.json: status, proof, terms, KPIs, parameters, versions."""
    terms = None
    if audit is not None:
        terms = {f"{t}_{TERM_NAMES[t].replace(' ', '_')}": v
                 for t, v in audit.terms.items()}
    return {
        "product": {"name": "caseload", "version": product_version(),
                    "ortools": solver_version},
        "status": result.status.value,
        "proven_optimal": result.proven_optimal,
        "gap": round(result.gap, 6),
        "objective": {
            "terms": terms,
            "levels": [{"terms": lv.terms, "objective": lv.objective,
                        "bound": lv.bound, "optimal": lv.optimal}
                       for lv in result.levels],
        },
        "kpis": audit.kpis if audit is not None else None,
        "warnings": warnings,
        "runtime_seconds": round(result.runtime, 3),
        "parameters": {
            "solver": result.params.as_dict(),
            "objective": weights.model_dump(mode="json"),
        },
        "model": {"groups": result.num_groups, "pairs": result.num_pairs,
                  "components": result.num_components},
        "input_hash": input_hash,
        "rules_hash": rules.source_hash,
    }


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


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
    n = k["students"] or 1
    lines.append(f"Students: {k['students']}   Staff: {k['staff']} "
                 f"({k['case_managers_available']} can case-manage)")
    lines.append(f"Best practice: {k['best_practice_matches']}/"
                 f"{k['students']} ({k['best_practice_matches'] / n:.1%})")
    lines.append(f"Continuity kept: {k['continuity_kept']} of "
                 f"{k['prior_case_manager_given']} with a prior case "
                 f"manager ({k['prior_case_manager_allowed']} still allowed)")
    lines.append(f"Language matches: {k['language_matches']} of "
                 f"{k['home_language_other_than_english']} families with a "
                 "home language other than English")
    rel = ", ".join(f"{r} {c}" for r, c in k["relations"].items())
    lines.append(f"Relations: {rel}")
    lines.append("Utilization by kind (min / median / max, over 90%):")
    for kind, u in k["utilization_by_kind"].items():
        lines.append(f"  {kind:<11} {u['staff']:>3} staff  "
                     f"{u['min']:.0%} / {u['median']:.0%} / {u['max']:.0%}"
                     f"  ({u['over_90_percent']} over 90%)")
    unverified = k["unverified_authorizations_relied_on"]
    if unverified:
        rows = ", ".join(f"{r} x{c}" for r, c in unverified.items())
        lines.append(f"Relies on unverified authorization rows: {rows} "
                     "(see data/rules/authorizations.csv)")
    return "\n".join(lines)
