"""The fast paths of issue 24 (the write pipeline and the checker's
summaries) give exactly what the plain definitions give."""

from __future__ import annotations

import os
import time
import zipfile
from collections import defaultdict

import pytest
from click.testing import CliRunner

from bench.generate import generate, write
from optimizer import operations
from optimizer.cli import main
from optimizer.errors import OutputError
from optimizer.inputs.roster import load_roster
from optimizer.outputs.aside import Aside, can_fork
from optimizer.result import SolverParams
from optimizer.solver.dispatch import solve
from optimizer.verify import Violation, audit, rsp_by_others


@pytest.fixture(scope="module")
def tight(tmp_path_factory, rules):
    """A tightly staffed 40-site district with itinerants, solved."""
    out = tmp_path_factory.mktemp("tight")
    write(*generate("district", seed=5, staffing="tight"), out)
    roster = load_roster(out, rules)
    result = solve(roster.instance, rules, params=SolverParams())
    return out, roster, result


def test_rsp_places_are_summed_as_defined(tight, rules):
    _, roster, result = tight
    # resource specialists serving several sites, everywhere, or one site
    # named twice: an itinerant's places count once at each site
    rsp = [i for i, c in enumerate(roster.instance.staff)
           if "RSP" in c.provides]
    staff = list(roster.instance.staff)
    staff[rsp[0]] = staff[rsp[0]].model_copy(update={"sites": ("*",)})
    staff[rsp[1]] = staff[rsp[1]].model_copy(
        update={"sites": (*staff[rsp[1]].sites, "S002", "S002")})
    inst = roster.instance.model_copy(update={"staff": tuple(staff)})
    assignment = dict(result.assignment)
    checked = audit(inst, rules, assignment)
    staff = inst.staff_by_id()
    got = rsp_by_others(inst, assignment, staff, checked.loads)
    # the definition: per site, every resource specialist serving it
    by_site: dict[str, int] = defaultdict(int)
    for s in inst.students:
        cm = staff.get(assignment.get(s.student_id) or "")
        if "RSP" in s.services and cm is not None \
                and "RSP" not in cm.provides:
            by_site[s.site] += 1
    want = []
    for site, n in sorted(by_site.items()):
        spare = sum(max(0, checked.loads[c.staff_id][2]
                        - checked.loads[c.staff_id][0])
                    for c in inst.staff
                    if "RSP" in c.provides and c.serves_site(site))
        want.append({"site": site, "students": n, "spare_places": spare,
                     "short": max(0, n - spare)})
    assert got == want and got  # the roster has such students


# ------------------------------------------- the write pipeline (aside)

RUNTIME = b'"runtime_seconds"'


def _plan(folder, out, env=None):
    return CliRunner().invoke(main, ["plan", str(folder), "--out",
                                     str(out), "--quiet"], env=env or {})


def _parts(path) -> dict[str, bytes]:
    """plan.xlsx's parts, the summary sheet without its runtime row."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()
                if n != "xl/worksheets/sheet3.xml"}


def test_the_workbook_made_aside_is_the_one_made_in_line(tight, tmp_path):
    folder = tight[0]
    forked, serial = tmp_path / "forked", tmp_path / "serial"
    assert _plan(folder, forked).exit_code == 0
    assert _plan(folder, serial, {"CASELOAD_NO_FORK": "1"}).exit_code == 0
    names = sorted(os.listdir(forked))
    assert names == sorted(os.listdir(serial)) and "plan.xlsx" in names
    for name in names:
        a, b = (forked / name).read_bytes(), (serial / name).read_bytes()
        if name == "plan.xlsx":
            assert _parts(forked / name) == _parts(serial / name)
        elif name == "summary.json":  # the run's time differs, only it
            strip = [x for x in a.splitlines() if RUNTIME not in x]
            assert strip == [x for x in b.splitlines() if RUNTIME not in x]
        else:
            assert a == b, name


def test_nothing_is_published_when_the_checker_fails(tight, tmp_path,
                                                     monkeypatch):
    real = operations.audit

    def failing(*args, **kwargs):
        checked = real(*args, **kwargs)
        checked.violations.append(Violation("H6", None, "T0001", "planted"))
        return checked

    monkeypatch.setattr(operations, "audit", failing)
    out = tmp_path / "plan"
    done = _plan(tight[0], out)
    assert isinstance(done.exception, AssertionError)
    assert "fails the checker" in str(done.exception)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no staging folder left


@pytest.mark.skipif(not can_fork(), reason="no fork on this system")
def test_a_child_that_fails_fails_the_parent_the_same_way():
    def make() -> bytes:
        raise OutputError("plan.xlsx cannot hold it")

    with Aside(make) as book:
        assert book.forked and book.pid is not None
        with pytest.raises(OutputError, match="cannot hold it"):
            book.result()
    with Aside(lambda: b"made aside") as book:
        assert book.result() == b"made aside"
    assert Aside(lambda: b"in line", fork=False).result() == b"in line"


@pytest.mark.skipif(not can_fork(), reason="no fork on this system")
def test_leaving_early_stops_the_child():
    def slow() -> bytes:
        time.sleep(60)
        return b""

    start = time.monotonic()
    with pytest.raises(RuntimeError), Aside(slow) as book:
        pid = book.pid
        raise RuntimeError("the report failed")
    assert time.monotonic() - start < 30
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no such child left


def test_a_fork_that_fails_makes_it_in_line(monkeypatch):
    def no_fork():
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", no_fork)
    with Aside(lambda: b"in line", fork=True) as book:
        assert not book.forked and book.pid is None
        assert book.result() == b"in line"


@pytest.mark.skipif(not can_fork(), reason="no fork on this system")
def test_a_child_past_its_timeout_is_stopped_and_the_work_made_in_line():
    """A child still at work past ``timeout`` is stopped and reaped, the
    work is made in line and ``failed`` says why; a child that ends in
    time hands back its own result, seen as soon as it ends."""
    parent = os.getpid()

    def stuck() -> bytes:  # (a wait that ignored the timeout: fails at 60 s)
        if os.getpid() != parent:
            time.sleep(60)
        return b"in line"

    start = time.monotonic()
    with Aside(stuck, timeout=0.5) as book:
        pid = book.pid
        assert book.result() == b"in line"
    assert time.monotonic() - start < 30
    assert book.failed == "did not finish within 0.5 s"
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no such child left

    def quick() -> bytes:
        return b"aside" if os.getpid() != parent else b"in line"

    start = time.monotonic()
    with Aside(quick, timeout=30) as book:
        assert book.result() == b"aside"
    assert book.failed is None
    assert time.monotonic() - start < 10

