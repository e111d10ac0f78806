"""Students with identical profiles, grouped in a canonical order.

A ``Group`` is the students identical in every fact the rules and the
objectives read (``group_key``); it is planned as an integer count.
Groups are ordered by profile (``_sortable`` of the key) and members by
student id, so that the order of rows in the roster cannot change any
assignment. A large district has about 55,000 groups: they are found
and ordered with numpy over columns of the roster's distinct rows, and
made as ``Group`` objects only when read (``GroupList``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

import numpy as np

from optimizer.domain import Instance, Student
from optimizer.objectives import Calendar
from optimizer.rules import wants_language


@dataclass
class Group:
    """Students planned together: identical in every fact the rules read."""

    index: int
    members: list[int]  # student positions, by student id
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


# The student facts of ``group_key``: every field of ``Student`` but who
# the student is, last year's case manager (priors are counts inside a
# group) and the meeting dates (read only as the calendar's periods,
# ``calendar.key``, when dates are planned), in the model's order. A
# field added to the model keeps students apart until it is known to be
# read by no rule or term.
_FACT_NAMES = tuple(f for f in Student.model_fields
                    if f not in ("student_id", "prior_case_manager",
                                 "annual_review_date", "reevaluation_date"))
_STUDENT_FACTS = attrgetter(*_FACT_NAMES)
_SERVICES = _FACT_NAMES.index("services")
_LANGUAGE = _FACT_NAMES.index("home_language")


def group_key(student: Student, instance: Instance,
              reference: dict[str, str] | None = None,
              calendar: Calendar | None = None) -> tuple:
    """What makes students alike: the facts the rules and objectives
    read (services as a set, the language as it is compared), the
    planning decisions about them, their reference case manager and
    (with meeting dates) their meetings' periods. Students with equal
    keys form one group."""
    forbidden = tuple(sorted(c for s, c in instance.forbidden
                             if s == student.student_id))
    meetings = (calendar.key(student),) if calendar is not None else ()
    facts = list(_STUDENT_FACTS(student))
    facts[_SERVICES] = tuple(sorted(student.services))
    facts[_LANGUAGE] = _language_key(student)
    return (*facts, instance.pins.get(student.student_id), forbidden,
            (reference or {}).get(student.student_id), *meetings)


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


def _key_columns(instance: Instance, reference: dict[str, str] | None,
                 calendar: Calendar | None = None
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
    if calendar is not None:
        plan.append([calendar.key(s) for s in students])
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


def order_groups(instance: Instance, reference: dict[str, str] | None,
                 calendar: Calendar | None = None
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
    columns, row_of = _key_columns(instance, reference, calendar)
    ranks = [_column_ranks(c) for c in columns]
    if any(r is None for r in ranks):
        return _groups_by_keys(instance, reference, by_id, calendar)
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
                    by_id: np.ndarray, calendar: Calendar | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``order_groups`` by sorting the keys themselves (values that print
    alike are kept apart, in order of first appearance)."""
    index: dict[tuple, list[int]] = {}
    for pos, s in enumerate(instance.students):
        index.setdefault(group_key(s, instance, reference, calendar),
                         []).append(pos)
    chunks = [sorted(index[k], key=by_id.__getitem__)
              for k in sorted(index, key=_sortable)]
    order = np.array([m for c in chunks for m in c], dtype=np.int64)
    starts = np.cumsum([0] + [len(c) for c in chunks], dtype=np.int64)
    return order, starts


def _sortable(key: tuple) -> tuple:
    return tuple("" if k is None else str(k) for k in key)
