"""plan.xlsx: the plan's CSV files as a formatted workbook.

Written directly as Office Open XML (ECMA-376 SpreadsheetML) rather than
through openpyxl's object model: a 70,000-student plan is about a million
cells, which openpyxl needed 13 s or more to write (its write-only mode
saves a quarter of that); plain strings take about a second. Text is
written as inline strings, so a value that starts with ``=`` is text,
never a formula. The archive has fixed timestamps: the same plan gives
the same bytes. ``tests/test_xlsx.py`` reads the result back with
openpyxl.
"""

from __future__ import annotations

import csv
import io as _io
import json
import re
import zipfile

NUMERIC = {"caseload", "weighted_load", "max_caseload", "utilization"}
# Style indexes into _STYLES' cellXfs.
PLAIN, BOLD, RED, AMBER = 0, 1, 2, 3
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = ("http://schemas.openxmlformats.org/officeDocument/2006/"
        "relationships")


def plan_workbook(files: dict[str, str]) -> bytes:
    """plan.xlsx from the plan's CSV texts: assignments, caseloads, summary.

    Header rows are bold and frozen, widths fit the content, and
    utilization over 90% (red) or 75% (amber) is highlighted.
    """
    sheets = []
    for sheet, name in (("assignments", "assignments.csv"),
                        ("caseloads", "caseloads.csv")):
        rows = list(csv.reader(_io.StringIO(files[name])))
        typed = [rows[0]] + [_typed(rows[0], r) for r in rows[1:]]
        styles = (_utilization_styles(typed) if sheet == "caseloads"
                  else {})
        sheets.append((sheet, _sheet_xml(typed, rows, styles)))
    summary = json.loads(files["summary.json"])
    flat = [["item", "value"], *[[k, v] for k, v in _flatten(summary)]]
    text = [[k, "" if v is None else str(v)] for k, v in flat]
    sheets.append(("summary", _sheet_xml(flat, text, {})))
    return _package(sheets)


def _typed(header: list[str], row: list[str]) -> list:
    """Caseload figures as numbers; ids, codes and text stay text."""
    out: list = []
    for name, text in zip(header, row):
        if name in NUMERIC and text:
            value = float(text)
            out.append(int(value) if value.is_integer() and name !=
                       "utilization" else value)
        else:
            out.append(text)
    return out


def _utilization_styles(rows: list[list]) -> dict[tuple[int, int], int]:
    col = rows[0].index("utilization")
    out = {}
    for r, row in enumerate(rows[1:], start=1):
        value = row[col] if col < len(row) else None
        if isinstance(value, (int, float)):
            if value > 0.9:
                out[(r, col)] = RED
            elif value > 0.75:
                out[(r, col)] = AMBER
    return out


def _flatten(data, prefix: str = ""):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _flatten(v, f"{prefix}{k}.")
    elif isinstance(data, list) and data and isinstance(data[0], dict):
        for i, v in enumerate(data):
            yield from _flatten(v, f"{prefix}{i}.")
    else:
        value = data if isinstance(data, (int, float, str)) or data is None \
            else json.dumps(data)
        yield prefix.rstrip("."), value


def _column(i: int) -> str:
    """Excel's column letters: 0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _escape(text: str) -> str:
    text = (text.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))
    return _ILLEGAL.sub("\ufffd", text)


def _cell(ref: str, value, style: int) -> str:
    s = f' s="{style}"' if style else ""
    if type(value) is str and value:  # the common case first
        if _SPECIAL.search(value):
            value = _escape(value)
        return (f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space='
                f'"preserve">{value}</t></is></c>')
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    return (f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">'
            f'{_escape(value)}</t></is></c>')


def _sheet_xml(rows: list[list], text: list[list[str]],
               styles: dict[tuple[int, int], int]) -> str:
    width = max((len(r) for r in rows), default=0)
    letters = [_column(i) for i in range(width)]
    cols = []
    for i in range(width):
        longest = max((len(r[i]) for r in text[:500] if i < len(r)),
                      default=8)
        cols.append(f'<col min="{i + 1}" max="{i + 1}" width="'
                    f'{min(60, max(8, longest + 2))}" customWidth="1"/>')
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<worksheet xmlns="{_NS}" xmlns:r="{_REL}">'
           f'<dimension ref="A1:{letters[-1] if letters else "A"}'
           f'{max(1, len(rows))}"/><sheetViews>'
           '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2"'
           ' activePane="bottomLeft" state="frozen"/></sheetView>'
           '</sheetViews><sheetFormatPr defaultRowHeight="15"/>',
           f'<cols>{"".join(cols)}</cols>' if cols else "", "<sheetData>"]
    for r, row in enumerate(rows):
        n = r + 1
        style = BOLD if r == 0 else PLAIN
        if styles:
            cells = "".join([
                _cell(f"{letters[i]}{n}", v, styles.get((r, i), style))
                for i, v in enumerate(row)])
        else:
            cells = "".join([_cell(f"{c}{n}", v, style)
                             for c, v in zip(letters, row)])
        out.append(f'<row r="{n}">{cells}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out)


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="4"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFF4CCCC"/>'
    '</patternFill></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFCE5CD"/>'
    '</patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
    '</border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" '
    'applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="2" borderId="0" xfId="0" '
    'applyFill="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" '
    'applyFill="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" '
    'builtinId="0"/></cellStyles></styleSheet>')


def _package(sheets: list[tuple[str, str]]) -> bytes:
    """The zip archive of an .xlsx with these sheets, fixed timestamps."""
    ct = "application/vnd.openxmlformats-officedocument"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="'
            'application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.'
            'spreadsheetml.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.'
            'spreadsheetml.styles+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                      f'ContentType="{ct}.spreadsheetml.worksheet+xml"/>'
                      for i in range(1, len(sheets) + 1))
            + "</Types>"),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
            + "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
                      for i, (name, _) in enumerate(sheets, start=1))
            + "</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
                      f'Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, len(sheets) + 1))
            + f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/'
            'styles" Target="styles.xml"/></Relationships>'),
        "xl/styles.xml": _STYLES,
    }
    for i, (_, xml) in enumerate(sheets, start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = xml
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            # Level 1: a third of the time of the default, a little larger.
            archive.writestr(info, text.encode("utf-8"), compresslevel=1)
    return buf.getvalue()
