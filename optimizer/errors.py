"""Exceptions and warnings that reach a district user.

Bad input is collected, never raised one problem at a time: an
``InputError`` carries every ``Problem`` found in a file, each naming the
file, the row as a spreadsheet shows it (header = row 1), the column and
the value, so a user can fix them all in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in an input file."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f'column "{self.column}"')
        text = ", ".join(where) + f": {self.message}"
        if self.value is not None and f'"{self.value}"' not in self.message:
            text += f' (got "{self.value}")'
        return text


class OptimizerError(Exception):
    """Base class of every error the product reports to a user."""


class InputError(OptimizerError):
    """The roster, rules or scenario files contain bad input."""

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.problems = sorted(set(problems), key=_problem_order)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = "1 problem" if count == 1 else f"{count} problems"
        lines = [f"{head} in the input:"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class OutputError(OptimizerError):
    """An output location is unsafe or unusable (e.g. inside the roster)."""


def _problem_order(p: Problem) -> tuple:
    return (p.file, p.row or 0, p.column or "", p.message)


class InputWarning(UserWarning):
    """Legal but suspicious input: the plan goes ahead, the user is told."""
