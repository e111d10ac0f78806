"""Eligible (group, staff) pairs of a whole roster, judged in blocks.

``rules.check_pair`` stays the single judge; this module only decides how
few times it must be asked. A district of 70,000 students has about a
million (group, staff) pairs that share a site, but few distinct
*profiles*:

- a student's profile is every fact of the student except who they are,
  their site, last year's case manager and their home language;
- a staff member's profile is every fact except who they are, their name,
  their sites and their languages.

Each (student profile, staff profile) that occurs is judged once, by
``check_pair`` on representatives that share a site (H3 is then applied
by expanding each group over the staff who serve its site). Language
facts (S4) are judged once per (home language, spoken languages), again
by ``check_pair``, and combined. A pair whose staff member is the
student's teacher of record (the one fact that names a person) is judged
on the real pair. ``tests/test_eligibility.py`` checks that the result
equals ``check_pair`` on every pair of generated rosters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from optimizer.domain import Instance, Staff, Student
from optimizer.rules import PairCheck, RuleSet, check_pair

# Facts that identify a person or place, or that are judged apart.
_STUDENT_APART = ("student_id", "site", "prior_case_manager",
                  "home_language", "teacher_of_record")
_STAFF_APART = ("staff_id", "name", "sites", "languages")
_STUDENT_FACTS = tuple(f for f in Student.model_fields
                       if f not in _STUDENT_APART)
_STAFF_FACTS = tuple(f for f in Staff.model_fields if f not in _STAFF_APART)
# A teacher of record that is nobody on the roster, and a site for
# representatives (every representative staff member serves every site).
_NOBODY = "\x00nobody"
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


def student_profile(student: Student) -> tuple:
    """The facts of a student judged per profile (see module docstring)."""
    return (tuple(getattr(student, f) for f in _STUDENT_FACTS),
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
    sites = _Interner()
    by_site: dict[int, list[int]] = {}
    everywhere: list[int] = []
    for j in order:
        if "*" in staff[j].sites:
            everywhere.append(j)
        for site in staff[j].sites:
            by_site.setdefault(sites(site), []).append(j)
    group_site = np.array([sites(s.site) for s in students], dtype=np.int64)
    flat, start, length = _site_lists(by_site, everywhere, len(sites.items),
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
    s_prof, t_prof = _Interner(), _Interner()
    s_lang, t_lang = _Interner(), _Interner()
    index = {c.staff_id: j for j, c in enumerate(staff)}
    sp = np.array([s_prof(student_profile(s), s) for s in students],
                  dtype=np.int64)
    sl = np.array([s_lang(s.home_language, s) for s in students],
                  dtype=np.int64)
    tor = np.array([index.get(s.teacher_of_record or "", -1)
                    for s in students], dtype=np.int64)
    tp = np.array([t_prof(staff_profile(c), c) for c in staff],
                  dtype=np.int64)
    tl = np.array([t_lang(c.languages, c) for c in staff], dtype=np.int64)
    # Profile verdicts: index into ``verdicts`` or -1 when excluded.
    verdicts = _Interner()
    code = sp[pair_group] * len(t_prof.items) + tp[pair_staff]
    combos, combo_of_pair = np.unique(code, return_inverse=True)
    judged = np.empty(len(combos), dtype=np.int64)
    reps_s = [_representative_student(s) for s in s_prof.items]
    reps_t = [_representative_staff(c) for c in t_prof.items]
    n_t = len(t_prof.items)
    for k, c in enumerate(combos.tolist()):
        check = check_pair(reps_s[c // n_t], reps_t[c % n_t], rules)
        judged[k] = _keep(check, verdicts)
    verdict = judged[combo_of_pair.reshape(-1)]
    # The teacher of record's own pairs, judged on the real pair.
    own = np.flatnonzero(tor[pair_group] == pair_staff)
    for k in own.tolist():
        check = check_pair(students[pair_group[k]], staff[pair_staff[k]],
                           rules)
        verdict[k] = _keep(check, verdicts)
    # Language facts per (home language, spoken languages).
    code = sl[pair_group] * len(t_lang.items) + tl[pair_staff]
    langs, lang_of_pair = np.unique(code, return_inverse=True)
    lang_facts = [_language_facts(s_lang.items[c // len(t_lang.items)],
                                  t_lang.items[c % len(t_lang.items)], rules)
                  for c in langs.tolist()]
    keep = verdict >= 0
    combined = verdict[keep] * len(langs) + lang_of_pair.reshape(-1)[keep]
    uniq, inverse = np.unique(combined, return_inverse=True)
    checks = []
    for c in uniq.tolist():
        wants, match = lang_facts[c % len(langs)]
        checks.append(replace(verdicts.items[c // len(langs)],
                              wants_language=wants, language_match=match))
    return Eligible(pair_group[keep], pair_staff[keep],
                    inverse.reshape(-1).astype(np.int64), checks)


def _keep(check: PairCheck, verdicts: _Interner) -> int:
    """The index of an eligible judgement among the distinct ones, or -1."""
    return verdicts(check, check) if check.eligible else -1


def _representative_student(student: Student) -> Student:
    tor = None if student.teacher_of_record is None else _NOBODY
    return student.model_copy(update={
        "site": _ANYWHERE, "teacher_of_record": tor,
        "prior_case_manager": None, "home_language": None,
        "student_id": _NOBODY})


def _representative_staff(staff: Staff) -> Staff:
    return staff.model_copy(update={"sites": ("*",), "languages": ()})


def _language_facts(student: Student, staff: Staff, rules: RuleSet
                    ) -> tuple[bool, bool]:
    """(wants_language, language_match) as ``check_pair`` judges them."""
    check = check_pair(student, staff, rules)
    return check.wants_language, check.language_match
