"""Issue 21: warnings a program administrator acts on.

SDC/DEPT students nobody at the site may instruct, alternate placements
missing the primary category's related service ("needs action", with the
right services per category), EMD outside ages 3-5, OI alternate
placements at mild-to-moderate support.
"""

from __future__ import annotations

from helpers import instance, staff, student

from optimizer.coverage import service_coverage


def sdc(sid, **kw):
    base = dict(setting="SDC", services=())
    base.update(kw)
    return student(sid, **base)


def teacher(cid, *credentials, **kw):
    return staff(cid, provides=("SDC",), credentials=credentials, **kw)


def test_sdc_student_nobody_may_instruct_is_needs_action(rules):
    md = sdc("S1", primary_disability="MD", grade="1")
    ok = sdc("S2", primary_disability="SLD", grade="1")
    cov = service_coverage(instance([md, ok], [teacher("T1", "R3MM")]),
                           rules)
    (flag,) = cov.flags
    assert flag.student_id == "S1" and flag.needs_action
    assert "T1 (H4)" in str(flag) and "H4" in str(flag)
    assert str(flag).startswith("needs action: student S1")
    assert cov.needs_action == (str(flag),)
    # an authorized teacher at the site: no flag
    cov = service_coverage(instance(
        [md], [teacher("T1", "R3MM"), teacher("T2", "R3MN")]), rules)
    assert cov.flags == ()


def test_sdc_student_with_no_teacher_of_the_setting(rules):
    cov = service_coverage(instance([sdc("S1")], [staff("C1")]), rules)
    (flag,) = cov.flags
    assert "no staff member there teaches SDC" in str(flag)


def test_sample_student_100089_is_warned_by_id(rules, sample):
    cov = service_coverage(sample.instance, rules)
    ids = [f.student_id for f in cov.flags if f.needs_action]
    assert ids == ["100089"]


def test_emd_past_ages_3_to_5_is_warned(rules):
    kids = [student("PK1", grade="PK", primary_disability="EMD"),
            student("K1", grade="K", primary_disability="EMD"),
            student("G7", grade="7", primary_disability="EMD"),
            student("G2", grade="2", secondary_disability="EMD")]
    cov = service_coverage(instance(kids, [staff("C1")]), rules)
    assert [(f.student_id, f.column) for f in cov.flags] == [
        ("G7", "primary_disability"), ("G2", "secondary_disability")]
    assert "EC 56441.11(d)" in str(cov.flags[0])
    assert not cov.flags[0].needs_action


def test_audiology_addresses_deafness_and_om_vision(rules):
    # Issue 21: AUD (DEAF/HH) and OM (VI) are the primary category's
    # related services too: no false "needs action".
    deaf = sdc("D1", primary_disability="DEAF", secondary_disability="ID",
               alt_placement_secondary=True, services=("AUD",))
    vi = sdc("V1", primary_disability="VI", secondary_disability="ID",
             alt_placement_secondary=True, services=("OM",))
    people = [teacher("T1", "R3MN"),
              staff("A1", provides=("AUD",), credentials=("SLP-AUD",)),
              staff("O1", provides=("OM",), credentials=("CRS-OM",))]
    cov = service_coverage(instance([deaf, vi], people), rules)
    assert cov.placement_gaps == ()
    bare = deaf.model_copy(update={"services": ()})
    cov = service_coverage(instance([bare], people), rules)
    (gap,) = cov.placement_gaps
    assert str(gap).startswith("needs action:")
    assert "DHH or AUD" in str(gap)


def test_oi_alternate_placement_at_mm_is_warned(rules):
    oi = sdc("O1", primary_disability="OI", secondary_disability="ID",
             alt_placement_secondary=True, services=("PT",))
    pt = staff("P1", provides=("PT",), credentials=("LIC-PT",))
    cov = service_coverage(instance([oi], [teacher("T1", "R3MN"), pt]),
                           rules)
    assert [f.column for f in cov.flags] == ["alt_placement_secondary"]
    assert "EC 56026.5" in str(cov.flags[0])
    severe = oi.model_copy(update={"support_level": "EX"})
    cov = service_coverage(instance([severe], [teacher("T1", "R3EN"), pt]),
                           rules)
    assert cov.flags == ()
