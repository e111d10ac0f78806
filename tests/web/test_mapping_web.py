"""The mapping step in the workbench: a district export, mapped by form,
plans byte-identically to the contract roster, and the saved mapping file
is one the CLI reads."""

from __future__ import annotations

import html
import re

from click.testing import CliRunner

from optimizer.cli import main

from .conftest import client_for, post, wait
from .district import STAFF_HEADERS, STUDENT_HEADERS, write_export


def test_mapping_round_trip_by_web_and_cli(tmp_path):
    folder, _ = write_export(tmp_path / "export")
    c = client_for(tmp_path / "ws")
    r = post(c, "/rosters", data={"name": "SIS export"}, files={
        "students": ("students.csv", (folder / "students.csv").read_bytes()),
        "staff": ("staff.csv", (folder / "staff.csv").read_bytes())})
    assert r.status_code == 200
    rid = str(r.url).rsplit("/", 1)[1]
    assert "cannot be planned yet" in r.text
    # Pages escape quotes (&#34;); the message reads the same.
    assert 'required column "student_id" is missing' in html.unescape(
        r.text)
    assert f"/rosters/{rid}/mapping" in r.text

    # Step 1: the columns. The form offers the district's headers.
    page = c.get(f"/rosters/{rid}/mapping").text
    assert "Student Number" in page and "Employee ID" in page
    form = {f"col:students:{col}": head
            for col, head in STUDENT_HEADERS.items()}
    form.update({f"col:staff:{col}": head
                 for col, head in STAFF_HEADERS.items()})
    r = post(c, f"/rosters/{rid}/mapping", data=form)
    assert r.status_code == 200 and "saved=1" in str(r.url)
    # Step 2: the values it does not know, with counts and guesses.
    assert "Speech and Language" in r.text
    assert "Specialized Academic Instruction" in r.text
    assert "General Education Classroom" in r.text
    codes = {"Speech and Language": "SPEECH",
             "Specialized Academic Instruction": "RSP",
             "General Education Classroom": "GENED",
             "Special Day Class (SDC)": "SDC"}
    for which in ("students", "staff"):
        rows = re.findall(
            rf'name="{which}.vcol" value="([^"]+)"><input type="hidden" '
            rf'name="{which}.vval" value="([^"]+)">', r.text)
        assert rows, which
        form[f"{which}.vcol"] = [col for col, _ in rows]
        form[f"{which}.vval"] = [v.replace("&amp;", "&") for _, v in rows]
        form[f"{which}.vcode"] = [codes[v] for _, v in rows]
    r = post(c, f"/rosters/{rid}/mapping", data=form)
    assert "reads without problems" in r.text, r.text[-3000:]

    # Plan it on the web, and the contract roster with the CLI.
    r = post(c, f"/rosters/{rid}/plan", data={"time_limit": "30"})
    page = wait(c, r)
    pid = str(page.url).rsplit("/", 1)[1]
    out = CliRunner().invoke(main, ["plan", "--out", str(tmp_path / "cli"),
                                    "--quiet", "--no-xlsx"])
    assert out.exit_code == 0
    for name in ("assignments.csv", "caseloads.csv"):
        web = c.get(f"/download/plans/{pid}/{name}").content
        assert web == (tmp_path / "cli" / name).read_bytes(), name

    # The saved mapping is a file the CLI reads: same plan again.
    mapping = c.get(f"/download/mapping/{rid}")
    assert mapping.status_code == 200
    (tmp_path / "m.toml").write_bytes(mapping.content)
    out = CliRunner().invoke(main, [
        "plan", str(folder), "--mapping", str(tmp_path / "m.toml"),
        "--out", str(tmp_path / "cli2"), "--quiet", "--no-xlsx"])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "cli2" / "assignments.csv").read_bytes() == \
        (tmp_path / "cli" / "assignments.csv").read_bytes()


def test_upload_needs_a_workbook_or_both_csvs(tmp_path):
    c = client_for(tmp_path)
    r = post(c, "/rosters", data={"name": "x"}, files={
        "students": ("s.csv", b"student_id\n1\n")})
    assert r.status_code == 400
    assert "choose the staff CSV file" in r.text


def test_an_unreadable_upload_lists_its_problems(tmp_path):
    c = client_for(tmp_path)
    r = post(c, "/rosters", data={"name": "bad"}, files={
        "students": ("SIS Export 2026.csv", b"student_id,site,grade,"
                     b"primary_disability,setting\n1,A,7-8,SLD,GENED\n"),
        "staff": ("staff.csv", b"staff_id,name,sites,provides\n"
                  b"T1,Ann,A,RSP\n")})
    assert r.status_code == 200
    assert "students.csv" in r.text and "7-8" in r.text
    assert "expected PK, TK, K, 1-12 or A" in r.text
    assert "students.csv (your file SIS Export 2026.csv)" in r.text


def test_xlsx_upload(tmp_path):
    from openpyxl import Workbook

    from optimizer.inputs.csv_cells import DEFAULT_SAMPLE_DIR

    book = Workbook()
    book.active.title = "students"
    staff = book.create_sheet("staff")
    import csv

    for ws, name in ((book["students"], "students.csv"), (staff,
                                                          "staff.csv")):
        with open(DEFAULT_SAMPLE_DIR / name, newline="") as fh:
            for row in csv.reader(fh):
                ws.append(row)
    book.save(tmp_path / "roster.xlsx")
    c = client_for(tmp_path / "ws")
    r = post(c, "/rosters", data={"name": ""}, files={
        "workbook": ("roster.xlsx", (tmp_path / "roster.xlsx").read_bytes())})
    assert r.status_code == 200
    assert "reads without errors" in r.text and "315" in r.text


def test_no_plan_shows_the_diagnosis(tmp_path):
    # Nobody serves site Z (H3): the run ends with a diagnosis, shown on
    # the plan page, never an error page.
    c = client_for(tmp_path)
    r = post(c, "/rosters", data={"name": "no plan"}, files={
        "students": ("students.csv", b"student_id,site,grade,"
                     b"primary_disability,setting,services\n"
                     b"S1,Z,3,SLD,GENED,RSP\n"),
        "staff": ("staff.csv", b"staff_id,name,sites,provides,credentials\n"
                  b"T1,Ann Lee,A,RSP,R3MN\n")})
    rid = str(r.url).rsplit("/", 1)[1]
    page = wait(c, post(c, f"/rosters/{rid}/plan",
                        data={"time_limit": "10"}))
    assert "No plan satisfies the hard rules" in page.text
    assert "no staff member serves site Z (H3)" in page.text
    pid = str(page.url).rsplit("/", 1)[1]
    assert c.get(f"/download/plans/{pid}/diagnosis.json").status_code == 200
    # No current plan: the roster keeps pointing at none.
    assert c.app.state.ws.record("rosters", rid)["current_plan"] is None


class _Form(__import__("html.parser").parser.HTMLParser):
    """The fields a browser would submit from the page's POST form."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def test_a_near_header_is_kept_as_the_districts_own(tmp_path):
    folder, mapping_file = write_export(tmp_path / "export")
    text = (folder / "students.csv").read_text()
    head, rest = text.split("\n", 1)
    odd = head.replace(",alt_placement_secondary",
                       ",Alt Placement Secondary Flag") + "\n" + rest
    c = client_for(tmp_path / "ws")
    r = post(c, "/rosters", data={"name": "odd"}, files={
        "students": ("students.csv", odd.encode()),
        "staff": ("staff.csv", (folder / "staff.csv").read_bytes()),
        "mapping": ("mapping.toml", mapping_file.read_bytes())})
    rid = str(r.url).rsplit("/", 1)[1]
    assert 'not a contract column (did you mean "alt_placement_secondary"' \
        in html.unescape(r.text)
    page = c.get(f"/rosters/{rid}/mapping").text

    def fields_of(html_text: str) -> dict[str, list[str]]:
        form = _Form()
        form.feed(html_text)
        out: dict[str, list[str]] = {}
        for name, value in form.fields:
            out.setdefault(name, []).append(value)
        return out

    # With a saved mapping the step proposes no near column for it; it
    # is listed among the district's own columns, marked to be kept.
    assert "looks like alt_placement_secondary" in page
    fields = fields_of(page)
    assert fields["students.own"] == ["Alt Placement Secondary Flag"]
    r = post(c, f"/rosters/{rid}/mapping", data=fields)
    assert "reads without problems" in r.text, r.text[-2000:]
    saved = c.get(f"/download/mapping/{rid}").text
    assert 'own_columns = ["Alt Placement Secondary Flag"]' in saved
