"""The block judgement of pairs equals ``check_pair`` on every pair."""

from __future__ import annotations

import pytest

from bench.generate import generate
from optimizer.domain import Instance
from optimizer.inputs.roster import load_roster
from optimizer.inputs.rules_tables import load_rules
from optimizer.inputs.tables import DEFAULT_SAMPLE_DIR
from optimizer.rules import check_pair
from optimizer.solver.structure import build_structure


def _instance(rows: tuple[list[dict], list[dict]], tmp_path) -> Instance:
    from bench.generate import write

    write(*rows, tmp_path)
    return load_roster(tmp_path, load_rules()).instance


@pytest.mark.parametrize("shape,seed,weighted", [
    ("connected", 1, False), ("connected", 2, True), ("regional", 3, True),
    ("connected", 5, False), ("connected", 6, False),
])
def test_pairs_equal_check_pair_on_every_pair(tmp_path, shape, seed,
                                              weighted):
    rules = load_rules()
    inst = _instance(generate("school", seed, weighted, shape), tmp_path)
    tor_pairs = _assert_same_as_check_pair(inst, rules)
    if shape == "connected":  # teachers of record judged on the real pair
        assert tor_pairs > 0


@pytest.mark.parametrize("seed", [1, 7])
def test_pairs_equal_check_pair_verified_only(tmp_path, seed):
    rules = load_rules().with_authorization_mode("verified-only")
    inst = _instance(generate("school", seed, False, "connected"), tmp_path)
    _assert_same_as_check_pair(inst, rules)


def test_pairs_equal_check_pair_however_facts_are_written(tmp_path):
    """Services in another order, languages in other cases, staff with
    fewer grades: profiles and views must still judge every pair as
    ``check_pair`` does."""
    rules = load_rules()
    inst = _instance(generate("school", 8, False, "connected"), tmp_path)
    students = tuple(
        s.model_copy(update={
            "services": tuple(reversed(s.services)),
            "home_language": (s.home_language or "").upper() or None})
        if k % 2 else s for k, s in enumerate(inst.students))
    grades = [("K", "1", "2", "3"), ("6", "7", "8"), ("PK", "TK"),
              ("9", "10", "11", "12", "A")]
    staff = tuple(
        c.model_copy(update={"grades": frozenset(grades[k % 4])})
        if k % 3 == 0 else c for k, c in enumerate(inst.staff))
    _assert_same_as_check_pair(
        inst.replace(students=students, staff=staff), rules)


def test_sample_pairs_equal_check_pair(tmp_path):
    rules = load_rules()
    inst = load_roster(DEFAULT_SAMPLE_DIR, rules).instance
    _assert_same_as_check_pair(inst, rules)


def test_pins_and_forbidden_pairs_are_respected(tmp_path):
    rules = load_rules()
    inst = _instance(generate("school", 4, False, "connected"), tmp_path)
    st = build_structure(inst, rules)
    pair = st.pairs[len(st.pairs) // 2]
    student = inst.students[st.groups[pair.group].members[0]]
    staff_id = inst.staff[pair.staff].staff_id
    forbidden = build_structure(inst.replace(
        forbidden=frozenset({(student.student_id, staff_id)})), rules)
    group = next(g for g in forbidden.groups
                 if g.student.student_id == student.student_id)
    assert all(inst.staff[p.staff].staff_id != staff_id
               for p in forbidden.pairs if p.group == group.index)
    pinned = build_structure(inst.replace(
        pins={student.student_id: staff_id}), rules)
    group = next(g for g in pinned.groups
                 if g.student.student_id == student.student_id)
    mine = [p for p in pinned.pairs if p.group == group.index]
    assert [inst.staff[p.staff].staff_id for p in mine] == [staff_id]


def _assert_same_as_check_pair(inst: Instance, rules) -> int:
    st = build_structure(inst, rules)
    found = {(p.group, p.staff): p.check for p in st.pairs}
    eligible = 0
    tor_pairs = 0
    for g in st.groups:
        # Every member of a group, not only the representative.
        for m in g.members:
            s = inst.students[m]
            for j, c in enumerate(inst.staff):
                check = check_pair(s, c, rules)
                usable = st.caps[j] > 0 and rules.may_case_manage(c)
                if check.eligible and usable:
                    eligible += 1
                    tor_pairs += s.teacher_of_record == c.staff_id
                    assert found.get((g.index, j)) == check, (
                        s.student_id, c.staff_id)
                else:
                    assert (g.index, j) not in found, (s.student_id,
                                                       c.staff_id)
    assert eligible > 0
    assert len(found) == len(st.pairs)
    return tor_pairs
