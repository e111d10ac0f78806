"""What the readers accept, checked while reading, before memory grows.

A roster is a few megabytes; these bounds are far above any California
district (the largest has about 65,000 students with IEPs) and far
below what would exhaust a laptop. Each refusal is an ``InputError``
naming the file, the limit and, where there is one, the row and column.
"""

from __future__ import annotations

# Students in one roster (data rows of students.csv or the sheet).
MAX_STUDENT_ROWS = 250_000
# Data rows of any table (staff, plans, arrivals).
MAX_ROWS = MAX_STUDENT_ROWS
# A CSV file or a workbook as stored on disk.
MAX_FILE_BYTES = 128 * 1024 * 1024
# What a workbook's parts that are read (the two sheets, the shared
# strings, the styles, the workbook part) hold uncompressed, together:
# a zip "bomb" of a few kilobytes can claim gigabytes.
MAX_XML_BYTES = 256 * 1024 * 1024
# A zip archive's central directory (its list of parts).
MAX_ZIP_DIRECTORY = 4 * 1024 * 1024
# Excel's own limits: a sheet's columns (XFD) and a cell's characters.
# plan.xlsx would cut anything longer, so it is refused at input.
MAX_COLUMNS = 16_384
MAX_SHEET_ROW = 1_048_576
MAX_CELL_CHARS = 32_767
# Cells held for one table (rows times their width): a sheet of
# 250,000 rows and 32 columns; the same bound for a CSV file.
MAX_CELLS = 8_000_000
# A workbook's distinct texts (its shared strings), held while its sheets
# are read: a roster of 250,000 students has under a million.
MAX_SHARED_STRINGS = 2_000_000
# Settings, scenario and mapping files (TOML).
MAX_TOML_BYTES = 8 * 1024 * 1024
MAX_TOML_DEPTH = 16


def size_text(n: int) -> str:
    """``134217728`` -> ``"128 MB"``; under a megabyte, in bytes."""
    if n < 1024 * 1024:
        return f"{n:,} bytes"
    return f"{n / (1024 * 1024):,.0f} MB"
