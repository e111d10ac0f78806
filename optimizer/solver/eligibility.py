"""Eligible (group, staff) pairs of a whole roster, judged in blocks.

``rules.check_pair`` stays the single judge; this module only decides how
few times it must be asked. A district of 70,000 students has about a
million (group, staff) pairs that share a site, but few distinct
*profiles*:

- a student's profile is every fact of the student except who they are,
  their site, last year's case manager and their home language, with
  grades that no grade set of the rules or the staff tells apart taken
  as one;
- a staff member's profile is every fact except who they are, their name,
  their sites and their languages.

Each (student profile, staff profile) that occurs is judged on
representatives that share a site (H3 is then applied by expanding each
group over the staff who serve its site), and more coarsely still: a
student profile is judged with only the services the staff profile
provides or the student's most intensive ones (S1), which is all
``check_pair`` reads of them, and when such a staff member would only
coordinate, once per (grade, those services, setting, teacher of
record), since disabilities and support levels are then judged by no
rule. A student's own teacher of record (the one fact that names a
person) is judged as such, on representatives too. Language facts (S4)
are judged once per (home language, spoken languages), again by
``check_pair``, and combined. ``tests/test_eligibility.py`` checks that
the result equals ``check_pair`` on every pair of generated rosters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import repeat
from operator import attrgetter

import numpy as np

from optimizer.domain import Instance, Staff, Student
from optimizer.rules import (
    PairCheck,
    RuleSet,
    best_practice_items,
    check_pair,
    relation,
)
from optimizer.vocab import COORDINATES, GRADES

# Facts that identify a person or place, or that are judged apart.
_STUDENT_APART = ("student_id", "site", "prior_case_manager",
                  "home_language", "teacher_of_record",
                  "annual_review_date", "reevaluation_date")
_STAFF_APART = ("staff_id", "name", "sites", "languages")
_STUDENT_FACTS = tuple(f for f in Student.model_fields
                       if f not in _STUDENT_APART)
_other_facts = attrgetter(*(f for f in _STUDENT_FACTS
                            if f not in ("grade", "services")))
_profile_facts = attrgetter(*_STUDENT_FACTS)
_TEACHER_LANGUAGE = attrgetter("teacher_of_record", "home_language")
_SITE = attrgetter("site")
_STAFF_FACTS = tuple(f for f in Staff.model_fields if f not in _STAFF_APART)
# A teacher of record that is nobody on the roster, and a site for
# representatives (every representative staff member serves every site).
_NOBODY = "\x00nobody"
_TEACHER = "\x00teacher"
_ANYWHERE = "\x00site"


@dataclass
class Eligible:
    """Eligible pairs as arrays, in (group, staff id) order.

    ``check[k]`` indexes ``checks``, the distinct judgements.
    """

    group: np.ndarray
    staff: np.ndarray
    check: np.ndarray
    checks: list[PairCheck]


class _Interner:
    """Distinct keys -> 0, 1, 2, ... in order of first appearance."""

    def __init__(self) -> None:
        self.ids: dict = {}
        self.items: list = []

    def __call__(self, key, item=None) -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.items)
            self.items.append(item)
        return found


def student_profile(student: Student,
                    grade_class: dict[str, str] | None = None) -> tuple:
    """The facts of a student judged per profile (see module docstring);
    with ``grade_class``, grades that no grade set tells apart are one.

    ``(grade, services, other facts, no teacher of record)``.
    """
    grade = student.grade
    return (grade if grade_class is None else grade_class[grade],
            student.services, _other_facts(student),
            student.teacher_of_record is None)


def staff_profile(staff: Staff) -> tuple:
    """The facts of a staff member judged per profile."""
    return tuple(getattr(staff, f) for f in _STAFF_FACTS)


def eligible_pairs(instance: Instance, rules: RuleSet,
                   students: list[Student], candidates: list[int]
                   ) -> Eligible:
    """Judge every (student, candidate staff) pair sharing a site.

    Parameters
    ----------
    instance
        The roster (its staff are indexed by position).
    rules
        The rules tables, passed to ``check_pair``.
    students
        One representative student per group, in group order.
    candidates
        Positions of the staff who may be candidates at all (H2, H6).
    """
    staff = instance.staff
    order = sorted(candidates, key=lambda j: staff[j].staff_id)
    group_site, site_first = _codes(list(map(_SITE, students)))
    sites = {students[g].site: k for k, g in enumerate(site_first)}
    by_site: dict[int, list[int]] = {}
    everywhere: list[int] = []
    for j in order:
        if "*" in staff[j].sites:
            everywhere.append(j)
        for site in staff[j].sites:
            if site in sites:
                by_site.setdefault(sites[site], []).append(j)
    flat, start, length = _site_lists(by_site, everywhere, len(sites),
                                      order)
    lens = length[group_site]
    total = int(lens.sum())
    pair_group = np.repeat(np.arange(len(students), dtype=np.int64), lens)
    first = np.cumsum(lens) - lens
    within = np.arange(total, dtype=np.int64) - np.repeat(first, lens)
    pair_staff = flat[np.repeat(start[group_site], lens) + within]
    return _judge(instance, rules, students, pair_group, pair_staff)


def _site_lists(by_site: dict[int, list[int]], everywhere: list[int],
                num_sites: int, order: list[int]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per site, the staff serving it in staff-id order, concatenated."""
    rank = {j: r for r, j in enumerate(order)}
    chunks, start, length, at = [], [], [], 0
    for site in range(num_sites):
        js = sorted(set(by_site.get(site, [])) | set(everywhere),
                    key=rank.__getitem__)
        chunks.append(np.array(js, dtype=np.int64))
        start.append(at)
        length.append(len(js))
        at += len(js)
    flat = (np.concatenate(chunks) if chunks
            else np.zeros(0, dtype=np.int64))
    return (flat, np.array(start, dtype=np.int64),
            np.array(length, dtype=np.int64))


def _judge(instance: Instance, rules: RuleSet, students: list[Student],
           pair_group: np.ndarray, pair_staff: np.ndarray) -> Eligible:
    staff = instance.staff
    grade_class = _grade_classes(rules, staff)
    t_prof, t_lang = _Interner(), _Interner()
    index = {c.staff_id: j for j, c in enumerate(staff)}
    teacher, languages = (list(c) for c in zip(*map(_TEACHER_LANGUAGE,
                                                    students))) \
        if students else ([], [])
    # Profiles: first the distinct rows of facts, then their profiles.
    rows = _codes(list(map(_profile_facts, students)))[0] * 2 + np.array(
        [t is None for t in teacher], dtype=np.int64)
    _, row_first, sp = np.unique(rows, return_index=True,
                                 return_inverse=True)
    s_prof = _Interner()
    profile_of = np.array([s_prof(student_profile(s, grade_class), s)
                           for s in map(students.__getitem__,
                                        row_first.tolist())],
                          dtype=np.int64)
    sp = profile_of[sp.reshape(-1)]
    sl, lang_first = _codes(languages)
    s_langs = [students[g] for g in lang_first]
    tor = np.fromiter(map(index.get, teacher, repeat(-1)), dtype=np.int64,
                      count=len(teacher))
    tp = np.array([t_prof(staff_profile(c), c) for c in staff],
                  dtype=np.int64)
    tl = np.array([t_lang(c.languages, c) for c in staff], dtype=np.int64)
    verdicts = _Interner()
    # A student's own teacher of record is judged as such (the one fact
    # that names a person), on representatives like every other pair.
    verdict = _profile_verdicts(rules, s_prof.items, t_prof.items,
                                sp[pair_group], tp[pair_staff],
                                tor[pair_group] == pair_staff,
                                grade_class, verdicts)
    # Language facts per (home language, spoken languages).
    n_tl = len(t_lang.items)
    langs, lang_of_pair = _dense_unique(sl[pair_group] * n_tl
                                        + tl[pair_staff],
                                        len(s_langs) * n_tl)
    lang_facts = [_language_facts(s_langs[c // n_tl],
                                  t_lang.items[c % n_tl], rules)
                  for c in langs.tolist()]
    keep = verdict >= 0
    uniq, inverse = _dense_unique(
        verdict[keep] * len(langs) + lang_of_pair[keep],
        len(verdicts.items) * len(langs))
    checks = []
    for c in uniq.tolist():
        wants, match = lang_facts[c % len(langs)]
        checks.append(replace(verdicts.items[c // len(langs)],
                              wants_language=wants, language_match=match))
    return Eligible(pair_group[keep], pair_staff[keep], inverse, checks)


def _profile_verdicts(rules: RuleSet, s_items: list[Student],
                      t_items: list[Staff], sp: np.ndarray, tp: np.ndarray,
                      own: np.ndarray, grade_class: dict[str, str],
                      verdicts: _Interner) -> np.ndarray:
    """Per pair of profiles ``(sp[k], tp[k])``, its verdict's index;
    ``own[k]``: the staff member is the student's teacher of record.

    ``check_pair`` reads a student's services only through those the
    staff member provides and the student's most intensive items (S1), so
    each student profile is judged with those services alone: students
    who differ only in services this staff profile cannot see share a
    judgement.
    """
    n_t = len(t_items)
    combos, combo_of_pair = _dense_unique((sp * 2 + own) * n_t + tp,
                                          2 * len(s_items) * n_t)
    cs, ct = combos // n_t, combos % n_t  # cs: student profile, own
    provides = _Interner()
    t_provides = np.array([provides(c.provides, c.provides)
                           for c in t_items], dtype=np.int64)
    n_p = max(len(provides.items), 1)
    seen, seen_of_combo = _dense_unique(cs * n_p + t_provides[ct],
                                        2 * len(s_items) * n_p)
    views = _Interner()
    tops = [best_practice_items(s, rules) for s in s_items]
    profiles = [student_profile(s, grade_class) for s in s_items]
    view = np.array([
        views(*_service_view(s_items[c // n_p // 2], c // n_p % 2 == 1,
                             provides.items[c % n_p], tops[c // n_p // 2],
                             profiles[c // n_p // 2]))
        for c in seen.tolist()], dtype=np.int64)
    judged_code, judge_of_combo = _dense_unique(
        view[seen_of_combo] * n_t + ct, len(views.items) * n_t)
    students: dict[int, Student] = {}
    staff: dict[tuple[int, bool], Staff] = {}
    asked = _Interner()
    question = np.empty(len(judged_code), dtype=np.int64)
    for k, c in enumerate(judged_code.tolist()):
        v, t = divmod(c, n_t)
        student = students.get(v)
        if student is None:
            student = students[v] = _representative_student(
                views.items[v], grade_class)
        own = views.items[v][2]
        rep = staff.get((t, own))
        if rep is None:
            rep = staff[(t, own)] = _representative_staff(t_items[t], own)
        # A staff member who would only coordinate judges no disability,
        # support level or placement: such views are asked once.
        key = ((v, t) if relation(student, rep) != COORDINATES else
               (student.grade, student.services, student.setting,
                student.teacher_of_record, t))
        question[k] = asked(key, (student, rep))
    judged = np.array([_keep(check_pair(student, rep, rules), verdicts)
                       for student, rep in asked.items], dtype=np.int64)
    return judged[question][judge_of_combo][combo_of_pair]


def _service_view(student: Student, own: bool, provides: tuple[str, ...],
                  top: frozenset[str], profile: tuple
                  ) -> tuple[tuple, tuple]:
    """The student's profile as a staff member providing ``provides``
    sees it: services kept only if provided or most intensive (``top``,
    S1). ``profile`` is the student's (``student_profile``)."""
    services = tuple(x for x in student.services
                     if x in provides or x in top)
    grade, _, other, no_teacher = profile
    return ((grade, services, other, no_teacher, own),
            (student, services, own))


def _codes(values: list) -> tuple[np.ndarray, list[int]]:
    """Each value's code (distinct values numbered in order of first
    appearance) and the position where each code first appears."""
    seen = {v: i for i, v in enumerate(dict.fromkeys(values))}
    codes = np.fromiter(map(seen.__getitem__, values), dtype=np.int64,
                        count=len(values))
    first = np.full(len(seen), len(values), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(values), dtype=np.int64))
    return codes, first.tolist()


def _dense_unique(code: np.ndarray, size: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(code, return_inverse=True)`` for codes in
    ``range(size)``, by a table instead of a sort."""
    present = np.zeros(max(size, 1), dtype=bool)
    present[code] = True
    rank = np.cumsum(present, dtype=np.int64) - 1
    return np.flatnonzero(present), rank[code]


def _grade_classes(rules: RuleSet, staff: tuple[Staff, ...]
                   ) -> dict[str, str]:
    """Each grade -> the first grade that every grade set ``check_pair``
    reads (authorization rows, staff members' grades) treats alike."""
    sets = list(dict.fromkeys([r.grades for r in rules.authorizations]
                              + [c.grades for c in staff]))
    first: dict[tuple, str] = {}
    return {g: first.setdefault(tuple(g in s for s in sets), g)
            for g in GRADES}


def _keep(check: PairCheck, verdicts: _Interner) -> int:
    """The index of an eligible judgement among the distinct ones, or -1."""
    return verdicts(check, check) if check.eligible else -1


def _representative_student(view: tuple[Student, tuple, bool],
                            grade_class: dict[str, str]) -> Student:
    student, services, own = view
    tor = (None if student.teacher_of_record is None
           else _TEACHER if own else _NOBODY)
    return student.model_copy(update={
        "site": _ANYWHERE, "teacher_of_record": tor,
        "prior_case_manager": None, "home_language": None,
        "student_id": _NOBODY, "services": services,
        "grade": grade_class[student.grade]})


def _representative_staff(staff: Staff, own: bool) -> Staff:
    update: dict = {"sites": ("*",), "languages": ()}
    if own:  # the student's teacher of record
        update["staff_id"] = _TEACHER
    return staff.model_copy(update=update)


def _language_facts(student: Student, staff: Staff, rules: RuleSet
                    ) -> tuple[bool, bool]:
    """(wants_language, language_match) as ``check_pair`` judges them."""
    check = check_pair(student, staff, rules)
    return check.wants_language, check.language_match
