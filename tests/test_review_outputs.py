"""Fresh review of issue 24's write pipeline: the workbook made aside
and plan.xlsx written as its XML parts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from optimizer.outputs.aside import can_fork

ROOT = Path(__file__).parent.parent


def _gone(pid: int) -> bool:
    """No such process, or only its exit status left (a zombie waiting
    for whoever adopted it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] in "ZX"


@pytest.mark.skipif(not can_fork(), reason="no fork on this system")
def test_the_child_ends_when_its_parent_is_stopped():
    """The workbench's Cancel stops a run with SIGTERM: the run never
    reaches Aside.__exit__, and its child went on making plan.xlsx (a
    copy of the run's memory, a core) for nobody."""
    script = textwrap.dedent("""
        import time
        from optimizer.outputs.aside import Aside

        def make():
            time.sleep(60)
            return b""

        with Aside(make) as book:
            print(book.pid, flush=True)
            time.sleep(60)
    """)
    child = None
    run = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                           stdout=subprocess.PIPE, text=True)
    try:
        child = int(run.stdout.readline())
        time.sleep(0.5)  # the child is under way
        assert not _gone(child)
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not _gone(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(child), "the child outlived its parent"
    finally:
        run.kill()
        run.wait()
        run.stdout.close()
        if child is not None and not _gone(child):
            os.kill(child, signal.SIGKILL)

