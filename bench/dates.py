"""Add clustered IEP meeting dates to a benchmark roster (issue 23).

The same clustering as data/sample-dates (most annual reviews in
September-October and April-May, a reevaluation for a third of the
students, half of a prior case manager's students in that person's
month), seeded, written in place of the roster's students.csv:

    python -m bench.generate ...            (or bench.run once)
    python -m bench.dates bench/out/district-connected-weighted DEST

then ``python -m bench.run --rosters DEST-PARENT ...`` measures plans
with the meeting calendar (S5) against a baseline that ignores the
dates (main reads them as the roster's own columns).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
import sys
from pathlib import Path

MONTHS = [(2026, 8, 2), (2026, 9, 22), (2026, 10, 20), (2026, 11, 4),
          (2026, 12, 3), (2027, 1, 4), (2027, 2, 4), (2027, 3, 5),
          (2027, 4, 16), (2027, 5, 18), (2027, 6, 2)]


def _day(rng: random.Random) -> dt.date:
    y, m, _ = rng.choices(MONTHS, weights=[w for *_, w in MONTHS])[0]
    return dt.date(y, m, rng.randint(1, 28))


def add_dates(src: Path, dest: Path, seed: int = 23) -> None:
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src / "staff.csv", dest / "staff.csv")
    with open(src / "students.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    prior = rows[0].index("prior_case_manager")
    season: dict[str, dt.date] = {}
    with open(dest / "students.csv", "w", newline="",
              encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([*rows[0], "annual_review_date", "reevaluation_date"])
        for row in rows[1:]:
            review = _day(rng)
            if row[prior] and rng.random() < 0.5:
                review = season.setdefault(row[prior], review).replace(
                    day=rng.randint(1, 28))
            reeval = _day(rng) if rng.random() < 0.33 else None
            w.writerow([*row, review.isoformat(),
                        reeval.isoformat() if reeval else ""])


if __name__ == "__main__":
    add_dates(Path(sys.argv[1]), Path(sys.argv[2]))
