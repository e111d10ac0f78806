"""Fixes for service coverage, in the diagnosis's vocabulary.

A service nobody at a site may provide, or a site short of providers,
gets the fix a program administrator can act on: add a staff member with
a named credential at a named site (``fixes.Fix`` of kind ``add_staff``,
applied by ``fixes.apply_fix`` exactly as the diagnosis applies its
own). Each fix is kept only if recomputing coverage on the changed
roster shows the gap closed or the shortfall gone.
"""

from __future__ import annotations

from collections import defaultdict
from math import ceil

from optimizer.domain import Instance, Student
from optimizer.reasons.coverage import (
    Coverage,
    StaffingRow,
    gap_groups,
    grade_span,
    service_coverage,
)
from optimizer.reasons.infeasible import Fix, apply_fix
from optimizer.rules import RuleSet
from optimizer.vocab import INSTRUCTION_ACTIVITY

MAX_FIXES = 12  # groups of gaps and short rows given a fix, biggest first


def coverage_fixes(instance: Instance, rules: RuleSet,
                   cov: Coverage | None = None) -> list[Fix]:
    """Verified fixes: one per group of gaps, one per short staffing row.

    Gap groups come first (a student with no provider at all), then rows
    whose providers are over their caps, largest shortfall first.
    """
    cov = cov or service_coverage(instance, rules)
    needing: dict[tuple[str, str], list[Student]] = defaultdict(list)
    for s in instance.students:
        for service in dict.fromkeys(s.services):
            needing[s.site, service].append(s)
    out: list[Fix] = []
    groups = sorted(gap_groups(cov), key=lambda g: -len(g[2]))
    for site, service, gaps in groups[:MAX_FIXES]:
        span = grade_span(g.grade for g in gaps)
        local = _part(instance, needing, {site}, service)
        for fix in _hires(site, service, span, rules, fte=1.0):
            after = service_coverage(apply_fix(local, fix), rules)
            # (the part's students may have other services: not judged)
            if not any(g.service == service for g in after.gaps):
                out.append(fix)
                break
    short = sorted((r for r in cov.staffing
                    if not r.without_provider and r.shortfall > 0
                    and r.cap_per_fte),
                   key=lambda r: (-r.shortfall, r.site, r.service))
    for row in short[:MAX_FIXES]:
        out.extend(_shortfall_fix(instance, rules, row, needing))
    return out


def _shortfall_fix(instance: Instance, rules: RuleSet, row: StaffingRow,
                   needing: dict[tuple[str, str], list[Student]]
                   ) -> list[Fix]:
    assert row.shortfall_fte is not None
    fte = min(1.0, ceil(row.shortfall_fte * 10 - 1e-9) / 10)
    span = grade_span(s.grade for s in needing[row.site, row.service])
    # What the row depends on: the students needing the service at every
    # site its providers serve (an itinerant's cap is shared by them).
    offer = [c for c in instance.staff
             if row.service in c.provides and c.serves_site(row.site)]
    sites = ({x for x, _ in needing} if any("*" in c.sites for c in offer)
             else {row.site} | {x for c in offer for x in c.sites})
    near = _part(instance, needing, sites, row.service)
    for fix in _hires(row.site, row.service, span, rules, fte=fte):
        after = service_coverage(apply_fix(near, fix), rules)
        same = [r for r in after.staffing
                if (r.site, r.service) == (row.site, row.service)]
        if same and same[0].shortfall < row.shortfall:
            return [fix]
    return []


def _part(instance: Instance, needing: dict[tuple[str, str], list[Student]],
          sites: set[str], service: str) -> Instance:
    """The students needing a service at some sites, and the staff who
    provide it at any of them: all a coverage figure there depends on."""
    students = tuple(s for site in sorted(sites)
                     for s in needing.get((site, service), ()))
    staff = tuple(c for c in instance.staff if service in c.provides
                  and ("*" in c.sites or set(c.sites) & sites))
    return instance.replace(students=students, staff=staff, pins={},
                            forbidden=frozenset(), extras={})


def _hires(site: str, service: str, span: str, rules: RuleSet,
           fte: float) -> list[Fix]:
    """Candidate hires for a service, the most usual credential first:
    one the CTC issues today (credentials.csv, ``issued_today``) before a
    legacy one, a credential before a license, then the table's order,
    verified rows first; an added authorization comes with a base
    credential issued today."""
    order = {code: i for i, code in enumerate(rules.credentials)}
    options = set()
    for rule in rules.authorizations:
        if rule.activity != service:
            continue
        for code in rule.credentials:
            creds: tuple[str, ...] = (code,)
            if rule.requires_base:
                base = _base_credential(rules)
                if base is None:
                    continue
                creds = (base, code)
            info = rules.credentials[code]
            options.add((not info.issued_today, info.kind == "license",
                         order[code], not rule.verified, creds,
                         rule.verified))
    fixes = []
    for *_, creds, verified in sorted(options):
        caveat = "" if verified else (" (relies on an unverified "
                                      "authorization row)")
        amount = "" if fte == 1.0 else f", {fte:g} FTE"
        fixes.append(Fix(
            "add_staff", f"add a staff member at {site} providing "
            f"{service} with credential {';'.join(creds)} (grades "
            f"{span}{amount}){caveat}",
            {"staff_id": "NEW-HIRE", "site": site, "provides": service,
             "credentials": list(creds), "grades": span,
             "max_caseload": None, "fte": fte}))
    return fixes


def _base_credential(rules: RuleSet) -> str | None:
    """The first teaching credential issued today: an added one's base."""
    teaching = {code for r in rules.authorizations
                if r.activity == INSTRUCTION_ACTIVITY and not r.requires_base
                for code in r.credentials}
    return next((code for code, info in rules.credentials.items()
                 if info.issued_today and code in teaching), None)
