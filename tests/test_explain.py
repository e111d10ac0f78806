"""caseload explain: reasons checked against the rules, costs checked
against the checker's own recomputation."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.explain import explain_student
from optimizer.outputs.text import render_explanation
from optimizer.rules import check_pair
from optimizer.solver.dispatch import solve
from optimizer.verify import audit


@pytest.fixture(scope="module")
def planned(sample, rules):
    return solve(sample.instance, rules).assignment


def one_per_relation(sample, rules, planned):
    staff = sample.instance.staff_by_id()
    picked = {}
    for s in sample.instance.students:
        rel = check_pair(s, staff[planned[s.student_id]], rules).relation
        picked.setdefault(rel, s.student_id)
    return picked


def test_sample_has_every_relation(sample, rules, planned):
    assert set(one_per_relation(sample, rules, planned)) == {
        "instructs", "serves", "coordinates"}


@pytest.mark.parametrize("relation", ["instructs", "serves", "coordinates"])
def test_reasons_match_the_rules(sample, rules, planned, relation):
    sid = one_per_relation(sample, rules, planned)[relation]
    e = explain_student(sample.instance, rules, planned, sid)
    s = sample.instance.student_by_id()[sid]
    staff = sample.instance.staff_by_id()
    check = check_pair(s, staff[planned[sid]], rules)
    assert e.line.check.relation == relation
    assert tuple(r.rule_id for r in e.authorization) == check.rule_ids
    if relation == "coordinates":
        assert e.authorization == ()
    for alt in e.alternatives:
        expected = [(x.rule, x.message) for x in check_pair(
            s, staff[alt.staff_id], rules).exclusions]
        assert [r for r in alt.reasons if r[0] != "H6"] == expected


@pytest.mark.parametrize("relation", ["instructs", "serves", "coordinates"])
def test_alternative_costs_equal_moving_the_student(sample, rules, planned,
                                                    relation):
    sid = one_per_relation(sample, rules, planned)[relation]
    e = explain_student(sample.instance, rules, planned, sid)
    before = audit(sample.instance, rules, planned).terms
    for alt in [a for a in e.alternatives if a.eligible][:5]:
        moved = dict(planned)
        moved[sid] = alt.staff_id
        after = audit(sample.instance, rules, moved).terms
        assert alt.deltas == {t: after[t] - before[t] for t in before}


def test_explain_command(sample, rules, planned):
    sid = one_per_relation(sample, rules, planned)["instructs"]
    result = CliRunner().invoke(main, ["explain", "data/sample",
                                       "--student", sid])
    assert result.exit_code == 0, result.output
    assert "relation: instructs" in result.output
    assert "Authorization:" in result.output
    bad = CliRunner().invoke(main, ["explain", "data/sample", "--student",
                                    "NOPE"])
    assert bad.exit_code == 2
    assert 'no student "NOPE" in the roster' in bad.output


def test_render_mentions_each_term(sample, rules, planned):
    sid = one_per_relation(sample, rules, planned)["serves"]
    text = render_explanation(explain_student(sample.instance, rules,
                                              planned, sid))
    for word in ("Best practice (S1)", "Continuity (S3)", "Language (S4)",
                 "Others who could take the student",
                 "Others who cannot"):
        assert word in text
