"""Write data/sample-dates: the bundled sample with IEP meeting dates.

The dates are made up, clustered as districts see them
(``bench/dates.py`` says how), seeded, so running it again writes the
same files (a test checks):

    python data/sample-dates/make_dates.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
SAMPLE = HERE.parent / "sample"


def dated_students() -> str:
    """students.csv of the sample with the two date columns added."""
    sys.path.insert(0, str(ROOT))
    from bench.dates import dated_students as dated

    return dated(SAMPLE / "students.csv")


def main() -> None:
    (HERE / "students.csv").write_text(dated_students(), encoding="utf-8")
    (HERE / "staff.csv").write_bytes((SAMPLE / "staff.csv").read_bytes())


if __name__ == "__main__":
    main()
