"""IEP meeting dates clustered as districts see them (issue 23).

Most annual reviews fall in September-October or April-May; about a
third of the students also have a reevaluation, clustered the same way.
An annual review is the anniversary of last year's meeting, which the
student's case manager scheduled: half of the students with a prior case
manager share that person's month (one month per person, drawn from the
same clustering). Seeded: the same roster gives the same dates.

``data/sample-dates/make_dates.py`` writes the bundled sample with them;
for a benchmark roster:

    python -m bench.dates bench/out/district-connected-weighted DEST

then ``python -m bench.run --rosters DEST-PARENT ...`` measures plans
with the meeting calendar (S5) against a baseline that ignores the
dates (main reads them as the roster's own columns).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import shutil
import sys
from pathlib import Path

# Months of the 2026-27 school year and how often a meeting falls in
# each: Sept-Oct and April-May carry most of them.
MONTHS = [(2026, 8, 2), (2026, 9, 22), (2026, 10, 20), (2026, 11, 4),
          (2026, 12, 3), (2027, 1, 4), (2027, 2, 4), (2027, 3, 5),
          (2027, 4, 16), (2027, 5, 18), (2027, 6, 2)]


def _day(rng: random.Random) -> dt.date:
    y, m, _ = rng.choices(MONTHS, weights=[w for *_, w in MONTHS])[0]
    return dt.date(y, m, rng.randint(1, 28))


def dated_students(students_csv: Path, seed: int = 23) -> str:
    """students.csv with ``annual_review_date`` and ``reevaluation_date``
    added (see the module docstring), as CSV text."""
    rng = random.Random(seed)
    season: dict[str, dt.date] = {}  # a prior case manager's month
    with open(students_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*rows[0], "annual_review_date", "reevaluation_date"])
    prior = rows[0].index("prior_case_manager")
    for row in rows[1:]:
        review = _day(rng)
        if row[prior] and rng.random() < 0.5:
            month = season.setdefault(row[prior], review)
            review = month.replace(day=rng.randint(1, 28))
        reeval = _day(rng) if rng.random() < 0.33 else None
        writer.writerow([*row, review.isoformat(),
                         reeval.isoformat() if reeval else ""])
    return out.getvalue()


def add_dates(src: Path, dest: Path, seed: int = 23) -> None:
    """A copy of the roster folder ``src`` in ``dest``, with dates."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src / "staff.csv", dest / "staff.csv")
    (dest / "students.csv").write_text(
        dated_students(src / "students.csv", seed), encoding="utf-8")


if __name__ == "__main__":
    add_dates(Path(sys.argv[1]), Path(sys.argv[2]))
