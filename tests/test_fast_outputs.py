"""The fast paths of issue 24 (the write pipeline and the checker's
summaries) give exactly what the plain definitions give."""

from __future__ import annotations

from collections import defaultdict

import pytest

from bench.generate import generate, write
from optimizer.inputs.roster import load_roster
from optimizer.result import SolverParams
from optimizer.solver.dispatch import solve
from optimizer.verify import audit, rsp_by_others


@pytest.fixture(scope="module")
def tight(tmp_path_factory, rules):
    """A tightly staffed 40-site district with itinerants, solved."""
    out = tmp_path_factory.mktemp("tight")
    write(*generate("district", seed=5, staffing="tight"), out)
    roster = load_roster(out, rules)
    result = solve(roster.instance, rules, params=SolverParams())
    return out, roster, result


def test_rsp_places_are_summed_as_defined(tight, rules):
    _, roster, result = tight
    # resource specialists serving several sites, everywhere, or one site
    # named twice: an itinerant's places count once at each site
    rsp = [i for i, c in enumerate(roster.instance.staff)
           if "RSP" in c.provides]
    staff = list(roster.instance.staff)
    staff[rsp[0]] = staff[rsp[0]].model_copy(update={"sites": ("*",)})
    staff[rsp[1]] = staff[rsp[1]].model_copy(
        update={"sites": (*staff[rsp[1]].sites, "S002", "S002")})
    inst = roster.instance.model_copy(update={"staff": tuple(staff)})
    assignment = dict(result.assignment)
    checked = audit(inst, rules, assignment)
    staff = inst.staff_by_id()
    got = rsp_by_others(inst, assignment, staff, checked.loads)
    # the definition: per site, every resource specialist serving it
    by_site: dict[str, int] = defaultdict(int)
    for s in inst.students:
        cm = staff.get(assignment.get(s.student_id) or "")
        if "RSP" in s.services and cm is not None \
                and "RSP" not in cm.provides:
            by_site[s.site] += 1
    want = []
    for site, n in sorted(by_site.items()):
        spare = sum(max(0, checked.loads[c.staff_id][2]
                        - checked.loads[c.staff_id][0])
                    for c in inst.staff
                    if "RSP" in c.provides and c.serves_site(site))
        want.append({"site": site, "students": n, "spare_places": spare,
                     "short": max(0, n - spare)})
    assert got == want and got  # the roster has such students
