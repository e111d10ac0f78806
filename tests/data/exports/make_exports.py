"""Write the bundled sample (data/sample) as a district downloads it.

Three shapes, each with the mapping a district would keep (only its own
decisions: the readings of ambiguous codes, its local position titles,
what "All Sites" means):

- ``seis/``: SEIS's *Special Education Services* report (one row per
  student and service; a service over two locations takes two rows), a
  student report (CALPADS codes with their labels, grades in words,
  "Autism (AUT)", "200" for no second disability, MMSN/ESN, the case
  manager as "Last, First") and the HR workbook ``HR Staff Roster.xlsx``;
- ``calpads/``: a CALPADS-shaped PLAN file (bare codes: grade "08",
  disability "290", setting "400") and SERV file (one row per service),
  joined on SSID, with the staff as an HR CSV under a title row;
- ``district.xlsx``: one workbook, a sheet "Staff Roster" with a title
  row and a blank row above everyday headers, staff names, positions and
  credentials in words, "All Sites", FTE "100%"; a sheet
  "Students 2025-26" with everyday headers and staff *names* for the
  SDC teacher and last year's case manager.

Run ``python tests/data/exports/make_exports.py`` to write them again.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[2] / "data" / "sample"

SITES = {"LIN": "Lincoln Elementary", "ROO": "Roosevelt Middle",
         "JEF": "Jefferson High"}
GRADE_WORDS = {"PK": "Preschool", "TK": "Transitional Kindergarten",
               "K": "Kindergarten", "A": "Adult",
               **{str(g): w.capitalize() + " grade" for g, w in enumerate(
                   ("first", "second", "third", "fourth", "fifth", "sixth",
                    "seventh", "eighth", "ninth", "tenth", "eleventh",
                    "twelfth"), 1)}}
GRADE_CODES = {"PK": "PS", "TK": "TK", "K": "KN", "A": "AD",
               **{str(g): f"{g:02d}" for g in range(1, 13)}}
DISABILITY = {"ID": ("210", "Intellectual disability"),
              "SLI": ("240", "Speech or language impairment"),
              "VI": ("250", "Visual impairment"),
              "ED": ("260", "Emotional disturbance"),
              "OI": ("270", "Orthopedic impairment"),
              "OHI": ("280", "Other health impairment"),
              "SLD": ("290", "Specific learning disability"),
              "DEAF": ("230", "Deafness"),
              "MD": ("310", "Multiple disabilities"),
              "AUT": ("320", "Autism")}
# SEIS writes the service with its code; the unverified ones by label.
SERVICE = {"RSP": "330 - Specialized Academic Instruction",
           "SPEECH": "415 - Language and Speech",
           "OT": "450 - Occupational Therapy",
           "COUNSELING": "510 - Individual Counseling",
           "PT": "Physical Therapy", "VI": "Vision Services",
           "OM": "Orientation and Mobility",
           "DHH": "Deaf and Hard of Hearing Services",
           "APE": "Adapted Physical Education"}
SERVICE_CODE = {"RSP": "330", "SPEECH": "415", "OT": "450",
                "COUNSELING": "510"}
# Setting: 203 covers SDC and DEPT; this district labels its
# departmentalized classes itself, and reads 203 as SDC.
SETTING = {"GENED": "400 - Regular Classroom/Public Day School",
           "SDC": "203 - Separate Class",
           "DEPT": "203 - Separate Class (Departmentalized)"}
SETTING_CODE = {"GENED": "400", "SDC": "203", "DEPT": "203-D"}
POSITION = {"RSP": "Resource Specialist Program",
            "SDC": "Special Day Class Teacher",
            "DEPT": "Departmentalized SPED Teacher",
            "SPEECH": "Speech-Language Pathologist",
            "DHH": "Itinerant Teacher DHH",
            "VI": "Teacher of the Visually Impaired",
            "OM": "Orientation and Mobility Specialist",
            "PT": "Physical Therapist", "OT": "Occupational Therapist",
            "COUNSELING": "School Counselor", "COORD": "Program Specialist"}
# CTC titles in words; the codes whose titles two codes share (R3DH and
# R3HD, R3VI and R3VB, R3ER and R3EC) stay codes, as HR often keeps them.
CREDENTIAL = {
    "R3MM": "Education Specialist Instruction Credential: "
            "Mild/Moderate Disabilities",
    "R3MN": "Education Specialist Instruction Credential: Mild to "
            "Moderate Support Needs",
    "R3EN": "Education Specialist Instruction Credential: Extensive "
            "Support Needs",
    "R3MS": "Education Specialist: Moderate/Severe Disabilities",
    "AAAS": "Added Authorization: Autism Spectrum Disorders",
    "SLP-LSH": "Speech-Language Pathology Services Credential: "
               "Language Speech and Hearing",
    "CRS-OM": "Clinical or Rehabilitative Services: Orientation and "
              "Mobility",
    "LIC-PT": "Physical Therapy license",
    "LIC-OT": "Occupational Therapy license",
    "PPS-SC": "Pupil Personnel Services: School Counseling"}
# Case managers who have left (ids X... in the sample): names only.
LEFT = ("Nora Blake", "Owen Pratt", "Iris Fenton", "Paul Okafor",
        "Ruth Lindqvist", "Saul Mercado", "Tess Varga", "Uma Rios",
        "Vera Chen", "Walt Osei", "Yara Haddad", "Zane Koval",
        "Abel Stone", "Bea Quist")


def _read(name: str) -> list[dict[str, str]]:
    with (SAMPLE / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _csv(path: Path, rows: list[list[str]], bom: bool = False,
         title: list[str] | None = None) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in title or []:
        writer.writerow([line])
    writer.writerows(rows)
    path.write_bytes((("\ufeff" if bom else "") + out.getvalue())
                     .encode("utf-8"))


def _last_first(name: str) -> str:
    first, last = name.split(" ", 1)
    return f"{last}, {first}"


def _people():
    staff = _read("staff.csv")
    names = {s["staff_id"]: s["name"] for s in staff}
    left = sorted({s["prior_case_manager"] for s in _read("students.csv")
                   if s["prior_case_manager"].startswith("X")})
    names.update(zip(left, LEFT))
    return staff, names


def _sites(text: str) -> str:
    return "All Sites" if text == "*" else "; ".join(
        SITES[s] for s in text.split(";"))


def staff_rows() -> list[list[str]]:
    staff, _names = _people()
    head = ["Employee ID", "Name", "Site", "Position", "Credential",
            "Caseload Max", "FTE", "Grade Levels", "Languages",
            "Can Case Manage"]
    rows = [head]
    for s in staff:
        provides = s["provides"].split(";")
        creds = [CREDENTIAL.get(c, c) for c in s["credentials"].split(";")
                 if c]
        fte = s["fte"]
        rows.append([s["staff_id"], s["name"], _sites(s["sites"]),
                     "; ".join(POSITION[p] for p in provides),
                     "; ".join(creds), s["max_caseload"],
                     f"{round(float(fte) * 100)}%" if fte else "100%",
                     s["grades"], s["languages"], s["can_case_manage"]])
    return rows


def seis(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    students = _read("students.csv")
    _staff, names = _people()
    info = [["SEIS ID", "SSID", "Student Legal First Name",
             "Student Legal Last Name", "School of Attendance", "Grade",
             "Case Manager", "SDC Teacher", "Disability 1", "Disability 2",
             "Disability Degree of Support", "Program Setting",
             "Alt Placement Secondary", "Home Language"]]
    service = [["SEIS ID", "SSID", "Student Legal First Name",
                "Student Legal Last Name", "Student Birth Date",
                "Enrollment Date", "Reporting LEA",
                "District of Special Education Accountability",
                "School of Attendance", "Grade", "Case Manager",
                "Special Education Service Code",
                "Special Education Service Provider Code",
                "Nonpublic Agency Identifier (NPA)",
                "Special Education Service Location Code",
                "Service Duration", "Service Frequency Code"]]
    for n, s in enumerate(students):
        ssid = f"{7000000000 + n * 37:010d}"
        code, label = DISABILITY[s["primary_disability"]]
        second = s["secondary_disability"]
        prior = names.get(s["prior_case_manager"], "")
        cm = _last_first(prior) if prior else ""
        grade = GRADE_WORDS[s["grade"]]
        info.append([
            s["student_id"], ssid, s["first_name"], s["last_name"],
            SITES[s["site"]], grade, cm,
            names.get(s["teacher_of_record"], ""),
            f"{label} ({s['primary_disability']})" if n % 2 else
            f"{code} - {label}",
            f"{DISABILITY[second][1]} ({second})" if second else "200",
            "ESN" if s["support_level"] == "EX" else "MMSN",
            SETTING[s["setting"]], s["alt_placement_secondary"],
            s["home_language"]])
        for k, svc in enumerate(x for x in s["services"].split(";") if x):
            locations = ["100 - District of Service"]
            if svc == "SPEECH" and n % 9 == 0:  # over two locations
                locations.append("200 - Clinic")
            for loc in locations:
                service.append([
                    s["student_id"], ssid, s["first_name"], s["last_name"],
                    "2015-01-01", "2025-08-20", "Sample USD",
                    "Sample USD", SITES[s["site"]], grade, cm,
                    SERVICE[svc], "100 - Special Education Teacher", "",
                    loc, "30", "20 - Weekly (one or more times a week)"])
    _csv(folder / "Special Education Services.csv", service, bom=True)
    _csv(folder / "Student Information.csv", info, bom=True)
    book = Workbook()
    sheet = book.active
    sheet.title = "Staff Roster"
    sheet.append(["Certificated & Classified Special Education Staff "
                  "2025-26 (HR export)"])
    sheet.append([])
    for row in staff_rows():
        sheet.append(row)
    book.save(folder / "HR Staff Roster.xlsx")


def calpads(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    students = _read("students.csv")
    _staff, names = _people()
    plan = [["SSID", "Local Special Education Student ID",
             "School of Attendance", "Grade Level", "Education Plan Type",
             "Disability 1", "Disability 2",
             "Disability Degree of Support", "Program Setting",
             "Alt Placement Secondary", "Case Manager", "SDC Teacher",
             "Home Language"]]
    serv = [["SSID", "Local Special Education Student ID",
             "Service Code", "Provider Code", "Location Code",
             "Frequency Code", "Duration"]]
    for n, s in enumerate(students):
        ssid = f"{7000000000 + n * 37:010d}"
        second = s["secondary_disability"]
        prior = names.get(s["prior_case_manager"], "")
        plan.append([
            ssid, s["student_id"], SITES[s["site"]], GRADE_CODES[s["grade"]],
            "100", DISABILITY[s["primary_disability"]][0],
            DISABILITY[second][0] if second else "200",
            "ESN" if s["support_level"] == "EX" else "MMSN",
            SETTING_CODE[s["setting"]], s["alt_placement_secondary"],
            prior.upper() if n % 5 == 0 else prior,
            names.get(s["teacher_of_record"], ""), s["home_language"]])
        for svc in (x for x in s["services"].split(";") if x):
            serv.append([ssid, s["student_id"],
                         SERVICE_CODE.get(svc, SERVICE[svc]), "100", "100",
                         "20", "30"])
    _csv(folder / "PLAN.csv", plan)
    _csv(folder / "SERV.csv", serv)
    _csv(folder / "Staff Roster.csv", staff_rows(),
         title=["Special Education Staff 2025-26"])


def district(path: Path) -> None:
    students = _read("students.csv")
    _staff, names = _people()
    book = Workbook()
    sheet = book.active
    sheet.title = "Staff Roster"
    sheet.append(["Certificated & Classified Special Education Staff "
                  "2025-26 (HR export)"])
    sheet.append([])
    for row in staff_rows():
        sheet.append(row)
    kids = book.create_sheet("Students 2025-26")
    kids.append(["Special education students, spring 2026"])
    kids.append(["SSID", "Student ID", "Last Name", "First Name",
                 "School", "Grade", "Disability 1", "Disability 2",
                 "Degree of Support", "Program Setting", "Services",
                 "Alt Placement Secondary", "SDC Teacher",
                 "Case Manager 2024-25", "Home Language"])
    for n, s in enumerate(students):
        prior = names.get(s["prior_case_manager"], "")
        if prior and n % 4 == 1:
            prior = "  " + _last_first(prior).lower() + " "
        kids.append([
            f"{7000000000 + n * 37:010d}", s["student_id"], s["last_name"],
            s["first_name"], SITES[s["site"]], GRADE_WORDS[s["grade"]],
            DISABILITY[s["primary_disability"]][1],
            s["secondary_disability"] or "200",
            "ESN" if s["support_level"] == "EX" else "MMSN",
            SETTING[s["setting"]],
            "; ".join(SERVICE[x] for x in s["services"].split(";") if x),
            s["alt_placement_secondary"],
            names.get(s["teacher_of_record"], ""), prior,
            s["home_language"]])
    book.save(path)


# What the district decides, and nothing else.
POSITIONS_TOML = """\
[staff.values.provides]
"Special Day Class Teacher" = "SDC"
"Departmentalized SPED Teacher" = "DEPT"
"Itinerant Teacher DHH" = "DHH"
"Teacher of the Visually Impaired" = "VI"
"Program Specialist" = "COORD"

[staff.values.sites]
"All Sites" = "*"
"""
MAPPINGS = {
    "seis.toml": """\
# The district's decisions for its SEIS export (and HR staff roster).
[students.values.services]
"330 - Specialized Academic Instruction" = "RSP"
"Vision Services" = "VI"
"Deaf and Hard of Hearing Services" = "DHH"

[students.values.setting]
"203 - Separate Class" = "SDC"
"203 - Separate Class (Departmentalized)" = "DEPT"

""" + POSITIONS_TOML,
    "calpads.toml": """\
# The district's decisions for its CALPADS PLAN/SERV extract.
[students.values.services]
"330" = "RSP"
"Vision Services" = "VI"
"Deaf and Hard of Hearing Services" = "DHH"

[students.values.setting]
"203" = "SDC"
"203-D" = "DEPT"

""" + POSITIONS_TOML,
}
MAPPINGS["district.toml"] = MAPPINGS["seis.toml"].replace(
    "for its SEIS export (and HR staff roster)", "for its workbook")


def write_all(folder: Path = HERE) -> None:
    seis(folder / "seis")
    calpads(folder / "calpads")
    district(folder / "district.xlsx")
    for name, text in MAPPINGS.items():
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_all()
