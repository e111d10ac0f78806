"""Staff as the district's files name them: staff names where a column
holds a staff member (teacher of record, last year's case manager), and
staff sites (``"All Sites"``, a near spelling of a real site).

Names are read in any spelling ("Park, Rosa", "rosa  PARK"), one word
("Garcia", "Ms. Garcia") as the one staff member with that first or
last name (said); two staff a name could be are asked, naming them.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, replace

from optimizer.errors import Problem
from optimizer.inputs.csv_cells import Table, header_key


def name_key(text: str) -> str:
    """"Park, Rosa", "rosa  PARK" and "Rosa Park" compare equal."""
    text = " ".join(text.replace("\u00a0", " ").split())
    if text.count(",") == 1:
        last, first = (p.strip() for p in text.split(","))
        text = f"{first} {last}"
    return text.casefold()


def _looks_like_name(text: str) -> bool:
    return bool(re.search(r"[A-Za-z]", text)) and (
        " " in text.strip() or "," in text)


# "Ms. Garcia", "Dr Ito": a courtesy title before a name.
_TITLE = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr)\.?\s+", re.IGNORECASE)
# One word of a name: letters, with inner apostrophes or hyphens.
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")


def _name_words(name: str) -> set[str]:
    """The words one word of a cell may name a staff member by: their
    first name and last name ("Maria Garcia", "Garcia, Maria" ->
    maria, garcia; "De la Cruz, Ana" -> ana, de la cruz, cruz)."""
    text = name_key(name)
    words = text.split()
    if not words:
        return set()
    if name.count(",") == 1:  # name_key put the last name last
        last = name.split(",")[0].strip().casefold()
        last = " ".join(last.split())
        return {words[0], last, last.split()[-1]} if last else {words[0]}
    return {words[0], words[-1]}


@dataclass
class _Staff:
    """The staff list as names are matched against it."""

    ids: set[str]
    names: dict[str, str]                # id -> name
    by_name: dict[str, list[str]]        # name_key -> ids
    by_word: dict[str, list[str]]        # first or last name -> ids

    @classmethod
    def of(cls, staff: Table) -> _Staff | None:
        skeys = [header_key(h) for h in staff.header]
        if "staff_id" not in skeys or "name" not in skeys:
            return None
        ipos, npos = skeys.index("staff_id"), skeys.index("name")
        out = cls(set(), {}, {}, {})
        for _row, cells in staff.rows:
            sid = cells[ipos].strip() if ipos < len(cells) else ""
            name = cells[npos].strip() if npos < len(cells) else ""
            if not sid:
                continue
            out.ids.add(sid)
            out.names[sid] = name
            if name:
                out.by_name.setdefault(name_key(name), []).append(sid)
                for word in _name_words(name):
                    ids = out.by_word.setdefault(word, [])
                    if sid not in ids:
                        ids.append(sid)
        return out

    def lookup(self, cell: str) -> tuple[list[str], bool]:
        """The staff a cell names, and whether by one word only (a first
        or last name, "Garcia", "Ms. Garcia", which is then said)."""
        hits = self.by_name.get(name_key(cell), [])
        if hits:
            return hits, False
        bare = _TITLE.sub("", cell.strip()).strip()
        if bare != cell.strip():
            hits = self.by_name.get(name_key(bare), [])
            if hits:
                return hits, False
        if _WORD.fullmatch(bare):
            return self.by_word.get(bare.casefold(), []), True
        return [], False

    def listed(self, ids: list[str]) -> str:
        return ", ".join(f'"{self.names[i]}" ({i})' for i in ids)


def resolve_names(students: Table, staff: Table
                  ) -> tuple[Table, list[Problem], list[Problem]]:
    """Staff names in the teacher_of_record and prior_case_manager
    columns replaced by staff ids, with the problems (a teacher of record
    nobody is called; a name two staff share; one word that is the first
    or last name of several staff) and warnings (last year's case
    manager by a name nobody has now, once per name; one word read as
    the one staff member of that first or last name, once per word)."""
    known = _Staff.of(staff)
    if known is None:
        return students, [], []
    keys = [header_key(h) for h in students.header]
    todo = [(c, keys.index(c)) for c in ("teacher_of_record",
                                         "prior_case_manager")
            if c in keys]
    problems: list[Problem] = []
    notes: list[Problem] = []
    if not todo:
        return students, problems, notes
    warned: set[tuple[int, str]] = set()
    counts: dict[int, Counter[str]] = {}

    def count(pos: int, cell: str) -> int:
        if pos not in counts:
            counts[pos] = Counter(c[pos].strip() for _r, c in students.rows
                                  if pos < len(c))
        return counts[pos][cell]

    rows = []
    changed = False
    for row, cells in students.rows:
        new = None
        for col, pos in todo:
            cell = cells[pos].strip() if pos < len(cells) else ""
            if not cell or cell in known.ids:
                continue
            hits, by_word = known.lookup(cell)
            head = students.header[pos]
            if len(hits) == 1:
                new = new or list(cells)
                new[pos] = hits[0]
                if by_word and (pos, cell) not in warned:
                    warned.add((pos, cell))
                    notes.append(Problem(
                        students.file, row, head, cell,
                        f'"{cell}" read as {known.listed(hits)}, the only '
                        f"staff member of that name ({count(pos, cell)} "
                        "student(s)); write the staff id or the full "
                        "name to be certain"))
                continue
            if len(hits) > 1:
                problems.append(Problem(
                    students.file, row, head, cell,
                    (f'"{cell}" could be {len(hits)} staff ('
                     + known.listed(hits) + "): write the staff id or the "
                     "full name instead") if by_word else
                    (f'{len(hits)} staff are called "{cell}" ('
                     + ", ".join(hits) + "): write the staff id instead")))
                continue
            if not _looks_like_name(cell):
                continue  # an unknown id: the loader's own warning
            near = _closest(cell, known.names)
            if col == "teacher_of_record":
                problems.append(Problem(
                    students.file, row, head, cell,
                    f'no one on the staff list is called "{cell}"'
                    + (f"; closest: {near}" if near else "")
                    + "; write the staff id or the name as the staff "
                    "list spells it"))
            elif (pos, cell) not in warned:
                warned.add((pos, cell))
                typo = _closest(cell, known.names, cutoff=0.85, n=1)
                notes.append(Problem(
                    students.file, row, head, cell,
                    f'"{cell}" (last year\'s case manager of '
                    f"{count(pos, cell)} student(s)) is not on the staff "
                    "list"
                    + (f"; perhaps {typo}, a near spelling" if typo
                       else "; case managers who have left keep no "
                       "continuity")
                    + "; continuity (S3) cannot apply"))
        if new is not None:
            changed = True
            rows.append((row, new))
        else:
            rows.append((row, cells))
    if changed:
        students = replace(students, rows=rows)
    return students, problems, notes


def _closest(cell: str, names: dict[str, str], cutoff: float = 0.6,
             n: int = 3) -> str:
    keyed = {name_key(v): k for k, v in names.items() if v}
    hits = difflib.get_close_matches(name_key(cell), list(keyed), n=n,
                                     cutoff=cutoff)
    return ", ".join(f'"{names[keyed[h]]}" ({keyed[h]})' for h in hits)


# ------------------------------------------------------- staff sites

ALL_SITES = {"all sites", "all", "district wide", "districtwide",
             "all schools", "every site", "all campuses"}


def site_problems(students: Table, staff: Table,
                  warnings: list[Problem] | None = None) -> list[Problem]:
    """A staff site no student attends: "All Sites" is asked (it may
    mean ``*``), a near spelling of a real site is a problem with it, any
    other is a warning (into ``warnings``), once per site."""
    skeys = [header_key(h) for h in staff.header]
    ukeys = [header_key(h) for h in students.header]
    if "sites" not in skeys or "site" not in ukeys:
        return []
    spos, upos = skeys.index("sites"), ukeys.index("site")
    real = {c[upos].strip() for _r, c in students.rows if upos < len(c)}
    real.discard("")
    out = []
    told: set[str] = set()
    for row, cells in staff.rows:
        cell = cells[spos] if spos < len(cells) else ""
        sep = ";" if ";" in cell or "," not in cell else ","
        for site in (s.strip() for s in cell.split(sep)):
            if not site or site == "*" or site in real:
                continue
            plain = " ".join(re.sub(r"[^a-z]+", " ", site.casefold())
                             .split())
            if plain in ALL_SITES:
                out.append(Problem(
                    staff.file, row, staff.header[spos], site,
                    f'"{site}" is not a site of any student; if it means '
                    'every site, write "*" (or match it to * in the '
                    "mapping)"))
                continue
            folded = {r.casefold(): r for r in sorted(real)}
            near = difflib.get_close_matches(site.casefold(), list(folded),
                                             n=1, cutoff=0.8)
            if near:
                out.append(Problem(
                    staff.file, row, staff.header[spos], site,
                    f'"{site}" is not a site of any student (did you mean '
                    f'"{folded[near[0]]}"?)'))
            elif warnings is not None and site not in told:
                told.add(site)
                warnings.append(Problem(
                    staff.file, row, staff.header[spos], site,
                    f'no student attends "{site}"; staff there serve no '
                    'one (write "*" for every site, or check the name)'))
    return out
