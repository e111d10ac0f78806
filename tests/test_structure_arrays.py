"""The array paths of ``build_structure`` and ``solve`` equal the plain
definitions they replace (issue 11): groups in ``_sortable`` order of
``group_key`` with members by student id, the per-student plan, the flow
counts, and the capacity test answered by the flow."""

from __future__ import annotations

import random

import numpy as np
import pytest
from helpers import instance, staff, student

from bench.generate import generate, write
from optimizer.diagnosis import diagnose
from optimizer.domain import Instance
from optimizer.inputs.roster import load_roster
from optimizer.result import SolveStatus
from optimizer.solver.dispatch import disaggregate, solve
from optimizer.solver.groups import (
    _column_ranks,
    _groups_by_keys,
    _key_columns,
    _sortable,
    group_key,
    order_groups,
)
from optimizer.solver.structure import PairCounts, build_structure


def _roster(tmp_path, seed: int, weighted: bool = False) -> Instance:
    write(*generate("school", seed, weighted, "connected"), tmp_path)
    from optimizer.inputs.rules_tables import load_rules

    return load_roster(tmp_path, load_rules()).instance


def _varied(inst: Instance, seed: int) -> Instance:
    """Rows shuffled, some services listed in another order and some
    home languages written otherwise: the groups must not change."""
    rng = random.Random(seed)
    students = []
    for k, s in enumerate(inst.students):
        update: dict = {}
        if k % 3 == 0:
            update["services"] = tuple(reversed(s.services))
        if k % 4 == 1 and s.home_language:
            update["home_language"] = f" {s.home_language.upper()} "
        students.append(s.model_copy(update=update))
    rng.shuffle(students)
    return inst.replace(students=tuple(students))


def _by_id(inst: Instance) -> np.ndarray:
    ids = [s.student_id for s in inst.students]
    rank = np.empty(len(ids), dtype=np.int64)
    rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    return rank


def _assert_groups_as_keys(inst: Instance, reference=None) -> None:
    order, starts = order_groups(inst, reference)
    want_order, want_starts = _groups_by_keys(inst, reference, _by_id(inst))
    assert order.tolist() == want_order.tolist()
    assert starts.tolist() == want_starts.tolist()
    # And what that means: one key per group, keys in _sortable order.
    keys = []
    for g in range(len(starts) - 1):
        members = order[starts[g]:starts[g + 1]].tolist()
        mine = {group_key(inst.students[m], inst, reference)
                for m in members}
        assert len(mine) == 1
        keys.append(mine.pop())
        ids = [inst.students[m].student_id for m in members]
        assert ids == sorted(ids)
    shown = [_sortable(k) for k in keys]
    assert shown == sorted(shown) and len(set(keys)) == len(keys)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_groups_equal_sorting_the_keys(tmp_path, seed):
    inst = _roster(tmp_path, seed, weighted=seed == 2)
    _assert_groups_as_keys(inst)
    _assert_groups_as_keys(_varied(inst, seed))
    ids = [s.student_id for s in inst.students]
    staff_ids = [c.staff_id for c in inst.staff]
    planned = inst.replace(
        pins={ids[0]: staff_ids[0], ids[5]: staff_ids[1]},
        forbidden=frozenset({(ids[1], staff_ids[0]),
                             (ids[1], staff_ids[2]),
                             (ids[7], staff_ids[3])}))
    _assert_groups_as_keys(planned)
    reference = {sid: staff_ids[k % 3] for k, sid in enumerate(ids)
                 if k % 2}
    _assert_groups_as_keys(inst, reference)


def test_values_that_print_alike_fall_back_to_the_keys(tmp_path):
    inst = _roster(tmp_path, 4)
    ids = [s.student_id for s in inst.students]
    # "" and None both print as "" in _sortable: ranks cannot tell them
    # apart, so the keys themselves are sorted.
    reference = {sid: "" for sid in ids[::3]}
    reference.update({sid: "T0001" for sid in ids[1::3]})
    columns = _key_columns(inst, reference)[0]
    assert any(_column_ranks(c) is None for c in columns)
    _assert_groups_as_keys(inst, reference)


def _plain_disaggregate(structure, counts: dict[int, int]) -> dict:
    """The per-student plan as it was defined before the arrays."""
    inst = structure.instance
    places: dict[int, dict[int, int]] = {}
    for p, n in sorted(kv for kv in counts.items() if kv[1] > 0):
        pair = structure.pairs[p]
        places.setdefault(pair.group, {})[pair.staff] = n
    index = {c.staff_id: j for j, c in enumerate(inst.staff)}
    out: dict[str, str] = {}
    for g in structure.groups:
        left = dict(sorted(places.get(g.index, {}).items(),
                           key=lambda kv: inst.staff[kv[0]].staff_id))
        waiting = []
        for m in g.members:
            s = inst.students[m]
            j = index.get(s.prior_case_manager or "")
            if j is not None and left.get(j, 0) > 0:
                out[s.student_id] = inst.staff[j].staff_id
                left[j] -= 1
            else:
                waiting.append(s)
        slots = [j for j, n in left.items() for _ in range(n)]
        assert len(slots) == len(waiting)
        for s, j in zip(waiting, slots):
            out[s.student_id] = inst.staff[j].staff_id
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_disaggregate_equals_the_plain_definition(tmp_path, rules, seed):
    inst = _varied(_roster(tmp_path, seed), seed)
    result = solve(inst, rules)
    assert result.status is SolveStatus.OPTIMAL
    assert isinstance(result.counts, PairCounts)
    structure = build_structure(inst, rules)
    counts = dict(result.counts.items())
    want = _plain_disaggregate(structure, counts)
    # The same students, case managers and order, from arrays or a dict.
    assert list(result.assignment.items()) == list(want.items())
    assert list(disaggregate(structure, counts).items()) == \
        list(want.items())


def test_pair_counts_is_the_mapping_it_holds():
    counts = PairCounts(np.array([3, 5, 9]), np.array([0, 2, 1]))
    assert dict(counts) == {3: 0, 5: 2, 9: 1}
    assert len(counts) == 3 and list(counts) == [3, 5, 9]
    assert counts.get(5) == 2 and counts.get(4, 7) == 7
    joined = PairCounts.join([counts, PairCounts(np.array([11]),
                                                 np.array([4]))])
    assert isinstance(joined, PairCounts)
    assert list(joined.items()) == [(3, 0), (5, 2), (9, 1), (11, 4)]
    assert PairCounts.join([counts, {11: 4}]) == {3: 0, 5: 2, 9: 1, 11: 4}


def test_capacity_test_answered_by_the_flow(rules):
    """Too few places: the flow finds no plan and the diagnosis is the
    capacity test's, as when it ran first."""
    inst = instance([student(f"S{k}") for k in range(5)],
                    [staff("C1", max_caseload=2), staff("C2",
                                                        max_caseload=1)])
    result = solve(inst, rules)
    assert result.status is SolveStatus.INFEASIBLE
    want = diagnose(build_structure(inst, rules))
    assert result.diagnosis.shortfalls == want.shortfalls
    assert [s.shortfall for s in result.diagnosis.shortfalls] == [2]
