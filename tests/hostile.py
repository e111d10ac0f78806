"""Hostile and odd workbooks, built byte by byte (issue 22).

A workbook is a zip archive of XML parts; these builders write the
parts by hand, so a test can give a sheet a stale ``<dimension>``, a
cell at XFD1048576, a formula without its saved result, a number in
Excel's rounded form, or a part that inflates to a gigabyte from a few
kilobytes. ``python tests/hostile.py DIR`` writes the small ones into
DIR (``tests/data/hostile`` holds them).
"""

from __future__ import annotations

import csv
import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).parent
SAMPLE = HERE.parent / "data" / "sample"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass(frozen=True)
class Formula:
    """A formula cell; ``cached`` is its saved result (None: none)."""

    text: str
    cached: str | None = None


@dataclass(frozen=True)
class Raw:
    """A cell's XML as given (``{ref}`` is replaced by its reference)."""

    xml: str


@dataclass(frozen=True)
class Deflated:
    """A part already deflated: its bytes, CRC and sizes (``claimed``
    is the uncompressed size the archive's directory states)."""

    data: bytes
    crc: int
    size: int
    claimed: int | None = None


def letter(col: int) -> str:
    out = ""
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


def cell(ref: str, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, Raw):
        return value.xml.replace("{ref}", ref)
    if isinstance(value, Formula):
        cached = "" if value.cached is None else f"<v>{value.cached}</v>"
        return f'<c r="{ref}"><f>{escape(value.text)}</f>{cached}</c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return (f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">'
            f"{escape(str(value))}</t></is></c>")


def sheet_xml(rows: list[list], dimension: str | None = None,
              first_row: int = 1, tail: str = "") -> str:
    """A worksheet part: ``rows`` from ``first_row``, then ``tail`` (raw
    XML inside sheetData)."""
    body = []
    for i, values in enumerate(rows, start=first_row):
        cells = "".join(cell(f"{letter(c)}{i}", v)
                        for c, v in enumerate(values, start=1))
        body.append(f'<row r="{i}">{cells}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">{dim}<sheetData>'
            f'{"".join(body)}{tail}</sheetData></worksheet>')


def workbook_parts(sheets: dict[str, str | bytes | Deflated],
                   states: dict[str, str] | None = None) -> list:
    """Every part of a workbook holding ``sheets`` (name -> sheet XML)."""
    states = states or {}
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/>' for i in range(1, len(sheets) + 1))
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default '
        'Extension="xml" ContentType="application/xml"/><Override '
        'PartName="/xl/workbook.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{overrides}</Types>")
    rels = (f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>")
    entries = "".join(
        f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"'
        + (f' state="{states[name]}"' if name in states else "") + "/>"
        for i, name in enumerate(sheets, start=1))
    book = (f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{entries}'
            "</sheets></workbook>")
    book_rels = (f'<Relationships xmlns="{PKG}">' + "".join(
        f'<Relationship Id="rId{i}" Type="{REL}/worksheet" '
        f'Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)) + "</Relationships>")
    parts: list = [("[Content_Types].xml", types), ("_rels/.rels", rels),
                   ("xl/workbook.xml", book),
                   ("xl/_rels/workbook.xml.rels", book_rels)]
    parts += [(f"xl/worksheets/sheet{i}.xml", xml)
              for i, xml in enumerate(sheets.values(), start=1)]
    return parts


def zip_bytes(parts: list) -> bytes:
    """A zip archive of (name, text | bytes | Deflated) parts, written
    by hand so a part can be pre-deflated or claim a size it lacks."""
    out = bytearray()
    directory = bytearray()
    for name, content in parts:
        if isinstance(content, str):
            content = content.encode("utf-8")
        if isinstance(content, bytes):
            z = zlib.compressobj(6, zlib.DEFLATED, -15)
            data = z.compress(content) + z.flush()
            content = Deflated(data, zlib.crc32(content), len(content))
        claimed = content.size if content.claimed is None else \
            content.claimed
        raw = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21,
                           content.crc, len(content.data), claimed,
                           len(raw), 0) + raw + content.data
        directory += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21,
            content.crc, len(content.data), claimed, len(raw), 0, 0, 0, 0,
            0, offset) + raw
    start = len(out)
    out += directory
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(parts),
                       len(parts), len(directory), start, 0)
    return bytes(out)


def repeated(head: bytes, chunk: bytes, times: int, foot: bytes,
             claimed: int | None = None) -> Deflated:
    """``head + chunk * times + foot`` deflated without building it:
    after a full flush the compressor starts afresh, so each further
    copy of ``chunk`` deflates to the same bytes."""
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = z.compress(head) + z.flush(zlib.Z_FULL_FLUSH)
    again = [z.compress(chunk) + z.flush(zlib.Z_FULL_FLUSH)
             for _ in range(3)]
    assert again[1] == again[2]
    last = z.compress(foot) + z.flush()
    data = first + again[0] + again[1] * (times - 1) + last
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(foot, crc)
    size = len(head) + len(chunk) * times + len(foot)
    return Deflated(data, crc, size, claimed)


def sample_rows(name: str) -> list[list]:
    with open(SAMPLE / f"{name}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def roster_workbook(path: Path, students: list[list] | None = None,
                    staff: list[list] | None = None,
                    dimension: str | None = None, tail: str = "",
                    states: dict[str, str] | None = None) -> Path:
    """A roster workbook (the bundled sample unless rows are given)."""
    students = students if students is not None else sample_rows("students")
    staff = staff if staff is not None else sample_rows("staff")
    path.write_bytes(zip_bytes(workbook_parts({
        "students": sheet_xml(students, dimension, tail=tail),
        "staff": sheet_xml(staff)}, states)))
    return path


def sheet_head(rows: list[list], dimension: str | None = None) -> bytes:
    """A sheet's XML up to (and with) ``rows``, left open."""
    xml = sheet_xml(rows, dimension)
    return xml[:xml.index("</sheetData>")].encode()


SHEET_FOOT = b"</sheetData></worksheet>"


def deflate_bomb(path: Path, size: int = 1 << 30,
                 claimed: int | None = None) -> Path:
    """The sample workbook whose students sheet ends in ``size`` bytes of
    blanks: about 1 MB on disk for 1 GB."""
    head = sheet_head(sample_rows("students"))
    chunk = b" " * (1 << 20)
    part = repeated(head, chunk, size >> 20, SHEET_FOOT, claimed)
    path.write_bytes(zip_bytes(workbook_parts({
        "students": part, "staff": sheet_xml(sample_rows("staff"))})))
    return path


def many_rows(path: Path, rows: int = 2_000_000) -> Path:
    """A students sheet of ``rows`` rows (the header, then one student
    row over and over, without row numbers): a few hundred KB."""
    students = sample_rows("students")
    head = sheet_head(students[:1])
    one = "".join(cell(letter(c) , v)
                  for c, v in enumerate(students[1], start=1))
    # Cells without references, in order, as some writers give them.
    one = one.replace(' r="', ' x="')
    part = repeated(head, f"<row>{one}</row>".encode() * 10_000,
                    rows // 10_000,
                    SHEET_FOOT)
    path.write_bytes(zip_bytes(workbook_parts({
        "students": part, "staff": sheet_xml(sample_rows("staff"))})))
    return path


def far_cell(path: Path) -> Path:
    """A 7 KB workbook claiming A1:XFD1048576, with one cell there."""
    students = sample_rows("students")[:3]
    tail = ('<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x'
            "</t></is></c></row>")
    return roster_workbook(path, students, dimension="A1:XFD1048576",
                           tail=tail)


def stale_dimension(path: Path) -> Path:
    """The whole sample (315 students) under a tag claiming A1:M11."""
    return roster_workbook(path, dimension="A1:M11")


def formulas(path: Path) -> Path:
    """Staff caps, an FTE and a prior case manager given by formulas
    without saved results (a program that writes but does not
    calculate)."""
    students = sample_rows("students")
    staff = sample_rows("staff")
    head = staff[0]
    cap, fte = head.index("max_caseload"), head.index("fte")
    staff[1][cap] = Formula("10+2")
    staff[2][fte] = Formula("1/2")
    prior = students[0].index("prior_case_manager")
    students[1][prior] = Formula('"T"&"0001"')
    return roster_workbook(path, students, staff)


SMALL = {"stale_dimension.xlsx": stale_dimension,
         "far_cell.xlsx": far_cell, "formulas.xlsx": formulas}


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, make in SMALL.items():
        make(out / name)
