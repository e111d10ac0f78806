"""The command line: exit codes, messages, outputs, determinism."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import crow, srow, write_roster

import optimizer as cl
from optimizer.cli import main


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args])
    return invoke


@pytest.fixture(scope="module")
def sample_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan") / "out"
    result = CliRunner().invoke(main, ["plan", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result


def test_plan_writes_the_six_files(sample_plan):
    out, result = sample_plan
    assert sorted(p.name for p in out.iterdir()) == [
        "assignments.csv", "caseloads.csv", "plan.xlsx", "report.html",
        "staffing.csv", "summary.json"]
    assert "Status: OPTIMAL, optimal (proven)" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["proven_optimal"] is True
    assert summary["kpis"]["students"] == 315
    header = (out / "assignments.csv").read_text().splitlines()[0]
    assert header.startswith(
        "student_id,site,case_manager_id,case_manager_name,relation,"
        "authorized_by,best_practice,prior_case_manager,changed,"
        "last_name,first_name,")


def test_plan_passes_check(sample_plan, run):
    out, _ = sample_plan
    result = run("check", cl.DEFAULT_SAMPLE_DIR, out / "assignments.csv")
    assert result.exit_code == 0, result.output
    assert "Compliant: every hard rule (H1-H7) holds; " in result.output


def test_plan_twice_is_byte_identical(sample_plan, run, tmp_path):
    out, _ = sample_plan
    again = tmp_path / "again"
    assert run("plan", "--out", again).exit_code == 0
    for name in ("assignments.csv", "caseloads.csv"):
        assert (again / name).read_bytes() == (out / name).read_bytes()


def test_check_finds_violations_exit_4(tmp_path, run):
    folder = write_roster(tmp_path / "r", [srow("S1"), srow("S2")],
                          [crow("C1", max_caseload="1"),
                           crow("C2", sites="B")])
    hand = tmp_path / "hand.csv"
    hand.write_text("student_id,case_manager_id\nS1,C1\nS2,C2\n")
    result = run("check", folder, hand)
    assert result.exit_code == 4
    assert "H3 [student S2, staff C2]: Teacher C2 (C2) does not serve " \
           "site A (serves B)" in result.output
    assert "H3 (the case manager serves the student's site): 1" in \
        result.output


def test_bad_input_exit_1_without_traceback(tmp_path, run):
    folder = write_roster(tmp_path / "r", [srow(grade="7-8")], [crow()])
    result = run("plan", folder, "--out", tmp_path / "o")
    assert result.exit_code == 1
    assert 'students.csv, row 2, column "grade": expected PK, TK, K, ' \
           '1-12 or A, got "7-8"' in result.output
    assert "Traceback" not in result.output


def test_infeasible_exit_3_with_diagnosis(tmp_path, run):
    folder = write_roster(tmp_path / "r",
                          [srow("S1"), srow("S2"), srow("S3", site="Z")],
                          [crow("C1", max_caseload="1")])
    out = tmp_path / "o"
    result = run("plan", folder, "--out", out)
    assert result.exit_code == 3
    assert "No plan satisfies the hard rules" in result.output
    assert "1 student(s) at site Z" in result.output
    assert "1 short (H6)" in result.output
    diag = json.loads((out / "diagnosis.json").read_text())
    assert diag["capacity_shortfalls"][0]["shortfall"] == 1
    assert diag["no_eligible_case_manager"][0]["students"] == ["S3"]


def test_missing_roster_is_usage_error(run, tmp_path):
    result = run("plan", tmp_path / "nope")
    assert result.exit_code == 2


def test_refuses_to_write_into_the_roster(tmp_path, run):
    folder = write_roster(tmp_path / "r", [srow()], [crow()])
    result = run("plan", folder, "--out", folder)
    assert result.exit_code == 2  # a usage error (issue 14)
    assert "refusing to write the plan into" in result.output


def test_refuses_to_replace_a_folder_that_is_not_a_plan(tmp_path, run):
    folder = write_roster(tmp_path / "r", [srow()], [crow()])
    other = tmp_path / "docs"
    other.mkdir()
    (other / "budget.xlsx").write_text("keep me")
    result = run("plan", folder, "--out", other)
    assert result.exit_code == 2  # a usage error (issue 14)
    assert (other / "budget.xlsx").read_text() == "keep me"


def test_weights_flags_and_bad_weight(tmp_path, run):
    folder = write_roster(tmp_path / "r", [srow()], [crow()])
    ok = run("plan", folder, "--out", tmp_path / "o", "--weight", "S3=2",
             "--mode", "priority", "--priority", "S1,S2,S3,S4")
    assert ok.exit_code == 0, ok.output
    bad = run("plan", folder, "--out", tmp_path / "o", "--weight", "S9=1")
    assert bad.exit_code == 2
    bad_priority = run("plan", folder, "--out", tmp_path / "o", "--mode",
                       "priority", "--priority", "S1,S1")
    assert bad_priority.exit_code == 1
    assert "priority must list distinct terms" in bad_priority.output


def test_a_weight_flag_changes_the_plan(tmp_path, run):
    # S3 (0.5) outweighs S4 (0.3) by default: the student stays with A,
    # last year's case manager. --weight S4=2 makes the language match
    # worth more, so B, who speaks Spanish, takes the student; the value
    # is recorded in summary.json.
    folder = write_roster(
        tmp_path / "r", [srow(prior_case_manager="A",
                              home_language="Spanish")],
        [crow("A"), crow("B", languages="Spanish")])

    def case_manager(out, *flags):
        result = run("plan", folder, "--out", out, "--quiet", *flags)
        assert result.exit_code == 0, result.output
        rows = (out / "assignments.csv").read_text().splitlines()
        summary = json.loads((out / "summary.json").read_text())
        return rows[1].split(",")[2], summary

    default, summary = case_manager(tmp_path / "d")
    assert default == "A"
    weighted, summary = case_manager(tmp_path / "w", "--weight", "S4=2")
    assert weighted == "B"
    assert summary["parameters"]["objective"]["S4"] == 2.0


def test_a_plan_the_checker_rejects_is_never_written(tmp_path, run,
                                                     monkeypatch):
    # The checker gate of operations.plan: a solver returning a broken plan
    # (every student given to one person, over cap and unauthorized)
    # ends the command non-zero and writes no file at all.
    from optimizer import operations

    real = operations.solve

    def broken(instance, *args, **kwargs):
        result = real(instance, *args, **kwargs)
        first = instance.staff[0].staff_id
        result.assignment = {s.student_id: first for s in instance.students}
        return result

    monkeypatch.setattr(operations, "solve", broken)
    out = tmp_path / "out"
    result = run("plan", "--out", out, "--quiet")
    assert result.exit_code != 0
    assert "fails the checker" in str(result.exception)
    assert not out.exists()


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help(run, command):
    # Every command the group knows, not a hand-kept list (issue 9).
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert main.commands[command].help.strip().splitlines()[0] in \
        result.output


def test_the_command_list_is_complete():
    # All of them: a command added or dropped is a change to the README's
    # command list and this one.
    assert set(main.commands) == {"plan", "check", "compare", "explain",
                                  "place", "rules", "serve"}


def test_non_finite_settings_are_refused(run, tmp_path):
    # inf and nan are no weight or time limit a district means; before the
    # fix, S1 = inf crashed with an OverflowError traceback.
    weights = tmp_path / "w.toml"
    weights.write_text("[weights]\nS1 = inf\n")
    bad = run("plan", "--out", tmp_path / "o", "--weights", weights)
    assert bad.exit_code == 1, bad.output
    assert 'w.toml, key "S1"' in bad.output
    assert "Traceback" not in bad.output
    nan = run("plan", "--out", tmp_path / "o", "--time-limit", "nan")
    assert nan.exit_code == 2, nan.output
    assert "expected a number of seconds" in nan.output


def test_priority_lists_every_term_and_needs_priority_mode(run, tmp_path):
    # Review finding: "--priority S1" optimised S1 alone, and --priority
    # without --mode priority was ignored; both are now refused (exit 1).
    short = run("plan", "--out", tmp_path / "o", "--mode", "priority",
                "--priority", "S1")
    assert short.exit_code == 1, short.output
    assert "each of them once" in short.output
    ignored = run("plan", "--out", tmp_path / "o", "--priority",
                  "S1,S3,S2,S4")
    assert ignored.exit_code == 1, ignored.output
    assert "only with --mode priority" in ignored.output
