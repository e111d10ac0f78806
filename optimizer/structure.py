"""The planning problem's structure, computed once and shared.

Students with identical profiles (same site, grade, eligibility facts,
language and weight) form a ``Group`` and are planned as an integer count;
a group's prior case managers are counts inside it. Only eligible
(group, staff) pairs exist. ``components`` splits the district into parts
that share no staff, which are solved separately. Pure Python: the model
builder, the diagnosis and the explanations read the same structure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from optimizer.domain import Instance, Student
from optimizer.eligibility import Eligible, eligible_pairs
from optimizer.rules import PairCheck, RuleSet, wants_language


@dataclass
class Group:
    """Students planned together: identical in every fact the rules read."""

    index: int
    members: list[int]  # student positions, in input order
    student: Student  # representative
    weight_units: int  # one member's weight in integer units
    priors: Counter[str] = field(default_factory=Counter)
    # Every member's case manager in the reference plan (objective R), or
    # None: groups are split by it, so R of a group is its size less the
    # students given to that staff member, whichever members they are.
    reference: str | None = None

    @property
    def size(self) -> int:
        return len(self.members)


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
    groups: list[Group]
    caps: list[int]
    pairs: Sequence[Pair]
    weight_scale: int
    no_candidates: list[int]  # groups with no eligible pair
    components: list[Component]
    pins: dict[str, str] = field(default_factory=dict)
    arrays: PairArrays | None = None


def weight_scale(instance: Instance, *more: Student) -> int:
    """1, 10 or 100: the smallest scale making every weight whole (of the
    roster's students and ``more``, e.g. a student being placed)."""
    students = (*instance.students, *more)
    for scale in (1, 10, 100):
        if all(abs(s.weight * scale - round(s.weight * scale)) < 1e-9
               for s in students):
            return scale
    return 100


def group_key(student: Student, instance: Instance,
              reference: dict[str, str] | None = None) -> tuple:
    forbidden = tuple(sorted(c for s, c in instance.forbidden
                             if s == student.student_id))
    lang = (student.home_language or "").strip().casefold() \
        if wants_language(student) else ""
    return (student.site, student.grade, student.primary_disability,
            student.secondary_disability, student.support_level,
            student.setting, tuple(sorted(student.services)),
            student.alt_placement_secondary, student.teacher_of_record,
            lang, student.weight, instance.pins.get(student.student_id),
            forbidden, (reference or {}).get(student.student_id))


def build_structure(instance: Instance, rules: RuleSet,
                    reference: dict[str, str] | None = None) -> Structure:
    """Group students, find eligible pairs and independent components.

    ``reference`` (student -> case manager of a base or published plan)
    splits groups by that case manager, for the closeness term R.
    """
    scale = weight_scale(instance)
    index: dict[tuple, Group] = {}
    for pos, s in enumerate(instance.students):
        key = group_key(s, instance, reference)
        g = index.get(key)
        if g is None:
            g = index[key] = Group(-1, [], s, round(s.weight * scale),
                                   reference=key[-1])
        g.members.append(pos)
        if s.prior_case_manager:
            g.priors[s.prior_case_manager] += 1
    # Canonical order (by profile, staff by id, members by student id) so
    # that the order of rows in the roster cannot change any assignment.
    groups = [index[k] for k in sorted(index, key=_sortable)]
    for i, g in enumerate(groups):
        g.index = i
        g.members.sort(key=lambda m: instance.students[m].student_id)
        g.student = instance.students[g.members[0]]
    caps = [rules.effective_cap(c) for c in instance.staff]
    candidates = [j for j, c in enumerate(instance.staff)
                  if caps[j] > 0 and rules.may_case_manage(c)]  # H6, H2
    found = eligible_pairs(instance, rules, [g.student for g in groups],
                           candidates)
    keep = _planning_decisions(instance, groups, found)
    pair_group, pair_staff = found.group[keep], found.staff[keep]
    has_pair = np.zeros(len(groups), dtype=bool)
    has_pair[pair_group] = True
    no_candidates = np.flatnonzero(~has_pair).tolist()
    staff_ids = [c.staff_id for c in instance.staff]
    arrays = PairArrays(pair_group, pair_staff, found.check[keep],
                        found.checks,
                        _prior_counts(groups, pair_group, pair_staff,
                                      staff_ids),
                        np.array([g.size for g in groups], dtype=np.int64),
                        np.array([g.weight_units for g in groups],
                                 dtype=np.int64),
                        _reference_staff(groups, staff_ids))
    return Structure(instance, rules, groups, caps, PairList(arrays), scale,
                     no_candidates, _components(groups, pair_group,
                                                pair_staff, staff_ids),
                     arrays=arrays)


def _reference_staff(groups: list[Group], staff_ids: list[str]
                     ) -> np.ndarray:
    index = {sid: j for j, sid in enumerate(staff_ids)}
    unknown = len(staff_ids)
    return np.array([-1 if g.reference is None
                     else index.get(g.reference, unknown)
                     for g in groups], dtype=np.int64)


def _prior_counts(groups: list[Group], pair_group: np.ndarray,
                  pair_staff: np.ndarray, staff_ids: list[str]
                  ) -> np.ndarray:
    """Per pair, the group's students whose prior is the pair's staff."""
    num_staff = max(len(staff_ids), 1)
    code = pair_group * num_staff + pair_staff  # ascending: pairs sorted
    order = np.argsort(code, kind="stable")
    index = {sid: j for j, sid in enumerate(staff_ids)}
    keys, counts = [], []
    for g in groups:
        for sid, n in g.priors.items():
            j = index.get(sid)
            if j is not None:
                keys.append(g.index * num_staff + j)
                counts.append(n)
    prior = np.zeros(len(code), dtype=np.int64)
    if keys:
        keys_a = np.array(keys, dtype=np.int64)
        at = np.searchsorted(code[order], keys_a)
        at_ok = at < len(code)
        hit = np.zeros(len(keys_a), dtype=bool)
        hit[at_ok] = code[order][at[at_ok]] == keys_a[at_ok]
        prior[order[at[hit]]] = np.array(counts, dtype=np.int64)[hit]
    return prior


def _planning_decisions(instance: Instance, groups: list[Group],
                        found: Eligible) -> np.ndarray:
    """Which eligible pairs pins and forbidden pairs leave in."""
    keep = np.ones(len(found.group), dtype=bool)
    if not instance.pins and not instance.forbidden:
        return keep
    index = {c.staff_id: j for j, c in enumerate(instance.staff)}
    pinned = np.full(len(groups), -1, dtype=np.int64)
    forbidden: set[tuple[int, int]] = set()
    by_student = {g.student.student_id: g.index for g in groups}
    for g in groups:
        staff_id = instance.pins.get(g.student.student_id)
        if staff_id is not None:
            pinned[g.index] = index[staff_id]
    for sid, staff_id in instance.forbidden:
        if sid in by_student:
            forbidden.add((by_student[sid], index[staff_id]))
    pin = pinned[found.group]
    keep &= (pin < 0) | (pin == found.staff)
    if forbidden:
        keep &= np.array([(g, j) not in forbidden for g, j in zip(
            found.group.tolist(), found.staff.tolist())], dtype=bool)
    return keep


def _sortable(key: tuple) -> tuple:
    return tuple("" if k is None else str(k) for k in key)


def _components(groups: list[Group], pair_group: np.ndarray,
                pair_staff: np.ndarray, staff_ids: list[str]
                ) -> list[Component]:
    """Connected parts of the (group, staff) eligibility graph.

    Minimum-label propagation with pointer jumping over the pair arrays:
    each round, every node takes the smallest label among its neighbours,
    then labels follow labels to their root; it stops when nothing moves.
    """
    num_groups = len(groups)
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
    for g, root in enumerate(root_of_group.tolist()):
        comp = comps.get(root)
        if comp is None:
            comp = comps[root] = Component([], [], [])
        comp.groups.append(g)
    for j, root in enumerate(label[num_groups:].tolist()):
        if root in comps:
            comps[root].staff.append(j)
    for comp in comps.values():
        comp.staff.sort(key=staff_ids.__getitem__)
    comp_of_pair = root_of_group[pair_group]
    order = np.argsort(comp_of_pair, kind="stable")
    bounds = np.flatnonzero(np.diff(comp_of_pair[order])) + 1
    for chunk in np.split(order, bounds):
        if len(chunk):
            comps[int(comp_of_pair[chunk[0]])].pairs = chunk.tolist()
    return sorted(comps.values(), key=lambda c: c.groups[0])
