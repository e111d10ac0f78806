"""Smaller messages of issue 14 (defect 9): the compare table fits the
terminal, explain names the term that decided, S2 comes with utilization
changes, scenario files get "did you mean" and every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import instance, staff, student

from optimizer.cli import main
from optimizer.explain import explain_student
from optimizer.inputs.rules_tables import load_rules
from optimizer.inputs.tables import DEFAULT_SAMPLE_DIR
from optimizer.outputs.text import render_explanation
from optimizer.solver.dispatch import solve

ROOT = Path(__file__).parent.parent
SAMPLE = DEFAULT_SAMPLE_DIR


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


def test_compare_table_fits_the_terminal(tmp_path):
    result = run("compare", ROOT / "scenarios" / "no-changes.toml",
                 ROOT / "scenarios" / "ortiz-retires.toml", "--out",
                 tmp_path / "cmp", "--no-xlsx", "--quiet",
                 env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    table = result.output.split("Written to")[0].splitlines()
    assert max(len(line) for line in table) <= 100, result.output
    assert "Ms. Ortiz" in result.output


def explained(students, staff_, sid):
    inst = instance(students, staff_)
    rules = load_rules()
    assignment = solve(inst, rules).assignment
    return assignment, render_explanation(
        explain_student(inst, rules, assignment, sid))


def test_explain_names_best_practice_when_it_decided():
    # C2 (last year's) only coordinates; C1 provides the student's RSP, so
    # best practice (S1) moves the student: the text must say so.
    s = student("S1", prior_case_manager="C2")
    c1 = staff("C1")
    c2 = staff("C2", provides=("COORD",))
    assignment, text = explained([s], [c1, c2], "S1")
    assert assignment["S1"] == "C1"
    assert "another choice was better overall" not in text
    assert "best practice (S1)" in text.split("Continuity (S3): ")[1] \
        .splitlines()[0], text


def test_explain_names_balance_with_utilization_when_it_decided():
    # Two resource specialists, cap 2 each, and both students had C1:
    # keeping both on C1 costs more balance (S2) than one continuity loss
    # (S3) under the default weights, so one student moves to C2.
    students = [student("S1", prior_case_manager="C1"),
                student("S2", prior_case_manager="C1")]
    staff_ = [staff("C1", max_caseload=2), staff("C2", max_caseload=2)]
    inst = instance(students, staff_)
    rules = load_rules()
    assignment = solve(inst, rules).assignment
    moved = next(s for s, c in assignment.items() if c == "C2")
    text = render_explanation(explain_student(inst, rules, assignment,
                                              moved))
    line = text.split("Continuity (S3): ")[1].splitlines()[0]
    assert "caseload balance (S2)" in line, text
    # Back to C1: C1 from 1 of 2 to 2 of 2, C2 from 1 of 2 to 0.
    assert "C1 50% -> 100%" in line and "C2 50% -> 0%" in line, line


def test_alternatives_show_utilization_beside_s2():
    students = [student("S1"), student("S2")]
    staff_ = [staff("C1", max_caseload=4), staff("C2", max_caseload=4)]
    inst = instance(students, staff_)
    rules = load_rules()
    assignment = solve(inst, rules).assignment
    cur = assignment["S1"]
    other = "C2" if cur == "C1" else "C1"
    text = render_explanation(explain_student(inst, rules, assignment,
                                              "S1"))
    # Moving S1 to the other: it goes 1 of 4 -> 2 of 4, cur 1 -> 0.
    assert f"({other} 25% -> 50%, {cur} 25% -> 0%)" in text, text


def scenario(tmp_path, text):
    path = tmp_path / "what-if.toml"
    path.write_text(f'roster = "{SAMPLE}"\n' + text)
    return run("compare", path, "--out", tmp_path / "o", "--no-xlsx",
               "--quiet")


@pytest.mark.parametrize("text, expected", [
    # misspelled top-level key: "key", did you mean
    ('remove_staf = ["T0001"]\n', 'what-if.toml, key "remove_staf": '
     'unknown key (did you mean "remove_staff"?)'),
    # misspelled staff id: did you mean
    ('remove_staff = ["T001"]\n', 'what-if.toml, key "remove_staff": '
     'unknown staff_id "T001" (did you mean "T0001"?)'),
    # misspelled field: did you mean, and the valid fields listed
    ('[[update_staff]]\nstaff_id = "T0001"\nmax_casload = 3\n',
     'what-if.toml, key "update_staff.max_casload": unknown field (did you '
     'mean "max_caseload"?); fields: staff_id, name, sites, provides'),
])
def test_scenario_messages(tmp_path, text, expected):
    result = scenario(tmp_path, text)
    assert result.exit_code == 1, result.output
    assert expected in result.output, result.output


def test_scenario_field_spellings_like_headers(tmp_path):
    result = scenario(tmp_path, '[[update_staff]]\nstaff_id = "T0001"\n'
                      '"Max Caseload" = 3\n')
    assert result.exit_code == 0, result.output


def test_every_scenario_problem_in_one_pass(tmp_path):
    result = scenario(tmp_path, 'remove_staf = ["T0001"]\n'
                      'remove_students = ["NOPE"]\n'
                      '[[update_staff]]\nstaff_id = "T0001"\n'
                      'max_caseload = -4\n')
    assert result.exit_code == 1, result.output
    assert "3 problems" in result.output, result.output
    for part in ('key "remove_staf"', 'unknown student_id "NOPE"',
                 'key "update_staff.max_caseload"'):
        assert part in result.output


def test_fields_of_a_record_with_an_unknown_id_are_checked_too(tmp_path):
    result = scenario(tmp_path, '[[update_staff]]\nstaff_id = "T008"\n'
                      'max_casload = 32\n')
    assert result.exit_code == 1, result.output
    assert 'unknown staff_id "T008" (did you mean "T0008"?)' in result.output
    assert 'key "update_staff.max_casload": unknown field' in result.output


def test_settings_file_keys_get_did_you_mean(tmp_path):
    weights = tmp_path / "w.toml"
    weights.write_text('mod = "priority"\n')
    result = run("plan", SAMPLE, "--out", tmp_path / "o", "--weights",
                 weights)
    assert result.exit_code == 1, result.output
    assert ('w.toml, key "mod": unknown key (did you mean "mode"?); keys: '
            "mode, priority, authorizations, [weights]") in result.output


def test_problems_of_several_scenario_files_in_one_pass(tmp_path):
    one, two = tmp_path / "one.toml", tmp_path / "two.toml"
    one.write_text(f'roster = "{SAMPLE}"\nremove_staff = ["T001"]\n')
    two.write_text(f'roster = "{SAMPLE}"\nremove_students = ["NOPE"]\n')
    result = run("compare", one, two, "--out", tmp_path / "o",
                 "--no-xlsx", "--quiet")
    assert result.exit_code == 1, result.output
    assert 'one.toml, key "remove_staff": unknown staff_id "T001"' in \
        result.output
    assert 'two.toml, key "remove_students": unknown student_id "NOPE"' \
        in result.output


def test_explain_says_why_last_years_case_manager_is_not_available():
    # C2 may not case-manage (H2); C3 has left the staff roster.
    students = [student("S1", prior_case_manager="C2"),
                student("S2", prior_case_manager="C3")]
    staff_ = [staff("C1"), staff("C2", can_case_manage=False)]
    inst = instance(students, staff_)
    rules = load_rules()
    assignment = solve(inst, rules).assignment
    first = render_explanation(explain_student(inst, rules, assignment,
                                               "S1"))
    assert "C2 may not take the student: H2:" in first, first
    second = render_explanation(explain_student(inst, rules, assignment,
                                                "S2"))
    assert "C3 is not on the staff roster" in second, second
