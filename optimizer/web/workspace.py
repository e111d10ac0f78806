"""The workbench's folder on disk: rosters, mappings, plans, scenarios.

Everything the workbench knows lives here, as plain files a district can
open: each roster as uploaded (never changed), its ``mapping.toml``, each
plan folder exactly as ``caseload plan`` writes it, scenario TOML files
as ``caseload compare`` reads them, and comparison folders. A small JSON
file beside each item records what it is. Stopping the server loses
nothing; a second tab sees the same state.

::

    WORKSPACE/
      rosters/R/           students.csv + staff.csv, or one .xlsx
      rosters/R.json       {"name", "created", "current_plan"}
      rosters/R/../R-mapping.toml
      plans/P/             a plan folder (assignments.csv, ...)
      plans/P.json         {"roster", "parent", "pins", "created", ...}
      plans/P-settings.toml, plans/P-mapping.toml
                           the settings and mapping the plan's run read
      scenarios/R/S.toml   what-ifs on roster R
      compares/C/          a comparison folder; compares/C.json
      jobs/J.json          a background run and its progress
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import threading
import time
from pathlib import Path
from typing import Any

from optimizer.inputs.mapping import Mapping, load_mapping

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
from optimizer.outputs.files import write_text_atomic

_THREAD_LOCK = threading.RLock()
KINDS = ("rosters", "plans", "scenarios", "compares", "jobs")
# A write (roster, record, plan folder) takes seconds at most: a hidden
# entry unchanged for this long is left over from an interrupted one.
STAGING_AGE = 60.0


def default_location() -> Path:
    """The user's data folder (e.g. ~/.local/share/caseload/workspace)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("caseload", appauthor=False)) / "workspace"


def new_id(prefix: str) -> str:
    """A sortable, unguessable id: time then randomness."""
    return f"{prefix}{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")


def valid_id(text: str) -> bool:
    """Ids and file names from a URL never climb out of the workspace."""
    return bool(_ID.match(text)) and ".." not in text


class NotFound(LookupError):
    """No such item in the workspace (the pages answer 404). Its own
    class, so a KeyError bug is never mistaken for a missing page."""


class Workspace:
    """The folder and the JSON records beside its items."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        _private_folder(self.root)
        for kind in KINDS:
            (self.root / kind).mkdir(parents=True, exist_ok=True)

    # ---------------------------------------------------------- records

    def path(self, kind: str, ident: str) -> Path:
        if kind not in KINDS or not valid_id(ident):
            raise NotFound(ident)
        return self.root / kind / ident

    def record(self, kind: str, ident: str) -> dict[str, Any]:
        self.path(kind, ident)  # validates
        file = self.root / kind / f"{ident}.json"
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFound(ident) from None

    def save_record(self, kind: str, ident: str, data: dict) -> None:
        self.path(kind, ident)  # validates
        write_text_atomic(self.root / kind / f"{ident}.json",
                          json.dumps(data, indent=2, sort_keys=True) + "\n")

    def update_record(self, kind: str, ident: str, **changes) -> dict:
        """Change some keys of a record. A run's process and the server
        both update records (a roster's current plan, a run's stage and
        its Cancel): read and write happen under one lock, so neither
        writes back a copy read before the other's change."""
        with self._records_lock():
            data = self.record(kind, ident)
            data.update(changes)
            self.save_record(kind, ident, data)
        return data

    @contextlib.contextmanager
    def _records_lock(self):
        """The workspace's lock on records, across processes (a lock file
        at its top, never inside an item's folder)."""
        if fcntl is None:  # no flock: this process's threads only
            with _THREAD_LOCK:
                yield
            return
        with open(self.root / ".records.lock", "ab") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def records(self, kind: str) -> list[tuple[str, dict]]:
        """Every record of a kind, newest first."""
        out = []
        for file in (self.root / kind).glob("*.json"):
            try:
                out.append((file.stem, json.loads(file.read_text("utf-8"))))
            except (OSError, ValueError):
                continue  # a record being written; the next view has it
        return sorted(out, key=lambda x: x[1].get("created", ""),
                      reverse=True)

    # ---------------------------------------------------------- rosters

    def add_roster(self, name: str, files: dict[str, bytes],
                   reuse: bool = False) -> str:
        """Store roster files as a new roster; return its id.

        With ``reuse``, a roster already holding the same files is
        returned instead (``caseload serve ROSTER`` started twice).
        """
        digest = hashlib.sha256(b"".join(
            name.encode() + b"\0" + data for name, data in
            sorted(files.items()))).hexdigest()
        if reuse:
            for rid, rec in self.records("rosters"):
                if rec.get("digest") == digest:
                    return rid
        rid = new_id("r")
        folder = self.path("rosters", rid)
        staging = folder.with_name(f".{rid}.tmp")
        staging.mkdir()
        for fname, data in files.items():
            write_text_atomic(staging / fname, data)
        os.replace(staging, folder)
        self.save_record("rosters", rid, {
            "name": name, "created": _now(), "files": sorted(files),
            "current_plan": None, "digest": digest})
        return rid

    def add_roster_folder(self, name: str, source: Path) -> str:
        """Copy a roster folder or workbook into the workspace."""
        if source.is_file():
            return self.add_roster(name, {source.name: source.read_bytes()},
                                   reuse=True)
        files = {p.name: p.read_bytes() for p in source.iterdir()
                 if p.is_file() and p.name.lower() in ("students.csv",
                                                       "staff.csv")}
        if not files:  # a district's files as downloaded
            files = {p.name: p.read_bytes() for p in source.iterdir()
                     if p.is_file() and p.suffix.lower() in (
                         ".csv", ".txt", ".xlsx", ".xlsm")}
        return self.add_roster(name, files, reuse=True)

    def roster_input(self, rid: str) -> Path:
        """What the loader reads: the folder, or its one workbook."""
        folder = self.path("rosters", rid)
        files = [p for p in folder.iterdir() if p.is_file()]
        books = sorted(p for p in files
                       if p.suffix.lower() in (".xlsx", ".xlsm"))
        # A workbook alone is the roster; beside other files (a SEIS
        # report and an HR workbook) the folder is.
        return books[0] if books and len(files) == 1 else folder

    def mapping_file(self, rid: str) -> Path:
        """Beside the roster folder, never inside it (inputs stay as
        uploaded)."""
        return self.root / "rosters" / f"{rid}-mapping.toml"

    def mapping(self, rid: str) -> Mapping | None:
        """The roster's saved mapping as the library reads it (None
        without one; a bad file raises the library's InputError)."""
        mfile = self.mapping_file(rid)
        return load_mapping(mfile) if mfile.is_file() else None

    # ------------------------------------------------------------ plans

    def plan_folder(self, pid: str) -> Path:
        return self.path("plans", pid)

    def plan_mapping_file(self, pid: str) -> Path:
        """Beside the plan folder: the roster's mapping as the plan's run
        read it (a later mapping is the roster's, not this plan's)."""
        self.path("plans", pid)  # validates
        return self.root / "plans" / f"{pid}-mapping.toml"

    def snapshot_mapping(self, rid: str, pid: str) -> str:
        """Copy the roster's mapping for plan ``pid`` to read; the copy's
        path ("" when the roster has no mapping)."""
        source = self.mapping_file(rid)
        try:
            data = source.read_bytes()
        except FileNotFoundError:
            return ""
        target = self.plan_mapping_file(pid)
        write_text_atomic(target, data)
        return str(target)

    def mapping_of_plan(self, pid: str, record: dict) -> Path | None:
        """The mapping file plan ``pid`` was made with: its copy (the
        roster's own file while that still holds the same), none (made
        without one), or, for a plan made before copies were kept, the
        roster's."""
        roster = self.mapping_file(record["roster"])
        if "mapping_file" not in record:
            return roster
        if not record["mapping_file"]:
            # made without one: the roster's path while it has none
            # either (one roster read, kept once, serves both)
            return None if roster.exists() else roster
        copy = self.plan_mapping_file(pid)
        try:
            if roster.read_bytes() == copy.read_bytes():
                return roster  # one roster read, kept once, serves both
        except FileNotFoundError:
            pass
        return copy

    def discard_staging(self, kind: str, ident: str) -> None:
        """The half-built folders (``.IDENT.xxxx``) a cancelled run of
        ``ident`` left; other runs' folders are theirs to finish."""
        self.path(kind, ident)  # validates
        for p in (self.root / kind).glob(f".{ident}.*"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)

    # -------------------------------------------------------- scenarios

    def scenario_folder(self, rid: str, create: bool = False) -> Path:
        """Roster ``rid``'s scenario folder; made only when saving
        (``create``), never by a page or download reading it."""
        folder = self.path("scenarios", rid)
        if create:
            folder.mkdir(exist_ok=True)
        return folder

    def clean_staging(self, quiet_for: float = STAGING_AGE) -> list[Path]:
        """Remove what an interrupted write left (run at the server's
        start): hidden folders and files (``plans/.P.xxxx/``,
        ``rosters/.R.tmp/``, ``.name.xxxx`` temporary files) in the
        workspace's folders and the scenario folders, unless a run that
        is still going owns them. Only runs write plan and comparison
        folders, so those go at once; a temporary file or a roster being
        stored may be another server's write in progress, so those go
        once unchanged for ``quiet_for`` seconds. Returns what was
        removed."""
        live = _live_ids(self.root)
        now = time.time()
        folders = [self.root / kind for kind in KINDS]
        folders += [p for p in (self.root / "scenarios").iterdir()
                    if p.is_dir() and not p.name.startswith(".")]
        removed = []
        for folder in folders:
            for entry in folder.iterdir():
                if not entry.name.startswith("."):
                    continue
                owner = entry.name[1:].split(".", 1)[0]
                try:
                    age = now - entry.lstat().st_mtime
                except FileNotFoundError:
                    continue
                folder_of_a_run = entry.is_dir() and folder.name in (
                    "plans", "compares")
                if owner in live or (age < quiet_for
                                     and not folder_of_a_run):
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed.append(entry)
        return removed

    def scenario_files(self, rid: str) -> list[Path]:
        return sorted(self.scenario_folder(rid).glob("*.toml"))


class UnsafeWorkspace(PermissionError):
    """The workspace folder is someone else's or others can use it."""


def _private_folder(root: Path) -> None:
    """The workspace holds rosters: only its owner may use it.

    A new folder is made 0700. An existing one is used only if it is
    the user's and neither group nor others may read, write or enter it;
    otherwise it is refused with the reason, never changed (someone set
    it up that way, and a shared folder is no place for student files).
    """
    existed = root.exists()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name != "posix":
        return
    if not existed:
        os.chmod(root, 0o700)  # mkdir's mode is cut by the umask only
    info = root.stat()
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid != os.getuid():
        raise UnsafeWorkspace(
            f"the workspace folder {root} belongs to another user; "
            "choose a folder of your own with --workspace")
    if mode & 0o077:
        raise UnsafeWorkspace(
            f"the workspace folder {root} can be used by other people "
            f"(mode {mode:04o}) and would hold student records; choose a "
            "new folder with --workspace (it is made private), or, if "
            f"this folder is yours alone, make it private: chmod 700 "
            f"{root}")


def _live_ids(root: Path) -> set[str]:
    """The ids a run still going may write: its own, its target's and
    its roster's (a run whose process is alive)."""
    live: set[str] = set()
    for file in (root / "jobs").glob("*.json"):
        try:
            data = json.loads(file.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("state") == "running" and _alive(data.get("pid")):
            live |= {file.stem, str(data.get("target")),
                     str((data.get("spec") or {}).get("roster"))}
    return live


def _alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone's process: not ours to judge
    return True


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def now() -> str:
    """The time stamp records carry (local time, to the second)."""
    return _now()
