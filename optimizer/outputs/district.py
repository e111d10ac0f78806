"""The plan back in the district's terms: a change list keyed by the
export's own ids and names, for whoever enters the changes in SEIS.

One row per student whose case manager is not last year's: the
student's id under the export's own header (``SEIS ID``), the student's
name (from the export's name columns), the school, last year's case
manager by name, and the new case manager's name and id.
"""

from __future__ import annotations

from optimizer.domain import Instance
from optimizer.verify import Audit

FILE = "changes_for_district.csv"


def _name_columns(extra: tuple[str, ...], headers: dict[str, str]
                  ) -> tuple[int | None, int | None, int | None]:
    """Positions of the first-name, last-name and full-name columns the
    reader chose (``inputs.exports.student_name_columns``)."""
    def at(part: str) -> int | None:
        column = headers.get(part)
        return extra.index(column) if column in extra else None

    return at("first_name"), at("last_name"), at("student_name")


def change_rows(audit: Audit, instance: Instance,
                headers: dict[str, str]) -> list[list[str]]:
    """The change list's rows, header first (``headers``: contract
    column -> the export's own header, and the student's name columns
    as ``Roster.headers`` holds them)."""
    staff = instance.staff_by_id()
    first, last, full = _name_columns(instance.extra_columns,
                                      headers)
    rows = [[headers.get("student_id", "student_id"), "Student",
             headers.get("site", "site"), "Last year's case manager",
             "New case manager",
             "New case manager's " + headers.get("staff_id", "staff_id"),
             "Change"]]
    for line in audit.lines:
        s, c = line.student, line.staff
        if c is None:
            continue
        prior = s.prior_case_manager or ""
        if prior == c.staff_id:
            continue
        cells = instance.extras.get(s.student_id, ())

        def cell(i: int | None) -> str:
            return cells[i].strip() if i is not None and i < len(cells) \
                else ""

        name = cell(full) or ", ".join(x for x in (cell(last), cell(first))
                                       if x)
        was = staff[prior].name if prior in staff else prior
        rows.append([s.student_id, name, s.site, was, c.name, c.staff_id,
                     "new case manager" if prior else "first case manager"])
    return rows
