"""CSV text as the product writes it (assignments, changes, rosters)."""

from __future__ import annotations

import csv
import io
from typing import Any


def csv_text(rows: list[list[Any]]) -> str:
    """``rows`` as CSV with ``\\n`` line ends, read back cell for cell.

    Python's writer quotes a cell holding ``\\n`` but not one holding a
    lone ``\\r``, which every reader then takes for a line break. A roster
    cell may hold one (quoted in the file the user gave), so a row with
    one is written with every cell quoted.
    """
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    text = buf.getvalue()
    if "\r" not in text:
        return text
    buf = io.StringIO()
    plain = csv.writer(buf, lineterminator="\n")
    quoted = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        (quoted if any("\r" in str(x) for x in row) else plain).writerow(row)
    return buf.getvalue()
