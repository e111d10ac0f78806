"""Names beside ids in the report: students, staff and sites.

The contract has ids only; a roster may carry names in its own columns
(carried through unchanged), and a published plan records its case
managers' names. The report shows ``Name (id)`` wherever one is known.
"""

from __future__ import annotations

from optimizer.domain import Instance
from optimizer.vocab import header_key, student_name_part

# Columns a roster may carry (not in the contract) that the report shows.
SITE_NAME_COLUMNS = ("site_name", "school_name", "school")


class Names:
    """Names beside ids: students, staff and sites, where known."""

    def __init__(self, instance: Instance, extra_staff: dict[str, str]):
        self.staff = {**extra_staff,
                      **{c.staff_id: c.name for c in instance.staff}}
        cols = instance.extra_columns
        self._extras = instance.extras
        # the name columns' positions; names are joined when asked for
        # (a report shows a few hundred of 70,000 students)
        self._name_at = _name_columns(cols)
        self.site: dict[str, str] = {}
        col = next((c for c in SITE_NAME_COLUMNS if c in cols), None)
        if col is not None:
            i = cols.index(col)
            for s in instance.students:
                values = instance.extras.get(s.student_id, ())
                if i < len(values) and values[i].strip():
                    self.site.setdefault(s.site, values[i].strip())

    def of_student(self, sid: str) -> str:
        name = self.student_name(sid)
        return f"{name} ({sid})" if name else sid

    def student_name(self, sid: str) -> str | None:
        """The student's name from the roster's own columns, if any."""
        values = self._extras.get(sid)
        if self._name_at is None or values is None:
            return None
        return " ".join(values[i].strip() for i in self._name_at
                        if i < len(values) and values[i].strip())

    def of_staff(self, cid: str) -> str:
        if not cid:
            return "\u2013"
        name = self.staff.get(cid)
        return f"{name} ({cid})" if name else cid

    def of_site(self, site: str) -> str:
        if site == "*":
            return "every site"
        name = self.site.get(site)
        return f"{name} ({site})" if name else site


def _name_columns(columns: tuple[str, ...]) -> list[int] | None:
    """Positions of the student's own first and last name (else full
    name) among the roster's extra columns, as the reader tells them
    (``vocab.STUDENT_NAME_HEADERS``: an export's "Last Name", SEIS's
    "Student Legal First Name"); a part that two columns could be is
    neither (the reader says so)."""
    found: dict[str, list[int]] = {}
    for i, column in enumerate(columns):
        part = student_name_part(header_key(column))
        if part is not None:
            found.setdefault(part, []).append(i)
    one = {part: at[0] for part, at in found.items() if len(at) == 1}
    if "first_name" in one and "last_name" in one:
        return [one["first_name"], one["last_name"]]
    if "student_name" in one:
        return [one["student_name"]]
    return None
