"""Server time of each workbench page on a large plan.

Plans bench/generate.py's ``large`` roster (700 sites, ~70,000 students)
once into a workspace with the workbench's own run, then times every page
through the app in-process (Starlette's TestClient, no network): the
first view of a plan loads and checks it (reported apart), every later
view slices the kept rows.

Usage: python -m bench.web_pages [--size large] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from starlette.testclient import TestClient

from optimizer.web import job
from optimizer.web.app import create_app
from optimizer.web.workspace import Workspace, new_id, now

from . import generate

HERE = Path(__file__).parent
TOKEN = "bench"


def prepare(size: str, folder: Path) -> tuple[Path, str, str]:
    """A workspace with the roster and one plan of it (made once)."""
    roster = folder / f"{size}-roster"
    if not (roster / "students.csv").is_file():
        students, staff = generate.generate(size)
        generate.write(students, staff, roster)
    root = folder / f"{size}-workspace"
    ws = Workspace(root)
    for rid, rec in ws.records("rosters"):
        if rec.get("current_plan"):
            return root, rid, rec["current_plan"]
    rid = ws.add_roster_folder(f"generated {size}", roster)
    jid, pid = new_id("j"), new_id("p")
    ws.save_record("jobs", jid, {
        "kind": "plan", "spec": {"roster": rid, "time_limit": 120,
                                 "make_current": True},
        "target": pid, "state": "running", "stage": "", "created": now(),
        "started": time.time()})
    assert job.main([str(root), jid]) == 0, ws.record("jobs", jid)
    return root, rid, pid


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="large", choices=list(generate.SIZES))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    root, rid, pid = prepare(args.size, args.out)
    client = TestClient(create_app(root, TOKEN),
                        base_url="http://127.0.0.1:8765")
    client.get(f"/?token={TOKEN}")
    t = time.perf_counter()
    first = client.get(f"/plans/{pid}")
    cold = time.perf_counter() - t
    assert first.status_code == 200
    plan = client.app.state.cache.plan(pid)
    some = plan.students[len(plan.students) // 2].student_id
    site = plan.sites[len(plan.sites) // 2].site
    pages = {
        "roster page": f"/rosters/{rid}",
        "plan (KPIs + all sites)": f"/plans/{pid}",
        "sites sorted by max util.": f"/plans/{pid}/sites?sort=util_max"
                                     "&desc=1",
        "sites filtered": f"/plans/{pid}/sites?q=1",
        "students page 1": f"/plans/{pid}/students",
        "students page 700": f"/plans/{pid}/students?page=700",
        "students of one site": f"/plans/{pid}/students?site={site}",
        "students best practice missed":
            f"/plans/{pid}/students?bp=missed",
        "students search": f"/plans/{pid}/students?q={some[:5]}",
        "student explanation": f"/plans/{pid}/students/{some}",
        "what-ifs page": f"/rosters/{rid}/scenarios",
        "mapping page": f"/rosters/{rid}/mapping",
    }
    hx = {"hx-request": "true"}
    print(f"# Workbench pages, {len(plan.students):,} students, "
          f"{len(plan.sites)} sites, {len(plan.roster.instance.staff):,} "
          f"staff\n")
    print(f"First view of the plan (load roster, check plan, build rows): "
          f"{cold:.2f} s\n")
    print("| page | median ms | max ms | bytes |")
    print("|---|---:|---:|---:|")
    for name, url in pages.items():
        times = []
        size = 0
        for _ in range(args.repeats):
            t = time.perf_counter()
            r = client.get(url, headers=hx if "/sites" in url else {})
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (url, r.status_code)
            size = len(r.content)
        print(f"| {name} | {statistics.median(times):.0f} | "
              f"{max(times):.0f} | {size:,} |")


if __name__ == "__main__":
    main()
