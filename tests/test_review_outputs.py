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


def test_a_districts_own_column_named_like_a_number_column(tmp_path):
    """A roster column of the district's own named "caseload" (a
    program's name, say) made plan.xlsx read the assignments sheet's
    text as numbers: float("RSP-A") failed the whole plan."""
    import csv
    import io

    from click.testing import CliRunner
    from openpyxl import load_workbook

    from optimizer.cli import main

    sample = ROOT / "data" / "sample"
    roster = tmp_path / "roster"
    roster.mkdir()
    (roster / "staff.csv").write_bytes((sample / "staff.csv").read_bytes())
    rows = list(csv.reader(io.StringIO((sample / "students.csv")
                                       .read_text(encoding="utf-8"))))
    rows[0].append("caseload")
    for i, row in enumerate(rows[1:]):
        row.append("RSP-A" if i % 2 else "12")
    with (roster / "students.csv").open("w", newline="",
                                        encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["plan", str(roster), "--out",
                                     str(out), "--quiet"])
    assert done.exit_code == 0, done.output
    sheet = load_workbook(out / "plan.xlsx")["assignments"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    column = header.index("caseload")
    values = [r[column] for r in sheet.iter_rows(min_row=2,
                                                 values_only=True)]
    # the district's text as it was given: text, never a number
    assert values[:2] == ["12", "RSP-A"]


@pytest.mark.skipif(not can_fork(), reason="no fork on this system")
def test_a_process_that_ignores_sigchld_still_gets_its_workbook():
    """With SIGCHLD ignored (inherited from whatever started the run),
    the kernel reaps the child itself and waitpid raised
    ChildProcessError: a traceback instead of plan.xlsx."""
    script = textwrap.dedent("""
        import signal
        from optimizer.outputs.aside import Aside

        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        with Aside(lambda: b"the workbook") as book:
            assert book.forked
            print(book.result().decode())
        with Aside(lambda: b"") as book:
            pass  # left before result(): stopped and reaped quietly
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "the workbook"
