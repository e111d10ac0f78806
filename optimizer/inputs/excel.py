"""Excel input: read a roster workbook (openpyxl).

A roster workbook has sheets ``students`` and ``staff``; each becomes the
same ``Table`` a CSV file does, so every check and message is the same
(rows numbered as Excel shows them). Numbers that Excel stored as floats
(``28.0``) read as ``28``; dates read as ISO dates, which the parsers
recognise as Excel's conversions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io as _io
from pathlib import Path

from openpyxl import load_workbook

from optimizer.errors import InputError, Problem
from optimizer.inputs.tables import Table

SHEETS = ("students", "staff")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_workbook(path: Path):
    """The ``students`` and ``staff`` sheets as ``Table`` objects."""
    raw = path.read_bytes()
    try:
        book = load_workbook(_io.BytesIO(raw), read_only=True,
                             data_only=True)
    except Exception as exc:  # openpyxl raises many types for bad files
        raise InputError([Problem(path.name, None, None, None,
                                  f"cannot be read as an Excel workbook "
                                  f"({type(exc).__name__})")]) from None
    names = {n.strip().lower(): n for n in book.sheetnames}
    missing = [s for s in SHEETS if s not in names]
    if missing:
        raise InputError([Problem(path.name, None, None, None,
                                  f"the workbook has no sheet named "
                                  f"{' or '.join(missing)} (sheets: "
                                  f"{', '.join(book.sheetnames)})")])
    tables = []
    for sheet in SHEETS:
        ws = book[names[sheet]]
        rows = [[_cell(v) for v in r] for r in ws.iter_rows(values_only=True)]
        file = f"{path.name} [{sheet}]"
        if not rows or not any(rows[0]):
            raise InputError([Problem(file, None, None, None,
                                      "the sheet is empty; it needs a "
                                      "header row and one row per record")])
        header = [h.strip() for h in rows[0]]
        while header and not header[-1]:
            header.pop()
        body = [(i + 2, r[:len(header)]) for i, r in enumerate(rows[1:])
                if any(c.strip() for c in r)]
        digest = hashlib.sha256(raw + sheet.encode()).hexdigest()
        tables.append(Table(file, header, body, digest))
    book.close()
    return tables[0], tables[1]


def read_plan_assignments(path: Path) -> list[list[str]]:
    """The assignments sheet of a plan.xlsx as text rows (round-trip)."""
    book = load_workbook(path, read_only=True, data_only=True)
    rows = [[_cell(v) for v in r]
            for r in book["assignments"].iter_rows(values_only=True)]
    book.close()
    return rows


# ---------------------------------------------- every sheet (exports.py)
# Self-contained (its own imports): exports.py picks sheets by content
# on top of these two; the plain students/staff reading is above.


def sheet_states(path: Path) -> dict[str, str] | None:
    """Sheet name -> "visible", "hidden" or "veryHidden"; None when the
    file is no workbook (``read_workbook`` then says so)."""
    from openpyxl import load_workbook as _load

    try:
        book = _load(path, read_only=True)
    except Exception:  # openpyxl raises many types for bad files
        return None
    states = {ws.title: ws.sheet_state for ws in book.worksheets}
    book.close()
    return states


def read_sheets(path: Path) -> list[tuple[str, bool, Table]]:
    """Every sheet as (title, hidden, table), rows numbered as Excel
    shows them and blank rows left out; the first non-blank row is the
    header (``exports.find_header`` looks below titles), or, when rows
    above it are blank, no header yet and every row kept."""
    import hashlib as _hashlib
    import io as _bytes_io

    from openpyxl import load_workbook as _load

    raw = path.read_bytes()
    try:
        book = _load(_bytes_io.BytesIO(raw), read_only=True,
                     data_only=True)
    except Exception as exc:  # openpyxl raises many types for bad files
        raise InputError([Problem(path.name, None, None, None,
                                  f"cannot be read as an Excel workbook "
                                  f"({type(exc).__name__})")]) from None
    out = []
    for ws in book.worksheets:
        rows = [(i + 1, [_sheet_cell(v) for v in r]) for i, r in
                enumerate(ws.iter_rows(values_only=True))]
        rows = [(n, r) for n, r in rows if any(c.strip() for c in r)]
        file = f"{path.name} [{ws.title}]"
        digest = _hashlib.sha256(raw + ws.title.encode()).hexdigest()
        if rows and rows[0][0] == 1:
            header = [h.strip() for h in rows[0][1]]
            while header and not header[-1]:
                header.pop()
            table = Table(file, header, rows[1:], digest)
        else:
            table = Table(file, [], rows, digest)
        out.append((ws.title, ws.sheet_state != "visible", table))
    book.close()
    return out


def _sheet_cell(value) -> str:
    """A cell as text, as ``read_workbook`` gives it."""
    import datetime as _dt

    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)
