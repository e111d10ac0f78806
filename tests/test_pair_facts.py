"""The facts ``rules.check_pair`` reads, pinned (design review (c-1)).

Caches serve ``check_pair``'s judgement by a key of facts instead of
asking it: ``rules.PairJudge`` (the checker's, mid-year's, the greedy
baseline's; keyed from the models' fields but ``STUDENT_APART`` and
``STAFF_APART``), ``solver.eligibility`` and ``inputs.roster``'s
``_TeacherJudge`` (eligibility's profiles, from the models' fields too);
``coverage``'s ``_Judge`` keys what ``coverage.exclusions`` reads of a
probe pair. A fact the judge
starts to read that a hand-written key leaves out would make a cache
answer for the wrong pair, silently. This test records, through
proxies, every attribute ``check_pair`` reads of the student and the
staff member over the sample's pairs and edge cases, and fails when the
set changes: then update the keys listed beside each fact below (and
this list). The same for coverage's probe pair.
"""

from __future__ import annotations

import pytest
from helpers import staff, student

from optimizer.domain import Staff, Student
from optimizer.rules import STAFF_APART, STUDENT_APART, check_pair


class Reading:
    """A model whose attribute reads are recorded."""

    def __init__(self, model, log: set[str]):
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_log", log)

    def __getattr__(self, name):
        self._log.add(name)
        return getattr(self._model, name)


# What check_pair reads, and how each cache keys it.
STUDENT_READS = {
    # the profile: every field but rules.STUDENT_APART (PairJudge),
    # eligibility._STUDENT_FACTS
    "grade", "primary_disability", "secondary_disability",
    "support_level", "setting", "services", "alt_placement_secondary",
    # a property of those three (domain.Student)
    "placement_disability",
    # read as "none" or "this staff member": PairJudge's key has both
    "teacher_of_record",
    # read only through staff.serves_site: the keys' site test
    "site",
    # read only through wants_language and staff.speaks (S4 facts)
    "home_language",
}
STAFF_READS = {
    # the profile: every field but rules.STAFF_APART (PairJudge),
    # eligibility._STAFF_FACTS
    "provides", "credentials", "grades", "can_case_manage",
    # H3 (serves_site, and its message) and S4 (speaks): the keys' site
    # and language tests
    "serves_site", "sites", "speaks",
    # the teacher-of-record test, and messages
    "staff_id", "name",
}


def _reads(pairs, rules):
    student_log: set[str] = set()
    staff_log: set[str] = set()
    for s, c in pairs:
        plain = check_pair(s, c, rules)
        seen = check_pair(Reading(s, student_log), Reading(c, staff_log),
                          rules)
        assert seen == plain
    return student_log, staff_log


EDGE_STAFF = [
    staff("X", can_case_manage=False),
    staff("PT", provides=("PT",), credentials=("LIC-PT",)),
    staff("B", sites=("B",)),
    staff("HS", grades=frozenset({"9", "10"})),
    staff("SLP", provides=("SPEECH",), credentials=("SLP-LSH",),
          languages=("Spanish",)),
    staff("ESN", provides=("SDC",), credentials=("R3EN",)),
    staff("PS", provides=("COORD",), credentials=("R3MS",)),
]
EDGE_STUDENTS = [
    student("S1"),
    student("S2", primary_disability="OHI", setting="SDC", services=(),
            support_level="EX", teacher_of_record="ESN"),
    student("S3", primary_disability="OI", secondary_disability="AUT",
            alt_placement_secondary=True, setting="SDC",
            support_level="EX", services=("PT",), home_language="Spanish"),
    student("S4", primary_disability="SLI", services=("SPEECH",)),
    student("S5", primary_disability="VI", services=("OM",), grade="10"),
]


@pytest.mark.parametrize("rules_mode", ["all", "verified-only"])
def test_check_pair_reads_exactly_the_facts_the_caches_key(rules, sample,
                                                           rules_mode):
    judged = rules.model_copy(update={"authorization_mode": rules_mode})
    inst = sample.instance
    pairs = [(s, c) for s in inst.students[:80] for c in inst.staff]
    pairs += [(s, c) for s in EDGE_STUDENTS for c in EDGE_STAFF]
    student_log, staff_log = _reads(pairs, judged)
    assert student_log == STUDENT_READS
    assert staff_log == STAFF_READS


# What check_pair reads of coverage's probe pair (the student as if in
# general education with one service, the person as if providing only
# it), and how coverage._Judge keys it: grade, primary and secondary
# disability, support level, the service, the credentials and whether
# the grade is among the person's. The rest: the setting is fixed by the
# probe; the site only through serves_site (may_provide tests it);
# home_language, can_case_manage, ids and names decide only S4, H2 and
# messages, which coverage does not read (it keeps H3, H5 and H7).
PROBE_STUDENT_READS = {
    "grade", "primary_disability", "secondary_disability",
    "support_level", "services", "setting", "site", "home_language"}
PROBE_STAFF_READS = {
    "credentials", "grades", "provides", "serves_site", "sites", "speaks",
    "can_case_manage", "staff_id", "name"}


def test_coverage_probe_reads_only_what_its_cache_keys(rules, sample):
    inst = sample.instance
    pairs = []
    for s in [*inst.students[:40], *EDGE_STUDENTS]:
        for c in [*inst.staff, *EDGE_STAFF]:
            for service in s.services:
                pairs.append((
                    s.model_copy(update={"services": (service,),
                                         "setting": "GENED",
                                         "teacher_of_record": None}),
                    c.model_copy(update={"provides": (service,)})))
    student_log, staff_log = _reads(pairs, rules)
    assert student_log == PROBE_STUDENT_READS
    assert staff_log == PROBE_STAFF_READS


def test_the_judge_keys_every_fact_check_pair_reads():
    # Of the facts PairJudge leaves out of its profiles, check_pair reads
    # only those its key holds in another form; the rest it never reads.
    derived_student = {"site", "teacher_of_record", "home_language"}
    derived_staff = {"staff_id", "name", "sites", "serves_site", "speaks"}
    student_profile = set(Student.model_fields) - set(STUDENT_APART)
    staff_profile = set(Staff.model_fields) - set(STAFF_APART)
    # placement_disability: a property of three profile fields
    assert STUDENT_READS - {"placement_disability"} <= (
        student_profile | derived_student)
    assert staff_profile | derived_staff >= STAFF_READS
    assert not (set(STUDENT_APART) - derived_student) & STUDENT_READS
    assert not (set(STAFF_APART) - derived_staff) & STAFF_READS
