"""Read CSV tables into text cells, with spreadsheet row numbers.

Every problem in a file is collected before anything is raised, and each
names the file, the row as a spreadsheet shows it (header = row 1), the
column and the value.
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.inputs import parse

PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_RULES_DIR = PACKAGE_ROOT / "data" / "rules"
DEFAULT_SAMPLE_DIR = PACKAGE_ROOT / "data" / "sample"

Parser = Callable[[str], Any]


@dataclass(frozen=True)
class Column:
    """A contract column: its name, whether required, how to parse it."""

    name: str
    required: bool
    parse: Parser | None = None  # None = plain text


def _text(value: str) -> str:
    return value.strip()

@dataclass
class Table:
    """A CSV file as text cells, with spreadsheet row numbers."""

    file: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    digest: str
    notes: list[Problem] = field(default_factory=list)


def _decode(raw: bytes, file: str, notes: list[Problem]) -> str | None:
    if b"\x00" in raw[:4096]:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        notes.append(Problem(file, None, None, None,
                             "file is not UTF-8; read it as Windows-1252 "
                             "(save as CSV UTF-8 to silence this)"))
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def _pick_delimiter(first_line: str, known: set[str]) -> str:
    def score(d: str) -> tuple[int, int]:
        cells = [c.strip().strip('"').lower() for c in first_line.split(d)]
        return (sum(c in known for c in cells), len(cells))
    return max([",", ";", "\t", "|"], key=score)


def read_table(path: Path, known: Iterable[str]) -> Table:
    """Read a CSV file into text cells; raise ``InputError`` if unreadable."""
    file = path.name
    raw = path.read_bytes()
    notes: list[Problem] = []
    text = _decode(raw, file, notes)
    if text is None:
        raise InputError([Problem(file, None, None, None,
                                  "this is not a CSV text file (it holds "
                                  "binary data); export the sheet as CSV")])
    if not text.strip():
        raise InputError([Problem(file, None, None, None,
                                  "the file is empty; it needs a header row "
                                  "and one row per record")])
    first = text.lstrip("\ufeff").splitlines()[0]
    delimiter = _pick_delimiter(first, set(known))
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise InputError([Problem(file, reader.line_num, None, None,
                                  f"cannot be read as CSV: {exc}")]) from None
    header = [h.strip() for h in records[0]]
    rows = [(i + 2, r) for i, r in enumerate(records[1:])
            if any(c.strip() for c in r)]
    return Table(file, header, rows, hashlib.sha256(raw).hexdigest(), notes)


def resolve_columns(table: Table, columns: tuple[Column, ...],
                     problems: list[Problem]) -> tuple[dict[str, int],
                                                       list[int]]:
    """Map contract names to positions; the rest are extra columns."""
    names = [c.name for c in columns]
    found: dict[str, int] = {}
    extra: list[int] = []
    for pos, head in enumerate(table.header):
        key = head.strip().lower()
        if key in found:
            problems.append(Problem(table.file, 1, head, None,
                                    f'column "{key}" appears twice'))
        elif key in names:
            found[key] = pos
        elif key:
            extra.append(pos)
    for col in columns:
        if col.required and col.name not in found:
            near = [table.header[p] for p in extra]
            hint = parse.suggest(col.name, near)
            problems.append(Problem(
                table.file, 1, col.name, None,
                f'required column "{col.name}" is missing{hint}; expected '
                f"columns: {', '.join(names)}"))
    return found, extra


def parse_rows(table: Table, columns: tuple[Column, ...],
                found: dict[str, int], problems: list[Problem]
                ) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for row, cells in table.rows:
        values: dict[str, Any] = {}
        for col in columns:
            pos = found.get(col.name)
            cell = cells[pos].strip() if pos is not None and pos < len(cells) \
                else ""
            if not cell:
                if col.required:
                    problems.append(Problem(table.file, row, col.name, "",
                                            "a value is required"))
                continue
            try:
                values[col.name] = (col.parse or _text)(cell)
            except ValueError as exc:
                problems.append(Problem(table.file, row, col.name, cell,
                                        str(exc)))
        out.append((row, values))
    return out


def check_unique(table: Table, parsed: list[tuple[int, dict[str, Any]]],
                  key: str, problems: list[Problem]) -> None:
    first: dict[str, int] = {}
    for row, values in parsed:
        ident = values.get(key)
        if ident is None:
            continue
        if ident in first:
            problems.append(Problem(
                table.file, row, key, ident,
                f'duplicate {key} "{ident}" (first on row {first[ident]})'))
        else:
            first[ident] = row


def validation_problems(file: str, row: int | None,
                        errors: Iterable[dict[str, Any]], *,
                        key: str | None = None,
                        default_column: str | None = None
                        ) -> list[Problem]:
    """pydantic's ``ValidationError.errors()`` as located problems.

    The one mapping from validation errors to what a user reads. In a
    table (``key`` None) the column is the field that failed, else
    ``default_column`` for a check across fields. In a TOML file the
    column is the dotted key path under ``key`` ("" for the top level).
    """
    out = []
    for err in errors:
        if key is None:
            names = [str(p) for p in err["loc"] if not isinstance(p, int)]
            column = names[0] if names else default_column
        else:
            column = ".".join(
                [k for k in (key, *map(str, err["loc"])) if k]) or None
        value = err.get("input")
        if not isinstance(value, str):
            value = (None if value is None
                     or isinstance(value, dict | list | tuple)
                     else str(value))
        out.append(Problem(file, row, column, value,
                           err["msg"].removeprefix("Value error, ")))
    return out


def formula_cells(table: Table, columns: set[str]) -> list[Problem]:
    """Warnings for free-text cells a spreadsheet would take for a formula.

    plan.xlsx writes every value as text; the CSV outputs carry values as
    they are (they load into the IEP system), so the user is told.
    """
    out = []
    wanted = [(i, h) for i, h in enumerate(table.header) if h in columns]
    for row, cells in table.rows:
        for i, head in wanted:
            cell = cells[i].strip() if i < len(cells) else ""
            if len(cell) > 1 and cell.startswith(parse.FORMULA_STARTS):
                out.append(Problem(
                    table.file, row, head, None,
                    f'the value begins with "{cell[0]}", which '
                    "spreadsheets read as a formula: plan.xlsx writes it "
                    "as text; the CSV files carry it as it is, so open "
                    "them with the spreadsheet's text import"))
    return out


def records(table: Table) -> Iterable[tuple[int, dict[str, str]]]:
    header = [h.lower() for h in table.header]
    for row, cells in table.rows:
        yield row, {h: (cells[i].strip() if i < len(cells) else "")
                    for i, h in enumerate(header)}


