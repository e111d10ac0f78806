"""One plan-or-re-plan operation for both faces (design review (d) 6):
``caseload plan`` and the workbench's plan job call
``operations.plan_or_replan`` with the same collector setting."""

from __future__ import annotations

import gc
from pathlib import Path

from click.testing import CliRunner

from optimizer import operations
from optimizer.cli import main
from optimizer.web import job
from optimizer.web.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def spy(monkeypatch):
    """Record each call of the operation and the collector's setting."""
    calls = []
    real = operations.plan_or_replan

    def recording(roster, rules, **kwargs):
        calls.append((kwargs, gc.get_threshold()))
        return real(roster, rules, **kwargs)

    monkeypatch.setattr(operations, "plan_or_replan", recording)
    return calls


def test_the_cli_and_the_workbench_run_the_same_operation(tmp_path,
                                                          monkeypatch):
    before = gc.get_threshold()
    try:
        calls = spy(monkeypatch)
        out = tmp_path / "cli"
        result = CliRunner().invoke(main, ["plan", str(SAMPLE), "--out",
                                           str(out), "--quiet"])
        assert result.exit_code == 0, result.output
        again = CliRunner().invoke(main, [
            "plan", str(SAMPLE), "--out", str(tmp_path / "re"), "--quiet",
            "--from", str(out)])
        assert again.exit_code == 0, again.output
        gc.set_threshold(*before)
        ws = Workspace(tmp_path / "ws")
        rid = ws.add_roster_folder("sample", SAMPLE)
        ws.save_record("jobs", "j1", {
            "kind": "plan", "spec": {"roster": rid, "time_limit": 60},
            "target": "p1", "state": "running", "stage": "Starting"})
        assert job.main([str(ws.root), "j1"]) == 0
        ws.save_record("jobs", "j2", {
            "kind": "plan", "spec": {"roster": rid, "time_limit": 60,
                                     "parent": "p1"},
            "target": "p2", "state": "running", "stage": "Starting"})
        assert job.main([str(ws.root), "j2"]) == 0
    finally:
        gc.set_threshold(*before)
    assert len(calls) == 4
    (cli, _), (cli_re, _), (web, _), (web_re, _) = calls
    assert cli["published"] is None and web["published"] is None
    assert cli_re["published"] == web_re["published"]  # the same plan
    # Every run with the CLI's collector setting, the web's too.
    assert {threshold for _, threshold in calls} == {(100_000, 50, 100)}
    # Byte for byte the same plan from either face.
    for name in ("assignments.csv", "caseloads.csv"):
        assert (out / name).read_bytes() == (
            ws.plan_folder("p1") / name).read_bytes()
