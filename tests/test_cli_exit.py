"""``caseload`` as a process (``optimizer.cli.run``): it leaves without
the interpreter's teardown, so its exit codes, its output and its exit
functions are checked here as a user's shell sees them."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "data" / "sample"


def _caseload(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer.cli",
                           *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, **kw)


def test_a_plan_exits_0_with_its_output_flushed_and_its_files(tmp_path):
    done = _caseload("plan", SAMPLE, "--out", tmp_path / "p", "--no-xlsx")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().splitlines()[-1].startswith(
        "Plan written to ")
    with open(tmp_path / "p" / "assignments.csv", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 315


def test_exit_codes_pass_through(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "students.csv").write_text("student_id,site\nS1,A\n")
    (bad / "staff.csv").write_text("staff_id\nC1\n")
    done = _caseload("plan", bad, "--out", tmp_path / "o")
    assert done.returncode == 1
    assert "students.csv" in done.stderr and "Traceback" not in done.stderr
    assert _caseload("plan", "--no-such-option").returncode == 2
    out = tmp_path / "p"
    assert _caseload("plan", SAMPLE, "--out", out,
                     "--no-xlsx").returncode == 0
    with open(out / "assignments.csv", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[1][2] = rows[2][2] = ""  # two students without a case manager
    broken = tmp_path / "broken.csv"
    with open(broken, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    done = _caseload("check", SAMPLE, broken)
    assert done.returncode == 4
    assert "H1" in done.stdout


def test_exit_functions_still_run_and_a_message_exit_is_shown():
    script = (
        "import atexit, sys\n"
        "from optimizer import cli\n"
        "atexit.register(lambda: print('exit function ran'))\n"
        "@cli.main.command()\n"
        "def stop():\n"
        "    sys.exit('stopped: a message')\n"
        "sys.argv = ['caseload', 'stop']\n"
        "cli.run()\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "stopped: a message" in done.stderr
    assert done.stdout.strip() == "exit function ran"


def test_only_the_process_keeps_a_plan_for_its_end(tmp_path):
    """``run`` keeps the finished plan for the process's end; the command
    called as a function (tests, a notebook) keeps nothing."""
    from click.testing import CliRunner

    from optimizer import cli

    done = CliRunner().invoke(cli.main, ["plan", str(SAMPLE), "--out",
                                         str(tmp_path / "p"), "--no-xlsx"])
    assert done.exit_code == 0
    assert cli._KEPT is None
    script = (
        "import sys, os\n"
        "from optimizer import cli\n"
        "real_exit = os._exit\n"
        "def leave(code):\n"
        "    print(len(cli._KEPT), type(cli._KEPT[1]).__name__)\n"
        "    sys.stdout.flush()\n"
        "    real_exit(code)\n"
        "os._exit = leave\n"
        f"sys.argv = ['caseload', 'plan', {str(SAMPLE)!r}, '--out', "
        f"{str(tmp_path / 'q')!r}, '--no-xlsx', '--quiet']\n"
        "cli.run()\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["3", "PlanRun"]


def test_a_closed_stdout_is_no_crash():
    """With standard output closed (``caseload ... >&-``, or pythonw,
    where ``sys.stdout`` is None) click prints nothing and the command's
    own exit code stands: leaving must not try to flush a missing
    stream."""
    import os

    done = subprocess.run([sys.executable, "-m", "optimizer.cli", "--help"],
                          cwd=ROOT, capture_output=False,
                          stderr=subprocess.PIPE, text=True, timeout=60,
                          preexec_fn=lambda: os.close(1))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
