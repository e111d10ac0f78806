"""Cell values of a sheet, read row by row as the XML arrives.

``SheetReader`` is the ``XMLParser`` target for one worksheet part: it
keeps the rows (numbered as Excel shows them), turns each cell into the
text a user typed (numbers Excel stored as floats, ``28.0``, read as
``28``; dates as ISO dates) and refuses, by name, cells that hold no
typed value: a formula without a saved result, a spreadsheet error
(``#REF!``), a number Excel rounded to 15 digits. Rows, columns, cells
held and characters per cell are held to ``limits`` as rows arrive.
"""

from __future__ import annotations

import datetime as dt
import re
import sys

from optimizer.errors import Problem
from optimizer.inputs import limits
from optimizer.inputs.csv_cells import clip, column_letter
from optimizer.inputs.xlsx_parts import Refused

_CELL_REF = re.compile(r"([A-Z]+)(\d+)$")


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def date_styles(custom: dict[int, str], ids: list[int]
                ) -> tuple[frozenset[int], frozenset[int]]:
    """The style numbers (positions in ``ids``, the cell formats' number
    format ids) that show a date, and those that show a duration
    (``[h]:mm``), as openpyxl reckons them; ``custom``: the workbook's
    own number formats, over Excel's built-in ones."""
    from openpyxl.styles.numbers import (
        BUILTIN_FORMATS,
        is_date_format,
        is_timedelta_format,
    )

    formats: dict[int, str] = dict(BUILTIN_FORMATS)
    formats.update(custom)
    dates = frozenset(i for i, f in enumerate(ids)
                      if is_date_format(formats.get(f, "")))
    spans = frozenset(i for i, f in enumerate(ids)
                      if is_timedelta_format(formats.get(f, "")))
    return dates, spans


class SheetReader:
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
        # Rows Excel hides (a filter, or hidden by hand): read like the
        # others, and said, since the user may think them left out.
        self.hidden_rows: list[int] = []
        self.row_hidden = False
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
        raise Refused(Problem(self.file, row, None, None, message))

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
            self.row_hidden = attrib.get("hidden") in ("1", "true")

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
            if self.row_hidden and self.row > 1:
                self.hidden_rows.append(self.row)
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


def hidden_note(file: str, rows: list[int]) -> Problem | None:
    """What is said of rows Excel hides: they are read like the others
    (a filter in Excel does not leave rows out of the roster)."""
    if not rows:
        return None
    return Problem(file, rows[0], None, None,
                   "hidden in Excel (a filter, or hidden by hand), and read "
                   "like every other row; delete the rows that are not "
                   "part of the roster", tuple(rows) if len(rows) > 1
                   else ())
