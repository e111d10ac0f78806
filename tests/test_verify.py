"""The checker's memoized judgement equals ``check_pair`` pair by pair.

``verify.audit`` judges each distinct (student facts, staff facts) key
once (``rules.PairJudge``, the one cache of judgements). These tests
recompute everything the slow, obvious way -- ``check_pair`` and
``prior_allowed`` on every pair, the terms and KPIs line by line -- and
require the same audit, on plans and on assignments that break every
hard rule.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimizer as cl
from optimizer.domain import Instance, Staff, Student, weight_scale
from optimizer.objectives import (
    balance_term,
    best_practice_miss,
    continuity_loss,
    language_miss,
)
from optimizer.result import SolverParams
from optimizer.rules import PairJudge, check_pair
from optimizer.solver.dispatch import solve
from optimizer.verify import audit, prior_allowed
from optimizer.vocab import GRADES, LOW_INCIDENCE, SERVICES

RULES = cl.load_rules()
SITES = ["A", "B"]
CODES = sorted(RULES.credentials)
# Spellings that staff.speaks and wants_language must tell apart or not.
HOME = [None, "", " ", "English", "en", "Spanish", "spanish ", "SPANISH",
        "Tagalog"]
SPOKEN = ["Spanish", " spanish", "Tagalog", "English"]


def slow_audit(instance, rules, assignment):
    """What audit must find, one ``check_pair`` per pair, no memo."""
    staff = instance.staff_by_id()
    scale = weight_scale(instance)
    lines, violations = [], []
    units: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for s in instance.students:
        cm = assignment.get(s.student_id)
        allowed = prior_allowed(s, instance, rules, staff)
        if not cm or cm not in staff:
            lines.append((s, None, None, allowed))
            continue
        check = check_pair(s, staff[cm], rules)
        violations += [(e.rule, s.student_id, cm, e.message)
                       for e in check.exclusions]
        units[cm] += round(s.weight * scale)
        count[cm] += 1
        lines.append((s, staff[cm], check, allowed))
    placed = [ln for ln in lines if ln[2] is not None]
    terms = {
        "S1": sum(best_practice_miss(ln[2]) for ln in placed),
        "S2": sum(balance_term(rules.effective_cap(c), units[c.staff_id])
                  for c in instance.staff),
        "S3": sum(continuity_loss(ln[3], ln[1].staff_id if ln[1] else None,
                                  ln[0].prior_case_manager) for ln in lines),
        "S4": sum(language_miss(ln[2]) for ln in placed),
    }
    wanting = [ln for ln in placed if ln[2].wants_language]
    utilization: dict[str, list[float]] = {}
    for c in instance.staff:
        cap = rules.effective_cap(c)
        if cap > 0 and rules.may_case_manage(c):
            utilization.setdefault(c.kind, []).append(
                units[c.staff_id] / scale / cap)
    kpis = {
        "students": len(lines),
        "students_assigned": len(placed),
        "best_practice_matches": sum(ln[2].best_practice for ln in placed),
        "relations": dict(sorted(Counter(ln[2].relation
                                         for ln in placed).items())),
        "prior_case_manager_given": sum(
            1 for ln in lines if ln[0].prior_case_manager),
        "prior_case_manager_allowed": sum(ln[3] for ln in lines),
        "continuity_kept": sum(
            1 for ln in lines if ln[1] is not None
            and ln[1].staff_id == ln[0].prior_case_manager),
        "home_language_other_than_english": len(wanting),
        "language_matches": sum(ln[2].language_match for ln in wanting),
        "unverified_authorizations_relied_on": dict(sorted(Counter(
            r for ln in placed for r in ln[2].unverified_rule_ids).items())),
        "students_on_unverified_rows": sum(not ln[2].verified
                                           for ln in placed),
        "case_managers_available": sum(
            1 for c in instance.staff if rules.may_case_manage(c)
            and rules.effective_cap(c) > 0),
        "median_utilization": {k: round(statistics.median(u), 3)
                               for k, u in sorted(utilization.items())},
    }
    over = {c.staff_id for c in instance.staff
            if count[c.staff_id] > rules.effective_cap(c)}
    return lines, violations, terms, kpis, over


def assert_same_audit(instance, rules, assignment):
    got = audit(instance, rules, assignment)
    lines, violations, terms, kpis, over = slow_audit(instance, rules,
                                                      assignment)
    assert [(ln.student, ln.staff, ln.check, ln.prior_allowed)
            for ln in got.lines] == lines
    assert [(v.rule, v.student_id, v.staff_id, v.message)
            for v in got.violations if v.rule in "H2 H3 H4 H5 H7"] \
        == violations
    assert {v.staff_id for v in got.violations if v.rule == "H6"} == over
    assert got.terms == terms
    k = got.kpis.as_dict()
    k["median_utilization"] = {kind: u["median"] for kind, u in
                               k["utilization_by_kind"].items()}
    assert {name: k[name] for name in kpis} == kpis
    return got


def test_memoized_audit_equals_check_pair_on_the_sample_plan(sample, rules):
    # the solver's plan: every pair eligible, most keys shared
    result = solve(sample.instance, rules, params=SolverParams())
    got = assert_same_audit(sample.instance, rules,
                            dict(result.assignment))
    assert got.compliant


def test_memoized_audit_equals_check_pair_with_violations(sample, rules):
    # every student given a random staff member (or nobody, or a stranger):
    # H1-H4, H6 and H7 broken somewhere (H5 too on the random rosters
    # below), exclusion messages naming each person
    inst = sample.instance
    rng = random.Random(11)
    ids = [c.staff_id for c in inst.staff]
    assignment = {s.student_id: rng.choice([*ids, *ids, None, "NOBODY"])
                  for s in inst.students}
    got = assert_same_audit(inst, rules, assignment)
    assert {v.rule for v in got.violations} >= {"H1", "H2", "H3", "H4",
                                                "H6", "H7"}


def test_memoized_audit_equals_check_pair_in_verified_only_mode(sample,
                                                                rules):
    strict = rules.with_authorization_mode("verified-only")
    inst = sample.instance
    ids = [c.staff_id for c in inst.staff]
    assignment = {s.student_id: ids[i % len(ids)]
                  for i, s in enumerate(inst.students)}
    assert_same_audit(inst, strict, assignment)


@st.composite
def rosters(draw):
    """Small rosters where profiles repeat, so keys are shared, with
    home languages spelled every way, pins and forbidden pairs."""
    staff = []
    for j in range(draw(st.integers(1, 5))):
        lo = draw(st.integers(0, len(GRADES) - 1))
        hi = draw(st.integers(lo, len(GRADES) - 1))
        staff.append(Staff(
            staff_id=f"C{j}", name=f"Staff {j}",
            sites=tuple(draw(st.sets(st.sampled_from([*SITES, "*"]),
                                     min_size=1, max_size=2))),
            provides=tuple(draw(st.lists(st.sampled_from(
                ["SDC", "DEPT", "RSP", "SPEECH", "DHH", "VI", "COORD"]),
                min_size=1, max_size=2, unique=True))),
            credentials=tuple(draw(st.sets(st.sampled_from(CODES),
                                           max_size=3))),
            max_caseload=draw(st.sampled_from([None, 0, 1, 3])),
            grades=frozenset(GRADES[lo:hi + 1]),
            languages=tuple(draw(st.sets(st.sampled_from(SPOKEN),
                                         max_size=2))),
            can_case_manage=draw(st.sampled_from([None, True, False]))))
    ids = [c.staff_id for c in staff]
    students = []
    for i in range(draw(st.integers(1, 12))):
        primary = draw(st.sampled_from(["SLD", "AUT", "HH", "VI", "ID"]))
        secondary = draw(st.sampled_from([None, "AUT", "SLD"]))
        students.append(Student(
            student_id=f"S{i}", site=draw(st.sampled_from(SITES)),
            grade=draw(st.sampled_from(["K", "3", "9"])),
            primary_disability=primary, secondary_disability=secondary,
            alt_placement_secondary=primary in LOW_INCIDENCE
            and secondary is not None and draw(st.booleans()),
            support_level=draw(st.sampled_from(["MM", "EX"])),
            setting=draw(st.sampled_from(["GENED", "SDC", "DEPT"])),
            services=tuple(draw(st.sets(st.sampled_from(SERVICES),
                                        max_size=2))),
            teacher_of_record=draw(st.sampled_from([None, *ids])),
            prior_case_manager=draw(st.sampled_from([None, "X9", *ids])),
            home_language=draw(st.sampled_from(HOME)),
            weight=draw(st.sampled_from([1.0, 0.5]))))
    sids = [s.student_id for s in students]
    pins = draw(st.dictionaries(st.sampled_from(sids), st.sampled_from(ids),
                                max_size=2))
    forbidden = draw(st.frozensets(st.tuples(st.sampled_from(sids),
                                             st.sampled_from(ids)),
                                   max_size=2))
    instance = Instance(students=tuple(students), staff=tuple(staff),
                        pins=pins, forbidden=forbidden)
    assignment = {sid: draw(st.sampled_from([None, "X9", *ids, *ids]))
                  for sid in sids}
    return instance, assignment


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(rosters())
def test_memoized_audit_equals_check_pair_on_any_roster(case):
    instance, assignment = case
    assert_same_audit(instance, RULES, assignment)


def test_the_judge_serves_one_check_per_key(sample, rules):
    # all 315 x 32 pairs of the sample, each equal to check_pair, with
    # and without the student's facts at hand; the keys (so check_pair
    # calls) are about a third of the pairs
    inst = sample.instance
    judge = PairJudge(rules)
    pairs = 0
    for s in inst.students:
        facts = judge.facts(s)
        for c in inst.staff:
            pairs += 1
            plain = check_pair(s, c, rules)
            assert judge.check(s, c, facts) == plain
            assert judge.check(s, c) == plain
            assert judge.eligible(s, c, facts) == (
                plain if plain.eligible else None)
    assert len(judge._judged) < pairs / 2


def test_the_prior_checks_made_beforehand_are_the_judges_own(rules, sample,
                                                            tmp_path):
    """The roster pass keeps each student's check with their prior case
    manager (where S3 applies); the audit uses it for students kept with
    that person. The audit is the one made without them: the same lines,
    verdicts, terms and KPIs, on the sample and on a district with
    priors kept and lost."""
    from dataclasses import replace as copy_with

    from bench.generate import generate, write
    from optimizer.inputs.roster import load_roster
    from optimizer.result import SolverParams
    from optimizer.solver.dispatch import solve
    from optimizer.verify import RosterPass

    write(*generate("district", seed=3, staffing="tight"), tmp_path)
    district = load_roster(tmp_path, rules).instance
    used = 0
    for inst in (sample.instance, district):
        plan = dict(solve(inst, rules, params=SolverParams()).assignment)
        ready = RosterPass.prepare(inst, rules)
        kept = [k for k, s in zip(ready.prior_checks, inst.students)
                if k is not None and plan.get(s.student_id)
                == s.prior_case_manager]
        used += len(kept)
        without = copy_with(RosterPass.prepare(inst, rules),
                            prior_checks=[None] * len(inst.students))
        asked = []
        judge_check = ready.judge.check

        def counted(*args, **kwargs):
            asked.append(args[0].student_id)
            return judge_check(*args, **kwargs)
        ready.judge.check = counted
        a = audit(inst, rules, plan, roster_pass=ready)
        # the kept students' checks are not asked for again
        assert len(asked) == len(inst.students) - len(kept)
        b = audit(inst, rules, plan, roster_pass=without)
        assert [line.check for line in a.lines] == \
            [line.check for line in b.lines]
        assert (a.violations, a.terms, a.kpis, a.loads) == \
            (b.violations, b.terms, b.kpis, b.loads)
    assert used > 1000  # most of a district's priors are kept
