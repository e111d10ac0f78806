"""The mapping file: a district's export planned as the contract roster."""

from __future__ import annotations

import tomllib

import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.inputs import mapping
from optimizer.inputs.csv_cells import read_table
from optimizer.inputs.roster import load_roster

from .district import MAPPING_TOML, write_export


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """The sample roster as a district exports it, and its mapping."""
    return write_export(tmp_path_factory.mktemp("export") / "sis")


def test_export_without_mapping_is_rejected(export, rules):
    folder, _ = export
    with pytest.raises(InputError) as err:
        load_roster(folder, rules)
    assert 'required column "student_id" is missing' in str(err.value)


def test_mapped_export_plans_byte_identically_by_cli(export, tmp_path):
    # Same students, staff and values once mapped, so the same plan:
    # assignments.csv and caseloads.csv must match byte for byte.
    folder, mapping_file = export
    runner = CliRunner()
    base = runner.invoke(main, ["plan", "--out", str(tmp_path / "a"),
                                "--no-xlsx", "--quiet"])
    assert base.exit_code == 0, base.output
    mapped = runner.invoke(main, ["plan", str(folder), "--mapping",
                                  str(mapping_file), "--out",
                                  str(tmp_path / "b"), "--no-xlsx",
                                  "--quiet"])
    assert mapped.exit_code == 0, mapped.output
    for name in ("assignments.csv", "caseloads.csv"):
        assert (tmp_path / "a" / name).read_bytes() == \
            (tmp_path / "b" / name).read_bytes(), name
    check = runner.invoke(main, ["check", str(folder), "--mapping",
                                 str(mapping_file),
                                 str(tmp_path / "b" / "assignments.csv")])
    assert check.exit_code == 0, check.output
    assert "Compliant" in check.output


def test_explain_reads_a_mapped_export(export, tmp_path):
    folder, mapping_file = export
    out = CliRunner().invoke(main, ["explain", str(folder), "--mapping",
                                    str(mapping_file), "--student",
                                    "100002"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("Student 100002 at LIN")


def test_problems_name_the_districts_own_headers(export, rules, tmp_path):
    folder, mapping_file = export
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "staff.csv").write_bytes((folder / "staff.csv").read_bytes())
    lines = (folder / "students.csv").read_text().splitlines()
    cells = lines[1].split(",")
    cells[4] = "7-8"  # Grade Level of the first student
    lines[1] = ",".join(cells)
    (bad / "students.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        load_roster(bad, rules, mapping.load_mapping(mapping_file))
    [problem] = err.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == \
        ("students.csv", 2, "Grade Level", "7-8")


def test_unknown_values_are_listed_with_counts_and_guesses(export):
    folder, _ = export
    table = read_table(folder / "students.csv", [])
    part = mapping.TableMapping(
        columns={"Service Type": "services", "Program Setting": "setting"})
    found = {(u.column, u.value): u for u in
             mapping.unknown_values(table, part, "students")}
    speech = found["services", "Speech and Language"]
    # 248 students are served; the sample's speech-only and speech+RSP
    # students all list SPEECH, counted per cell item.
    assert speech.rows == sum(
        "Speech and Language" in line
        for line in (folder / "students.csv").read_text().splitlines())
    full = mapping.load_mapping(export[1])
    assert mapping.unknown_values(table, full.students, "students") == []


def test_bad_mapping_file_lists_every_problem(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[students.columns]\n"A" = "studnet_id"\n"B" = "site"\n'
                    '"C" = "site"\n[students.values.services]\n'
                    '"Speech" = "SPEEECH"\n[teachers]\n')
    with pytest.raises(InputError) as err:
        mapping.load_mapping(path)
    text = str(err.value)
    assert '"A" is mapped to "studnet_id", which is not a students column ' \
        '(did you mean "student_id"?)' in text
    assert '2 headers are mapped to "site"' in text
    assert 'unknown service "SPEEECH" (did you mean "SPEECH"?)' in text
    assert 'key "teachers": unknown key' in text
    out = CliRunner().invoke(main, ["plan", "--mapping", str(path)])
    assert out.exit_code == 1 and "Traceback" not in out.output


def test_toml_round_trip():
    parsed = mapping.mapping_from_dict(tomllib.loads(MAPPING_TOML))
    again = mapping.mapping_from_dict(tomllib.loads(
        mapping.to_toml(parsed)))
    assert again == parsed


def test_propose_columns_matches_spellings_people_write():
    got = mapping.propose_columns(["Student ID", "Site", "grade_level",
                                   "Primary-Disability", "Notes"],
                                  "students")
    assert got["student_id"] == "Student ID"
    assert got["site"] == "Site"
    assert got["primary_disability"] == "Primary-Disability"
    assert got["setting"] is None
    # The loader's near names: every word of a name, everyday synonyms.
    got = mapping.propose_columns(["Alt Placement Secondary Flag",
                                   "Student Number"], "students")
    assert got["alt_placement_secondary"] == "Alt Placement Secondary Flag"
    assert got["student_id"] == "Student Number"
    assert mapping.propose_columns(["Student Number"], "students",
                                   near=False)["student_id"] is None


def test_compare_reads_a_mapped_export(export, tmp_path):
    # The same what-if on the export (with its mapping) and on the
    # contract roster: the same comparison rows.
    folder, mapping_file = export
    from optimizer.inputs.csv_cells import DEFAULT_SAMPLE_DIR

    rows = {}
    for name, roster, extra in (
            ("export", folder, ["--mapping", str(mapping_file)]),
            ("contract", DEFAULT_SAMPLE_DIR, [])):
        sc = tmp_path / name / "leave.toml"
        sc.parent.mkdir()
        sc.write_text(f'name = "T0010 leaves"\nroster = "{roster}"\n'
                      'remove_staff = ["T0010"]\n')
        out = CliRunner().invoke(main, ["compare", str(sc), "--out",
                                        str(tmp_path / name / "out"),
                                        "--no-xlsx", "--quiet", *extra])
        assert out.exit_code == 0, out.output
        rows[name] = (tmp_path / name / "out" / "changes.csv").read_text()
    assert rows["export"] == rows["contract"]


def test_own_columns_keep_a_near_header_as_the_districts(export, rules,
                                                         tmp_path):
    # "Alt Placement Secondary Flag" holds every word of the contract's
    # alt_placement_secondary: the loader refuses it unless the district
    # says it is a column of its own.
    folder, mapping_file = export
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "staff.csv").write_bytes((folder / "staff.csv").read_bytes())
    text = (folder / "students.csv").read_text()
    head, rest = text.split("\n", 1)
    (odd / "students.csv").write_text(
        head.replace(",alt_placement_secondary",
                     ",Alt Placement Secondary Flag") + "\n" + rest)
    base = mapping.load_mapping(mapping_file)
    with pytest.raises(InputError) as err:
        load_roster(odd, rules, base)
    assert 'column "Alt Placement Secondary Flag": not a contract ' \
        "column" in str(err.value)
    text = mapping_file.read_text().replace(
        "[students.columns]",
        '[students]\nown_columns = ["Alt Placement Secondary Flag"]\n\n'
        "[students.columns]")
    (tmp_path / "m.toml").write_text(text)
    kept = mapping.load_mapping(tmp_path / "m.toml")
    assert kept.students.own == ("Alt Placement Secondary Flag",)
    roster = load_roster(odd, rules, kept)
    assert "x_Alt Placement Secondary Flag" in roster.instance.extra_columns
    again = mapping.mapping_from_dict(tomllib.loads(mapping.to_toml(kept)))
    assert again.students.own == ("Alt Placement Secondary Flag",)
