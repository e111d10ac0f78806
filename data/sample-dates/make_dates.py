"""Write data/sample-dates: the bundled sample with IEP meeting dates.

The dates are made up, clustered as districts see them: most annual
reviews in September-October or April-May, and a reevaluation (every
three years) for about a third of the students, clustered the same way.
An annual review is the anniversary of last year's meeting, which the
student's case manager scheduled: half of the students with a prior
case manager share that person's month (one month per person, drawn
from the same clustering). Seeded, so running it again writes the same
files (a test checks).

    python data/sample-dates/make_dates.py
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

HERE = Path(__file__).parent
SAMPLE = HERE.parent / "sample"
# Months of the 2026-27 school year and how often a meeting falls in
# each: Sept-Oct and April-May carry most of them.
MONTHS = [(2026, 8, 2), (2026, 9, 22), (2026, 10, 20), (2026, 11, 4),
          (2026, 12, 3), (2027, 1, 4), (2027, 2, 4), (2027, 3, 5),
          (2027, 4, 16), (2027, 5, 18), (2027, 6, 2)]


def _day(rng: random.Random) -> dt.date:
    y, m, _ = rng.choices(MONTHS, weights=[w for *_, w in MONTHS])[0]
    return dt.date(y, m, rng.randint(1, 28))


def dated_students() -> str:
    """students.csv of the sample with the two date columns added."""
    rng = random.Random(23)
    season: dict[str, dt.date] = {}  # a prior case manager's month
    with open(SAMPLE / "students.csv", newline="", encoding="utf-8") as fh:
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


def main() -> None:
    (HERE / "students.csv").write_text(dated_students(), encoding="utf-8")
    (HERE / "staff.csv").write_bytes((SAMPLE / "staff.csv").read_bytes())


if __name__ == "__main__":
    main()
