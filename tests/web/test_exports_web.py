"""The workbench from a district's files as downloaded (issue 19): the
mapping page reads the export's own headers, sheets and codes, asks only
what the district decides, leaves guesses unchosen, and its saved
mapping plans byte for byte as the CLI does with it."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from optimizer.cli import main

from .conftest import client_for, post, wait

EXPORTS = Path(__file__).parents[1] / "data" / "exports"
# What the district decides, by its own words.
DECISIONS = {
    "203 - Separate Class": "SDC",
    "203 - Separate Class (Departmentalized)": "DEPT",
    "330 - Specialized Academic Instruction": "RSP",
    "Vision Services": "VI", "Deaf and Hard of Hearing Services": "DHH",
    "Special Day Class Teacher": "SDC",
    "Departmentalized SPED Teacher": "DEPT",
    "Itinerant Teacher DHH": "DHH",
    "Teacher of the Visually Impaired": "VI",
    "Program Specialist": "COORD", "All Sites": "*"}


class _Form(HTMLParser):
    """The fields a browser would send for the page's form, with the
    value rows (select id -> their value) to answer."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.selects: dict[str, dict] = {}
        self._select = None
        self.labels: dict[str, str] = {}
        self._label = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = {"name": a["name"], "id": a.get("id"),
                            "value": "", "options": []}
            self.selects[a.get("id") or a["name"]] = self._select
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))
            if "selected" in a:
                self._select["value"] = a.get("value", "")
        elif tag == "label" and a.get("for"):
            self._label = a["for"]
            self.labels[self._label] = ""

    def handle_data(self, data):
        if self._label:
            self.labels[self._label] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "label":
            self._label = None


def _words(page: str) -> str:
    """A page's text as a reader sees it."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _answer(page: str, decisions: dict[str, str]) -> tuple[dict, int]:
    form = _Form()
    form.feed(page)
    data = list(form.fields)
    asked = 0
    for sid, sel in form.selects.items():
        value = sel["value"]
        if sel["name"].endswith(".vcode") and sid.startswith("v-"):
            asked += 1
            assert value == "", f"a guess was chosen for {sid}"
            value = decisions[html.unescape(form.labels[sid]).strip()]
        data.append((sel["name"], value))
    form_data: dict[str, list[str]] = {}
    for key, value in data:
        form_data.setdefault(key, []).append(html.unescape(value))
    return form_data, asked


def test_a_district_workbook_plans_through_the_pages(tmp_path):
    c = client_for(tmp_path / "ws")
    book = (EXPORTS / "district.xlsx").read_bytes()
    r = post(c, "/rosters", data={"name": "District workbook"},
             files={"workbook": ("district.xlsx", book)})
    rid = str(r.url).rsplit("/", 1)[1]
    text = html.unescape(r.text)
    assert "cannot be planned yet" in text
    assert '"All Sites" is not a site of any student' in text
    page = c.get(f"/rosters/{rid}/mapping").text
    plain = _words(page)
    assert "Read from Students 2025-26 ; its header is row 2" in plain
    assert "Read from Staff Roster ; its header is row 3" in plain
    assert "Still missing: 11" in plain
    # Certain readings are listed as such, and not asked.
    assert "grade Eighth grade 36 8" in plain
    assert "credentials Added Authorization: Autism Spectrum Disorders" \
        in plain
    # "Program Specialist" is a guess (RSP) shown, never chosen.
    assert "Program Specialist" in plain
    data, asked = _answer(page, DECISIONS)
    assert asked == 11
    r = post(c, f"/rosters/{rid}/mapping", data=data)
    assert "reads without problems" in r.text, html.unescape(r.text)[-3000:]
    saved = c.get(f"/download/mapping/{rid}").text
    assert 'sheet = "Staff Roster"' in saved and "header_row = 3" in saved
    r = post(c, f"/rosters/{rid}/plan", data={"time_limit": "30"})
    page = wait(c, r)
    pid = str(page.url).rsplit("/", 1)[1]
    summary = json.loads(c.get(f"/download/plans/{pid}/summary.json").text)
    kpis = summary["kpis"]
    assert (kpis["best_practice_matches"], kpis["continuity_kept"],
            kpis["language_matches"]) == (313, 185, 57)
    # The saved mapping, by the CLI: the same plan, byte for byte.
    (tmp_path / "m.toml").write_text(saved)
    out = CliRunner().invoke(main, [
        "plan", str(EXPORTS / "district.xlsx"), "--mapping",
        str(tmp_path / "m.toml"), "--out", str(tmp_path / "cli"),
        "--quiet", "--no-xlsx"])
    assert out.exit_code == 0, out.output
    for name in ("assignments.csv", "caseloads.csv",
                 "changes_for_district.csv"):
        web = c.get(f"/download/plans/{pid}/{name}").content
        assert web == (tmp_path / "cli" / name).read_bytes(), name


def test_a_seis_download_uploaded_as_its_files(tmp_path):
    c = client_for(tmp_path / "ws")
    folder = EXPORTS / "seis"
    files = [("files", (p.name, p.read_bytes()))
             for p in sorted(folder.iterdir())]
    r = post(c, "/rosters", data={"name": "SEIS"}, files=files)
    rid = str(r.url).rsplit("/", 1)[1]
    page = c.get(f"/rosters/{rid}/mapping").text
    assert "services joined from Special Education Services.csv" in \
        _words(page)
    data, asked = _answer(page, DECISIONS)
    assert asked == 11
    r = post(c, f"/rosters/{rid}/mapping", data=data)
    assert "reads without problems" in r.text


def test_two_candidate_sheets_are_a_choice_on_the_page(tmp_path):
    book = Workbook()
    book.remove(book.active)
    for name, rows in (
            ("staff", [["staff_id", "name", "sites", "provides",
                        "credentials"], ["T1", "Rosa Park", "A", "RSP",
                                         "R3MN"]]),
            ("students", [["student_id", "site", "grade",
                           "primary_disability", "setting"],
                          ["S1", "A", "3", "SLD", "GENED"]]),
            ("students 2026", [["student_id", "site", "grade",
                                "primary_disability", "setting"],
                               ["S1", "A", "3", "SLD", "GENED"],
                               ["S2", "A", "4", "SLD", "GENED"]])):
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book["students"].sheet_state = "hidden"
    book.save(tmp_path / "r.xlsx")
    c = client_for(tmp_path / "ws")
    r = post(c, "/rosters", files={"workbook": (
        "r.xlsx", (tmp_path / "r.xlsx").read_bytes())})
    rid = str(r.url).rsplit("/", 1)[1]
    page = _words(c.get(f"/rosters/{rid}/mapping").text)
    assert "Which sheet or file is which" in page
    assert "r.xlsx [students] (reads as students) (hidden)" in page
    r = post(c, f"/rosters/{rid}/mapping", data={
        "layout:students:sheet": "students 2026",
        "layout:staff:sheet": "staff"})
    assert "reads without problems" in r.text
    saved = c.get(f"/download/mapping/{rid}").text
    assert 'sheet = "students 2026"' in saved


@pytest.mark.parametrize("shape", ["calpads"])
def test_folder_upload_of_a_calpads_pair(shape, tmp_path):
    c = client_for(tmp_path / "ws")
    files = [("files", (p.name, p.read_bytes()))
             for p in sorted((EXPORTS / shape).iterdir())]
    r = post(c, "/rosters", data={"name": shape}, files=files)
    rid = str(r.url).rsplit("/", 1)[1]
    page = c.get(f"/rosters/{rid}/mapping").text
    decisions = {**DECISIONS, "330": "RSP", "203": "SDC", "203-D": "DEPT"}
    data, asked = _answer(page, decisions)
    assert asked == 11
    r = post(c, f"/rosters/{rid}/mapping", data=data)
    assert "reads without problems" in r.text


def test_a_wrong_header_row_can_be_put_right_on_the_page(tmp_path):
    c = client_for(tmp_path / "ws")
    book = (EXPORTS / "district.xlsx").read_bytes()
    r = post(c, "/rosters", files={"workbook": ("district.xlsx", book)},
             data={"mapping": ""})
    rid = str(r.url).rsplit("/", 1)[1]
    r = post(c, f"/rosters/{rid}/mapping", data={
        "layout:staff:sheet": "Staff Roster", "layout:staff:header_row": "2",
        "layout:students:sheet": "Students 2025-26"})
    page = _words(c.get(f"/rosters/{rid}/mapping").text)
    assert "the header is row 2, which is blank" in page
    assert "Which sheet or file is which" in page
    r = post(c, f"/rosters/{rid}/mapping", data={
        "layout:staff:sheet": "Staff Roster", "layout:staff:header_row": "3",
        "layout:students:sheet": "Students 2025-26"})
    page = _words(c.get(f"/rosters/{rid}/mapping").text)
    assert "Read from Staff Roster ; its header is row 3" in page
