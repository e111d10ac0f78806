"""Read CSV tables into text cells, with spreadsheet row numbers.

Every problem in a file is collected before anything is raised, and each
names the file, the row as a spreadsheet shows it (header = row 1), the
column and the value.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io as _io
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.inputs import limits, parse
from optimizer.inputs.columns import MISSING, parse_columns
from optimizer.vocab import header_key

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


def clip(value: str, width: int = 60) -> str:
    """A value as a message shows it: long ones cut, with their length."""
    if len(value) <= width:
        return value
    return f"{value[:width]}... ({len(value):,} characters)"

@dataclass
class Table:
    """A CSV file as text cells, with spreadsheet row numbers."""

    file: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    digest: str
    notes: list[Problem] = field(default_factory=list)
    # The cells column by column, made once (a changed table is a new
    # Table: ``dataclasses.replace`` does not carry this over).
    _columns: list[tuple[str, ...]] | None = field(
        default=None, init=False, repr=False, compare=False)
    # A student report with SEIS's services report joined in: the services
    # file, the joined column, and (student row, service) -> the services
    # report's row, so a problem with a joined service names where it is.
    joined: tuple[str, str, dict[tuple[int, str], int]] | None = field(
        default=None, repr=False, compare=False)

    def cell_columns(self) -> list[tuple[str, ...]]:
        """The cells column by column, one per header cell; a row that
        stops early (before its last empty cells) has "" there."""
        if self._columns is None:
            width = len(self.header)
            rows = [cells for _row, cells in self.rows]
            if rows and min(map(len, rows)) < width:
                rows = [cells if len(cells) >= width else
                        cells + [""] * (width - len(cells))
                        for cells in rows]
            self._columns = (list(zip(*rows))[:width] if rows
                             else [()] * width)
        return self._columns


def _decode(raw: bytes, file: str, notes: list[Problem]) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode Text": UTF-16 with its byte-order mark.
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            return None
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
        cells = [header_key(c.strip('"')) for c in first_line.split(d)]
        return (sum(c in known for c in cells), len(cells))
    return max([",", ";", "\t", "|"], key=score)


def _refuse(file: str, row: int | None, message: str) -> InputError:
    return InputError([Problem(file, row, None, None, message)])


def read_table(path: Path, known: Iterable[str]) -> Table:
    """Read a CSV file into text cells; raise ``InputError`` if unreadable.

    The limits of ``limits`` hold while reading: the file's size before
    it is read, rows and cells held as rows arrive. A cell longer than a
    spreadsheet cell, or holding a NUL character, is a located problem.
    """
    file = path.name
    size = path.stat().st_size
    if size > limits.MAX_FILE_BYTES:
        limit = limits.size_text(limits.MAX_FILE_BYTES)
        raise _refuse(file, None, f"the file is {limits.size_text(size)}; "
                      f"the limit is {limit}")
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
        if text.count(delimiter) + text.count("\n") > limits.MAX_CELLS:
            records = _counted_records(file, reader)
        else:  # fewer delimiters than the limit: so are the cells
            # Interned while fresh: a roster repeats its sites, grades
            # and codes, so equal cells become one string, hashed once.
            records = [list(map(sys.intern, r))
                       for r in islice(reader, limits.MAX_ROWS + 2)]
    except csv.Error as exc:
        raise InputError([Problem(file, reader.line_num, None, None,
                                  f"cannot be read as CSV: {exc}")]) from None
    if len(records) > limits.MAX_ROWS + 1:
        raise _too_many(file, len(records))
    header = [h.strip() for h in records[0]]
    # A row is blank when every cell is only whitespace, which is when
    # its cells joined are (one strip per row, not one per cell).
    rows = [(i + 2, r) for i, r in enumerate(records[1:])
            if "".join(r).strip()]
    table = Table(file, header, rows, hashlib.sha256(raw).hexdigest(),
                  notes)
    if "\x00" in text or (_may_hold_long_cells(text) and any(
            max(map(len, cells), default=0) > limits.MAX_CELL_CHARS
            for cells in (header, *table.cell_columns()))):
        raise InputError(_bad_cells(file, header, records))
    return table


def _may_hold_long_cells(text: str) -> bool:
    """Whether a cell may be longer than a spreadsheet's: without quotes
    a cell is within one line, so lines are enough to tell."""
    if len(text) <= limits.MAX_CELL_CHARS:
        return False
    return '"' in text or max(map(len, text.split("\n"))) > \
        limits.MAX_CELL_CHARS


def _too_many(file: str, row: int) -> InputError:
    return _refuse(file, row, (
        f"more than {limits.MAX_ROWS:,} rows or {limits.MAX_CELLS:,} cells "
        f"(rows times their width); the limit is {limits.MAX_ROWS:,} rows "
        f"and {limits.MAX_CELLS:,} cells"))


def _counted_records(file: str, reader) -> list[list[str]]:
    """The rows, each counted as it arrives against the limits."""
    records: list[list[str]] = []
    held = 0
    for r in reader:
        records.append(list(map(sys.intern, r)))
        held += len(r)
        if held > limits.MAX_CELLS or len(records) > limits.MAX_ROWS + 1:
            raise _too_many(file, len(records))
    return records


def column_name(header: Sequence[str], pos: int) -> str:
    """The header of column ``pos`` (from 0), or its spreadsheet letter
    when it has none."""
    if pos < len(header) and header[pos].strip():
        return header[pos].strip()
    return f"column {column_letter(pos + 1)}"


def column_letter(index: int) -> str:
    """1 -> ``A``, 27 -> ``AA``, 16384 -> ``XFD``."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _bad_cells(file: str, header: list[str], records: list[list[str]]
               ) -> list[Problem]:
    """Cells no spreadsheet holds: longer than a cell, or with NUL."""
    out = []
    for i, cells in enumerate(records):
        for pos, cell in enumerate(cells):
            if len(cell) > limits.MAX_CELL_CHARS:
                out.append(Problem(
                    file, i + 1, column_name(header, pos), clip(cell),
                    f"the cell holds {len(cell):,} characters; a cell "
                    f"holds at most {limits.MAX_CELL_CHARS:,} (Excel's "
                    "limit: plan.xlsx would cut it)"))
            elif "\x00" in cell:
                out.append(Problem(
                    file, i + 1, column_name(header, pos),
                    clip(cell.replace("\x00", "\\0")),
                    "the cell holds a NUL character (byte 0): the file is "
                    "damaged or not text; export it again as CSV"))
    return out


def overflow_problems(table: Table) -> list[Problem]:
    """Rows with a value past the header's last column: a value holding
    the delimiter without quotes ("Ruiz, Ana" split in two), or a column
    without a header. Never cut silently."""
    width = len(table.header)
    out: list[Problem] = []
    if max(map(len, (c for _, c in table.rows)), default=0) <= width:
        return out
    for row, cells in table.rows:
        if len(cells) > width:
            pos = next((p for p in range(width, len(cells))
                        if cells[p].strip()), None)
            if pos is None:
                continue
            out.append(Problem(
                table.file, row, column_name(table.header, pos),
                clip(cells[pos].strip()),
                f"a value past the header's last column "
                f"({column_letter(width) or 'none'}): a column needs a "
                "header, and in a CSV file a value holding the delimiter "
                'needs quotes ("Ruiz, Ana")'))
    return out


# ------------------------------------------------------------ headers
# People write "Support Level", "support-level" or "SUPPORT_LEVEL" for
# support_level: all mean the column. A header *near* a contract column
# but not the same ("Suport Level", "Primary Disability Code") is an error
# with "did you mean": carrying it silently as an extra column would drop
# data the rules read. A header matching nothing is the district's own
# column and is carried through; "x_" in front marks a near one as such.

EXTRA_PREFIX = "x_"

# Everyday names that mean a contract column but are not spelled like it;
# they are reported with "did you mean", never read silently, since a
# district's "case_manager" might be this year's or last year's.
_SYNONYMS: dict[str, str] = {
    "pupil": "student_id", "pupil_id": "student_id", "ssid": "student_id",
    "student_number": "student_id", "local_id": "student_id",
    "grade_level": "grade",
    "placement": "setting", "eligibility": "primary_disability",
    "employee_id": "staff_id", "staff_name": "name",
    "school": "site", "school_code": "site", "campus": "site",
    "schools": "sites", "site": "sites",
    "disability": "primary_disability",
    "primary_eligibility": "primary_disability",
    "secondary_eligibility": "secondary_disability",
    "language": "home_language", "primary_language": "home_language",
    "cm": "prior_case_manager", "prior_cm": "prior_case_manager",
    "case_manager": "prior_case_manager",
    "tor": "teacher_of_record", "teacher": "teacher_of_record",
    "cap": "max_caseload", "caseload_cap": "max_caseload",
    "caseload_max": "max_caseload", "max_cap": "max_caseload",
    "case_manager_ok": "can_case_manage",
    "is_case_manager": "can_case_manage",
}


# Export headers read as contract columns (SEIS's IEP Dates report).
HEADER_ALIASES = {
    "date_of_next_annual_plan_review": "annual_review_date",
    "date_of_next_reevaluation": "reevaluation_date",
}


def _shares_a_word(header: str, name: str) -> int:
    """``"Pupil Number"`` and student_id (pupil is a synonym), ``"Placement
    Type"`` and setting: a loose likeness, used only for hints."""
    words = header_key(header).split("_")
    if any(w == name or _SYNONYMS.get(w) == name for w in words):
        return 2  # the better hint
    return int(any(len(w) > 3 and w in name.split("_") for w in words))


def near_name(key: str, names: Sequence[str]) -> str | None:
    """The contract name ``key`` was probably meant to be, or None.

    Near means a small misspelling (similar letters), every word of a
    several-word name present (``primary_disability_code``), or an
    everyday synonym (``school`` for ``site``).
    """
    if key.startswith(EXTRA_PREFIX) or not key:
        return None
    if _SYNONYMS.get(key) in names:
        return _SYNONYMS[key]
    words = set(key.split("_"))
    compact = key.replace("_", "")
    best, best_score = None, 0.0
    for name in names:
        parts = name.split("_")
        if len(parts) > 1 and set(parts) <= words:
            score = 1.0
        else:
            score = difflib.SequenceMatcher(
                None, compact, name.replace("_", "")).ratio()
        if score >= 0.85 and score > best_score:
            best, best_score = name, score
    return best


@dataclass
class HeaderMatch:
    """Where each contract column is, the extra columns, the problems."""

    found: dict[str, int] = field(default_factory=dict)
    extra: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def match_headers(file: str, header: Sequence[str],
                  columns: Sequence[tuple[str, bool]]) -> HeaderMatch:
    """Match a header row to contract ``columns`` (name, required).

    Parameters
    ----------
    file
        The file name used in problems.
    header
        The header cells as written.
    columns
        The contract's columns in order, each ``(name, required)``.

    Returns
    -------
    HeaderMatch
        Positions of the matched columns and of the extra ones, and every
        header problem (row 1): duplicates, near misses, missing required
        columns, each with the suggestion that fits.
    """
    names = [n for n, _ in columns]
    match = HeaderMatch()
    unmatched: list[int] = []
    for pos, head in enumerate(header):
        key = header_key(head)
        key = HEADER_ALIASES.get(key, key) if key not in names else key
        if key in names:
            if key in match.found:
                match.problems.append(Problem(
                    file, 1, head, None, f'column "{key}" appears twice'))
            else:
                match.found[key] = pos
        elif key:
            unmatched.append(pos)
    missing = [n for n in names if n not in match.found]
    hinted: set[int] = set()
    for name, required in columns:
        if not required or name in match.found:
            continue
        near = [p for p in unmatched
                if near_name(header_key(header[p]), missing) == name]
        # Only as a hint for a column that is missing anyway: a header
        # sharing a word or synonym with it ("Pupil Number").
        loose = sorted((p for p in unmatched
                        if _shares_a_word(header[p], name)),
                       key=lambda p: _shares_a_word(header[p], name) != 2)
        shown = near[:1] or loose[:1]
        hint = (f' (did you mean "{header[shown[0]]}"?)' if shown else "")
        hinted.update(near[:1])
        match.problems.append(Problem(
            file, 1, name, None,
            f'required column "{name}" is missing{hint}; expected '
            f"columns: {', '.join(names)}"))
    for pos in unmatched:
        near = near_name(header_key(header[pos]), missing)
        if near is None or pos in hinted:
            match.extra.append(pos)
            continue
        match.problems.append(Problem(
            file, 1, header[pos], None,
            f'not a contract column (did you mean "{near}"?); rename it, '
            f'or start it with "{EXTRA_PREFIX}" to keep it as a column of '
            "your own"))
    return match


def match_key(key: str, valid: Sequence[str]) -> tuple[str | None, str]:
    """A key of a settings or scenario file: (canonical name or None,
    hint). ``"Max Caseload"`` is ``max_caseload``; an unknown key gets a
    "did you mean" hint when one is near."""
    norm = header_key(key)
    if norm in valid:
        return norm, ""
    near = near_name(norm, valid)
    if near is None:
        upper = {v.upper(): v for v in valid}
        hit = difflib.get_close_matches(norm.upper(), list(upper), n=1,
                                        cutoff=0.6)
        near = upper[hit[0]] if hit else None
    return None, (f' (did you mean "{near}"?)' if near else "")


def resolve_columns(table: Table, columns: tuple[Column, ...],
                    problems: list[Problem]) -> tuple[dict[str, int],
                                                      list[int]]:
    """Map contract names to positions; the rest are extra columns."""
    match = match_headers(table.file, table.header,
                          [(c.name, c.required) for c in columns])
    problems.extend(match.problems)
    return match.found, match.extra


def parse_rows(table: Table, columns: tuple[Column, ...],
                found: dict[str, int], problems: list[Problem]
                ) -> list[tuple[int, dict[str, Any]]]:
    """Each row's parsed values (an empty cell left out), every cell's
    problem added to ``problems`` in row order.

    A clean table is parsed column by column (``columns.parse_columns``);
    one with any problem row by row, which words the messages.
    """
    cols = parse_columns(table, columns, found)
    if cols is not None:
        names = list(cols)
        return [(row, {n: v for n, v in zip(names, values)
                       if v is not MISSING})
                for (row, _), values in zip(table.rows,
                                            zip(*cols.values()))]
    return parse_rows_one_by_one(table, columns, found, problems)


def parse_rows_one_by_one(table: Table, columns: tuple[Column, ...],
                          found: dict[str, int], problems: list[Problem]
                          ) -> list[tuple[int, dict[str, Any]]]:
    """``parse_rows`` cell by cell: the path that words the problems."""
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
            except parse.ItemErrors as exc:  # each bad item on its own
                problems.extend(Problem(table.file, row, col.name, item,
                                        msg) for item, msg in exc.items)
            except ValueError as exc:
                # An export's header (SEIS's) is named as the file has it.
                head = table.header[pos]
                shown = (head if HEADER_ALIASES.get(header_key(head))
                         == col.name else col.name)
                problems.append(Problem(table.file, row, shown, cell,
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

    plan.xlsx writes every value as text; the plan's CSV files write such
    a value with an apostrophe in front (``csvtext.defused``), which a
    system importing them keeps as part of the value: the user is told.
    """
    out = []
    keys = {header_key(c) for c in columns}  # "Name" is name
    wanted = [(i, h) for i, h in enumerate(table.header)
              if header_key(h) in keys]
    # Most files have no such cell: look at each distinct cell once
    # before going row by row for the messages.
    if not wanted:
        return out
    by_column = table.cell_columns()
    if not any(_looks_like_formula(cell) for i, _ in wanted
               for cell in set(by_column[i])):
        return out
    for row, cells in table.rows:
        for i, head in wanted:
            cell = cells[i].strip() if i < len(cells) else ""
            if len(cell) > 1 and cell.startswith(parse.FORMULA_STARTS):
                out.append(Problem(
                    table.file, row, head, None,
                    f'the value begins with "{cell[0]}", which '
                    "spreadsheets read as a formula: plan.xlsx writes it "
                    "as text, and the plan's CSV files with an apostrophe "
                    f"in front ('{cell[0]}...), so a spreadsheet never "
                    "runs it; a system importing those files (SEIS) keeps "
                    "the apostrophe as part of the value"))
    return out


def _looks_like_formula(cell: str) -> bool:
    cell = cell.strip()
    return len(cell) > 1 and cell.startswith(parse.FORMULA_STARTS)


def records(table: Table) -> Iterable[tuple[int, dict[str, str]]]:
    header = [h.lower() for h in table.header]
    for row, cells in table.rows:
        yield row, {h: (cells[i].strip() if i < len(cells) else "")
                    for i, h in enumerate(header)}


