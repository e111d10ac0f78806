"""Background runs (plans and comparisons) in their own process.

A run is a child process (``python -m optimizer.web.job``) so the page
stays responsive, progress is read from the run's record, and *Cancel*
really stops the solver. Plan folders are swapped in whole by the same
``files.write_plan_folder`` the CLI uses, so a cancelled run leaves the
previous plans intact.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from optimizer.web.workspace import Workspace, new_id, now

STAGING_KIND = {"plan": "plans", "compare": "compares"}


class Jobs:
    """Start, follow and cancel runs; one record per run under jobs/."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, kind: str, spec: dict, target: str) -> str:
        """Start a run of ``kind`` ("plan"/"compare") writing ``target``."""
        jid = new_id("j")
        self.ws.save_record("jobs", jid, {
            "kind": kind, "spec": spec, "target": target, "state": "running",
            "stage": "Starting", "created": now(), "started": time.time()})
        log = open(self.ws.root / "jobs" / f"{jid}.log", "wb")  # noqa: SIM115
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "optimizer.web.job", str(self.ws.root),
                 jid], stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT)
        finally:
            log.close()
        self.procs[jid] = proc
        # Reaped as soon as it ends: no defunct process is left behind
        # while the server runs (nobody may ever look at the run again).
        threading.Thread(target=proc.wait, name=f"reap-{jid}",
                         daemon=True).start()
        self.ws.update_record("jobs", jid, pid=proc.pid)
        return jid

    def status(self, jid: str) -> dict:
        """The run's record; a run whose process is gone is
        "interrupted" (the server stopped, or the run crashed)."""
        data = self.ws.record("jobs", jid)
        if data["state"] != "running":
            return data
        proc = self.procs.get(jid)
        alive = proc.poll() is None if proc is not None else \
            _pid_alive(data.get("pid"))
        if not alive:
            data = self.ws.record("jobs", jid)  # it may just have finished
            if data["state"] == "running":
                data = self.ws.update_record(
                    "jobs", jid, state="interrupted", stage=GONE)
        return data

    def cancel(self, jid: str, *, state: str = "cancelled",
               stage: str = "Cancelled; nothing was written.") -> dict:
        """Stop a running run; its half-written files are discarded."""
        data = self.ws.record("jobs", jid)
        if data["state"] != "running":
            return data
        # Recorded first: a run checks its record before each stage and
        # before it says "done", so one we cannot stop still gives up.
        data = self.ws.update_record("jobs", jid, state=state, stage=stage)
        proc = self.procs.pop(jid, None)
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        else:  # started before a restart: stop it if it is still ours
            _stop_pid(data.get("pid"), jid)
        kind = STAGING_KIND[data["kind"]]
        self.ws.discard_staging(kind, data["target"])
        if (self.ws.root / kind / f"{data['target']}.json").is_file():
            # It wrote its result (and made it current, if asked) before
            # it stopped: that is what happened, not "nothing written".
            data = self.ws.update_record(
                "jobs", jid, state="done", stage=TOO_LATE,
                finished=time.time(), **{data["kind"]: data["target"]})
        return data

    def stop_all(self) -> None:
        """On shutdown: runs do not outlive the server. Nobody cancelled
        them, so they are recorded as interrupted, not "Cancelled"."""
        for jid in list(self.procs):
            self.cancel(jid, state="interrupted", stage=INTERRUPTED)


INTERRUPTED = ("Interrupted: the workbench server stopped before the run "
               "finished, so nothing was written. Start it again when you "
               "are ready.")
TOO_LATE = ("Done: the run had finished writing before it could be "
            "cancelled.")
GONE = ("Interrupted: the run's process ended before it finished (the "
        "server stopped, or the computer stopped the run), so nothing was "
        "written. Start it again when you are ready.")


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _is_our_run(pid: int | None, jid: str) -> bool:
    """Whether ``pid`` is still the process of run ``jid`` (a pid may
    have been reused by then). Only where /proc tells; else False."""
    if not pid:
        return False
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"optimizer.web.job" in args and jid.encode() in args


def _stop_pid(pid: int | None, jid: str, timeout: float = 10) -> None:
    """Stop a run another server process started: TERM, then KILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not _is_our_run(pid, jid):
            return
        try:
            os.kill(pid, sig)
        except OSError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _is_our_run(pid, jid):
            time.sleep(0.05)
