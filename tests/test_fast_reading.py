"""The column-wise reading of a roster and coverage judged per kind of
student give exactly what the row-by-row reading and a student-by-student
judgement give (the fast paths never word a message themselves)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from helpers import read

from bench.generate import generate, write
from optimizer.domain import Instance, Staff, Student
from optimizer.errors import InputError
from optimizer.inputs import roster as roster_module
from optimizer.inputs.columns import Builder, clean_students, parse_columns
from optimizer.inputs.csv_cells import parse_rows, parse_rows_one_by_one
from optimizer.inputs.roster import (
    STAFF_COLUMNS,
    STUDENT_COLUMNS,
    load_roster,
    read_roster_tables,
    resolve_columns,
)
from optimizer.reasons.coverage import may_provide, service_coverage
from optimizer.rules import check_pair

SAMPLE = Path(__file__).parent.parent / "data" / "sample"
BAD = sorted(p for p in read("bad").iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> Path:
    """A generated 40-site district (about 5,000 students)."""
    out = tmp_path_factory.mktemp("district")
    write(*generate("district", seed=11), out)
    return out


def _tables(path: Path):
    students, staff, _ = read_roster_tables(path)
    problems: list = []
    staff_found, _ = resolve_columns(staff, STAFF_COLUMNS, problems)
    student_cols = resolve_columns(students, STUDENT_COLUMNS, problems)
    return students, staff, staff_found, student_cols, problems


def _listed(values: dict) -> dict:
    # The row-by-row parsers return lists where the columns give tuples;
    # every builder makes tuples of both.
    return {k: tuple(v) if isinstance(v, list) else v
            for k, v in values.items()}


@pytest.mark.parametrize("which", ["sample", "district"])
def test_column_parse_equals_row_by_row(which, district):
    path = SAMPLE if which == "sample" else district
    students, staff, staff_found, (found, _), problems = _tables(path)
    assert problems == []
    for table, columns, where in ((students, STUDENT_COLUMNS, found),
                                  (staff, STAFF_COLUMNS, staff_found)):
        slow: list = []
        one_by_one = parse_rows_one_by_one(table, columns, where, slow)
        assert slow == []
        fast: list = []
        assert parse_rows(table, columns, where, fast) == [
            (row, _listed(values)) for row, values in one_by_one]
        assert fast == []


@pytest.mark.parametrize("case", BAD, ids=[p.name for p in BAD])
def test_the_column_path_refuses_every_file_with_a_problem(case):
    # Soundness of the fast path: whenever it answers "clean", the row by
    # row reading finds no problem either, so no message can be lost.
    try:
        students, staff, staff_found, student_cols, problems = _tables(case)
    except InputError:  # unreadable files never reach the parsers
        pytest.skip("the file is refused before its rows are read")
    if problems:
        pytest.skip("header problems stop loading before the rows")
    for table, columns, where in (
            (students, STUDENT_COLUMNS, student_cols[0]),
            (staff, STAFF_COLUMNS, staff_found)):
        slow: list = []
        parse_rows_one_by_one(table, columns, where, slow)
        if slow:
            assert parse_columns(table, columns, where) is None
    slow = []
    built = _slow_students(students, student_cols, slow)
    clean = clean_students(students, STUDENT_COLUMNS, *student_cols)
    if slow:
        assert clean is None
    else:
        assert clean is not None and clean[0] == built[0]


def _slow_students(table, columns, problems):
    """``build_students`` with the column path turned off."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(roster_module, "clean_students", lambda *a: None)
        return roster_module.build_students(table, columns, problems)


@pytest.mark.parametrize("which", ["sample", "district"])
def test_students_built_per_combination_equal_validated_ones(which,
                                                             district):
    path = SAMPLE if which == "sample" else district
    students, _staff, _found, cols, _ = _tables(path)
    fast = clean_students(students, STUDENT_COLUMNS, *cols)
    assert fast is not None
    problems: list = []
    slow = _slow_students(students, cols, problems)
    assert problems == []
    assert fast[1:] == slow[1:]  # extra columns and their values
    assert fast[0] == slow[0]
    for built, validated in zip(fast[0], slow[0], strict=True):
        # Same values, same fields given, same field order (dict(s)).
        assert list(dict(built).items()) == list(dict(validated).items())
        assert built.model_fields_set == validated.model_fields_set
        assert built.model_dump_json() == validated.model_dump_json()


def test_builder_refuses_a_model_it_cannot_build_faithfully():
    from pydantic import BaseModel, Field

    class Aliased(BaseModel):
        x: int = Field(alias="X")

    with pytest.raises(TypeError):
        Builder(Aliased)
    assert Builder(Student).names == tuple(Student.model_fields)


def test_a_ragged_row_reads_as_empty_cells(tmp_path):
    # A row that stops before its last (empty) cells, as some exports
    # write them: the column path pads it, as the row path does.
    rows = list(csv.reader((SAMPLE / "students.csv").open()))
    while rows[1] and rows[1][-1] == "":
        rows[1].pop()
    out = tmp_path / "roster"
    out.mkdir()
    (out / "staff.csv").write_text((SAMPLE / "staff.csv").read_text())
    with (out / "students.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    students, _staff, _found, cols, _ = _tables(out)
    assert len(students.rows[0][1]) < len(students.header)
    fast = clean_students(students, STUDENT_COLUMNS, *cols)
    slow = _slow_students(students, cols, [])
    assert fast is not None and fast == slow


def _coverage_by_brute_force(instance: Instance, rules):
    """Gaps and staffing counts asked student by student, staff by staff,
    of the public ``may_provide`` (a fresh judge every time)."""
    gaps = []
    need: dict[tuple[str, str], int] = {}
    without: dict[tuple[str, str], int] = {}
    providers: dict[tuple[str, str], set[str]] = {}
    for s in instance.students:
        for service in dict.fromkeys(s.services):
            cell = (s.site, service)
            ok = [c.staff_id for c in instance.staff
                  if service in c.provides
                  and may_provide(s, c, service, rules)]
            need[cell] = need.get(cell, 0) + 1
            providers.setdefault(cell, set()).update(ok)
            if not ok:
                gaps.append((s.student_id, service))
                without[cell] = without.get(cell, 0) + 1
    staffing = [(site, service, n, without.get((site, service), 0),
                 tuple(sorted(providers[site, service])))
                for (site, service), n in sorted(need.items())]
    return gaps, staffing


def test_coverage_per_kind_equals_student_by_student(rules):
    # Half the staff gone: many students have gaps, and sites differ.
    full = load_roster(SAMPLE, rules).instance
    instance = Instance(students=full.students, staff=full.staff[::2])
    cov = service_coverage(instance, rules)
    gaps, staffing = _coverage_by_brute_force(instance, rules)
    assert gaps, "the test roster must have gaps"
    assert [(g.student_id, g.service) for g in cov.gaps] == gaps
    assert [(r.site, r.service, r.students, r.without_provider,
             r.provider_ids) for r in cov.staffing] == staffing


def test_teacher_of_record_warnings_judged_per_profile(rules, district):
    # Every (student, teacher of record) pair: the judge's answer is
    # check_pair's own relation and H4 verdict.
    instance = load_roster(district, rules).instance
    staff: dict[str, Staff] = instance.staff_by_id()
    judge = roster_module._TeacherJudge(rules)
    pairs = [(s, staff[s.teacher_of_record]) for s in instance.students
             if s.teacher_of_record in staff]
    assert len(pairs) > 100
    for s, teacher in pairs:
        check = check_pair(s, teacher, rules)
        assert judge(s, teacher) == (
            check.relation, any(e.rule == "H4" for e in check.exclusions))


def test_formula_like_cells_are_warned_in_row_order(tmp_path, rules):
    # The per-distinct-cell look only decides whether to go row by row:
    # the warnings are the row-by-row ones, in row then column order.
    roster = tmp_path / "roster"
    roster.mkdir()
    (roster / "staff.csv").write_text(
        "staff_id,name,sites,provides,credentials\n"
        "C1,Ana Ruiz,A,RSP,R3MN\n"
        "C2,+SUM(1;2),A,RSP,R3MN\n")
    (roster / "students.csv").write_text(
        "student_id,site,grade,primary_disability,setting,services,"
        "x_note,x_other\n"
        "S1,A,3,SLD,GENED,RSP,=1+1,@b\n"
        "S2,A,4,SLD,GENED,RSP,fine,fine\n"
        "S3,A,4,SLD,GENED,RSP,-x,\n")
    warned = [(p.file, p.row, p.column)
              for p in load_roster(roster, rules).warnings
              if "spreadsheets read as a formula" in p.message]
    assert warned == [("staff.csv", 3, "name"),
                      ("students.csv", 2, "x_note"),
                      ("students.csv", 2, "x_other"),
                      ("students.csv", 4, "x_note")]
