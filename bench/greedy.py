"""A greedy baseline: how a person with a spreadsheet would assign.

Students in roster order; each goes to an eligible person with room,
preferring the best-practice provider, then the least-utilized one. It
uses the product's own eligibility (so it obeys H2-H5, H7) and caps (H6),
but it can strand a student whose only eligible people filled up early.
"""

from __future__ import annotations

from optimizer.domain import Instance
from optimizer.rules import PairJudge, RuleSet


def greedy(instance: Instance, rules: RuleSet) -> dict[str, str]:
    judge = PairJudge(rules)
    caps = {c.staff_id: rules.effective_cap(c) for c in instance.staff}
    load = dict.fromkeys(caps, 0)
    usable = [c for c in instance.staff
              if caps[c.staff_id] > 0 and rules.may_case_manage(c)]
    by_site: dict[str, list] = {}
    for c in usable:
        for site in c.sites:
            by_site.setdefault(site, []).append(c)
    everywhere = by_site.pop("*", [])
    out: dict[str, str] = {}
    for s in instance.students:
        best = None
        for c in by_site.get(s.site, []) + everywhere:
            if load[c.staff_id] >= caps[c.staff_id]:
                continue
            check = judge.eligible(s, c)
            if check is None:
                continue
            key = (not check.best_practice,
                   load[c.staff_id] / caps[c.staff_id], c.staff_id)
            if best is None or key < best[0]:
                best = (key, c.staff_id)
        if best is not None:
            out[s.student_id] = best[1]
            load[best[1]] += 1
    return out
