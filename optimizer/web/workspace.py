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
      scenarios/R/S.toml   what-ifs on roster R
      compares/C/          a comparison folder; compares/C.json
      jobs/J.json          a background run and its progress
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from optimizer.inputs.mapping import Mapping, load_mapping
from optimizer.outputs.files import write_text_atomic

KINDS = ("rosters", "plans", "scenarios", "compares", "jobs")


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
        data = self.record(kind, ident)
        data.update(changes)
        self.save_record(kind, ident, data)
        return data

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

    def scenario_files(self, rid: str) -> list[Path]:
        return sorted(self.scenario_folder(rid).glob("*.toml"))


def _private_folder(root: Path) -> None:
    """The workspace holds rosters: only its owner may read it (0700).

    An existing folder is tightened only when it is ours (a shared one
    set up by someone else is left as they made it)."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix" and root.stat().st_uid == os.getuid():
        os.chmod(root, 0o700)


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def now() -> str:
    """The time stamp records carry (local time, to the second)."""
    return _now()
