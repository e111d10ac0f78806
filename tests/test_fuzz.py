"""Fuzzing the loaders and the pipeline with a fixed budget: the only
outcomes allowed are a plan that passes the checker, a located input
error, or an infeasible status with a diagnosis."""

from __future__ import annotations

import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimizer as cl
from optimizer.errors import InputError
from optimizer.result import SolverParams, SolveStatus
from optimizer.solver.dispatch import solve
from optimizer.verify import audit

RULES = cl.load_rules()
SAMPLE = cl.DEFAULT_SAMPLE_DIR
HEAD = (SAMPLE / "students.csv").read_bytes().splitlines(keepends=True)[:25]
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])


def outcome(folder):
    try:
        roster = cl.load_roster(folder, RULES)
    except InputError as exc:
        assert exc.problems and all(p.file for p in exc.problems)
        return "input error"
    result = solve(roster.instance, RULES, params=SolverParams(5))
    if result.status is SolveStatus.INFEASIBLE:
        assert result.diagnosis is not None and not result.diagnosis.empty
        return "infeasible"
    assert audit(roster.instance, RULES, result.assignment).compliant
    return "plan"


def with_students(tmp_path, data: bytes):
    folder = tmp_path / "r"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    shutil.copy(SAMPLE / "staff.csv", folder / "staff.csv")
    (folder / "students.csv").write_bytes(data)
    return folder


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(tmp_path, data):
    outcome(with_students(tmp_path, data))


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(
    ["delete", "insert", "dup", "swap"]), st.binary(min_size=1, max_size=3)),
    min_size=1, max_size=6))
def test_mutated_roster(tmp_path, edits):
    data = bytearray(b"".join(HEAD))
    for pos, kind, blob in edits:
        pos %= max(1, len(data))
        if kind == "delete":
            del data[pos:pos + len(blob)]
        elif kind == "insert":
            data[pos:pos] = blob
        elif kind == "dup":
            line_end = data.find(b"\n", pos) + 1 or len(data)
            data[line_end:line_end] = data[pos:line_end]
        else:
            data[pos:pos + 1] = b","
    outcome(with_students(tmp_path, bytes(data)))
