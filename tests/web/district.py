"""A district's own export of the sample roster: its headers, its words.

The same students and staff as data/sample, written the way a student
information system exports them (spelled-out services and settings,
headers like "Student Number"), with the mapping file that turns it back
into the contract.
"""

from __future__ import annotations

import csv
from pathlib import Path

from optimizer.inputs.csv_cells import DEFAULT_SAMPLE_DIR

STUDENT_HEADERS = {
    "student_id": "Student Number", "site": "School",
    "grade": "Grade Level", "primary_disability": "Primary Eligibility",
    "setting": "Program Setting", "services": "Service Type",
    "prior_case_manager": "Prior CM", "home_language": "Home Lang",
}
STAFF_HEADERS = {
    "staff_id": "Employee ID", "name": "Staff Name", "sites": "Schools",
    "provides": "Assignment",
}
SERVICE_WORDS = {"RSP": "Specialized Academic Instruction",
                 "SPEECH": "Speech and Language"}
SETTING_WORDS = {"GENED": "General Education Classroom",
                 "SDC": "Special Day Class (SDC)"}

MAPPING_TOML = """\
[students.columns]
"Student Number" = "student_id"
"School" = "site"
"Grade Level" = "grade"
"Primary Eligibility" = "primary_disability"
"Program Setting" = "setting"
"Service Type" = "services"
"Prior CM" = "prior_case_manager"
"Home Lang" = "home_language"

[students.values.services]
"Specialized Academic Instruction" = "RSP"
"Speech and Language" = "SPEECH"

[students.values.setting]
"General Education Classroom" = "GENED"
"Special Day Class (SDC)" = "SDC"

[staff.columns]
"Employee ID" = "staff_id"
"Staff Name" = "name"
"Schools" = "sites"
"Assignment" = "provides"

[staff.values.provides]
"Specialized Academic Instruction" = "RSP"
"Speech and Language" = "SPEECH"
"""


def _rewrite(src: Path, dst: Path, headers: dict[str, str],
             words: dict[str, dict[str, str]]) -> None:
    with src.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    head = rows[0]
    cols = {h: i for i, h in enumerate(head)}
    for row in rows[1:]:
        for col, table in words.items():
            i = cols[col]
            items = [x for x in row[i].split(";") if x]
            row[i] = "; ".join(table.get(x, x) for x in items)
    rows[0] = [headers.get(h, h) for h in head]
    with dst.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def write_export(folder: Path, sample: Path = DEFAULT_SAMPLE_DIR
                 ) -> tuple[Path, Path]:
    """Write the export (students.csv, staff.csv) and mapping.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    _rewrite(sample / "students.csv", folder / "students.csv",
             STUDENT_HEADERS, {"services": SERVICE_WORDS,
                               "setting": SETTING_WORDS})
    _rewrite(sample / "staff.csv", folder / "staff.csv", STAFF_HEADERS,
             {"provides": SERVICE_WORDS})
    mapping = folder.parent / f"{folder.name}-mapping.toml"
    mapping.write_text(MAPPING_TOML, encoding="utf-8")
    return folder, mapping
