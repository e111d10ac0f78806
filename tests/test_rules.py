"""The rules tables and the pure pair judgement."""

from __future__ import annotations

from helpers import staff, student

from optimizer.rules import check_pair, relation


def test_every_service_code_has_an_authorization_row(rules):
    from optimizer.vocab import SERVICES

    for service in SERVICES:
        assert any(r.activity == service for r in rules.authorizations)


def test_every_row_cites_a_source(rules):
    assert all(r.source for r in rules.authorizations)
    assert all(r.source for r in rules.caseload_defaults)


def test_caps_from_the_table(rules):
    # EC 56362(c): 28; EC 56363.3: 55; EC 56441.7(a): 40 preschool-only.
    assert rules.effective_cap(staff()) == 28
    assert rules.effective_cap(staff(fte=0.5)) == 14
    assert rules.effective_cap(staff(fte=0.55)) == 15  # 15.4 rounded down
    slp = staff(provides=("SPEECH",), credentials=("SLP-LSH",))
    assert rules.effective_cap(slp) == 55
    pk = slp.model_copy(update={"grades": frozenset({"PK"})})
    assert rules.effective_cap(pk) == 40
    assert rules.effective_cap(staff(max_caseload=32, fte=0.5)) == 32


def test_license_only_staff_cannot_case_manage_by_default(rules):
    pt = staff(provides=("PT",), credentials=("LIC-PT",))
    assert not rules.may_case_manage(pt)
    assert rules.may_case_manage(staff())
    assert not rules.may_case_manage(staff(can_case_manage=False))


def test_aliases_map_to_canonical_codes(rules):
    assert rules.alias_to_code["LICENSE-SLP"] == "LIC-SLP"
    assert rules.alias_to_code["MMSN"] == "R3MN"


def test_relations(rules):
    sdc = student(setting="SDC", services=("SPEECH",))
    assert relation(sdc, staff(provides=("SDC",))) == "instructs"
    assert relation(sdc, staff(provides=("SPEECH",))) == "serves"
    assert relation(sdc, staff(provides=("COORD",))) == "coordinates"
    assert relation(student(), staff(provides=("SDC",))) == "coordinates"


def test_added_authorization_works_within_base_grade_band(rules):
    # AAAS on R3MM (K-12 and adult): autism at grade 3, but not at PK.
    s3 = student(primary_disability="AUT", setting="SDC", services=())
    spk = s3.model_copy(update={"grade": "PK"})
    t = staff(provides=("SDC",), credentials=("R3MM", "AAAS"))
    c = check_pair(s3, t, rules)
    assert c.eligible and "AAAS" in c.authorized_by
    assert [e.rule for e in check_pair(spk, t, rules).exclusions] == ["H4"]


def test_unverified_rows_are_flagged(rules):
    # R3MN resource service rests on the contract's decision, R3MM's on a
    # 2011 slide deck (issue 21: not a CTC page), so both are unverified;
    # R3DH's rests on its CTC authorization text (TC3Q), for its own
    # categories only.
    assert not check_pair(student(), staff(), rules).verified
    assert not check_pair(student(), staff(credentials=("R3MM",)),
                          rules).verified
    deaf = student(primary_disability="DEAF")
    assert check_pair(deaf, staff(credentials=("R3DH",)), rules).verified
    # never an autism-only or SLD student (the credential's categories)
    for cat in ("AUT", "SLD"):
        other = student(primary_disability=cat)
        assert [e.rule for e in check_pair(
            other, staff(credentials=("R3DH",)), rules).exclusions] == ["H5"]


def test_legacy_credential_reaching_tk_is_unverified(rules):
    s = student(grade="TK")
    c = check_pair(s, staff(credentials=("R3MM",)), rules)
    assert c.eligible and not c.verified


def test_all_exclusions_are_reported_at_once(rules):
    far = staff(sites=("B",), grades=frozenset({"9"}), can_case_manage=False)
    rules_hit = [e.rule for e in check_pair(student(), far, rules).exclusions]
    assert rules_hit == ["H2", "H3", "H7"]
