"""Small builders for test rosters (domain objects and CSV folders)."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from optimizer.domain import Instance, Staff, Student

HERE = Path(__file__).parent


def chromium(*, playwright: bool = True,
             module: bool = True) -> str:
    """Debian's chromium (and Playwright, unless ``playwright=False``), or
    skip: .ci/run installs both and sets CASELOAD_REQUIRE_BROWSER=1, so in
    CI a missing browser fails rather than skips. ``module``: skip the
    whole module (at import) rather than one test."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = path is None
    if playwright and not missing:
        try:
            import playwright.sync_api
        except ImportError:
            missing = True
    if missing:
        if os.environ.get("CASELOAD_REQUIRE_BROWSER") == "1":
            raise RuntimeError("chromium and playwright are required "
                               "(CASELOAD_REQUIRE_BROWSER)")
        pytest.skip("chromium or playwright is not installed (.ci/run "
                    "installs them)", allow_module_level=module)
    return path


def read(name: str) -> Path:
    """A path under tests/data."""
    return HERE / "data" / name


def student(sid: str = "S1", **kw: Any) -> Student:
    base: dict[str, Any] = dict(student_id=sid, site="A", grade="3",
                                primary_disability="SLD", setting="GENED",
                                services=("RSP",))
    base.update(kw)
    return Student(**base)


def staff(cid: str = "C1", **kw: Any) -> Staff:
    base: dict[str, Any] = dict(staff_id=cid, name=f"Teacher {cid}",
                                sites=("A",), provides=("RSP",),
                                credentials=("R3MN",))
    base.update(kw)
    return Staff(**base)


def instance(students: list[Student], staff_: list[Staff], **kw: Any
             ) -> Instance:
    return Instance(students=tuple(students), staff=tuple(staff_), **kw)


STUDENT_HEADER = ["student_id", "site", "grade", "primary_disability",
                  "secondary_disability", "support_level", "setting",
                  "services", "alt_placement_secondary", "teacher_of_record",
                  "prior_case_manager", "home_language", "weight"]
STAFF_HEADER = ["staff_id", "name", "sites", "provides", "credentials",
                "max_caseload", "fte", "grades", "languages",
                "can_case_manage"]


def write_csv(path: Path, header: list[str], rows: list[dict[str, Any]]
              ) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        for row in rows:
            w.writerow({k: row.get(k, "") for k in header})
    return path


def write_roster(folder: Path, students: list[dict[str, Any]],
                 staff_rows: list[dict[str, Any]],
                 student_header: list[str] | None = None) -> Path:
    """A roster folder from row dicts (missing cells are blank)."""
    folder.mkdir(parents=True, exist_ok=True)
    header = student_header or STUDENT_HEADER
    extra = [k for r in students for k in r if k not in header]
    header = header + sorted(set(extra), key=extra.index)
    write_csv(folder / "students.csv", header, students)
    write_csv(folder / "staff.csv", STAFF_HEADER, staff_rows)
    return folder


def srow(sid: str = "S1", **kw: Any) -> dict[str, Any]:
    row = dict(student_id=sid, site="A", grade="3", primary_disability="SLD",
               setting="GENED", services="RSP")
    row.update(kw)
    return row


def crow(cid: str = "C1", **kw: Any) -> dict[str, Any]:
    row = dict(staff_id=cid, name=f"Teacher {cid}", sites="A",
               provides="RSP", credentials="R3MN")
    row.update(kw)
    return row
