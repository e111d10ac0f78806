"""Work done aside: a forked child does one piece while the run goes on.

The run has two cores to use and pieces of work that do not depend on
one another. The plan is solved in a child (``operations.SolveAhead``)
while the parent judges the roster's service coverage and prepares the
checker's roster pass; once the checker has passed, plan.xlsx is made
in a child (``os.fork``: the rows are shared, nothing is copied) while
the parent writes the CSV text and report.html. The child hands its
bytes back through an anonymous temporary file, never a file under
--out: the parent publishes everything together (``files``), so nothing
appears before the checker has passed and the whole plan is written.

The child's result is the function's own: a child that fails (or a
system without ``fork``: Windows, and macOS where forking is unsafe) has
the parent make it itself, so an error is raised as a serial run raises
it, and the bytes are the same either way.
"""

from __future__ import annotations

import contextlib
import gc
import os
import select
import signal
import sys
import tempfile
import warnings
from collections.abc import Callable


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform.startswith("linux") \
        and os.environ.get("CASELOAD_NO_FORK") is None


def _die_with(parent: int) -> None:
    """The child ends when its parent does: a parent stopped by a signal
    (the workbench's Cancel sends SIGTERM to the run; a closed terminal
    SIGHUP) never reaches ``__exit__``, and the child would go on making
    a workbook nobody will read, on a core the next run needs. Linux's
    parent-death signal (prctl PR_SET_PDEATHSIG), then a check that the
    parent has not already gone before it was set."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _ending(status: int) -> str:
    """How a child that failed ended, in words."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.valid_signals() \
            else str(sig)
        return f"was stopped by signal {name}" + (
            " (the system may have run out of memory)"
            if sig == signal.SIGKILL else "")
    return f"ended with exit code {os.waitstatus_to_exitcode(status)}"


class Aside:
    """``make()`` run in a child process; ``result()`` its return value.

    Use as a context manager: leaving it early (an error in the parent)
    stops the child.
    """

    def __init__(self, make: Callable[[], bytes], fork: bool | None = None,
                 *, collect: bool = False, timeout: float | None = None):
        """``collect``: the child keeps Python's cyclic garbage collector
        (a long piece of work, such as a solve, makes garbage); without
        it the child never collects (a short one need not). ``timeout``:
        seconds ``result()`` waits for the child at most; a child still
        at work then (stuck: it should have finished long before) is
        stopped and the work made in line, as for a child that failed."""
        self.make = make
        self.timeout = timeout
        self.pid: int | None = None
        self.value: bytes | None = None
        # How the child failed, if it did (its work was then made here).
        self.failed: str | None = None
        self.forked = can_fork() if fork is None else fork
        if not self.forked:
            return
        # closed by result() or __exit__
        self.tmp = tempfile.TemporaryFile(prefix="caseload-")  # noqa: SIM115
        gc.freeze()  # the child's collector must not touch (copy) it all
        parent = os.getpid()
        try:
            with warnings.catch_warnings():  # 3.12+: fork with threads
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:  # no memory or processes left: make it in line
            gc.unfreeze()
            self.tmp.close()
            self.forked = False
            return
        if pid == 0:  # the child: make, write, leave without cleanup
            code = 1
            try:
                _die_with(parent)
                if not collect:
                    gc.disable()
                self.tmp.write(make())
                self.tmp.flush()
                code = 0
            finally:
                os._exit(code)
        gc.unfreeze()
        self.pid = pid

    def result(self) -> bytes:
        if self.value is not None:
            return self.value
        if self.pid is None:
            self.value = self.make()
            return self.value
        if not self._ends_in_time():
            self.__exit__(None, None, None)  # stopped, reaped, closed
            self.failed = f"did not finish within {self.timeout:g} s"
            self.value = self.make()
            return self.value
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:  # SIGCHLD ignored: reaped unseen
            status = None
        self.pid = None
        if status is not None and os.waitstatus_to_exitcode(status) == 0:
            self.tmp.seek(0)
            self.value = self.tmp.read()
        elif status is not None:
            self.failed = _ending(status)
        self.tmp.close()
        if self.value is None:  # the child failed: fail here, as serial
            self.value = self.make()
        return self.value

    def _ends_in_time(self) -> bool:
        """Whether the child ends within ``timeout`` (always, without
        one). Waits on the child's pidfd (Linux 5.3+): no polling, so a
        child that ends is seen at once; without pidfds, waits as long
        as the child takes."""
        if self.timeout is None or not hasattr(os, "pidfd_open"):
            return True
        try:
            fd = os.pidfd_open(self.pid)
        except OSError:  # no pidfds here, or the child is gone already
            return True
        try:
            ready, _, _ = select.select([fd], [], [], self.timeout)
        finally:
            os.close(fd)
        return bool(ready)

    def __enter__(self) -> Aside:
        return self

    def __exit__(self, *exc) -> None:
        if self.pid is not None:  # left before result(): stop the child
            with contextlib.suppress(ProcessLookupError):  # it ended
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):  # reaped unseen
                os.waitpid(self.pid, 0)
            self.pid = None
            self.tmp.close()
