"""An .xlsx archive opened for reading, by what it holds, not what it
claims.

The sheets are read straight from the archive's XML, row by row
(``xml.etree`` pull parsing), not through openpyxl's read-only mode:
that mode trusts a sheet's ``<dimension>`` tag, so a stale tag dropped
students silently and a tag claiming A1:XFD1048576 padded every row to
16,384 cells until memory ran out. Here every ``<row>`` is read as it
is (``xlsx_cells``), and the limits of ``limits`` hold *while* reading:

- the archive's size on disk and its directory, before it is opened;
- what the parts read hold uncompressed, from the archive's directory
  before any is inflated (Python's ``zipfile`` never inflates more than
  a part declares, and a part that claims less than it holds fails its
  checksum), and counted again as bytes are parsed (``xlsx_parts``);
- rows, columns, cells held and characters per cell, as rows arrive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError, XMLParser

from optimizer.errors import InputError, Problem
from optimizer.inputs import limits
from optimizer.inputs.csv_cells import Table
from optimizer.inputs.xlsx_cells import (
    SheetReader,
    date_styles,
    hidden_note,
)
from optimizer.inputs.xlsx_parts import (
    Counted,
    Refused,
    elements,
    local,
    text_of,
)

_REL = ("{http://schemas.openxmlformats.org/officeDocument/2006/"
        "relationships}id")
_STRICT_REL = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"


# What a damaged archive or part raises while read: the file is named
# as unreadable, never a traceback.
DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, ParseError, KeyError,
            ValueError, EOFError, OSError, NotImplementedError,
            struct.error, zlib.error, RuntimeError)


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
        except Refused as exc:
            self.close()
            raise InputError([exc.problem]) from None
        except DAMAGED as exc:
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
            raise Refused(self._problem(
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
            if local(elem.tag) == "workbookPr":
                self.date1904 = elem.get("date1904", "").lower() in (
                    "1", "true")
                continue
            rid = elem.get(_REL) or elem.get(_STRICT_REL)
            target = rels.get(rid or "")
            if target is None:  # never passed over: it may be a roster
                raise Refused(self._problem(
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
            raise Refused(self._problem(
                f"the archive lists {entries:,} parts in a directory of "
                f"{directory:,} bytes; a workbook's directory is at most "
                f"{limits.size_text(limits.MAX_ZIP_DIRECTORY)} here"))

    def _member(self, part: str) -> zipfile.ZipInfo:
        info = self._zip.getinfo(part)
        # What the part claims uncompressed, before it is inflated;
        # zipfile stops at the claim and checks the part's checksum.
        if self.inflated + info.file_size > limits.MAX_XML_BYTES:
            raise Refused(self.too_big(part))
        return info

    def _parse(self, part: str, tags: tuple[str, ...]):
        """The elements named ``tags`` (local names) of one XML part, each
        with its parent's local name; see ``xlsx_parts.elements``."""
        info = self._member(part)
        with self._zip.open(info) as raw:
            yield from elements(Counted(raw, self, part), tags, self.name,
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
                    strings.append(sys.intern(text_of(elem)))
                    if len(strings) > limits.MAX_SHARED_STRINGS:
                        raise Refused(self._problem(
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
            custom: dict[int, str] = {}
            ids: list[int] = []
            if self.styles_part and self.styles_part in \
                    self._zip.namelist():
                for elem, parent in self._parse(self.styles_part,
                                                ("numFmt", "xf")):
                    if local(elem.tag) == "numFmt":
                        custom[_int(elem.get("numFmtId"))] = elem.get(
                            "formatCode", "")
                    elif parent == "cellXfs":  # not cellStyleXfs
                        ids.append(_int(elem.get("numFmtId")))
            self._dates = date_styles(custom, ids)
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
        except Refused as exc:
            raise InputError([exc.problem]) from None
        except DAMAGED as exc:
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
        reader = SheetReader(file, strings, dates, spans, epoch, problems)
        info = self._member(sheet.part)
        parser = XMLParser(target=reader)
        with self._zip.open(info) as raw:
            stream = Counted(raw, self, sheet.part)
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
        note = hidden_note(file, reader.hidden_rows)
        return Table(file, header, rows, digest,
                     notes=[note] if note is not None else [])


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
