"""Issue 10: authorization readings a credential analyst would sign.

Each item has a triplet through ``check_pair``: a pair the research grants,
a pair it does not, and the verified flag. ``test_authorizations_plan.py``
runs the same cases through ``caseload plan``.
"""

from __future__ import annotations

import pytest
from helpers import staff, student

from optimizer.rules import check_pair


def judge(rules, s, c):
    return check_pair(s, c, rules)


def rules_hit(check):
    return [e.rule for e in check.exclusions]


def sdc(**kw):
    """A student in a special day class (so the teacher instructs)."""
    base = dict(setting="SDC", services=())
    base.update(kw)
    return student("S", **base)


def teacher(*credentials, provides=("SDC",), **kw):
    return staff("T", provides=provides, credentials=credentials, **kw)


# ------------------------------------- 1. legacy Mild/Moderate and autism

def test_r3mm_instructs_autism_at_mm_unverified(rules):
    c = judge(rules, sdc(primary_disability="AUT"), teacher("R3MM"))
    assert c.eligible and c.rule_ids == ("I-MM-AUT",)
    assert not c.verified  # Preliminary/Clear holders only (CTC AA chart)
    assert c.unverified_rule_ids == ("I-MM-AUT",)


def test_r3mm_never_instructs_autism_at_ex(rules):
    s = sdc(primary_disability="AUT", support_level="EX")
    c = judge(rules, s, teacher("R3MM"))
    assert rules_hit(c) == ["H4"]
    assert "support level EX" in c.exclusions[0].message
    # an AAAS holder on the same base may (autism across the continuum)
    assert judge(rules, s, teacher("R3MM", "AAAS")).eligible


def test_r3mm_sld_at_mm_verified_and_never_at_ex(rules):
    # Issue 21: I-MM-EX (a "modelling assumption" with no source) is gone;
    # the Mild/Moderate credential instructs at mild-to-moderate support.
    mm = judge(rules, sdc(), teacher("R3MM"))
    ex = judge(rules, sdc(support_level="EX"), teacher("R3MM"))
    assert mm.eligible and mm.verified and mm.rule_ids == ("I-MM",)
    assert rules_hit(ex) == ["H4"]
    assert "I-MM-EX" not in {r.rule_id for r in rules.authorizations}


# -------------------------------------------- 2. added authorizations

def test_added_authorization_on_a_teaching_base_is_verified(rules):
    c = judge(rules, sdc(primary_disability="AUT", support_level="EX"),
              teacher("R3MM", "AAAS"))
    assert c.eligible and c.verified
    assert c.rule_ids == ("I-AA-AUT",) and c.base_rule_ids == ("I-MM",)


@pytest.mark.parametrize("credentials", [
    ("PPS-SC", "AAAS"),    # a services credential is no teaching base
    ("SLP-LSH", "AAAS"),   # nor is the SLP credential without the SCA
    ("AAAS",),             # an added authorization alone
], ids=["pps", "slp", "alone"])
def test_added_authorization_without_a_teaching_base_grants_nothing(
        rules, credentials):
    c = judge(rules, sdc(primary_disability="AUT"), teacher(*credentials))
    assert rules_hit(c) == ["H4"]
    assert "needs a special-education teaching credential" in (
        c.exclusions[0].message)


def test_added_authorization_stays_within_the_base_grade_band(rules):
    # R3MM instructs K-12 and adults: AAAS does not reach PK.
    c = judge(rules, sdc(primary_disability="AUT", grade="PK"),
              teacher("R3MM", "AAAS"))
    assert rules_hit(c) == ["H4"]
    assert "covering grade PK" in c.exclusions[0].message


def test_added_authorization_is_unverified_when_its_base_row_is(rules):
    # At TK the only R3MM base row is I-MM-TK (legacy K-12 reaching TK).
    c = judge(rules, sdc(primary_disability="AUT", grade="TK",
                         support_level="EX"), teacher("R3MM", "AAAS"))
    assert c.eligible and not c.verified
    assert c.unverified_rule_ids == ("I-MM-TK",)


def test_slp_with_special_class_authorization_is_a_base(rules):
    s = sdc(primary_disability="DB")
    assert judge(rules, s, teacher("SLP-LSH", "SLP-SCA", "AADB")).verified
    assert judge(rules, s, teacher("SLP-LSH", "SLP-SCA", "AADB")).eligible
    assert rules_hit(judge(rules, s, teacher("SLP-LSH", "AADB"))) == ["H4"]


# ---------------------------------------- 3. Special Class Authorization

def test_special_class_authorization_needs_the_slp_credential(rules):
    s = sdc(primary_disability="SLI")
    alone = judge(rules, s, teacher("SLP-SCA"))
    both = judge(rules, s, teacher("SLP-LSH", "SLP-SCA"))
    assert rules_hit(alone) == ["H4"]
    assert "only with SLP-LSH" in alone.exclusions[0].message
    assert both.eligible and both.verified
    assert both.authorized_by == ("SLP-SCA",)


# -------------------------------------------- 4. ID with extensive needs

@pytest.mark.parametrize("credentials, grade", [
    (("R3ER",), "K"), (("R3EC",), "PK"), (("R3MN", "ECSE"), "PK")],
    ids=["R3ER", "R3EC", "ECSE-AA"])
def test_early_childhood_id_is_mild_moderate_only(rules, credentials,
                                                  grade):
    mm = judge(rules, sdc(primary_disability="ID", grade=grade),
               teacher(*credentials))
    ex = judge(rules, sdc(primary_disability="ID", grade=grade,
                          support_level="EX"), teacher(*credentials))
    assert mm.eligible and mm.verified  # 5 CCR 80047
    assert rules_hit(ex) == ["H4"]


def test_r3ms_id_extensive_rests_on_a_university_page(rules):
    c = judge(rules, sdc(primary_disability="ID", support_level="EX"),
              teacher("R3MS"))
    assert c.eligible and not c.verified and c.rule_ids == ("I-MS-ID",)


def test_r3er_ed_rests_on_the_pre_2022_table(rules):
    c = judge(rules, sdc(primary_disability="ED", grade="K"),
              teacher("R3ER"))
    assert c.eligible and not c.verified
    assert c.rule_ids == ("I-ECSE-X-OLD-TABLE",)


def test_ecse_added_authorization_needs_its_prerequisite(rules):
    c = judge(rules, sdc(primary_disability="SLD", grade="PK"),
              teacher("ECSE"))
    assert rules_hit(c) == ["H4"]


# ----------------------------- 5. service rows limited to their categories

@pytest.mark.parametrize("service, credential, fits, misfit", [
    ("DHH", "R3HD", dict(primary_disability="HH"),
     dict(primary_disability="AUT")),
    ("VI", "R3VB", dict(primary_disability="VI"),
     dict(primary_disability="AUT")),
    ("OM", "CRS-OM", dict(primary_disability="DB"),
     dict(primary_disability="SLD")),
    ("AUD", "SLP-AUD", dict(primary_disability="DEAF"),
     dict(primary_disability="SLD")),
])
def test_service_rows_reach_only_their_categories(rules, service,
                                                  credential, fits, misfit):
    c = staff("P", provides=(service,), credentials=(credential,))
    ok = judge(rules, student("S", services=(service,), **fits), c)
    bad = judge(rules, student("S", services=(service,), **misfit), c)
    assert ok.eligible and ok.verified
    assert rules_hit(bad) == ["H5"]
    assert misfit["primary_disability"] in bad.exclusions[0].message


def test_dhh_teacher_serves_autism_with_a_hearing_secondary(rules):
    # CTC footnote 3: autism only when it co-occurs with deafness/HH/DB.
    c = staff("P", provides=("DHH",), credentials=("R3HD",))
    s = student("S", primary_disability="AUT", secondary_disability="HH",
                services=("DHH",))
    assert judge(rules, s, c).eligible


# ------------------------------------------------ 6. caps set by law

@pytest.mark.parametrize("cap, expected", [
    (28, None), (32, "warning"), (29, "warning"), (33, "error")])
def test_resource_specialist_cap_ec_56362(rules, cap, expected):
    issue = rules.legal_cap_issue(staff(max_caseload=cap))
    assert (issue and issue[0]) == expected
    if issue:
        assert "EC 56362(c)" in issue[1]
    if expected == "warning":
        assert "waiver" in issue[1]


def test_resource_specialist_cap_applies_to_anyone_providing_rsp(rules):
    both = staff(provides=("SDC", "RSP"), max_caseload=40)
    assert rules.legal_cap_issue(both)[0] == "error"
    assert rules.legal_cap_issue(staff(provides=("SDC",),
                                       max_caseload=40)) is None


@pytest.mark.parametrize("grades, default, explicit_41", [
    ({"PK"}, 40, "error"), ({"PK", "TK"}, 40, "error"),
    ({"PK", "TK", "K"}, 55, None)], ids=["PK", "PK-TK", "PK-K"])
def test_preschool_slp_cap_ec_56441_7(rules, grades, default, explicit_41):
    # Ages 3-5 are grades PK and TK: the cap is 40 for an SLP serving only
    # them; with kindergarten on the caseload the SELPA average (55) holds.
    slp = staff(provides=("SPEECH",), credentials=("SLP-LSH",),
                grades=frozenset(grades))
    assert rules.effective_cap(slp) == default
    over = slp.model_copy(update={"max_caseload": 41})
    issue = rules.legal_cap_issue(over)
    assert (issue and issue[0]) == explicit_41
    if issue:
        assert "EC 56441.7(a)" in issue[1]


# ------------------------------------- 7. the authorizations setting

def test_verified_only_never_relies_on_an_unverified_row(rules):
    strict = rules.with_authorization_mode("verified-only")
    s = sdc(primary_disability="AUT")
    c = judge(strict, s, teacher("R3MM"))
    assert rules_hit(c) == ["H4"]
    assert "I-MM-AUT" in c.exclusions[0].message
    assert "verified-only" in c.exclusions[0].message
    # an unverified base is not a base under verified-only
    tk = sdc(primary_disability="AUT", grade="TK")
    assert rules_hit(judge(strict, tk, teacher("R3MM", "AAAS"))) == ["H4"]
    # a verified reading stays
    assert judge(strict, s, teacher("R3MM", "AAAS")).eligible


def test_every_eligible_pair_under_verified_only_is_verified(rules, sample):
    strict = rules.with_authorization_mode("verified-only")
    inst = sample.instance
    for s in inst.students[:80]:
        for c in inst.staff:
            check = check_pair(s, c, strict)
            if check.eligible:
                assert check.verified, (s.student_id, c.staff_id)


def test_unknown_authorization_mode_is_refused(rules):
    with pytest.raises(ValueError, match="verified-only"):
        rules.with_authorization_mode("some")


def test_report_coverage_reads_like_check_pair(rules):
    # The report's credential coverage uses the same reading: the Special
    # Class Authorization alone instructs nothing; with the SLP credential
    # it instructs SLI and autism.
    assert rules.instruction_categories(teacher("SLP-SCA")) == frozenset()
    assert rules.instruction_categories(
        teacher("SLP-LSH", "SLP-SCA")) == {"SLI", "AUT"}
    assert "AUT" not in rules.instruction_categories(teacher("PPS-SC",
                                                             "AAAS"))
    strict = rules.with_authorization_mode("verified-only")
    assert "AUT" not in strict.instruction_categories(teacher("R3MM"))
    assert "AUT" in rules.instruction_categories(teacher("R3MM"))
