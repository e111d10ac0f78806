"""What the pages read: rosters and plans loaded once, kept while fresh.

Loading a 70,000-student roster and checking its plan takes seconds, so
each is kept (a few at a time) until its files change; every page of a
plan then slices the kept rows. All figures come from the library: the
loader, the checker (``verify.audit``) and ``plan_tables``.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.errors import InputError, Problem
from optimizer.inputs.csv_cells import EXTRA_PREFIX, header_key
from optimizer.inputs.mapping import Mapping, load_mapping
from optimizer.inputs.plans import read_assignment
from optimizer.inputs.roster import Roster, load_roster
from optimizer.inputs.settings import plan_settings
from optimizer.outputs import plan_tables
from optimizer.outputs.names import Names
from optimizer.rules import RuleSet
from optimizer.verify import Audit, audit
from optimizer.web.workspace import Workspace


@dataclass
class RosterState:
    """A roster as the loader sees it: loaded, or its problems."""

    rid: str
    record: dict
    roster: Roster | None
    problems: list[Problem]
    mapping: Mapping | None
    mapping_problems: list[Problem] = field(default_factory=list)
    # what pages derive from it once (defaults, grouped warnings)
    views: dict = field(default_factory=dict)


@dataclass
class PlanState:
    """A plan folder, checked, with its rows for browsing."""

    pid: str
    record: dict
    roster: Roster
    summary: dict
    assignment: dict[str, str]
    audit: Audit
    sites: list[plan_tables.SiteRow]
    students: list[plan_tables.StudentRow]
    parent: str | None
    parent_assignment: dict[str, str]
    parent_audit: Audit | None
    names: dict[str, str]  # staff id -> name
    rules: RuleSet  # under the plan's own authorizations setting
    student_names: Names  # names beside ids (the roster's own columns)

    def student(self, sid: str) -> str:
        """``Garcia Noah (100002)``, or the id alone without a name."""
        return self.student_names.of_student(sid)


class Cache:
    """Keeps the last few rosters and plans, keyed by their files' times."""

    def __init__(self, ws: Workspace, rules: RuleSet, size: int = 8):
        self.ws = ws
        self.rules = rules
        self.size = size
        self._items: OrderedDict[tuple, object] = OrderedDict()
        # Pages run in a thread pool; one build at a time, so two tabs
        # opening the same large plan load it once.
        self._lock = threading.RLock()

    def _get(self, key: tuple, build):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            value = build()
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return value

    def keep(self, key: tuple, build):
        """``build()``'s value, kept under ``key`` (ids and file times)."""
        return self._get(key, build)

    def roster(self, rid: str, mfile: Path | bool | None = True
               ) -> RosterState:
        """The roster read with its mapping, or with ``mfile`` (a plan's
        copy; None: without a mapping)."""
        record = self.ws.record("rosters", rid)
        if mfile is True:
            mfile = self.ws.mapping_file(rid)
        key = ("roster", rid, _stamp(self.ws.path("rosters", rid)),
               str(mfile), _stamp(mfile) if mfile else 0)
        return self._get(key, lambda: self._load_roster(rid, record,
                                                        mfile))

    def _load_roster(self, rid: str, record: dict,
                     mfile: Path | None) -> RosterState:
        try:
            mapping = load_mapping(mfile) if mfile and mfile.is_file() \
                else None
        except InputError as exc:
            return RosterState(rid, record, None, [], None, exc.problems)
        try:
            loaded = load_roster(self.ws.roster_input(rid), self.rules,
                                 mapping)
        except InputError as exc:
            return RosterState(rid, record, None, exc.problems, mapping)
        return RosterState(rid, record, loaded, [], mapping)

    def plan(self, pid: str) -> PlanState:
        record = self.ws.record("plans", pid)
        folder = self.ws.plan_folder(pid)
        mfile = self.ws.mapping_of_plan(pid, record)
        key = ("plan", pid, _stamp(folder / "summary.json"), str(mfile),
               _stamp(mfile) if mfile else 0)
        return self._get(key, lambda: self._load_plan(pid, record, folder,
                                                      mfile))

    def _load_plan(self, pid: str, record: dict, folder: Path,
                   mfile: Path | None) -> PlanState:
        state = self.roster(record["roster"], mfile)
        if state.roster is None:
            raise InputError(state.problems or state.mapping_problems)
        instance = state.roster.instance
        rules = self.plan_rules(record)
        summary = json.loads((folder / "summary.json").read_text("utf-8"))
        assignment: dict[str, str] = {}
        if (folder / "assignments.csv").is_file():
            raw, _ = read_assignment(folder / "assignments.csv")
            assignment = {k: v for k, v in raw.items() if v}
        # The calendar as the plan was made (its period, H8's limit,
        # the planning year), not the defaults (issue 23).
        weights = plan_settings(folder)
        checked = audit(instance, rules, assignment,
                        calendar=weights.calendar(instance.students)
                        if weights is not None else None)
        student_names = names_of(instance)
        parent = record.get("parent")
        parent_assignment: dict[str, str] = {}
        parent_audit = None
        if parent and (self.ws.plan_folder(parent)
                       / "assignments.csv").is_file():
            raw, _ = read_assignment(
                self.ws.plan_folder(parent) / "assignments.csv")
            parent_assignment = {k: v for k, v in raw.items() if v}
            parent_audit = audit(instance, rules, parent_assignment)
        return PlanState(
            pid, record, state.roster, summary, assignment, checked,
            plan_tables.site_rows(checked, instance, rules),
            plan_tables.student_rows(checked, parent_assignment,
                                     student_names.student_name),
            parent, parent_assignment, parent_audit,
            {c.staff_id: c.name for c in instance.staff}, rules,
            student_names)

    def plan_rules(self, record: dict) -> RuleSet:
        """The rules a plan was made under (``--authorizations``)."""
        return self.rules.with_authorization_mode(
            record.get("authorizations") or "all")


def names_of(instance) -> Names:
    """Names beside ids, with the roster's own headers compared as the
    loader compares them: an export's "Last Name" / "First Name" (or
    kept as its own columns, "x_last_name") are last_name / first_name,
    and so are SEIS's "Student Legal Last Name" / "... First Name"."""
    keys = tuple(_name_key(header_key(c).removeprefix(EXTRA_PREFIX))
                 for c in instance.extra_columns)
    if keys != instance.extra_columns:
        # a shallow copy: only the names of the columns differ
        instance = instance.model_copy(update={"extra_columns": keys})
    return Names(instance, {})


def _name_key(key: str) -> str:
    """``student_legal_first_name`` (SEIS), ``student_first_name``,
    ``legal_last_name``: first_name / last_name."""
    for part in ("first_name", "last_name"):
        if key in (f"student_{part}", f"legal_{part}",
                   f"student_legal_{part}"):
            return part
    return key


def _stamp(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0
