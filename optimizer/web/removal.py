"""Deleting what the user made in the workbench: plans, comparisons,
rosters (with everything made from them) and what-ifs.

Only items inside the workspace, named by checked ids, are removed; the
record goes first, so a delete stopped half-way leaves no item listed
with missing files (the folder is then an orphan the next delete of the
same id clears).
"""

from __future__ import annotations

import shutil

from optimizer.web.workspace import Workspace


def delete_item(ws: Workspace, kind: str, ident: str) -> None:
    """An item's record, then its folder."""
    folder = ws.path(kind, ident)  # validates the id
    (ws.root / kind / f"{ident}.json").unlink(missing_ok=True)
    if folder.is_dir():
        shutil.rmtree(folder)


def delete_roster(ws: Workspace, rid: str) -> None:
    """The roster, its mapping, what-ifs, plans and comparisons."""
    for kind in ("plans", "compares"):  # each with its settings file
        for ident, rec in ws.records(kind):
            if rec.get("roster") == rid:
                delete_item(ws, kind, ident)
                for sidecar in ("settings", "mapping"):
                    (ws.root / kind / f"{ident}-{sidecar}.toml").unlink(
                        missing_ok=True)
    scenarios = ws.path("scenarios", rid)
    if scenarios.is_dir():
        shutil.rmtree(scenarios)
    ws.mapping_file(rid).unlink(missing_ok=True)
    delete_item(ws, "rosters", rid)
