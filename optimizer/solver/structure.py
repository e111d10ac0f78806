"""The planning problem's structure, computed once and shared.

Students with identical profiles (same site, grade, eligibility facts,
language and weight) form a ``Group`` and are planned as an integer count;
a group's prior case managers are counts inside it. Only eligible
(group, staff) pairs exist. ``components`` splits the district into parts
that share no staff, which are solved separately. The model builder, the
diagnosis and the explanations read the same structure; the flow reads
its arrays (groups, pairs and counts are held as numpy arrays and made
into Python objects only when read: a large district has about 55,000
groups and 780,000 pairs).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from typing import NamedTuple

import numpy as np

from optimizer.domain import Instance, Student, weight_scale
from optimizer.objectives import Calendar
from optimizer.rules import PairCheck, RuleSet
from optimizer.solver.eligibility import Eligible, eligible_pairs
from optimizer.solver.groups import Group, GroupList, order_groups


class Pair(NamedTuple):
    """An eligible (group, staff) pair and what choosing it means.

    A named tuple: a large district has about a million of them.
    """

    group: int
    staff: int
    check: PairCheck


@dataclass
class Component:
    """Groups and staff linked by eligibility; solved on its own."""

    groups: list[int]
    staff: list[int]
    pairs: list[int]
    # ``pairs`` again, as an array, for the solvers that take arrays.
    pair_index: np.ndarray | None = field(default=None, repr=False,
                                          compare=False)


@dataclass
class PairArrays:
    """The pairs again, as arrays for the solvers that take arrays.

    ``check[p]`` indexes ``checks`` (the distinct judgements); ``prior[p]``
    counts the group's students whose prior case manager is the pair's
    staff member; ``size``, ``units`` and ``reference`` (the position of
    the group's reference case manager, -1 for none, the number of staff
    for an id not on the roster) are per group.
    """

    group: np.ndarray
    staff: np.ndarray
    check: np.ndarray
    checks: list[PairCheck]
    prior: np.ndarray
    size: np.ndarray
    units: np.ndarray
    reference: np.ndarray


class PairCounts(Mapping):
    """Students per pair (pair -> students), held as two arrays.

    What the flow gives for a million pairs: reading it as arrays costs
    nothing, and a dict is made only if it is looked up by pair.
    """

    def __init__(self, pairs: np.ndarray, counts: np.ndarray):
        self.pairs = pairs
        self.counts = counts
        self._dict: dict[int, int] | None = None

    def as_dict(self) -> dict[int, int]:
        """A new dict of the counts."""
        return dict(zip(self.pairs.tolist(), self.counts.tolist()))

    def _lookup(self) -> dict[int, int]:
        if self._dict is None:
            self._dict = self.as_dict()
        return self._dict

    def __getitem__(self, pair: int) -> int:
        return self._lookup()[pair]

    def __iter__(self) -> Iterator[int]:
        return iter(self.pairs.tolist())

    def __len__(self) -> int:
        return len(self.pairs)

    def items(self):
        return self._lookup().items()

    @staticmethod
    def join(parts: list[Mapping[int, int]]) -> Mapping[int, int]:
        """The parts' counts together, in order (a dict unless every
        part is held as arrays)."""
        if all(isinstance(p, PairCounts) for p in parts) and parts:
            return PairCounts(np.concatenate([p.pairs for p in parts]),
                              np.concatenate([p.counts for p in parts]))
        out: dict[int, int] = {}
        for p in parts:
            out.update(p)
        return out


class PairList(Sequence):
    """``structure.pairs``: each ``Pair`` made when asked for.

    A large district has about a million pairs; holding them as arrays
    and making a ``Pair`` on access keeps memory and set-up time low for
    the code that reads only some of them.
    """

    def __init__(self, arrays: PairArrays):
        self._a = arrays

    def __len__(self) -> int:
        return len(self._a.group)

    def __getitem__(self, i):
        a = self._a
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return Pair(int(a.group[i]), int(a.staff[i]),
                    a.checks[int(a.check[i])])

    def __iter__(self) -> Iterator[Pair]:
        a = self._a
        checks = a.checks
        for g, j, k in zip(a.group.tolist(), a.staff.tolist(),
                           a.check.tolist()):
            yield Pair(g, j, checks[k])


@dataclass
class Structure:
    instance: Instance
    rules: RuleSet
    groups: Sequence[Group]
    caps: list[int]
    pairs: Sequence[Pair]
    weight_scale: int
    no_candidates: list[int]  # groups with no eligible pair
    components: list[Component]
    pins: dict[str, str] = field(default_factory=dict)
    arrays: PairArrays | None = None
    # Student positions group by group (each group's members in order).
    by_group: np.ndarray | None = None
    # S5 and H8's settings when the roster has meeting dates (groups are
    # then alike in their meetings' periods too).
    calendar: Calendar | None = None
    # The calendar's arrays per part, made once (``solver.calendar``).
    calendar_views: dict = field(default_factory=dict, repr=False,
                                 compare=False)


_PRIOR = attrgetter("prior_case_manager")
_WEIGHT = attrgetter("weight")


def build_structure(instance: Instance, rules: RuleSet,
                    reference: dict[str, str] | None = None,
                    calendar: Calendar | None = None) -> Structure:
    """Group students, find eligible pairs and independent components.

    ``reference`` (student -> case manager of a base or published plan)
    splits groups by that case manager, for the closeness term R;
    ``calendar`` splits them by their meetings' periods (S5, H8).
    """
    scale = weight_scale(instance)
    students = instance.students
    order, starts = order_groups(instance, reference, calendar)
    first = order[starts[:-1]]
    reps = [students[m] for m in first.tolist()]
    # Whole within 1e-9 (weight_scale); rint rounds as round() does.
    units = np.rint(np.fromiter(map(_WEIGHT, reps), dtype=float,
                                count=len(reps)) * scale).astype(np.int64)
    group_reference = ([None] * len(reps) if reference is None
                       else [reference.get(s.student_id) for s in reps])
    groups = GroupList(instance, order, starts, units, group_reference)
    caps = [rules.effective_cap(c) for c in instance.staff]
    candidates = [j for j, c in enumerate(instance.staff)
                  if caps[j] > 0 and rules.may_case_manage(c)]  # H6, H2
    found = eligible_pairs(instance, rules, reps, candidates)
    keep = _planning_decisions(instance, reps, found)
    pair_group, pair_staff = found.group[keep], found.staff[keep]
    has_pair = np.zeros(len(reps), dtype=bool)
    has_pair[pair_group] = True
    no_candidates = np.flatnonzero(~has_pair).tolist()
    staff_ids = [c.staff_id for c in instance.staff]
    group_of = np.empty(len(students), dtype=np.int64)
    group_of[order] = np.repeat(np.arange(len(reps), dtype=np.int64),
                                np.diff(starts))
    arrays = PairArrays(pair_group, pair_staff, found.check[keep],
                        found.checks,
                        _prior_counts(instance, group_of, pair_group,
                                      pair_staff, staff_ids),
                        np.diff(starts).astype(np.int64), units,
                        _reference_staff(group_reference, staff_ids))
    return Structure(instance, rules, groups, caps, PairList(arrays), scale,
                     no_candidates, _components(len(reps), pair_group,
                                                pair_staff, staff_ids),
                     arrays=arrays, by_group=order, calendar=calendar)


def _reference_staff(reference: list[str | None], staff_ids: list[str]
                     ) -> np.ndarray:
    index = {sid: j for j, sid in enumerate(staff_ids)}
    unknown = len(staff_ids)
    return np.array([-1 if r is None else index.get(r, unknown)
                     for r in reference], dtype=np.int64)


def _prior_counts(instance: Instance, group_of: np.ndarray,
                  pair_group: np.ndarray, pair_staff: np.ndarray,
                  staff_ids: list[str]) -> np.ndarray:
    """Per pair, the group's students whose prior is the pair's staff."""
    num_staff = max(len(staff_ids), 1)
    code = pair_group * num_staff + pair_staff  # ascending: pairs sorted
    order = np.argsort(code, kind="stable")
    index = {sid: j for j, sid in enumerate(staff_ids)}
    prior_of = np.fromiter(map(index.get, map(_PRIOR, instance.students),
                               repeat(-1)), dtype=np.int64,
                           count=len(instance.students))
    has = prior_of >= 0
    keys_a, counts = np.unique(group_of[has] * num_staff + prior_of[has],
                               return_counts=True)
    prior = np.zeros(len(code), dtype=np.int64)
    if len(keys_a):
        at = np.searchsorted(code[order], keys_a)
        at_ok = at < len(code)
        hit = np.zeros(len(keys_a), dtype=bool)
        hit[at_ok] = code[order][at[at_ok]] == keys_a[at_ok]
        prior[order[at[hit]]] = counts[hit]
    return prior


def _planning_decisions(instance: Instance, reps: list[Student],
                        found: Eligible) -> np.ndarray:
    """Which eligible pairs pins and forbidden pairs leave in."""
    keep = np.ones(len(found.group), dtype=bool)
    if not instance.pins and not instance.forbidden:
        return keep
    index = {c.staff_id: j for j, c in enumerate(instance.staff)}
    pinned = np.full(len(reps), -1, dtype=np.int64)
    forbidden: set[tuple[int, int]] = set()
    by_student = {s.student_id: g for g, s in enumerate(reps)}
    for g, s in enumerate(reps):
        staff_id = instance.pins.get(s.student_id)
        if staff_id is not None:
            pinned[g] = index[staff_id]
    for sid, staff_id in instance.forbidden:
        if sid in by_student:
            forbidden.add((by_student[sid], index[staff_id]))
    pin = pinned[found.group]
    keep &= (pin < 0) | (pin == found.staff)
    if forbidden:
        keep &= np.array([(g, j) not in forbidden for g, j in zip(
            found.group.tolist(), found.staff.tolist())], dtype=bool)
    return keep


def _components(num_groups: int, pair_group: np.ndarray,
                pair_staff: np.ndarray, staff_ids: list[str]
                ) -> list[Component]:
    """Connected parts of the (group, staff) eligibility graph.

    Minimum-label propagation with pointer jumping over the pair arrays:
    each round, every node takes the smallest label among its neighbours,
    then labels follow labels to their root; it stops when nothing moves.
    """
    label = np.arange(num_groups + len(staff_ids), dtype=np.int64)
    u, v = pair_group, pair_staff + num_groups
    while True:
        before = label.copy()
        np.minimum.at(label, u, label[v])
        np.minimum.at(label, v, label[u])
        while True:
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(label, before):
            break
    root_of_group = label[:num_groups]
    comps: dict[int, Component] = {}
    for chunk in _chunks(root_of_group):
        comps[int(root_of_group[chunk[0]])] = Component(chunk.tolist(), [],
                                                        [])
    for j, root in enumerate(label[num_groups:].tolist()):
        if root in comps:
            comps[root].staff.append(j)
    for comp in comps.values():
        comp.staff.sort(key=staff_ids.__getitem__)
    comp_of_pair = root_of_group[pair_group]
    for chunk in _chunks(comp_of_pair):
        comp = comps[int(comp_of_pair[chunk[0]])]
        comp.pairs, comp.pair_index = chunk.tolist(), chunk
    return sorted(comps.values(), key=lambda c: c.groups[0])


def _chunks(label: np.ndarray) -> list[np.ndarray]:
    """Positions with the same label, ascending, one array per label."""
    order = np.argsort(label, kind="stable")
    bounds = np.flatnonzero(np.diff(label[order])) + 1
    return [c for c in np.split(order, bounds) if len(c)]
