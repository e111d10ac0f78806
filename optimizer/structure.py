"""The planning problem's structure, computed once and shared.

Students with identical profiles (same site, grade, eligibility facts,
language and weight) form a ``Group`` and are planned as an integer count;
a group's prior case managers are counts inside it. Only eligible
(group, staff) pairs exist. ``components`` splits the district into parts
that share no staff, which are solved separately. Pure Python: the model
builder, the diagnosis and the explanations read the same structure.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from optimizer.domain import Instance, Student
from optimizer.rules import PairCheck, PairJudge, RuleSet, wants_language


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


@dataclass(frozen=True)
class Pair:
    """An eligible (group, staff) pair and what choosing it means."""

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
class Structure:
    instance: Instance
    rules: RuleSet
    groups: list[Group]
    caps: list[int]
    pairs: list[Pair]
    weight_scale: int
    no_candidates: list[int]  # groups with no eligible pair
    components: list[Component]
    pins: dict[str, str] = field(default_factory=dict)



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
    by_site: dict[str, list[int]] = defaultdict(list)
    everywhere: list[int] = []
    for j, c in enumerate(instance.staff):
        if caps[j] == 0 or not rules.may_case_manage(c):
            continue  # H2 / H6: never a candidate
        if "*" in c.sites:
            everywhere.append(j)
        for site in c.sites:
            by_site[site].append(j)
    pairs: list[Pair] = []
    no_candidates = []
    judge = PairJudge(rules)
    staff_order = {j: c.staff_id for j, c in enumerate(instance.staff)}
    for g in groups:
        s = g.student
        pinned = instance.pins.get(s.student_id)
        forbidden = {c for sid, c in instance.forbidden
                     if sid == s.student_id}
        found = False
        skey = judge.student_key(s)
        for j in sorted(set(by_site.get(s.site, [])) | set(everywhere),
                        key=staff_order.__getitem__):
            c = instance.staff[j]
            if caps[j] == 0 or c.staff_id in forbidden:
                continue
            if pinned is not None and c.staff_id != pinned:
                continue
            check = judge.eligible(s, c, skey)
            if check is not None:
                pairs.append(Pair(g.index, j, check))
                found = True
        if not found:
            no_candidates.append(g.index)
    staff_ids = [c.staff_id for c in instance.staff]
    return Structure(instance, rules, groups, caps, pairs, scale,
                     no_candidates, _components(groups, pairs, staff_ids))


def _sortable(key: tuple) -> tuple:
    return tuple("" if k is None else str(k) for k in key)


def _components(groups: list[Group], pairs: list[Pair],
                staff_ids: list[str]) -> list[Component]:
    num_staff = len(staff_ids)
    parent = list(range(len(groups) + num_staff))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for p in pairs:
        a, b = find(p.group), find(len(groups) + p.staff)
        if a != b:
            parent[max(a, b)] = min(a, b)
    comps: dict[int, Component] = {}
    for g in groups:
        comps.setdefault(find(g.index), Component([], [], [])).groups.append(
            g.index)
    for j in range(num_staff):
        root = find(len(groups) + j)
        if root in comps:
            comps[root].staff.append(j)
    for comp in comps.values():
        comp.staff.sort(key=staff_ids.__getitem__)
    for i, p in enumerate(pairs):
        comps[find(p.group)].pairs.append(i)
    return sorted(comps.values(), key=lambda c: c.groups[0])
