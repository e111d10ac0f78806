"""Group counts into one case manager per student, determinately.

The solvers plan groups of identical students as counts per (group,
staff) pair; the plan names a case manager for every student. Within a
group, students whose prior case manager received places go to them
first; the rest fill places in staff-id order, by student id (so the
order of roster rows changes nothing). Done with numpy over the
structure's arrays: a large district has 70,000 students.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import repeat

import numpy as np

from optimizer.solver.structure import PairCounts, Structure


def disaggregate(structure: Structure, counts: Mapping[int, int]
                 ) -> dict[str, str]:
    """Turn group counts into one case manager per student, determinately.

    Within a group, students whose prior case manager received places go
    to them first; the rest fill places in staff-id order, by student id
    (so the order of roster rows changes nothing). The students come out
    group by group, those kept with their prior case manager first.
    """
    inst = structure.instance
    a = structure.arrays
    if isinstance(counts, PairCounts):
        pair, n = counts.pairs, counts.counts
    else:
        pair = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        n = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    given = n > 0
    pair, n = pair[given], n[given]
    num_staff = max(len(inst.staff), 1)
    staff_ids = [c.staff_id for c in inst.staff]
    staff_rank = np.empty(len(staff_ids), dtype=np.int64)
    staff_rank[sorted(range(len(staff_ids)), key=staff_ids.__getitem__)] = \
        np.arange(len(staff_ids), dtype=np.int64)
    # Places: (group, staff) in group, then staff-id order.
    group, staff = a.group[pair], a.staff[pair]
    place = np.lexsort((staff_rank[staff], group))
    group, staff, n = group[place], staff[place], n[place]
    code = group * num_staff + staff
    by_code = np.argsort(code, kind="stable")
    # Students in group order, members by student id (build_structure).
    order, group_of = _students_by_group(structure)
    index = {sid: j for j, sid in enumerate(staff_ids)}
    prior = np.fromiter(map(index.get, (s.prior_case_manager
                                        for s in inst.students),
                            repeat(-1)), dtype=np.int64,
                        count=len(inst.students))[order]
    # The k-th member of a group whose prior is j is kept with j when j
    # has more than k places in the group.
    mine = np.where(prior >= 0, group_of * num_staff + prior, -1)
    at = np.searchsorted(code[by_code], mine)
    at = np.minimum(at, max(len(code) - 1, 0))
    found = (prior >= 0) & (len(code) > 0)
    found[found] = code[by_code][at[found]] == mine[found]
    places = np.zeros(len(order), dtype=np.int64)
    places[found] = n[by_code][at[found]]
    kept = found & (_rank_within(mine) < places)
    assigned = np.where(kept, prior, -1)
    # What is left of each place, in order, for the others.
    taken = np.bincount(by_code[at[kept]], minlength=len(code))
    slots = np.repeat(staff, n - taken)
    waiting = ~kept
    if np.array_equal(np.bincount(group_of[waiting],
                                  minlength=len(structure.groups)),
                      np.bincount(np.repeat(group, n - taken),
                                  minlength=len(structure.groups))):
        assigned[waiting] = slots
    else:
        raise AssertionError("group counts do not match group size")
    out_order = np.lexsort((np.arange(len(order)), waiting, group_of))
    ids = np.array([s.student_id for s in inst.students], dtype=object)
    names = np.array(staff_ids, dtype=object)
    return dict(zip(ids[order[out_order]].tolist(),
                    names[assigned[out_order]].tolist()))


def _students_by_group(structure: Structure
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Student positions group by group, and each one's group."""
    sizes = structure.arrays.size
    order = structure.by_group
    if order is None:
        order = np.array([m for g in structure.groups for m in g.members],
                         dtype=np.int64)
    return order, np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def _rank_within(code: np.ndarray) -> np.ndarray:
    """For each entry, how many earlier entries have the same code."""
    by = np.argsort(code, kind="stable")
    sorted_code = code[by]
    start = np.flatnonzero(np.r_[True, sorted_code[1:] != sorted_code[:-1]])
    run = np.repeat(start, np.diff(np.r_[start, len(code)]))
    rank = np.empty(len(code), dtype=np.int64)
    rank[by] = np.arange(len(code), dtype=np.int64) - run
    return rank
