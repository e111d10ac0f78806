"""Excel: read a roster workbook, write a formatted plan.xlsx (openpyxl).

A roster workbook has sheets ``students`` and ``staff``; each becomes the
same ``io.Table`` a CSV file does, so every check and message is the same
(rows numbered as Excel shows them). Numbers that Excel stored as floats
(``28.0``) read as ``28``; dates read as ISO dates, which the parsers
recognise as Excel's conversions.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io as _io
import json
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from optimizer.errors import InputError, Problem

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
    """The ``students`` and ``staff`` sheets as ``io.Table`` objects."""
    from optimizer.io import Table

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


def plan_workbook(files: dict[str, str]) -> bytes:
    """plan.xlsx from the plan's CSV texts: assignments, caseloads, summary.

    Header rows are bold and frozen, widths fit the content, and
    utilization over 90% (red) or 75% (amber) is highlighted.
    """
    book = Workbook()
    book.remove(book.active)
    for sheet, name in (("assignments", "assignments.csv"),
                        ("caseloads", "caseloads.csv")):
        rows = list(csv.reader(_io.StringIO(files[name])))
        ws = book.create_sheet(sheet)
        ws.append(rows[0])
        for r in rows[1:]:
            ws.append(_typed(rows[0], r))
        _format(ws, rows)
        if sheet == "caseloads":
            _highlight_utilization(ws, rows)
    ws = book.create_sheet("summary")
    summary = json.loads(files["summary.json"])
    ws.append(["item", "value"])
    for key, value in _flatten(summary):
        ws.append([key, value])
    _format(ws, [["item", "value"], *[[k, str(v)] for k, v in
                                      _flatten(summary)]])
    buf = _io.BytesIO()
    book.save(buf)
    return buf.getvalue()


NUMERIC = {"caseload", "weighted_load", "max_caseload", "utilization"}


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


def _format(ws, rows: list[list[str]]) -> None:
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for i in range(len(rows[0]) if rows else 0):
        width = max((len(r[i]) for r in rows[:500] if i < len(r)),
                    default=8)
        ws.column_dimensions[get_column_letter(i + 1)].width = min(
            60, max(8, width + 2))


def _highlight_utilization(ws, rows: list[list[str]]) -> None:
    col = rows[0].index("utilization") + 1
    red = PatternFill("solid", fgColor="F4CCCC")
    amber = PatternFill("solid", fgColor="FCE5CD")
    for r in range(2, len(rows) + 1):
        value = ws.cell(r, col).value
        if isinstance(value, (int, float)):
            if value > 0.9:
                ws.cell(r, col).fill = red
            elif value > 0.75:
                ws.cell(r, col).fill = amber


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


def read_plan_assignments(path: Path) -> list[list[str]]:
    """The assignments sheet of a plan.xlsx as text rows (round-trip)."""
    book = load_workbook(path, read_only=True, data_only=True)
    rows = [[_cell(v) for v in r]
            for r in book["assignments"].iter_rows(values_only=True)]
    book.close()
    return rows
