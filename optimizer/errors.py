"""Exceptions and warnings that reach a district user.

Bad input is collected, never raised one problem at a time: an
``InputError`` carries every ``Problem`` found in a file, each naming the
file, the row as a spreadsheet shows it (header = row 1), the column and
the value, so a user can fix them all in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

# What a terminal acts on instead of showing: C0 and C1 controls (escape
# sequences, carriage return, backspace), DEL, and the invisible marks
# that reorder or hide text (bidirectional overrides, zero widths).
_UNSHOWN = [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0),
            0x061C, 0x200B, 0x200E, 0x200F, *range(0x202A, 0x202F),
            *range(0x2060, 0x206A), 0xFEFF]


def _escape(code: int) -> str:
    return {10: "\\n", 9: "\\t", 13: "\\r"}.get(
        code, f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


_CONTROL = {c: _escape(c) for c in _UNSHOWN}
_CONTROL_OR_BREAK = {**_CONTROL, **{c: _escape(c) for c in (
    0x09, 0x0A, 0x2028, 0x2029)}}


def printable(text: str) -> str:
    """One line of ``text`` as a terminal shows it: every control
    character (line breaks and tabs included) written as an escape
    (``\\x1b``, ``\\n``), so a value can neither move the cursor nor
    fake a line of the product's own output."""
    return text.translate(_CONTROL_OR_BREAK)


def terminal_text(text: str) -> str:
    """Output text (which may span lines) safe for a terminal: control
    characters other than line breaks and tabs escaped."""
    return text.translate(_CONTROL)


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in an input file."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    # Every row with this same problem (same value, same message), when
    # there are several: "Speech and Language" on 165 rows is one problem.
    rows: tuple[int, ...] = ()

    def __str__(self) -> str:
        where = [self.file]
        if len(self.rows) > 1:
            where.append(f"{len(self.rows)} rows ({row_ranges(self.rows)})")
        elif self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            # A TOML file (scenario, settings) has keys, not columns.
            label = "key" if self.file.endswith(".toml") else "column"
            where.append(f'{label} "{self.column}"')
        text = ", ".join(where) + f": {self.message}"
        if self.value is not None and f'"{self.value}"' not in self.message:
            text += f' (got "{self.value}")'
        return printable(text)


class OptimizerError(Exception):
    """Base class of every error the product reports to a user."""


class InputError(OptimizerError):
    """The roster, rules or scenario files contain bad input."""

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.problems = sorted(collapse(problems), key=_problem_order)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = "1 problem" if count == 1 else f"{count} problems"
        lines = [f"{head} in the input:"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class UsageError(OptimizerError):
    """A command names a file or folder that cannot serve (exit 2)."""


class OutputError(UsageError):
    """An output location is unsafe or unusable (e.g. inside the roster)."""


def collapse(problems: list[Problem]) -> list[Problem]:
    """One problem per distinct (file, column, value, message), with every
    row it occurs on, so a value repeated on 165 rows is reported once."""
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        key = ((p.file, p.column, p.value, p.message) if p.row is not None
               else p)
        groups.setdefault(key, []).append(p)
    out = []
    for items in groups.values():
        rows = sorted({r for p in items
                       for r in (p.rows or (p.row,)) if r is not None})
        first = items[0]
        if len(rows) > 1:
            first = Problem(first.file, rows[0], first.column, first.value,
                            first.message, tuple(rows))
        out.append(first)
    return out


def row_ranges(rows: tuple[int, ...] | list[int], limit: int = 8) -> str:
    """``2, 3, 4, 9`` -> ``"2-4, 9"``; after ``limit`` ranges, "..."."""
    spans: list[list[int]] = []
    for r in sorted(set(rows)):
        if spans and r == spans[-1][1] + 1:
            spans[-1][1] = r
        else:
            spans.append([r, r])
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in spans]
    more = len(parts) - limit
    return ", ".join(parts[:limit]) + (f", ... ({more} more)" if more > 0
                                       else "")


def _problem_order(p: Problem) -> tuple:
    return (p.file, p.row or 0, p.column or "", p.message)


class InputWarning(UserWarning):
    """Legal but suspicious input: the plan goes ahead, the user is told."""
