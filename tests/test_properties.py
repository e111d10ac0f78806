"""Property tests: any valid roster gets a verified plan, or a diagnosis
that is true."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimizer as cl
from optimizer.domain import Instance, Staff, Student
from optimizer.result import SolverParams, SolveStatus
from optimizer.rules import check_pair
from optimizer.solver.dispatch import solve
from optimizer.verify import audit
from optimizer.vocab import GRADES, LOW_INCIDENCE, SERVICES

RULES = cl.load_rules()
SITES = ["A", "B"]
CODES = sorted(RULES.credentials)


@st.composite
def students(draw, i):
    primary = draw(st.sampled_from(["SLD", "AUT", "SLI", "ID", "HH", "VI",
                                    "OI", "OHI", "ED", "MD", "DB"]))
    secondary = draw(st.sampled_from([None, "AUT", "ID", "SLD"]))
    alt = primary in LOW_INCIDENCE and secondary is not None and draw(
        st.booleans())
    return Student(
        student_id=f"S{i}", site=draw(st.sampled_from(SITES)),
        grade=draw(st.sampled_from(GRADES)), primary_disability=primary,
        secondary_disability=secondary, alt_placement_secondary=alt,
        support_level=draw(st.sampled_from(["MM", "EX"])),
        setting=draw(st.sampled_from(["GENED", "SDC", "DEPT"])),
        services=tuple(draw(st.sets(st.sampled_from(SERVICES),
                                    max_size=3))),
        prior_case_manager=draw(st.sampled_from([None, "C0", "C1", "C9"])),
        home_language=draw(st.sampled_from([None, "Spanish"])),
        weight=draw(st.sampled_from([1.0, 1.0, 0.5, 2.0])))


@st.composite
def staff(draw, i):
    lo = draw(st.integers(0, len(GRADES) - 1))
    hi = draw(st.integers(lo, len(GRADES) - 1))
    return Staff(
        staff_id=f"C{i}", name=f"Staff {i}",
        sites=tuple(draw(st.sets(st.sampled_from([*SITES, "*"]),
                                 min_size=1, max_size=2))),
        provides=tuple(draw(st.lists(st.sampled_from(
            ["SDC", "DEPT", "RSP", "SPEECH", "DHH", "VI", "PT", "COORD"]),
            min_size=1, max_size=2, unique=True))),
        credentials=tuple(draw(st.sets(st.sampled_from(CODES),
                                       max_size=3))),
        max_caseload=draw(st.sampled_from([None, 0, 1, 2, 5])),
        grades=frozenset(GRADES[lo:hi + 1]),
        languages=tuple(draw(st.sets(st.sampled_from(["Spanish"]),
                                     max_size=1))),
        can_case_manage=draw(st.sampled_from([None, True, False])))


@st.composite
def instances(draw):
    n = draw(st.integers(1, 8))
    m = draw(st.integers(1, 5))
    return Instance(students=tuple(draw(students(i)) for i in range(n)),
                    staff=tuple(draw(staff(j)) for j in range(m)))


def usable(s, c):
    return RULES.effective_cap(c) > 0 and check_pair(s, c, RULES).eligible


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_plan_passes_checker_or_diagnosis_is_true(inst):
    result = solve(inst, RULES, params=SolverParams(time_limit=5))
    if result.status is not SolveStatus.INFEASIBLE:
        assert result.status is SolveStatus.OPTIMAL
        checked = audit(inst, RULES, result.assignment)
        assert checked.compliant, checked.violations
        assert set(result.assignment) == {s.student_id
                                          for s in inst.students}
        return
    d = result.diagnosis
    assert d is not None and (d.no_candidates or d.shortfalls)
    by_id = inst.student_by_id()
    for nc in d.no_candidates:
        for sid in nc.student_ids:
            assert not any(usable(by_id[sid], c) for c in inst.staff)
    for sh in d.shortfalls:
        listed = {i for i, _, _ in sh.staff}
        for sid in sh.student_ids:
            eligible = {c.staff_id for c in inst.staff
                        if usable(by_id[sid], c)}
            assert eligible <= listed
        places = sum(cap for _, _, cap in sh.staff)
        assert sh.shortfall == len(sh.student_ids) - places > 0


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_flow_and_cpsat_reach_the_same_optimum(inst):
    flow = solve(inst, RULES, params=SolverParams(time_limit=5))
    cpsat = solve(inst, RULES, params=SolverParams(time_limit=5),
                  method="cpsat")
    assert flow.status is cpsat.status
    if flow.status is SolveStatus.OPTIMAL:
        assert [lv.objective for lv in flow.levels] == [
            lv.objective for lv in cpsat.levels]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_weight_token_bound_never_exceeds_the_optimum(inst):
    from optimizer.objectives import ObjectiveWeights
    from optimizer.solver.bound import weighted_lower_bound
    from optimizer.solver.structure import build_structure

    result = solve(inst, RULES, params=SolverParams(time_limit=5),
                   method="cpsat")
    if result.status is not SolveStatus.OPTIMAL:
        return
    st = build_structure(inst, RULES)
    for k, level in enumerate(ObjectiveWeights().levels(st.weight_scale)):
        if level == {"S1": 1}:
            continue
        # Earlier levels are fixed in the optimum, relaxed in the bound.
        plain = sum(weighted_lower_bound(st, c, level)
                    for c in st.components)
        assert plain <= result.levels[k].objective
        if k == 1 and result.levels[0].terms == {"S1": 1}:
            # With S1's optimum known per part, the Lagrangian bound.
            from optimizer.solver.flow import solve_flow

            lagr = 0
            for c in st.components:
                s1 = solve_flow(st, c, [{"S1": 1}]).levels[0].objective
                lagr += weighted_lower_bound(st, c, level, s1)
            assert lagr <= result.levels[k].objective
