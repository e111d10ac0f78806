"""plan.xlsx: the plan's CSV files as a formatted workbook (openpyxl)."""

from __future__ import annotations

import csv
import io as _io
import json

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter


def plan_workbook(files: dict[str, str]) -> bytes:
    """plan.xlsx from the plan's CSV texts: assignments, caseloads, summary.

    Header rows are bold and frozen, widths fit the content, and
    utilization over 90% (red) or 75% (amber) is highlighted. Every value
    is data: a name or id that begins with "=" is written as text, never
    as a formula (CWE-1236).
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
    for ws in book.worksheets:
        _as_text(ws)
    buf = _io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _as_text(ws) -> None:
    """openpyxl takes any string that begins with "=" for a formula; no
    cell of a plan is one, so each such cell is written as text."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


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
