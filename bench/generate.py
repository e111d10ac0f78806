"""Seeded generator of realistic contract-format rosters.

Shares follow ``shared/reference/domain.md`` section 4 (the suggested
2020s prior for primary disabilities; settings from the LRE figures;
staffing derived from caps as section 4.5 suggests). Sizes:

    sample    3 sites,   ~300 students,   ~25 staff (the bundled demo)
    school    1 site,    ~150 students,   ~12 staff
    district  40 sites,  ~5,000 students, ~330 staff
    large     700 sites, ~70,000 students, ~4,500 staff

Two shapes: ``connected`` (the default; ``bench.connected``) is shaped like
a real district, one part linked by district-wide itinerants and program
specialists, about 3 groups for every 4 students; ``regional`` is the
earlier shape (itinerants in separate regions of a few sites, students
with few distinct profiles), kept to compare against. The bundled
``sample`` is always made in the regional shape.

Usage: python -m bench.generate SIZE OUT_DIR [--seed N] [--weighted]
       [--shape connected|regional] [--staffing slack|tight]
"""

from __future__ import annotations

import argparse
import csv
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

# domain.md 4.2 suggested prior (modelling assumption, UNVERIFIED there).
DISABILITY_SHARES = {
    "SLD": 35.5, "SLI": 21.2, "AUT": 17.0, "OHI": 13.0, "ID": 5.5,
    "ED": 3.0, "OI": 1.3, "HH": 1.3, "MD": 0.9, "DEAF": 0.4, "VI": 0.4,
    "TBI": 0.2, "EMD": 0.27, "DB": 0.03,
}
FIRST = ["Ana", "Luis", "Mai", "Noah", "Sofia", "Diego", "Emma", "Minh",
         "Ava", "Mateo", "Lily", "Kai", "Zoe", "Omar", "Nina", "Leo"]
LAST = ["Garcia", "Nguyen", "Smith", "Lopez", "Kim", "Patel", "Hernandez",
        "Chen", "Johnson", "Ramirez", "Tran", "Brown", "Flores", "Lee"]
STAFF_LAST = ["Ortiz", "Bennett", "Alvarez", "Park", "Reyes", "Cho",
              "Morgan", "Silva", "Hughes", "Duarte", "Ito", "Castro",
              "Foster", "Vega", "Nakamura", "Ruiz", "Shah", "Collins"]

STAFF_FIRST = ["Maria", "James", "Linh", "Rosa", "David", "Priya", "Elena",
               "Marcus", "Grace", "Hector", "Aisha", "Tomas", "Julia",
               "Samuel", "Ines", "Kevin", "Dana", "Victor", "Helen"]

SIZES = {
    # sites, students per site (mean), itinerant region size
    "sample": (3, 100, 3),
    "school": (1, 150, 1),
    "district": (40, 125, 8),
    "large": (700, 100, 10),
}


@dataclass
class Site:
    code: str
    level: str  # ELEM, MID, HIGH
    grades: list[str]
    students: list[dict] = field(default_factory=list)


def _grades(level: str) -> list[str]:
    return {"ELEM": ["TK", "K", *map(str, range(1, 6))],
            "MID": ["6", "7", "8"],
            "HIGH": ["9", "10", "11", "12", "A"]}[level]


def _grade_span(level: str) -> str:
    return {"ELEM": "TK-5", "MID": "6-8", "HIGH": "9-A"}[level]


def _student(rng: random.Random, sid: str, site: Site) -> dict:
    grade = rng.choice(site.grades)
    dis = rng.choices(list(DISABILITY_SHARES),
                      weights=list(DISABILITY_SHARES.values()))[0]
    if dis == "EMD":  # ages 3-5 only
        dis = "OHI"
    level = "EX" if (dis in ("ID", "MD", "DB") and rng.random() < 0.6) or (
        dis == "AUT" and rng.random() < 0.35) else "MM"
    services: list[str] = []
    secondary = ""
    setting = "GENED"
    if dis == "SLI":
        services = ["SPEECH"]
    elif dis in ("SLD", "OHI", "ED", "TBI"):
        services = ["RSP"]
        if rng.random() < 0.25:
            services.append("SPEECH")
        if dis == "ED" and rng.random() < 0.5:
            services.append("COUNSELING")
        if rng.random() < 0.12:
            setting = "DEPT" if site.level != "ELEM" else "SDC"
    elif dis in ("AUT", "ID", "MD"):
        if level == "EX" or rng.random() < 0.45:
            setting = "SDC"
            services = ["SPEECH"] if rng.random() < 0.6 else []
            if rng.random() < 0.2:
                services.append("OT")
        else:
            services = ["RSP", "SPEECH"] if rng.random() < 0.6 else ["RSP"]
    elif dis in ("HH", "DEAF"):
        services = ["DHH"]
        if rng.random() < 0.5:
            services.append("SPEECH")
        if rng.random() < 0.15:
            services.append("AUD")
    elif dis == "VI":
        services = ["VI"]
        if rng.random() < 0.5:
            services.append("OM")
    elif dis == "OI":
        services = ["PT"]
        if rng.random() < 0.6:
            services.append("RSP")
        if rng.random() < 0.4:
            services.append("APE")
    elif dis == "DB":
        services = ["DHH", "VI"]
        setting = "SDC"
        level = "EX"
    lang = rng.choices(["", "Spanish", "Vietnamese", "Tagalog"],
                       weights=[62, 32, 4, 2])[0]
    return {
        "student_id": sid, "site": site.code, "grade": grade,
        "primary_disability": dis, "secondary_disability": secondary,
        "support_level": level, "setting": setting,
        "services": ";".join(services), "alt_placement_secondary": "",
        "teacher_of_record": "", "prior_case_manager": "",
        "home_language": lang, "weight": "",
        "last_name": rng.choice(LAST), "first_name": rng.choice(FIRST),
    }


class _StaffMaker:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.rows: list[dict] = []
        self.n = 0

    def add(self, provides: str, sites: list[str], credentials: str,
            grades: str = "", languages: str = "", **extra) -> dict:
        self.n += 1
        row = {
            "staff_id": f"T{self.n:04d}",
            "name": f"{STAFF_FIRST[self.n % len(STAFF_FIRST)]} "
                    f"{STAFF_LAST[(self.n * 7) % len(STAFF_LAST)]}",
            "sites": ";".join(sites), "provides": provides,
            "credentials": credentials, "max_caseload": "", "fte": "",
            "grades": grades, "languages": languages,
            "can_case_manage": "",
        }
        row.update(extra)
        self.rows.append(row)
        return row

    def lang(self) -> str:
        return self.rng.choices(["", "Spanish", "Vietnamese"],
                                weights=[70, 26, 4])[0]


SHAPES = ("connected", "regional")


STAFFINGS = ("slack", "tight")


def generate(size: str, seed: int = 7, weighted: bool = False,
             shape: str = "connected", staffing: str = "slack"
             ) -> tuple[list[dict], list[dict]]:
    """Students and staff rows for a roster of the given size and shape;
    ``staffing`` (connected shape only): ``slack`` or ``tight`` (see
    ``bench.connected.STAFFING``)."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}")
    if staffing not in STAFFINGS or (staffing != "slack"
                                     and shape != "connected"):
        raise ValueError(f"staffing {staffing!r} with shape {shape!r}")
    rng = random.Random(seed)
    num_sites, per_site, region = SIZES[size]
    if shape == "connected" and size != "sample":
        from bench import connected

        return connected.generate(size, num_sites, per_site, rng, weighted,
                                  staffing)
    sites: list[Site] = []
    levels = ["ELEM", "MID", "HIGH"]
    for i in range(num_sites):
        level = levels[i % 3] if size != "school" else "ELEM"
        if size not in ("sample", "school"):
            level = rng.choices(levels, weights=[60, 20, 20])[0]
        code = (["LIN", "ROO", "JEF"][i] if size == "sample"
                else f"S{i + 1:03d}")
        sites.append(Site(code, level, _grades(level)))
    sid = 0
    for site in sites:
        n = max(20, round(rng.gauss(per_site, per_site * 0.15)))
        for _ in range(n):
            sid += 1
            site.students.append(_student(rng, f"{sid + 100000}", site))
    maker = _StaffMaker(rng)
    # The sample keeps roomier staffing than the benchmark districts.
    ratio = (24, 11, 50) if size == "sample" else (26, 12, 55)
    _staff_sites(rng, maker, sites, ratio)
    _itinerants(rng, maker, sites, region)
    students = [s for site in sites for s in site.students]
    _priors(rng, students, maker.rows)
    if weighted:
        for s in students:
            s["weight"] = rng.choice(["1", "1", "1.5", "2", "0.5", "1.25"])
    if size == "sample":
        _sample_features(rng, sites, students, maker)
    return students, maker.rows


def _staff_sites(rng: random.Random, maker: _StaffMaker,
                 sites: list[Site], ratio: tuple[int, int, int]) -> None:
    """Site staff; ``ratio``: students per RSP teacher, SDC class, SLP."""
    for site in sites:
        st = site.students
        span = _grade_span(site.level)
        rsp = sum("RSP" in s["services"] and s["setting"] == "GENED"
                  for s in st)
        for _ in range(max(1, math.ceil(rsp / ratio[0]))):
            cred = rng.choices(["R3MN", "R3MM", "R3MN;RSAA", "R3MM;AAAS"],
                               weights=[55, 20, 10, 15])[0]
            maker.add("RSP", [site.code], cred, span, maker.lang())
        # SDC classes: extensive-needs and mild-moderate, about 11 each.
        for lvl, cred in (("EX", "R3EN"), ("MM", "R3MN")):
            sdc = [s for s in st if s["setting"] == "SDC"
                   and s["support_level"] == lvl]
            for k in range(math.ceil(len(sdc) / ratio[1])):
                c = cred if rng.random() < 0.7 else (
                    "R3MS" if lvl == "EX" else "R3MM;AAAS")
                row = maker.add("SDC", [site.code], c, span, maker.lang())
                for s in sdc[k * ratio[1]:(k + 1) * ratio[1]]:
                    if rng.random() < 0.5:
                        s["teacher_of_record"] = row["staff_id"]
        dept = [s for s in st if s["setting"] == "DEPT"]
        if dept:
            maker.add("DEPT", [site.code], "R3MN", span, maker.lang())
        speech = sum("SPEECH" in s["services"] for s in st)
        for _ in range(max(1, math.ceil(speech / ratio[2]))):
            cred = rng.choices(["SLP-LSH", "LIC-SLP"], weights=[85, 15])[0]
            row = maker.add("SPEECH", [site.code], cred, "", maker.lang())
            if cred == "LIC-SLP":
                row["can_case_manage"] = "yes"


def _itinerants(rng: random.Random, maker: _StaffMaker, sites: list[Site],
                region: int) -> None:
    for r in range(0, len(sites), region):
        group = sites[r:r + region]
        codes = [s.code for s in group]
        students = [s for site in group for s in site.students]

        def need(service: str, per: int) -> int:
            n = sum(service in s["services"].split(";") for s in students)
            return math.ceil(n / per) if n else 0

        for _ in range(need("DHH", 16)):
            maker.add("DHH", codes, rng.choice(["R3HD", "R3DH"]))
        for _ in range(need("VI", 16)):
            maker.add("VI", codes, rng.choice(["R3VB", "R3VI"]))
        for _ in range(need("OM", 30)):
            maker.add("OM", codes, "CRS-OM", can_case_manage="no")
        for _ in range(need("PT", 40)):
            maker.add("PT", codes, "LIC-PT")
        for _ in range(need("OT", 40)):
            maker.add("OT", codes, "LIC-OT")
        for _ in range(need("APE", 45)):
            maker.add("APE", codes, "R3MN;APE-AA", can_case_manage="no")
        for _ in range(need("COUNSELING", 45)):
            maker.add("COUNSELING", codes, "PPS-SC", can_case_manage="no")
        for _ in range(need("AUD", 60)):
            maker.add("AUD", codes, "SLP-AUD", can_case_manage="no")
        maker.add("COORD", codes, "R3MN", "", maker.lang(),
                  max_caseload="20")


def _priors(rng: random.Random, students: list[dict],
            staff: list[dict]) -> None:
    """Last year's case manager: mostly the natural provider, some gone."""
    by_site: dict[str, list[dict]] = {}
    for c in staff:
        for site in c["sites"].split(";"):
            by_site.setdefault(site, []).append(c)
    for s in students:
        if rng.random() > 0.8:
            continue
        if rng.random() < 0.06:
            s["prior_case_manager"] = f"X{rng.randint(1, 999):04d}"  # left
            continue
        options = [c for c in by_site.get(s["site"], [])
                   if c["provides"] in s["services"].split(";")
                   or (c["provides"] == s["setting"])]
        if options:
            s["prior_case_manager"] = rng.choice(options)["staff_id"]


def _sample_features(rng: random.Random, sites: list[Site],
                     students: list[dict], maker: _StaffMaker) -> None:
    """Hand-placed cases so the demo exercises every relation and rule."""
    lin, roo, jef = sites
    ecse = maker.add("SDC", ["LIN"], "R3ER", "PK-K", "Spanish",
                     max_caseload="10")
    for k in range(6):  # preschool students in the ECSE class
        s = _student(rng, f"PK{k + 1:03d}", lin)
        s.update(grade="PK", primary_disability=rng.choice(["AUT", "SLD"]),
                 setting="SDC", services="SPEECH", support_level="MM")
        if k == 0:
            s["teacher_of_record"] = ecse["staff_id"]
        students.append(s)
    # Low-incidence student (OI) placed under the secondary disability.
    s = _student(rng, "ALT001", roo)
    s.update(grade="7", primary_disability="OI", secondary_disability="AUT",
             alt_placement_secondary="yes", setting="SDC",
             support_level="EX", services="PT;SPEECH")
    students.append(s)
    # The four CTC best-practice examples, one student each.
    for sid, setting, services, dis in (
            ("BP-SPEECH", "GENED", "SPEECH", "SLI"),
            ("BP-SPEECH-RSP", "GENED", "SPEECH;RSP", "SLD"),
            ("BP-PT-SDC", "SDC", "PT", "OI"),
            ("BP-RSP-INCL", "GENED", "RSP", "OHI")):
        s = _student(rng, sid, lin)
        s.update(grade="3", primary_disability=dis, setting=setting,
                 services=services, support_level="MM")
        if sid == "BP-PT-SDC":
            s.update(primary_disability="MD", support_level="EX")
        students.append(s)
    # A student whose IEP lists only coordination needs (APE only).
    s = _student(rng, "COORD01", jef)
    s.update(grade="10", primary_disability="OHI", setting="GENED",
             services="APE", support_level="MM")
    students.append(s)
    # A district-wide program specialist who coordinates only.
    maker.add("COORD", ["*"], "R3MS", "TK-A", "Spanish;Vietnamese",
              max_caseload="6")


COLUMNS_STUDENTS = ["student_id", "last_name", "first_name", "site", "grade",
                    "primary_disability", "secondary_disability",
                    "support_level", "setting", "services",
                    "alt_placement_secondary", "teacher_of_record",
                    "prior_case_manager", "home_language", "weight"]
COLUMNS_STAFF = ["staff_id", "name", "sites", "provides", "credentials",
                 "max_caseload", "fte", "grades", "languages",
                 "can_case_manage"]


def write(students: list[dict], staff: list[dict], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, rows, cols in (("students.csv", students, COLUMNS_STUDENTS),
                             ("staff.csv", staff, COLUMNS_STAFF)):
        with open(out / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n",
                               extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("size", choices=list(SIZES))
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--weighted", action="store_true")
    ap.add_argument("--shape", choices=SHAPES, default="connected")
    ap.add_argument("--staffing", choices=STAFFINGS, default="slack")
    args = ap.parse_args()
    students, staff = generate(args.size, args.seed, args.weighted,
                               args.shape, args.staffing)
    write(students, staff, args.out)
    print(f"{len(students)} students, {len(staff)} staff -> {args.out}")


if __name__ == "__main__":
    main()
