"""Excel input: read a roster workbook by what it holds, not what it claims.

A roster workbook has sheets ``students`` and ``staff``; each becomes the
same ``Table`` a CSV file does, so every check and message is the same
(rows numbered as Excel shows them). Numbers that Excel stored as floats
(``28.0``) read as ``28``; dates read as ISO dates, which the parsers
recognise as Excel's conversions.

The sheets are read straight from the archive's XML, row by row
(``xml.etree`` pull parsing), not through openpyxl's read-only mode:
that mode trusts a sheet's ``<dimension>`` tag, so a stale tag dropped
students silently and a tag claiming A1:XFD1048576 padded every row to
16,384 cells until memory ran out. Here every ``<row>`` is read as it
is, and the limits of ``limits`` hold *while* reading:

- the archive's size on disk and its directory, before it is opened;
- what the parts read hold uncompressed, from the archive's directory
  before any is inflated (Python's ``zipfile`` never inflates more than
  a part declares, and a part that claims less than it holds fails its
  checksum), and counted again as bytes are parsed;
- rows, columns, cells held and characters per cell, as rows arrive.

Cells that hold no value a user typed are refused by name: a formula
without a saved result (a workbook written by a program that does not
calculate), a spreadsheet error (``#REF!``), a number Excel rounded to
15 digits (an id of 16 digits or more).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import re
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError, XMLParser, iterparse

from optimizer.errors import InputError, Problem
from optimizer.inputs import limits
from optimizer.inputs.csv_cells import Table, clip, column_letter

SHEETS = ("students", "staff")

_REL = ("{http://schemas.openxmlformats.org/officeDocument/2006/"
        "relationships}id")
_STRICT_REL = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"
_CELL_REF = re.compile(r"([A-Z]+)(\d+)$")


# What a damaged archive or part raises while read: the file is named
# as unreadable, never a traceback.
_DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, ParseError, KeyError,
            ValueError, EOFError, OSError, NotImplementedError,
            struct.error, zlib.error, RuntimeError)


class _Refused(Exception):
    """A limit reached or a part that cannot be read: ``problem`` says
    which, located."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class SheetInfo:
    """A sheet of a workbook: its name as written, and whether Excel
    shows it (``state`` is ``visible``, ``hidden`` or ``veryHidden``)."""

    name: str
    state: str
    part: str

    @property
    def visible(self) -> bool:
        return self.state == "visible"


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


class _Prolog:
    """An ``XMLParser`` target that reads a part's prolog only: a
    document type declaration (``<!DOCTYPE``) is refused before its
    entities are declared, and the root element ends the watch.

    No workbook holds one (the Open Packaging Conventions forbid DTDs in
    a package's XML); its entities would be expanded into cell values
    unseen, or, nested, expand a few bytes into gigabytes. Expat (the
    parser under ``xml.etree``) fetches no external entity and stops
    the worst expansions, but a part is refused here whatever it
    declares. The prolog is parsed on the side, so the same bytes in any
    encoding are seen as the real parser sees them."""

    def __init__(self, book: Workbook, part: str):
        self.book, self.part = book, part
        self.done = False

    def doctype(self, name, pubid, system) -> None:
        raise _Refused(self.book._problem(
            f"{self.part} declares a document type (<!DOCTYPE {name}>); "
            "no workbook holds one (its entities could change cell values "
            "or exhaust memory). Save the workbook again from Excel as "
            ".xlsx, or export the sheets as CSV"))

    def start(self, tag, attrib) -> None:
        self.done = True

    def end(self, tag) -> None:
        return None

    def data(self, text) -> None:
        return None

    def close(self) -> None:
        return None


class _Counted:
    """A part's stream that counts what is parsed against a budget, and
    refuses a document type declaration in its prolog (``_Prolog``)."""

    def __init__(self, raw, book: Workbook, part: str):
        self.raw, self.book, self.part = raw, book, part
        self.prolog: _Prolog | None = _Prolog(book, part)
        self.watch = XMLParser(target=self.prolog)

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n if n and n > 0 else 1 << 16)
        self.book.inflated += len(data)
        if self.book.inflated > limits.MAX_XML_BYTES:
            raise _Refused(self.book.too_big(self.part))
        if self.prolog is not None and data:
            try:
                self.watch.feed(data)
            except ParseError:
                self.prolog = None  # the real parser says why
            if self.prolog is not None and self.prolog.done:
                self.prolog = None
        return data


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


class Workbook:
    """An .xlsx archive opened for reading its sheets one by one.

    Use as a context manager; ``sheets`` lists every sheet with its
    visibility (hidden and very hidden sheets included).

    Raises
    ------
    InputError
        When the file is no workbook, or is beyond a limit.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.name = self.path.name
        self.inflated = 0
        self._zip: zipfile.ZipFile | None = None
        self._strings: list[str] | None = None
        self._dates: tuple[frozenset[int], frozenset[int]] | None = None
        try:
            self._open()
        except _Refused as exc:
            self.close()
            raise InputError([exc.problem]) from None
        except _DAMAGED as exc:
            self.close()
            raise InputError([self._unreadable(exc)]) from None

    # ----------------------------------------------------------- opening
    def _unreadable(self, exc: Exception) -> Problem:
        return Problem(self.name, None, None, None,
                       f"cannot be read as an Excel workbook "
                       f"({type(exc).__name__}); save it again from Excel "
                       "as .xlsx, or export the sheets as CSV")

    def _problem(self, message: str) -> Problem:
        return Problem(self.name, None, None, None, message)

    def too_big(self, part: str) -> Problem:
        return self._problem(
            f"the workbook's parts hold more than "
            f"{limits.size_text(limits.MAX_XML_BYTES)} uncompressed "
            f"(reading {part}); the limit is "
            f"{limits.size_text(limits.MAX_XML_BYTES)}: this is no roster "
            "export (a roster of 250,000 students holds far less)")

    def _open(self) -> None:
        size = self.path.stat().st_size
        if size > limits.MAX_FILE_BYTES:
            raise _Refused(self._problem(
                f"the file is {limits.size_text(size)}; the limit is "
                f"{limits.size_text(limits.MAX_FILE_BYTES)}"))
        self._check_directory(size)
        self._zip = zipfile.ZipFile(self.path)
        self.digest_base = _file_digest(self.path)
        book_part = self._office_document()
        rels = self._relationships(book_part)
        sheets: list[SheetInfo] = []
        self.date1904 = False
        for elem, _ in self._parse(book_part, ("sheet", "workbookPr")):
            if _local(elem.tag) == "workbookPr":
                self.date1904 = elem.get("date1904", "").lower() in (
                    "1", "true")
                continue
            rid = elem.get(_REL) or elem.get(_STRICT_REL)
            target = rels.get(rid or "")
            if target is None:  # never passed over: it may be a roster
                raise _Refused(self._problem(
                    f'the workbook lists the sheet "{elem.get("name", "")}"'
                    " but holds no part for it (the file is damaged); save "
                    "the workbook again from Excel"))
            sheets.append(SheetInfo(elem.get("name", ""),
                                    elem.get("state", "visible"), target))
        self.sheets = sheets
        self.strings_part = next(
            (t for t, kind in self._rel_kinds(book_part).items()
             if kind == "sharedStrings"), None)
        self.styles_part = next(
            (t for t, kind in self._rel_kinds(book_part).items()
             if kind == "styles"), None)

    def _check_directory(self, size: int) -> None:
        """The archive's directory size, from its end record, before
        ``zipfile`` builds an object for each entry."""
        with open(self.path, "rb") as fh:
            fh.seek(max(0, size - 65_557))
            tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) < at + 22:
            return  # zipfile says why it is no archive
        entries, directory = struct.unpack("<xxxxxxxxxxHI", tail[at:at + 16])
        if directory > limits.MAX_ZIP_DIRECTORY or entries > 10_000:
            raise _Refused(self._problem(
                f"the archive lists {entries:,} parts in a directory of "
                f"{directory:,} bytes; a workbook's directory is at most "
                f"{limits.size_text(limits.MAX_ZIP_DIRECTORY)} here"))

    def _member(self, part: str) -> zipfile.ZipInfo:
        info = self._zip.getinfo(part)
        # What the part claims uncompressed, before it is inflated;
        # zipfile stops at the claim and checks the part's checksum.
        if self.inflated + info.file_size > limits.MAX_XML_BYTES:
            raise _Refused(self.too_big(part))
        return info

    def _parse(self, part: str, tags: tuple[str, ...]):
        """The elements named ``tags`` (local names) of one XML part, each
        with its parent's local name; see ``_elements``."""
        info = self._member(part)
        with self._zip.open(info) as raw:
            yield from _elements(_Counted(raw, self, part), tags, self.name,
                                 part)

    def _office_document(self) -> str:
        try:
            rels = self._rel_kinds("")
        except KeyError:
            return "xl/workbook.xml"
        return next((t for t, kind in rels.items()
                     if kind == "officeDocument"), "xl/workbook.xml")

    def _rels_part(self, part: str) -> str:
        folder, name = posixpath.split(part)
        return posixpath.join(folder, "_rels", f"{name}.rels")

    def _rel_entries(self, part: str):
        for elem, _ in self._parse(self._rels_part(part),
                                   ("Relationship",)):
            target = elem.get("Target", "")
            if elem.get("TargetMode") == "External":
                continue
            if target.startswith("/"):
                full = target.lstrip("/")
            else:
                full = posixpath.normpath(posixpath.join(
                    posixpath.dirname(part), target))
            yield elem.get("Id", ""), full, elem.get("Type", "")

    def _relationships(self, part: str) -> dict[str, str]:
        return {rid: full for rid, full, _ in self._rel_entries(part)}

    def _rel_kinds(self, part: str) -> dict[str, str]:
        return {full: kind.rpartition("/")[2]
                for _, full, kind in self._rel_entries(part)}

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------- strings and styles
    def _shared_strings(self) -> list[str]:
        if self._strings is None:
            strings: list[str] = []
            if self.strings_part and self.strings_part in \
                    self._zip.namelist():
                for elem, _ in self._parse(self.strings_part, ("si",)):
                    strings.append(sys.intern(_text_of(elem)))
                    if len(strings) > limits.MAX_SHARED_STRINGS:
                        raise _Refused(self._problem(
                            f"the workbook holds more than "
                            f"{limits.MAX_SHARED_STRINGS:,} distinct texts "
                            "(shared strings); the limit is "
                            f"{limits.MAX_SHARED_STRINGS:,}"))
            self._strings = strings  # only once whole
        return self._strings

    def _date_styles(self) -> tuple[frozenset[int], frozenset[int]]:
        """The style numbers that show a date, and those that show a
        duration (``[h]:mm``), as openpyxl reckons them."""
        if self._dates is None:
            from openpyxl.styles.numbers import (
                BUILTIN_FORMATS,
                is_date_format,
                is_timedelta_format,
            )

            formats: dict[int, str] = dict(BUILTIN_FORMATS)
            ids: list[int] = []
            if self.styles_part and self.styles_part in \
                    self._zip.namelist():
                for elem, parent in self._parse(self.styles_part,
                                                ("numFmt", "xf")):
                    if _local(elem.tag) == "numFmt":
                        formats[_int(elem.get("numFmtId"))] = elem.get(
                            "formatCode", "")
                    elif parent == "cellXfs":  # not cellStyleXfs
                        ids.append(_int(elem.get("numFmtId")))
            dates = frozenset(i for i, f in enumerate(ids)
                              if is_date_format(formats.get(f, "")))
            spans = frozenset(i for i, f in enumerate(ids)
                              if is_timedelta_format(formats.get(f, "")))
            self._dates = (dates, spans)
        return self._dates

    # ------------------------------------------------------------ sheets
    def table(self, sheet: SheetInfo, file: str | None = None) -> Table:
        """One sheet as a ``Table`` (header = row 1), every row it holds.

        Raises
        ------
        InputError
            Every cell that holds no typed value (formula without a saved
            result, spreadsheet error, number rounded by Excel); or the
            first limit reached, with the row where it was.
        """
        file = file or f"{self.name} [{sheet.name}]"
        try:
            return self._table(sheet, file)
        except _Refused as exc:
            raise InputError([exc.problem]) from None
        except _DAMAGED as exc:
            raise InputError([Problem(
                file, None, None, None,
                f"cannot be read as an Excel sheet "
                f"({type(exc).__name__}); save the workbook again from "
                "Excel as .xlsx, or export the sheet as CSV")]) from None

    def _table(self, sheet: SheetInfo, file: str) -> Table:
        strings = self._shared_strings()
        dates, spans = self._date_styles()
        epoch = (dt.datetime(1904, 1, 1) if self.date1904
                 else dt.datetime(1899, 12, 30))
        problems: list[Problem] = []
        reader = _SheetReader(file, strings, dates, spans, epoch, problems)
        info = self._member(sheet.part)
        parser = XMLParser(target=reader)
        with self._zip.open(info) as raw:
            stream = _Counted(raw, self, sheet.part)
            while chunk := stream.read(1 << 16):
                parser.feed(chunk)
        parser.close()
        rows = reader.rows
        if problems:
            raise InputError(problems)
        if not rows or rows[0][0] != 1:
            header: list[str] = []
        else:
            header = [h.strip() for h in rows[0][1]]
            rows = rows[1:]
        while header and not header[-1]:
            header.pop()
        digest = hashlib.sha256(
            (self.digest_base + sheet.name).encode()).hexdigest()
        return Table(file, header, rows, digest)


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _text_of(elem) -> str:
    """A string item's text: its ``<t>``, or its rich-text runs' ``<t>``
    joined (phonetic ``<rPh>`` runs left out)."""
    parts = []
    for child in elem:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts += [t.text or "" for t in child if _local(t.tag) == "t"]
    return "".join(parts)


# Elements inside one cell or string item (rich-text runs and their
# formatting): far above any real cell, and a bound on what is held.
MAX_INNER_ELEMENTS = 10_000


def _inner_refused(file: str, part: str) -> _Refused:
    return _Refused(Problem(
        file, None, None, None,
        f"{part} holds a cell of more than {MAX_INNER_ELEMENTS:,} XML "
        "elements; no roster cell is made so (the file is damaged or "
        "built to exhaust memory)"))


def _elements(stream, tags: tuple[str, ...], file: str, part: str):
    """Pull-parse ``stream``; yield (element, parent's local name) for
    each element named ``tags``, whole, then drop it. Every other
    element is dropped as it ends, so memory holds one element's
    subtree at a time whatever the part's size."""
    stack: list = []
    inside = 0  # elements within the wanted element being built
    depth_wanted = -1
    for event, elem in iterparse(stream, events=("start", "end")):
        if event == "start":
            stack.append(elem)
            if depth_wanted >= 0:
                inside += 1
                if inside > MAX_INNER_ELEMENTS:
                    raise _inner_refused(file, part)
            elif _local(elem.tag) in tags:
                depth_wanted, inside = len(stack), 0
            continue
        stack.pop()
        if 0 <= depth_wanted <= len(stack):
            continue  # within a wanted element: kept until it ends
        if depth_wanted == len(stack) + 1:
            depth_wanted = -1
            yield elem, _local(stack[-1].tag) if stack else ""
        if stack:
            stack[-1].remove(elem)


class _SheetReader:
    """An ``XMLParser`` target reading one sheet's rows as they arrive.

    No element tree is built: the parser calls ``start``, ``data`` and
    ``end``, and only the current cell's text is held (at most one
    cell's limit of it), so memory holds the rows read and nothing of
    the XML, whatever the sheet claims or holds. The limits hold as
    rows arrive.
    """

    def __init__(self, file: str, strings: list[str], dates: frozenset,
                 spans: frozenset, epoch: dt.datetime,
                 problems: list[Problem]):
        self.file = file
        self.strings = strings
        self.dates, self.spans, self.epoch = dates, spans, epoch
        self.problems = problems
        self.header: list[str] = []
        self.rows: list[tuple[int, list[str]]] = []
        self.cells: list[str] = []
        self.held = self.data_rows = self.row = self.col = 0
        self.row_tag: str | None = None
        self.in_cell = False
        self.in_is = False
        self.phonetic = 0
        self.buf: list[str] | None = None
        self.kept = self.chars = 0
        self.parts: list[str] = []
        self.value: str | None = None
        self.formula: str | None = None
        self.kind = self.style = self.ref = None

    def _where(self, row: int, col: int) -> str:
        if row > 1 and col <= len(self.header) and \
                self.header[col - 1].strip():
            return self.header[col - 1].strip()
        return f"{column_letter(col)} (cell {column_letter(col)}{row})"

    def _refuse(self, row: int | None, message: str) -> None:
        raise _Refused(Problem(self.file, row, None, None, message))

    # -------------------------------------------------- parser callbacks
    def start(self, tag: str, attrib: dict) -> None:
        if self.in_cell:
            if tag == self.v_tag:
                self.buf = []
            elif tag == self.f_tag:
                self.buf = []
                self.formula = ""
            elif tag == self.t_tag and self.in_is and not self.phonetic:
                self.buf = []
            elif tag == self.is_tag:
                self.in_is = True
            elif tag == self.rph_tag:
                self.phonetic += 1
            return
        if tag == self.c_tag:
            self.in_cell = True
            self.ref, self.kind = attrib.get("r"), attrib.get("t")
            self.style = attrib.get("s")
            self.value = self.formula = None
            self.parts = []
            self.kept = self.chars = 0
        elif tag == self.row_tag or (self.row_tag is None
                                     and tag.rpartition("}")[2] == "row"):
            if self.row_tag is None:
                ns = tag[:-3]
                self.row_tag, self.c_tag = tag, f"{ns}c"
                self.v_tag, self.f_tag = f"{ns}v", f"{ns}f"
                self.is_tag, self.t_tag = f"{ns}is", f"{ns}t"
                self.rph_tag = f"{ns}rPh"
            r = attrib.get("r")
            if r is None:
                row = self.row + 1
            elif not r.isdigit() or int(r) < 1:
                self._refuse(self.row + 1, (
                    f'a row numbered "{clip(r, 20)}"; rows are numbered 1 '
                    f"to {limits.MAX_SHEET_ROW:,} (the sheet is damaged; "
                    "save the workbook again from Excel)"))
            else:
                row = int(r)
            # Excel writes rows once each, in order; a repeated or
            # earlier number would give two records one row's number
            # (or put the header after the data).
            if row <= self.row:
                self._refuse(row, (
                    f"row {row:,} comes after row {self.row:,}: rows "
                    "repeated or out of order (the sheet is damaged; save "
                    "the workbook again from Excel)"))
            self.row = row
            if self.row > limits.MAX_SHEET_ROW:
                self._refuse(self.row, (
                    f"row {self.row:,} is past Excel's last row "
                    f"({limits.MAX_SHEET_ROW:,})"))
            self.cells, self.col = [], 0

    c_tag = v_tag = f_tag = is_tag = t_tag = rph_tag = "\0"

    def data(self, text: str) -> None:
        if self.buf is not None:
            self.chars += len(text)
            # A cell's text is held up to its limit, and counted on.
            if self.kept <= limits.MAX_CELL_CHARS:
                self.buf.append(text)
                self.kept += len(text)

    def end(self, tag: str) -> None:
        if self.in_cell:
            if tag == self.c_tag:
                self.in_cell = False
                self._cell()
            elif self.buf is not None and tag in (self.v_tag, self.t_tag,
                                                  self.f_tag):
                text = "".join(self.buf)
                self.buf = None
                if tag == self.v_tag:
                    self.value = text
                elif tag == self.f_tag:
                    self.formula = text
                    self.chars = self.kept = 0
                else:
                    self.parts.append(text)
            elif tag == self.is_tag:
                self.in_is = False
            elif tag == self.rph_tag:
                self.phonetic -= 1
            return
        if tag == self.row_tag and self.cells:
            if self.row == 1:
                self.header = self.cells
            else:
                self.data_rows += 1
                if self.data_rows > limits.MAX_ROWS:
                    self._refuse(self.row, (
                        f"more than {limits.MAX_ROWS:,} rows; the limit is "
                        f"{limits.MAX_ROWS:,} (the largest California "
                        "district has about 65,000 students with IEPs). "
                        "Split the roster by SELPA or region and plan each "
                        "part"))
            self.rows.append((self.row, self.cells))
            self.cells = []

    def close(self) -> None:
        return None

    # ---------------------------------------------------------- cells
    def _cell(self) -> None:
        ref = self.ref
        m = _CELL_REF.match(ref) if ref else None
        if ref is not None and m is None:
            self._bad(self.row, self.col + 1, ref, (
                "no cell reference (A1 to XFD1048576): the sheet is "
                "damaged; save the workbook again from Excel"))
            return
        letters = m.group(1) if m else ""
        col = (self.col + 1 if not m else limits.MAX_COLUMNS + 1
               if len(letters) > 3 else _column_index(letters))
        if col <= self.col and ref is not None:
            self._bad(self.row, col, ref, (
                f"cell {ref} comes again, or after a cell to its right "
                "(the sheet is damaged; save the workbook again from "
                "Excel)"))
            return
        self.col = col
        if col > limits.MAX_COLUMNS:
            self._refuse(self.row, (
                f"a cell past column {column_letter(limits.MAX_COLUMNS)} "
                f"({limits.MAX_COLUMNS:,} columns, Excel's and plan.xlsx's "
                "limit)"))
        row = self.row
        if self.chars > limits.MAX_CELL_CHARS:
            kept = "".join(self.parts) if self.kind == "inlineStr" \
                else (self.value or "")
            self._bad(row, col, kept[:60], (
                f"the cell holds {self.chars:,} characters; a cell holds at "
                f"most {limits.MAX_CELL_CHARS:,} (Excel's limit: plan.xlsx "
                "would cut it)"))
            return
        text = self._text(row, col)
        if not text:
            return
        if len(text) > limits.MAX_CELL_CHARS:  # a shared string
            self._bad(row, col, clip(text), (
                f"the cell holds {len(text):,} characters; a cell holds at "
                f"most {limits.MAX_CELL_CHARS:,} (Excel's limit: plan.xlsx "
                "would cut it)"))
            return
        cells = self.cells
        if col > len(cells):
            self.held += col - len(cells)
            if self.held > limits.MAX_CELLS:
                self._refuse(row, (
                    f"more than {limits.MAX_CELLS:,} cells (rows times "
                    f"their width); the limit is {limits.MAX_CELLS:,}"))
            cells.extend([""] * (col - len(cells)))
        cells[col - 1] = text

    def _text(self, row: int, col: int) -> str:
        kind, text = self.kind, self.value
        if kind == "inlineStr":
            return sys.intern("".join(self.parts))
        if text is None:
            if self.formula is not None:
                formula = ("=" + self.formula if self.formula
                           else "(a formula shared with another cell)")
                self._bad(row, col, clip(formula), (
                    "a formula without a saved result (the workbook was "
                    "written by a program that does not calculate); open "
                    "and save it in Excel, or type the value itself"))
            return ""
        if kind == "s":
            try:
                return self.strings[int(text)]
            except (ValueError, IndexError):
                self._bad(row, col, clip(text), "a shared string the "
                          "workbook does not hold")
                return ""
        if kind == "str":
            return sys.intern(text)
        if kind == "b":
            return "yes" if text.strip() in ("1", "true") else "no"
        if kind == "e":
            self._bad(row, col, clip(text), (
                f"the cell holds the spreadsheet error {clip(text)}; fix "
                "the formula or type the value"))
            return ""
        if kind == "d":
            return text[:10]  # an ISO date, or date and time
        return self._number(text, row, col)

    def _bad(self, row: int, col: int, value: str, message: str) -> None:
        self.problems.append(Problem(self.file, row, self._where(row, col),
                                     clip(value), message))

    def _number(self, text: str, row: int, col: int) -> str:
        style = self.style
        if style and int(style) in self.dates:
            return self._date(text, int(style), row, col)
        if text.isdigit():
            return text if text[0] != "0" or text == "0" else str(int(text))
        try:
            value = float(text)
        except ValueError:
            self._bad(row, col, text, "not a number, though the cell is "
                      "marked as one")
            return ""
        if not value.is_integer():
            return repr(value)
        if abs(value) >= 1e15 and not _is_integer_text(text):
            self._bad(row, col, text, (
                f"a number of 16 or more digits ({int(value)}): Excel "
                "keeps only 15, so it was probably changed; format the "
                "column as Text and type the value again"))
            return ""
        return str(int(value))

    def _date(self, text: str, style: int, row: int, col: int) -> str:
        from openpyxl.utils.datetime import from_excel

        try:
            value = from_excel(float(text), self.epoch,
                               timedelta=style in self.spans)
        except (OverflowError, ValueError):
            self._bad(row, col, text, "a date Excel cannot show")
            return ""
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)


def _is_integer_text(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sheet_names(path: Path) -> list[SheetInfo]:
    """Every sheet of a workbook with its visibility (hidden sheets
    included), without reading the sheets."""
    with Workbook(path) as book:
        return list(book.sheets)


def read_workbook(path: Path):
    """The ``students`` and ``staff`` sheets as ``Table`` objects."""
    with Workbook(path) as book:
        names = {s.name.strip().lower(): s for s in book.sheets}
        missing = [s for s in SHEETS if s not in names]
        if missing:
            raise InputError([Problem(
                path.name, None, None, None,
                f"the workbook has no sheet named {' or '.join(missing)} "
                f"(sheets: {', '.join(s.name for s in book.sheets)})")])
        tables = []
        problems: list[Problem] = []
        for sheet in SHEETS:
            file = f"{path.name} [{sheet}]"
            try:
                table = book.table(names[sheet], file)
            except InputError as exc:
                problems.extend(exc.problems)
                if any(p.file == path.name for p in exc.problems):
                    break  # the whole workbook's: said once
                continue
            if not table.header:
                problems.append(Problem(
                    file, None, None, None, "the sheet is empty (row 1 "
                    "holds no headers); it needs a header row and one row "
                    "per record"))
            tables.append(table)
        if problems:
            raise InputError(problems)
    return tables[0], tables[1]


def read_plan_assignments(path: Path) -> list[list[str]]:
    """The assignments sheet of a plan.xlsx as text rows (round-trip)."""
    with Workbook(path) as book:
        sheet = next((s for s in book.sheets if s.name == "assignments"),
                     None)
        if sheet is None:
            raise InputError([Problem(path.name, None, None, None,
                                      "the workbook has no sheet named "
                                      "assignments")])
        table = book.table(sheet)
    width = len(table.header)
    return [table.header] + [cells + [""] * (width - len(cells))
                             for _row, cells in table.rows]


# ---------------------------------------------- every sheet (exports.py)


def sheet_states(path: Path) -> dict[str, str] | None:
    """Sheet name -> "visible", "hidden" or "veryHidden"; None when the
    file is no workbook (``read_workbook`` then says so)."""
    try:
        return {s.name: s.state for s in sheet_names(path)}
    except InputError:
        return None


def read_sheets(path: Path) -> list[tuple[str, bool, Table]]:
    """Every sheet as (title, hidden, table), read with every limit of
    ``Workbook.table`` (header = row 1, or none when row 1 is blank and
    every row kept, for ``exports.find_header`` to look below titles).

    Raises
    ------
    InputError
        When the file is no workbook, or a sheet holds a refused cell or
        passes a limit (every sheet's problems at once).
    """
    out = []
    problems: list[Problem] = []
    with Workbook(path) as book:
        for sheet in book.sheets:
            try:
                table = book.table(sheet)
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            out.append((sheet.name, not sheet.visible, table))
    if problems:
        raise InputError(problems)
    return out
