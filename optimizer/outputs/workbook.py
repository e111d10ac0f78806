"""plan.xlsx: the plan's CSV files as a formatted workbook.

The workbook is written here as the Office Open XML parts themselves
(``_Package``), the same parts, styles and layout as the XlsxWriter
workbook it replaces (issue 24): a library's per-cell objects cost
about 5 s for the 900,000 cells of a 70,000-student plan, where one
line of XML per row and one shared-string table built from a dict cost
well under 1 s. Every value from data is a shared string (``t="s"``)
or a number in the NUMERIC columns, never a formula (CWE-1236); control
characters XML cannot hold are written with Excel's own ``_xHHHH_``
escape, as XlsxWriter does. The creation date and the archive's
timestamps are fixed: the same plan gives the same bytes.
``tests/test_xlsx.py`` reads the result back with openpyxl and with the
product's own reader.
"""

from __future__ import annotations

import csv
import datetime as dt
import io as _io
import json
import math
import re
import zipfile

from optimizer.csvtext import undefused
from optimizer.errors import OutputError

_DEFUSED = re.compile(r"""(?:^|,)"?'+[=+\-@\t\r]""", re.M)
MAX_CELL_CHARS = 32_767  # Excel's (inputs.limits holds roster cells to it)
MAX_COLUMNS = 16_384  # Excel's
MAX_ROWS = 1_048_576  # Excel's
NUMERIC = {"caseload", "weighted_load", "max_caseload", "utilization"}
# Any fixed date: the workbook's bytes must not depend on the clock.
CREATED = dt.datetime(2000, 1, 1)
SHEETS = ("assignments", "caseloads", "summary")
# Cell styles (styles.xml's cellXfs): 1 bold, 2 red fill, 3 amber fill.
BOLD, RED, AMBER = 1, 2, 3


def plan_workbook(files: dict[str, str],
                  rows: dict[str, list[list[str]]] | None = None) -> bytes:
    """plan.xlsx from the plan's CSV texts: assignments, caseloads, summary.

    Header rows are bold and frozen, widths fit the content, and
    utilization over 90% (red) or 75% (amber) is highlighted.

    Parameters
    ----------
    files
        The plan's files by name: ``assignments.csv``, ``caseloads.csv``
        and ``summary.json``.
    rows
        Optionally, a CSV file's rows (header first, every value a
        string, as ``csv.reader`` reads its text back); they are written
        instead of parsing that file's text, with the same result.
    """
    rows = rows or {}
    book = _Package()
    for sheet, name in (("assignments", "assignments.csv"),
                        ("caseloads", "caseloads.csv")):
        table = rows.get(name)
        if table is None:
            table = list(csv.reader(_io.StringIO(files[name])))
            if _DEFUSED.search(files[name]):  # text here, not '=...
                table = [[undefused(c) for c in r] for r in table]
        # numbers in the caseloads' own columns only: the assignments
        # carry the district's columns, whose names may be anything
        book.sheet(sheet, table, highlight=sheet == "caseloads",
                   numbers=sheet == "caseloads")
    summary = [["item", "value"],
               *[[k, v] for k, v in _flatten(json.loads(
                   files["summary.json"]))]]
    book.sheet("summary", summary, typed=True)
    return book.close()


class _Strings(dict):
    """The shared-string table: text -> index (as the text written in a
    cell), in order of first use."""

    def __missing__(self, text: str) -> str:
        n = self[text] = str(len(self))
        return n


def _letters(n: int) -> list[str]:
    """Column letters A, B, ..., for the first ``n`` columns."""
    out = []
    for i in range(n):
        name = ""
        i += 1
        while i:
            i, rem = divmod(i - 1, 26)
            name = chr(65 + rem) + name
        out.append(name)
    return out


# Excel's escape of characters XML 1.0 cannot hold (and of text that
# reads as such an escape), as XlsxWriter writes them.
_ESCAPED = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_NEEDS_CARE = re.compile(r"[&<>\x00-\x08\x0b-\x1f_\ufffe\uffff]")
_SPACE_AT_END = re.compile(r"^\s|\s$")


def _si(text: str) -> str:
    """One ``<si>`` of the shared-string table."""
    if _NEEDS_CARE.search(text):
        text = _ESCAPED.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff",
                                                          "_xFFFF_")
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(
            ">", "&gt;")
    if _SPACE_AT_END.search(text):
        return f'<si><t xml:space="preserve">{text}</t></si>'
    return f"<si><t>{text}</t></si>"


def _number(value: float) -> str:
    return f"{value:.16G}"


class _Package:
    """The workbook's parts, sheet by sheet, then the zip archive."""

    def __init__(self) -> None:
        self.strings = _Strings()
        self.string_cells = 0
        self.sheets: list[tuple[str, str]] = []  # (name, sheet XML)

    def sheet(self, name: str, rows: list[list], highlight: bool = False,
              typed: bool = False, numbers: bool = False) -> None:
        if len(rows) > MAX_ROWS:
            raise OutputError(
                f"plan.xlsx cannot hold sheet {name}: {len(rows):,} rows "
                f"(a sheet holds {MAX_ROWS:,}): nothing was written")
        width = max((len(r) for r in rows), default=0)
        if width > MAX_COLUMNS:
            r = next(i for i, row in enumerate(rows) if len(row) == width)
            _refuse(name, r, MAX_COLUMNS, str(rows[r][MAX_COLUMNS]))
        letters = _letters(width)
        strings = self.strings
        header = rows[0] if rows else []
        numeric = [numbers and h in NUMERIC for h in header]
        util = header.index("utilization") if highlight \
            and "utilization" in header else -1
        out = [_sheet_head(name, rows, width, first=not self.sheets)]
        app = out.append
        count = 0
        if header:
            cells = [f'<c r="{col}1" s="{BOLD}" t="s"><v>{strings[h]}</v>'
                     "</c>" for col, h in zip(letters, header)]
            count += len(cells)
            app(f'<row r="1">{"".join(cells)}</row>')
        if typed or any(numeric):
            for r, row in enumerate(rows[1:], start=2):
                cells, n = _cells(row, r, letters, numeric, util, typed,
                                  strings)
                count += n
                app(f'<row r="{r}">{cells}</row>' if cells
                    else f'<row r="{r}"/>')
        else:  # text only (assignments): the fast path
            for r, row in enumerate(rows[1:], start=2):
                at = f'{r}" t="s"><v>'  # formatted once a row
                cells = [f'<c r="{col}{at}{strings[text]}</v></c>'
                         for col, text in zip(letters, row) if text]
                count += len(cells)
                app(f'<row r="{r}">{"".join(cells)}</row>' if cells
                    else f'<row r="{r}"/>')
        app(_SHEET_TAIL)
        self.string_cells += count
        self.sheets.append((name, "".join(out)))
        self._check_lengths(name, rows)

    def _check_lengths(self, name: str, rows: list[list]) -> None:
        """A text longer than a cell holds is refused, never cut."""
        if not any(len(t) > MAX_CELL_CHARS for t in self.strings):
            return
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                if isinstance(text, str) and len(text) > MAX_CELL_CHARS:
                    _refuse(name, r, c, text)

    def close(self) -> bytes:
        parts = {
            "[Content_Types].xml": _content_types(len(self.sheets)),
            "_rels/.rels": _ROOT_RELS,
            "xl/_rels/workbook.xml.rels": _workbook_rels(len(self.sheets)),
        }
        for i, (_, xml) in enumerate(self.sheets, start=1):
            parts[f"xl/worksheets/sheet{i}.xml"] = xml
        parts["xl/workbook.xml"] = _workbook([n for n, _ in self.sheets])
        parts["xl/sharedStrings.xml"] = (
            _XML + '<sst xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main" count="{self.string_cells}" '
            f'uniqueCount="{len(self.strings)}">'
            + "".join(map(_si, self.strings)) + "</sst>")
        parts["xl/styles.xml"] = _STYLES
        parts["xl/theme/theme1.xml"] = _theme()
        parts["docProps/core.xml"] = _core()
        parts["docProps/app.xml"] = _app([n for n, _ in self.sheets])
        buf = _io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, xml in parts.items():
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, xml.encode("utf-8"),
                                 compresslevel=_COMPRESSION)
        return buf.getvalue()


# zlib's level: 1 writes a 70,000-student plan several times faster
# than the default 6, in a file about a third larger.
_COMPRESSION = 1


def _cells(row: list, r: int, letters: list[str], numeric: list[bool],
           util: int, typed: bool, strings: _Strings) -> tuple[str, int]:
    """One row with numbers (NUMERIC columns) or typed summary values;
    the row's XML and its count of shared-string cells."""
    out = []
    n = 0
    for c, value in enumerate(row):
        ref = f"{letters[c]}{r}"
        if typed and not isinstance(value, str):
            if isinstance(value, bool):
                out.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float) and math.isfinite(value):
                out.append(f'<c r="{ref}"><v>{_number(value)}</v></c>')
            elif value is not None:  # inf or nan: its text
                n += 1
                out.append(f'<c r="{ref}" t="s"><v>{strings[str(value)]}'
                           "</v></c>")
            continue
        if not value:
            continue
        if c < len(numeric) and numeric[c]:
            number = float(value)
            style = _fill(number) if c == util else 0
            s = f' s="{style}"' if style else ""
            out.append(f'<c r="{ref}"{s}><v>{_number(number)}</v></c>')
        else:
            n += 1
            out.append(f'<c r="{ref}" t="s"><v>{strings[value]}</v></c>')
    return "".join(out), n


def _fill(value: float) -> int:
    if value > 0.9:
        return RED
    return AMBER if value > 0.75 else 0


def _refuse(sheet: str, r: int, c: int, text: str):
    """A cell plan.xlsx cannot hold whole (input limits keep them out)."""
    raise OutputError(
        f"plan.xlsx cannot hold sheet {sheet}, row {r + 1}, column "
        f"{c + 1} ({len(text):,} characters; a sheet holds 16,384 "
        "columns and a cell 32,767 characters): nothing was written")


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
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS \
                and isinstance(data, list):
            # A long list (the warnings): one row per item rather than
            # one cell that plan.xlsx would have to cut.
            for i, v in enumerate(data):
                yield from _flatten(v, f"{prefix}{i}.")
            return
        yield prefix.rstrip("."), value


# ----------------------------------------------------------- the parts

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_SHEET_TAIL = ('</sheetData><pageMargins left="0.7" right="0.7" '
               'top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
               "</worksheet>")


def _sheet_head(name: str, rows: list[list], width: int,
                first: bool) -> str:
    """A sheet's XML up to its data: extent, frozen header, widths."""
    letters = _letters(max(width, 1))
    extent = f"A1:{letters[-1]}{max(len(rows), 1)}" if rows else "A1"
    cols = []
    for i in range(width):
        chars = max((len(str(r[i])) for r in rows[:500] if i < len(r)),
                    default=8)
        chars = min(60, max(8, chars + 2))
        cols.append(f'<col min="{i + 1}" max="{i + 1}" '
                    f'width="{chars + 0.7109375:.16g}" customWidth="1"/>')
    selected = ' tabSelected="1"' if first else ""
    return (
        f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f'<dimension ref="{extent}"/><sheetViews><sheetView{selected} '
        'workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection '
        'pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr '
        'defaultRowHeight="15"/>'
        + (f"<cols>{''.join(cols)}</cols>" if cols else "")
        + "<sheetData>")


def _content_types(sheets: int) -> str:
    ct = "application/vnd.openxmlformats-officedocument"
    over = [("/docProps/app.xml", f"{ct}.extended-properties+xml"),
            ("/docProps/core.xml",
             "application/vnd.openxmlformats-package.core-properties+xml"),
            ("/xl/styles.xml", f"{ct}.spreadsheetml.styles+xml"),
            ("/xl/theme/theme1.xml", f"{ct}.theme+xml"),
            ("/xl/workbook.xml", f"{ct}.spreadsheetml.sheet.main+xml")]
    over += [(f"/xl/worksheets/sheet{i}.xml",
              f"{ct}.spreadsheetml.worksheet+xml")
             for i in range(1, sheets + 1)]
    over.append(("/xl/sharedStrings.xml",
                 f"{ct}.spreadsheetml.sharedStrings+xml"))
    return (
        f'{_XML}<Types xmlns="{_PKG}/content-types"><Default '
        'Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{p}" ContentType="{t}"/>'
                  for p, t in over) + "</Types>")


_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships"><Relationship '
    f'Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_PKG}/relationships/metadata/'
    'core-properties" Target="docProps/core.xml"/><Relationship '
    f'Id="rId3" Type="{_REL}/extended-properties" '
    'Target="docProps/app.xml"/></Relationships>')


def _workbook_rels(sheets: int) -> str:
    rels = [(f"{_REL}/worksheet", f"worksheets/sheet{i}.xml")
            for i in range(1, sheets + 1)]
    rels += [(f"{_REL}/theme", "theme/theme1.xml"),
             (f"{_REL}/styles", "styles.xml"),
             (f"{_REL}/sharedStrings", "sharedStrings.xml")]
    return (f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{t}" '
                      f'Target="{target}"/>'
                      for i, (t, target) in enumerate(rels, start=1))
            + "</Relationships>")


def _workbook(names: list[str]) -> str:
    sheets = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, n in enumerate(names, start=1))
    return (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><fileVersion '
        'appName="xl" lastEdited="4" lowestEdited="4" rupBuild="4505"/>'
        '<workbookPr defaultThemeVersion="124226"/><bookViews>'
        '<workbookView xWindow="240" yWindow="15" windowWidth="16095" '
        f'windowHeight="9660"/></bookViews><sheets>{sheets}</sheets>'
        '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')


_FONT = ('<sz val="11"/><color theme="1"/><name val="Calibri"/>'
         '<family val="2"/><scheme val="minor"/>')


def _solid(rgb: str) -> str:
    return (f'<fill><patternFill patternType="solid"><fgColor rgb="{rgb}"/>'
            '<bgColor indexed="64"/></patternFill></fill>')


_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}"><fonts count="2"><font>{_FONT}'
    f'</font><font><b/>{_FONT}</font></fonts><fills count="4"><fill>'
    '<patternFill patternType="none"/></fill><fill><patternFill '
    f'patternType="gray125"/></fill>{_solid("FFF4CCCC")}'
    f'{_solid("FFFCE5CD")}</fills><borders count="1"><border><left/>'
    '<right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs '
    'count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" '
    'fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" '
    'fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="0" '
    'fontId="0" fillId="2" borderId="0" xfId="0" applyFill="1"/><xf '
    'numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" '
    'applyFill="1"/></cellXfs><cellStyles count="1"><cellStyle '
    'name="Normal" xfId="0" builtinId="0"/></cellStyles><dxfs count="0"/>'
    '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
    'defaultPivotStyle="PivotStyleLight16"/></styleSheet>')


def _theme() -> str:
    """Office's default theme (the fonts' theme colour refers to it)."""
    from optimizer.outputs.office_theme import THEME_XML

    return THEME_XML


def _core() -> str:
    when = CREATED.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'{_XML}<cp:coreProperties xmlns:cp="{_PKG}/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype='
        '"http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/'
        'XMLSchema-instance"><dc:creator></dc:creator><cp:lastModifiedBy>'
        '</cp:lastModifiedBy><dcterms:created xsi:type="dcterms:W3CDTF">'
        f'{when}</dcterms:created><dcterms:modified xsi:type='
        f'"dcterms:W3CDTF">{when}</dcterms:modified></cp:coreProperties>')


def _app(names: list[str]) -> str:
    titles = "".join(f"<vt:lpstr>{n}</vt:lpstr>" for n in names)
    return (
        f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/'
        'officeDocument/2006/extended-properties" xmlns:vt="http://schemas.'
        'openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        "<Application>Microsoft Excel</Application><DocSecurity>0"
        "</DocSecurity><ScaleCrop>false</ScaleCrop><HeadingPairs>"
        '<vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>'
        f"Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>{len(names)}"
        "</vt:i4></vt:variant></vt:vector></HeadingPairs><TitlesOfParts>"
        f'<vt:vector size="{len(names)}" baseType="lpstr">{titles}'
        "</vt:vector></TitlesOfParts><Company></Company><LinksUpToDate>"
        "false</LinksUpToDate><SharedDoc>false</SharedDoc>"
        "<HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000"
        "</AppVersion></Properties>")
