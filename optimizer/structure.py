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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
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


class PairCounts(Mapping):
    """Students per pair (pair -> students), held as two arrays.

    What the flow gives for a million pairs: reading it as arrays costs
    nothing, and a dict is made only if it is looked up by pair.
    """

    def __init__(self, pairs: np.ndarray, counts: np.ndarray):
        self.pairs = pairs
        self.counts = counts
        self._dict: dict[int, int] | None = None

    def _lookup(self) -> dict[int, int]:
        if self._dict is None:
            self._dict = dict(zip(self.pairs.tolist(),
                                  self.counts.tolist()))
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


def weight_scale(instance: Instance, *more: Student) -> int:
    """1, 10 or 100: the smallest scale making every weight whole (of the
    roster's students and ``more``, e.g. a student being placed)."""
    weights = np.array([s.weight for s in (*instance.students, *more)],
                       dtype=float)
    for scale in (1, 10, 100):
        scaled = weights * scale
        if bool(np.all(np.abs(scaled - np.round(scaled)) < 1e-9)):
            return scale
    return 100


def group_key(student: Student, instance: Instance,
              reference: dict[str, str] | None = None) -> tuple:
    forbidden = tuple(sorted(c for s, c in instance.forbidden
                             if s == student.student_id))
    return (student.site, student.grade, student.primary_disability,
            student.secondary_disability, student.support_level,
            student.setting, tuple(sorted(student.services)),
            student.alt_placement_secondary, student.teacher_of_record,
            _language_key(student), student.weight,
            instance.pins.get(student.student_id), forbidden,
            (reference or {}).get(student.student_id))


class GroupList(Sequence):
    """``structure.groups``: each ``Group`` made when first asked for.

    The groups are held as arrays (students in canonical order and where
    each group starts); a large district has about 55,000 of them, which
    the unit-weight path reads only as arrays.
    """

    def __init__(self, instance: Instance, order: np.ndarray,
                 starts: np.ndarray, units: np.ndarray,
                 reference: list[str | None]):
        self._instance = instance
        self._order = order  # student positions, group by group
        self._starts = starts  # len(groups) + 1 bounds into ``order``
        self._units = units
        self._reference = reference
        self._made: list[Group | None] = [None] * (len(starts) - 1)

    def __len__(self) -> int:
        return len(self._made)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        g = self._made[i]
        if g is None:
            g = self._made[i] = self._make(range(len(self))[i])
        return g

    def __iter__(self) -> Iterator[Group]:
        for i in range(len(self)):
            yield self[i]

    def _make(self, i: int) -> Group:
        students = self._instance.students
        members = self._order[self._starts[i]:self._starts[i + 1]].tolist()
        priors: Counter[str] = Counter(
            p for p in (students[m].prior_case_manager
                        for m in sorted(members)) if p)
        return Group(i, members, students[members[0]],
                     int(self._units[i]), priors, self._reference[i])


_PRIOR = attrgetter("prior_case_manager")
# The student facts of ``group_key``, as the roster gives them.
_STUDENT_FACTS = attrgetter(
    "site", "grade", "primary_disability", "secondary_disability",
    "support_level", "setting", "services", "alt_placement_secondary",
    "teacher_of_record", "home_language", "weight")
_SERVICES, _LANGUAGE = 6, 9


def _key_columns(instance: Instance, reference: dict[str, str] | None
                 ) -> tuple[list[tuple], np.ndarray]:
    """The columns of ``group_key`` over the distinct rows of facts, and
    each student's row. Columns the same for every student (no pins, no
    forbidden pairs, no reference) are left out: they order nothing."""
    students = instance.students
    rows = list(map(_STUDENT_FACTS, students))
    plan = []
    if instance.pins:
        plan.append([instance.pins.get(s.student_id) for s in students])
    if instance.forbidden:
        forbidden: dict[str, list[str]] = {}
        for sid, staff_id in instance.forbidden:
            forbidden.setdefault(sid, []).append(staff_id)
        plan.append([tuple(sorted(forbidden.get(s.student_id, ())))
                     for s in students])
    if reference is not None:
        plan.append([reference.get(s.student_id) for s in students])
    if plan:
        rows = [r + p for r, p in zip(rows, zip(*plan))]
    seen: dict[tuple, int] = {}
    row_of = np.fromiter((seen.setdefault(r, len(seen)) for r in rows),
                         dtype=np.int64, count=len(rows))
    if not seen:
        return [], row_of
    columns = list(zip(*seen))
    # The key sorts services and writes a language as it is compared.
    services = {v: tuple(sorted(v)) for v in set(columns[_SERVICES])}
    columns[_SERVICES] = tuple(map(services.__getitem__,
                                   columns[_SERVICES]))
    first = np.unique(row_of, return_index=True)[1]
    raw = columns[_LANGUAGE]
    langs = {v: _language_key(students[first[raw.index(v)]])
             for v in set(raw)}
    columns[_LANGUAGE] = tuple(map(langs.__getitem__, raw))
    return columns, row_of


def _language_key(student: Student) -> str:
    return ((student.home_language or "").strip().casefold()
            if wants_language(student) else "")


def _column_ranks(column: tuple) -> np.ndarray | None:
    """Each value's rank in the order ``_sortable`` gives its column, or
    None when two different values print alike (then ranks could not
    keep them apart)."""
    values = list(dict.fromkeys(column))
    shown = ["" if v is None else str(v) for v in values]
    if len(set(shown)) != len(shown):
        return None
    rank = dict(zip(sorted(values, key=lambda v: "" if v is None
                           else str(v)), range(len(values))))
    return np.fromiter(map(rank.__getitem__, column), dtype=np.int64,
                       count=len(column))


def _groups(instance: Instance, reference: dict[str, str] | None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Students in canonical order and the bounds of their groups.

    Groups are ordered by profile (``_sortable`` of ``group_key``) and
    members by student id, so that the order of rows in the roster
    cannot change any assignment.
    """
    students = instance.students
    n = len(students)
    ids = [s.student_id for s in students]
    by_id = np.empty(n, dtype=np.int64)
    by_id[sorted(range(n), key=ids.__getitem__)] = np.arange(n)
    columns, row_of = _key_columns(instance, reference)
    ranks = [_column_ranks(c) for c in columns]
    if any(r is None for r in ranks):
        return _groups_by_keys(instance, reference, by_id)
    # Rows in key order (np.lexsort sorts by its last key first); a
    # group starts wherever a column changes.
    num_rows = len(columns[0]) if columns else 0
    row_order = np.lexsort(ranks[::-1]) if num_rows else \
        np.zeros(0, dtype=np.int64)
    new = np.zeros(num_rows, dtype=bool)
    new[:1] = True
    for r in ranks:
        new[1:] |= r[row_order][1:] != r[row_order][:-1]
    group_of_row = np.empty(num_rows, dtype=np.int64)
    group_of_row[row_order] = np.cumsum(new) - 1
    group_of = group_of_row[row_of]
    order = np.lexsort((by_id, group_of)).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(np.bincount(
        group_of, minlength=int(new.sum())))]).astype(np.int64)
    return order, starts


def _groups_by_keys(instance: Instance, reference: dict[str, str] | None,
                    by_id: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_groups`` by sorting the keys themselves (values that print
    alike are kept apart, in order of first appearance)."""
    index: dict[tuple, list[int]] = {}
    for pos, s in enumerate(instance.students):
        index.setdefault(group_key(s, instance, reference), []).append(pos)
    chunks = [sorted(index[k], key=by_id.__getitem__)
              for k in sorted(index, key=_sortable)]
    order = np.array([m for c in chunks for m in c], dtype=np.int64)
    starts = np.cumsum([0] + [len(c) for c in chunks], dtype=np.int64)
    return order, starts


def build_structure(instance: Instance, rules: RuleSet,
                    reference: dict[str, str] | None = None) -> Structure:
    """Group students, find eligible pairs and independent components.

    ``reference`` (student -> case manager of a base or published plan)
    splits groups by that case manager, for the closeness term R.
    """
    scale = weight_scale(instance)
    students = instance.students
    order, starts = _groups(instance, reference)
    first = order[starts[:-1]]
    reps = [students[m] for m in first.tolist()]
    units = np.array([round(s.weight * scale) for s in reps],
                     dtype=np.int64)
    group_reference = [None if reference is None
                       else reference.get(s.student_id) for s in reps]
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
                     arrays=arrays, by_group=order)


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


def _sortable(key: tuple) -> tuple:
    return tuple("" if k is None else str(k) for k in key)


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
