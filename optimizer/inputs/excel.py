"""Excel input: a roster workbook's sheets as tables.

A roster workbook has sheets ``students`` and ``staff``; each becomes the
same ``Table`` a CSV file does, so every check and message is the same
(rows numbered as Excel shows them). The archive is opened and held to
its limits by ``xlsx_archive.Workbook``; cell values are read by
``xlsx_cells``. ``read_sheets`` gives every sheet, hidden ones included,
for the export reader (``exports``) to pick by content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.errors import InputError, Problem
from optimizer.inputs.xlsx_archive import SheetInfo, Workbook

if TYPE_CHECKING:
    from pathlib import Path

    from optimizer.inputs.csv_cells import Table

SHEETS = ("students", "staff")


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
    every row kept, for ``export_headers.find_header`` to look below
    titles).

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
