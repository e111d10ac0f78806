"""Safe on any file, the input half (issue 22): nothing a roster,
workbook or TOML file holds loses data silently, exhausts memory or
reaches a terminal or spreadsheet as something that acts.

Each test names the item of issue 22 it covers and fails on the code
before it (measured: see the commit). The hostile workbooks are built
by ``hostile.py``; the small ones are also in ``tests/data/hostile``.
"""

from __future__ import annotations

import csv
import json
import resource
import shutil
import subprocess
import sys

import hostile
import pytest
from click.testing import CliRunner
from helpers import HERE, crow, srow, write_roster

import optimizer as cl
from optimizer.cli import main
from optimizer.errors import InputError, printable
from optimizer.inputs import excel, limits, toml_text, xlsx_parts
from optimizer.inputs.roster import PLAN_OWN_COLUMNS
from optimizer.outputs.plan_files import ASSIGNMENT_COLUMNS, PRODUCT_COLUMNS

CORPUS = HERE / "data" / "hostile"
SAMPLE = cl.DEFAULT_SAMPLE_DIR
ROOT = HERE.parent


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def problems(path, rules, mapping=None) -> list[str]:
    with pytest.raises(InputError) as exc:
        cl.load_roster(path, rules, mapping)
    return [str(p) for p in exc.value.problems]


def limited_cli(*args, memory: int = 1 << 30, max_rows: int | None = None):
    """``caseload ARGS`` in a process limited to ``memory`` bytes of
    address space (as ``ulimit -v``), optionally with a lower row limit
    (set before the command runs)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    setup = ("from optimizer.inputs import limits; "
             f"limits.MAX_ROWS = {max_rows}; " if max_rows else "")
    return subprocess.run(
        [sys.executable, "-c", f"{setup}from optimizer.cli import main; "
         "main()", *map(str, args)],
        capture_output=True, text=True, preexec_fn=limit, timeout=600)


def test_the_corpus_is_what_hostile_builds(tmp_path):
    for name, make in hostile.SMALL.items():
        assert make(tmp_path / name).read_bytes() == \
            (CORPUS / name).read_bytes(), name


# ------------------------------------------------ 1: stale <dimension>

def test_1_a_stale_dimension_drops_no_student(rules):
    roster = cl.load_roster(CORPUS / "stale_dimension.xlsx", rules)
    assert len(roster.instance.students) == 315
    csv_roster = cl.load_roster(SAMPLE, rules)
    assert roster.instance.students == csv_roster.instance.students


# ------------------------------------- 2: memory, bombs, limits while read

@pytest.mark.parametrize("make, limit, max_rows", [
    (hostile.deflate_bomb, "256 MB", None),
    # 300,000 rows (206 MB of XML, 1.3 MB on disk) were read whole
    # before; the row limit lowered to 1,000 keeps this test short.
    (lambda p: hostile.many_rows(p, 300_000), "more than 1,000 rows",
     1_000),
    # 7 KB claiming A1:XFD1048576: a MemoryError after 30 s before.
    (hostile.far_cell, 'bomb.xlsx [students], row 1048576, column "column '
     "XFD\": a value past the header's last column (O): a column needs a "
     "header, and in a CSV file a value holding the delimiter needs quotes "
     '("Ruiz, Ana") (got "x")', None),
])
def test_2_bombs_end_in_a_located_error_under_a_memory_limit(
        tmp_path, make, limit, max_rows):
    path = make(tmp_path / "bomb.xlsx")
    done = limited_cli("plan", path, "--out", tmp_path / "out",
                       "--no-xlsx", max_rows=max_rows)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "MemoryError" not in \
        done.stderr
    assert "bomb.xlsx" in done.stderr and limit in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def test_2_a_part_claiming_less_than_it_holds_stops_at_its_claim(
        tmp_path, rules):
    path = hostile.deflate_bomb(tmp_path / "liar.xlsx", 64 << 20,
                                claimed=200_000)
    found = problems(path, rules)
    assert len(found) == 1 and found[0].startswith(
        "liar.xlsx [students]: cannot be read as an Excel sheet"), found


def test_2_rows_are_limited_while_reading(tmp_path, monkeypatch, rules):
    monkeypatch.setattr(limits, "MAX_ROWS", 100)
    rows = hostile.sample_rows("students")
    path = hostile.roster_workbook(tmp_path / "r.xlsx", rows[:150])
    found = problems(path, rules)
    assert found == ["r.xlsx [students], row 102: more than 100 rows; the "
                     "limit is 100 (the largest California district has "
                     "about 65,000 students with IEPs). Split the roster "
                     "by SELPA or region and plan each part"]
    write_roster(tmp_path / "csv", [srow(f"S{i}") for i in range(150)],
                 [crow()])
    found = problems(tmp_path / "csv", rules)
    assert len(found) == 1 and "limit is 100 rows" in found[0], found


def test_2_cells_are_limited_while_reading(tmp_path, monkeypatch, rules):
    monkeypatch.setattr(limits, "MAX_CELLS", 1_000)
    rows = hostile.sample_rows("students")
    path = hostile.roster_workbook(tmp_path / "r.xlsx", rows)
    found = problems(path, rules)
    assert len(found) == 1 and "more than 1,000 cells" in found[0], found
    assert found[0].startswith("r.xlsx [students], row ")


def test_2_uncompressed_size_is_checked_before_inflating(tmp_path,
                                                         monkeypatch):
    path = hostile.roster_workbook(tmp_path / "r.xlsx")
    monkeypatch.setattr(limits, "MAX_XML_BYTES", 10_000)
    seen = []
    real = xlsx_parts.Counted.read
    monkeypatch.setattr(xlsx_parts.Counted, "read",
                        lambda self, n=-1: seen.append(self.part)
                        or real(self, n))
    with pytest.raises(InputError) as exc:
        excel.read_workbook(path)
    assert str(exc.value.problems[0]) == (
        "r.xlsx: the workbook's parts hold "
        "more than 10,000 bytes uncompressed (reading "
        "xl/worksheets/sheet1.xml); the limit is 10,000 bytes: this is no "
        "roster export (a roster of 250,000 students holds far less)")
    assert "xl/worksheets/sheet1.xml" not in seen  # refused before


def test_2_files_on_disk_are_limited_before_reading(tmp_path, monkeypatch,
                                                    rules):
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1_000)
    size = (SAMPLE / "staff.csv").stat().st_size
    assert problems(SAMPLE, rules) == [
        f"staff.csv: the file is {size:,} bytes; the limit is 1,000 bytes"]
    path = hostile.roster_workbook(tmp_path / "r.xlsx")
    size = path.stat().st_size
    assert problems(path, rules) == [
        f"r.xlsx: the file is {size:,} bytes; the limit is 1,000 bytes"]


def test_2_shared_strings_are_limited(tmp_path, monkeypatch, rules):
    import xlsxwriter  # writes shared strings, as Excel does

    book = xlsxwriter.Workbook(tmp_path / "r.xlsx")
    for name in ("students", "staff"):
        sheet = book.add_worksheet(name)
        for r, row in enumerate(hostile.sample_rows(name)):
            for c, value in enumerate(row):
                sheet.write_string(r, c, value)
    book.close()
    assert len(cl.load_roster(tmp_path / "r.xlsx", rules).instance
               .students) == 315
    monkeypatch.setattr(limits, "MAX_SHARED_STRINGS", 50)
    assert problems(tmp_path / "r.xlsx", rules) == [
        "r.xlsx: the workbook holds more than 50 distinct texts (shared "
        "strings); the limit is 50"]


def test_sheet_visibility_is_read_for_the_sheet_choice(tmp_path):
    path = hostile.roster_workbook(
        tmp_path / "r.xlsx", states={"students": "hidden",
                                     "staff": "veryHidden"})
    assert [(s.name, s.state, s.visible)
            for s in excel.sheet_names(path)] == [
        ("students", "hidden", False), ("staff", "veryHidden", False)]


# --------------------------------------- 4: formulas without their result

def test_4_formula_cells_without_a_saved_result_are_named(rules):
    found = problems(CORPUS / "formulas.xlsx", rules)
    assert found == [
        'formulas.xlsx [staff], row 2, column "max_caseload": a formula '
        "without a saved result (the workbook was written by a program "
        "that does not calculate); open and save it in Excel, or type the "
        'value itself (got "=10+2")',
        'formulas.xlsx [staff], row 3, column "fte": a formula without a '
        "saved result (the workbook was written by a program that does "
        "not calculate); open and save it in Excel, or type the value "
        'itself (got "=1/2")',
        'formulas.xlsx [students], row 2, column "prior_case_manager": a '
        "formula without a saved result (the workbook was written by a "
        "program that does not calculate); open and save it in Excel, or "
        'type the value itself (got "="T"&"0001"")']


def test_4_a_formula_with_its_saved_result_reads_the_result(tmp_path,
                                                            rules):
    staff = hostile.sample_rows("staff")
    staff[1][staff[0].index("max_caseload")] = hostile.Formula("10+2", "12")
    path = hostile.roster_workbook(tmp_path / "r.xlsx", staff=staff)
    roster = cl.load_roster(path, rules)
    assert roster.instance.staff[0].max_caseload == 12


def test_4_spreadsheet_errors_are_named(tmp_path, rules):
    students = hostile.sample_rows("students")
    students[1][0] = hostile.Raw('<c r="{ref}" t="e"><f>A1/0</f>'
                                 "<v>#DIV/0!</v></c>")
    path = hostile.roster_workbook(tmp_path / "r.xlsx", students)
    found = problems(path, rules)
    assert found[0] == (
        'r.xlsx [students], row 2, column "student_id": the cell holds the '
        "spreadsheet error #DIV/0!; fix the formula or type the value "
        '(got "#DIV/0!")')


# ------------------------------------------- 8: more cells than headers

def test_8_a_row_with_more_cells_than_headers_is_a_problem(tmp_path,
                                                           rules):
    full = dict(max_caseload="28", fte="1", grades="K-5", languages="es",
                can_case_manage="yes", credentials="R3MN")
    folder = write_roster(tmp_path / "r", [srow("S1"), srow("S2")],
                          [crow("C1", **full), crow("C2", **full)])
    path = folder / "staff.csv"
    text = path.read_text().replace("Teacher C2", "Ruiz, Ana")
    path.write_text(text)
    found = problems(folder, rules)
    # Only this: the shifted cells' own problems would only cascade.
    assert found == [
        'staff.csv, row 3, column "column K": a value past the header\'s '
        "last column (J): a column needs a header, and in a CSV file a "
        'value holding the delimiter needs quotes ("Ruiz, Ana") (got '
        '"yes")']


def test_8_trailing_empty_cells_are_no_problem(tmp_path, rules):
    folder = write_roster(tmp_path / "r", [srow("S1")], [crow("C1")])
    path = folder / "students.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1] + ",,,"]) + "\n")
    assert len(cl.load_roster(folder, rules).instance.students) == 1


# ---------------------------------------------- 9: TOML depth and size

DEEP = "x = " + "[" * 5_000 + "]" * 5_000 + "\n"


@pytest.mark.parametrize("option", ["compare", "--weights", "--mapping"])
def test_9_deeply_nested_toml_is_a_located_error(tmp_path, option):
    path = tmp_path / "deep.toml"
    path.write_text(f'roster = "{SAMPLE}"\n' + DEEP)
    if option == "compare":
        result = run("compare", path, "--out", tmp_path / "o")
    else:
        result = run("plan", SAMPLE, option, path, "--out", tmp_path / "o")
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, RecursionError)
    assert ("deep.toml: line 2: arrays and tables nested 17 deep; the "
            f"limit is {limits.MAX_TOML_DEPTH}") in result.output


def test_9_dotted_keys_and_inline_tables_nest_too(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("a" + ".b" * 40 + " = 1\n")
    with pytest.raises(InputError, match="keys nested 17 deep"):
        toml_text.read(path)
    path.write_text("a = " + "{b = " * 40 + "1" + "}" * 40 + "\n")
    with pytest.raises(InputError, match="nested 17 deep"):
        toml_text.read(path)


def test_9_brackets_inside_strings_and_comments_do_not_count(tmp_path):
    path = tmp_path / "s.toml"
    text = ('a = "[[[[[[[[[[[[[[[[[[[[["\n'
            "b = '''\n[[[[[[[[[[[[[[[[[[[[\n'''\n"
            "# [[[[[[[[[[[[[[[[[[[[[[[[[\n"
            'c = [["x"], ["]"]]\n')
    path.write_text(text)
    assert toml_text.read(path)["c"] == [["x"], ["]"]]


def test_9_a_huge_toml_file_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_TOML_BYTES", 100)
    path = tmp_path / "big.toml"
    path.write_text("x = 1\n" * 50)
    with pytest.raises(InputError, match="300 bytes; a settings, scenario "
                       "or mapping file has at most 100"):
        toml_text.read(path)


# --------------------------------------------- 11: terminal control chars

def test_11_control_characters_never_reach_the_terminal(tmp_path):
    name = "Plan\x1b[2J\rCompliant: every hard rule (H1-H7) holds.\n"
    path = tmp_path / "s.toml"
    path.write_text(f"name = {toml_text.quote(name)}\n"
                    f'roster = "{SAMPLE}"\n')
    result = run("compare", path, "--out", tmp_path / "o", "--no-xlsx",
                 "--time-limit", "5")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\r" not in result.output
    assert "\\x1b[2J\\rCompliant" in result.output


def test_11_roster_values_are_escaped_in_warnings_and_errors(tmp_path,
                                                             rules):
    folder = write_roster(
        tmp_path / "r",
        [srow("S1", prior_case_manager="T9"),
         srow("S2", grade="3\x1b]0;owned\x07\nCompliant")],
        [crow("C1")])
    result = run("plan", folder, "--out", tmp_path / "o")
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert '"3\\x1b]0;owned\\x07\\nCompliant"' in result.output
    assert not any(line.startswith("Compliant")
                   for line in result.output.splitlines())


def test_11_printable_escapes_what_a_terminal_acts_on():
    assert printable("a\x1b[31mb\r\n\t\x7f\x9b\u202e\u2028c") == \
        "a\\x1b[31mb\\r\\n\\t\\x7f\\x9b\\u202e\\u2028c"
    assert printable("Nguyễn Thị Minh Khai, José, 李") == \
        "Nguyễn Thị Minh Khai, José, 李"


# ------------------------------------------------ 12: formula-like values

@pytest.mark.parametrize("column, value", [
    ("site", "=A1"), ("prior_case_manager", "+T1"),
    ("teacher_of_record", "@SUM(A1)"), ("home_language", "-2+3"),
])
def test_12_formula_like_codes_are_refused(tmp_path, rules, column, value):
    folder = write_roster(tmp_path / "r", [srow("S1", **{column: value})],
                          [crow()])
    found = problems(folder, rules)
    assert any(f'row 2, column "{column}"' in p and "formula" in p
               for p in found), found


def test_12_formula_like_staff_sites_are_refused(tmp_path, rules):
    folder = write_roster(tmp_path / "r", [srow("S1")],
                          [crow("C1", sites="A;=A1")])
    found = problems(folder, rules)
    assert found == [
        'staff.csv, row 2, column "sites": "=A1" begins with "=", which '
        "spreadsheets read as a formula; codes must not (remove the "
        "leading character)"]


def test_12_formula_like_free_text_is_warned_and_written_as_text(
        tmp_path, rules):
    name = '=HYPERLINK("http://example.invalid","x")'
    folder = write_roster(tmp_path / "r", [srow("S1", x_note="-not a sum")],
                          [crow("C1", name=name)])
    result = run("plan", folder, "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert "spreadsheets read as a formula" in result.output
    # the warning says what the CSV files hold (review2: it said they
    # carried the value as it is, while they write the apostrophe)
    assert "the plan's CSV files with an apostrophe in front ('=...)" in \
        result.output
    assert "carry it as it is" not in result.output
    rows = list(csv.DictReader((tmp_path / "o" / "assignments.csv").open()))
    assert rows[0]["case_manager_name"] == "'" + name
    assert rows[0]["x_note"] == "'-not a sum"
    staff = list(csv.DictReader((tmp_path / "o" / "caseloads.csv").open()))
    assert staff[0]["name"] == "'" + name
    # plan.xlsx writes the text itself, as a string
    sheet = excel.read_plan_assignments(tmp_path / "o" / "plan.xlsx")
    assert sheet[1][sheet[0].index("case_manager_name")] == name
    # and caseload check reads the plan back without a name mismatch
    checked = run("check", folder, tmp_path / "o" / "assignments.csv")
    assert checked.exit_code == 0 and "is not the name" not in \
        checked.output, checked.output


# ------------------------------------- 13: long cells and wide sheets

def test_13_a_cell_longer_than_a_spreadsheet_cell_is_refused(tmp_path,
                                                             rules):
    long = "x" * (limits.MAX_CELL_CHARS + 1)
    folder = write_roster(tmp_path / "r", [srow("S1", x_note=long)],
                          [crow()])
    found = problems(folder, rules)
    assert len(found) == 1 and found[0].startswith(
        'students.csv, row 2, column "x_note": the cell holds 32,768 '
        "characters; a cell holds at most 32,767"), found
    lines = ("a line of a long note\n" * 2_000)  # each line short
    folder = write_roster(tmp_path / "q", [srow("S1", x_note=lines)],
                          [crow()])
    found = problems(folder, rules)
    assert len(found) == 1 and found[0].startswith(
        'students.csv, row 2, column "x_note": the cell holds 44,000 '
        "characters"), found
    rows = hostile.sample_rows("students")
    rows[0].append("x_note")
    rows[1].append(long)
    path = hostile.roster_workbook(tmp_path / "r.xlsx", rows)
    found = problems(path, rules)
    assert len(found) == 1 and found[0].startswith(
        'r.xlsx [students], row 2, column "x_note": the cell holds 32,768 '
        "characters"), found


def test_13_more_columns_than_plan_xlsx_holds_are_refused(
        tmp_path, rules, monkeypatch):
    assert len(ASSIGNMENT_COLUMNS) + len(
        PRODUCT_COLUMNS) == PLAN_OWN_COLUMNS
    assert limits.MAX_COLUMNS == 16_384
    monkeypatch.setattr(limits, "MAX_COLUMNS", 40)  # a short test
    extra = {f"x_{i}": "v" for i in range(30)}
    folder = write_roster(tmp_path / "r", [srow("S1", **extra)], [crow()])
    found = problems(folder, rules)
    assert found == [
        'students.csv, row 1, column "x_29": 30 columns of your own; a '
        "plan has room for 29 beside its 11 columns (a sheet holds 40, "
        "Excel's limit): remove the columns the plan does not need"]


def test_13_plan_xlsx_refuses_rather_than_cuts():
    from optimizer.errors import OutputError
    from optimizer.outputs.workbook import plan_workbook

    files = {"assignments.csv": "student_id\n" + "x" * 40_000 + "\n",
             "caseloads.csv": "staff_id\n",
             "summary.json": json.dumps({"status": "OPTIMAL"})}
    with pytest.raises(OutputError, match="40,000 characters"):
        plan_workbook(files)


# ----------------------------------------------------- 16: the rest

def test_16_utf16_csv_is_read(tmp_path, rules):
    folder = tmp_path / "r"
    shutil.copytree(SAMPLE, folder)
    for name in ("students.csv", "staff.csv"):
        rows = list(csv.reader((folder / name).open(encoding="utf-8")))
        text = "\r\n".join("\t".join(r) for r in rows) + "\r\n"
        (folder / name).write_bytes(text.encode("utf-16"))  # with BOM
    roster = cl.load_roster(folder, rules)
    assert roster.instance == cl.load_roster(SAMPLE, rules).instance


@pytest.mark.parametrize("fte, hint", [
    ("0.8%", "did you mean 0.8 as a fraction, or 80%?"),
    ("1e-300", "under 0.05"), ("0.001", "under 0.05")])
def test_16_tiny_ftes_are_questioned(tmp_path, rules, fte, hint):
    folder = write_roster(tmp_path / "r", [srow("S1")],
                          [crow("C1", fte=fte)])
    found = problems(folder, rules)
    assert len(found) == 1 and 'row 2, column "fte"' in found[0] \
        and hint in found[0], found


@pytest.mark.parametrize("sites", ["'*'", '"*"', "\u2018A\u2019"])
def test_16_quoted_sites_are_refused(tmp_path, rules, sites):
    folder = write_roster(tmp_path / "r", [srow("S1")],
                          [crow("C1", sites=sites)])
    found = problems(folder, rules)
    assert len(found) == 1 and "wrapped in quotes" in found[0], found


def test_16_excel_ids_over_15_digits(tmp_path, rules):
    students = hostile.sample_rows("students")
    students[1][0] = hostile.Raw('<c r="{ref}"><v>1.23456789012345E+16'
                                 "</v></c>")
    students[2][0] = hostile.Raw('<c r="{ref}"><v>12345678901234567</v>'
                                 "</c>")
    path = hostile.roster_workbook(tmp_path / "r.xlsx", students)
    found = problems(path, rules)
    assert found == [
        'r.xlsx [students], row 2, column "student_id": a number of 16 or '
        "more digits (12345678901234500): Excel keeps only 15, so it was "
        "probably changed; format the column as Text and type the value "
        'again (got "1.23456789012345E+16")']
    students[1][0] = "S1"
    path = hostile.roster_workbook(tmp_path / "r.xlsx", students)
    roster = cl.load_roster(path, rules)
    assert roster.instance.students[1].student_id == "12345678901234567"


def test_16_a_nul_anywhere_is_refused(tmp_path, rules):
    folder = tmp_path / "r"
    shutil.copytree(SAMPLE, folder)
    path = folder / "students.csv"
    lines = path.read_text().splitlines()
    assert len("\n".join(lines[:100])) > 4096
    lines[100] = lines[100].replace(",", ",x\x00y", 1)
    path.write_text("\n".join(lines) + "\n")
    assert problems(folder, rules) == [
        'students.csv, row 101, column "last_name": the cell holds a NUL '
        "character (byte 0): the file is damaged or not text; export it "
        f'again as CSV (got "x\\0y{lines[100].split(",")[1][3:]}")']


def test_16_a_line_break_inside_an_id_is_refused(tmp_path, rules):
    folder = write_roster(tmp_path / "r", [srow("S1\nS2")], [crow()])
    found = problems(folder, rules)
    assert found == [
        'students.csv, row 2, column "student_id": the value holds a line '
        "break or another control character ('\\n'); ids are one line of "
        'text (got "S1\\nS2")']


def test_16_out_inside_the_roster_folder_is_refused(tmp_path):
    folder = tmp_path / "r"
    shutil.copytree(SAMPLE, folder)
    result = run("plan", folder, "--out", folder / "plans" / "p")
    assert result.exit_code == 2
    assert "inside the roster folder" in result.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "staff.csv", "students.csv"]


def test_16_many_unknown_ids_in_a_scenario_are_summarised(tmp_path):
    ids = ", ".join(f'"X{i}"' for i in range(200_000))
    path = tmp_path / "s.toml"
    path.write_text(f'roster = "{SAMPLE}"\nremove_students = [{ids}]\n')
    result = run("compare", path, "--out", tmp_path / "o")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) < 30, len(lines)
    assert ("200,000 unknown student_ids in all; the first 20 are listed, "
            "199,980 more are not (first not listed: X20)") in \
        result.output


# --------------------------------------------- fuzz: random workbooks

def test_random_workbooks_give_a_roster_or_a_located_error():
    """``workbook_fuzz`` (hypothesis, 150 examples, derandomized) in a
    process limited to 1 GB of address space: any traceback, a
    MemoryError included, fails it."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    done = subprocess.run(
        [sys.executable, str(HERE / "workbook_fuzz.py"), "150"],
        capture_output=True, text=True, preexec_fn=limit, timeout=900,
        cwd=HERE)
    assert done.returncode == 0, done.stderr[-3000:]
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["roster"] > 0 and counts["located input error"] > 0


def test_11_a_line_break_in_a_staff_name_fakes_no_line(tmp_path):
    folder = write_roster(
        tmp_path / "r", [srow("S1")],
        [crow("C1", name="Ana\nCompliant: every hard rule (H1-H7) holds.")])
    result = run("explain", folder, "--student", "S1")
    assert result.exit_code == 0, result.output
    assert "Case manager: Ana\\nCompliant" in result.output
    assert not any(line.startswith("Compliant")
                   for line in result.output.splitlines())
