"""Read a table column by column: the fast path for a clean file.

A roster repeats itself: 70,000 students have a few hundred sites, a
dozen grades and a few dozen service lists. Parsing each distinct cell
once per column, and validating each distinct combination of the
validated fields once, reads a large roster several times faster than
row by row.

This path never words a message. It answers only "clean" (every cell
parses, every record validates) or ``None``; on ``None`` the caller
reads the file row by row (``tables.parse_rows_one_by_one``, the rest
of ``roster.build_students``), which finds and words every problem
exactly as it always has. ``tests/test_fast_reading.py`` checks both
paths give the same records, and that this one refuses every file of
the bad-input corpus the row-by-row reading finds a problem in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from optimizer.domain import Student

if TYPE_CHECKING:
    from optimizer.inputs.tables import Column, Table

# An empty cell: the field is left out, as ``parse_rows`` leaves it out.
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()


def parse_columns(table: Table, columns: Sequence[Column],
                  found: dict[str, int]) -> dict[str, list] | None:
    """Each contract column as a list of parsed values, one per row.

    ``MISSING`` marks an empty optional cell. Each distinct cell text is
    parsed once, so equal cells share one value (and one string: sites,
    staff ids and languages are interned). Lists become tuples, as every
    builder makes them.

    Returns
    -------
    dict or None
        None when any cell would be a problem (a required cell empty, a
        value its parser refuses): ``parse_rows`` then says which.
    """
    by_column = table.cell_columns()
    num_rows = len(table.rows)
    out: dict[str, list] = {}
    for col in columns:
        pos = found.get(col.name)
        if pos is None:
            if col.required:
                return None
            out[col.name] = [MISSING] * num_rows
            continue
        raw = by_column[pos]
        cache: dict[str, Any] = {}
        for cell in set(raw):
            text = cell.strip()
            if not text:
                if col.required:
                    return None
                cache[cell] = MISSING
                continue
            try:
                value = col.parse(text) if col.parse else text
            except ValueError:
                return None
            cache[cell] = tuple(value) if isinstance(value, list) else value
        out[col.name] = list(map(cache.__getitem__, raw))
    return out


def all_unique(values: list) -> bool:
    """No value twice (``check_unique`` would find nothing)."""
    return len(set(values)) == len(values)


class Builder:
    """Build many instances of one pydantic model whose records have
    been validated as combinations (see ``build``).

    Construction is ``model_construct``'s, specialised to a frozen model
    with no aliases, private attributes or post-init: the validated
    values are set as they are, in field order.
    """

    def __init__(self, model: type[BaseModel]):
        fields = model.__pydantic_fields__
        if (model.__private_attributes__ or model.__pydantic_post_init__
                or model.__pydantic_root_model__
                or model.model_config.get("extra") == "allow"
                or any(f.alias or f.validation_alias
                       for f in fields.values())):
            raise TypeError(f"{model.__name__} needs model_construct")
        self.model = model
        self.names = tuple(fields)

    def make(self, values: dict[str, Any], fields_set: set[str]
             ) -> BaseModel:
        """One instance from every field's value, in field order."""
        obj = object.__new__(self.model)
        object.__setattr__(obj, "__dict__", values)
        object.__setattr__(obj, "__pydantic_fields_set__", fields_set)
        object.__setattr__(obj, "__pydantic_extra__", None)
        object.__setattr__(obj, "__pydantic_private__", None)
        return obj


def validate_combinations(model: type[BaseModel], names: Sequence[str],
                          combos: list[tuple], filler: dict[str, Any]
                          ) -> list[BaseModel] | None:
    """Validate each combination of the ``names`` fields (``MISSING``
    left out), with ``filler`` giving the other fields valid values.

    Returns the validated instances in ``combos`` order, or None if any
    fails. Sound only when validity depends on ``names`` alone: the
    other fields are free text that any non-empty string satisfies.
    """
    out = []
    for combo in combos:
        values = dict(filler)
        values.update((n, v) for n, v in zip(names, combo)
                      if v is not MISSING)
        try:
            out.append(model(**values))
        except ValidationError:
            return None
    return out


# What a student's validity depends on; the other fields are free text
# (ids, site, staff ids, language) that any non-empty cell satisfies.
_VALIDATED = ("grade", "primary_disability", "secondary_disability",
              "support_level", "setting", "services",
              "alt_placement_secondary", "weight")
_OPTIONAL_TEXT = ("teacher_of_record", "prior_case_manager",
                  "home_language", "annual_review_date",
                  "reevaluation_date")
_STUDENT = Builder(Student)
# The fields clean_students builds, in order; a Student with other
# fields is read row by row until it learns them.
_BUILT = ("student_id", "site", "grade", "primary_disability",
          "secondary_disability", "support_level", "setting", "services",
          "alt_placement_secondary", "teacher_of_record",
          "prior_case_manager", "home_language", "weight",
          "annual_review_date", "reevaluation_date")


def clean_students(table: Table, columns: Sequence[Column],
                   found: dict[str, int], extra_pos: list[int]
                   ) -> tuple[list[Student], tuple[str, ...],
                              dict[str, tuple[str, ...]]] | None:
    """``roster.build_students`` for a file without a problem, or None.

    Each distinct combination of the validated fields is validated
    once, by pydantic; each student is then built from the validated
    values. None when anything would be a problem: the row-by-row path
    then words it.
    """
    if _STUDENT.names != _BUILT:
        return None
    cols = parse_columns(table, columns, found)
    if cols is None or not table.rows or not all_unique(cols["student_id"]):
        return None
    combos: dict[tuple, int] = {}
    which = [combos.setdefault(c, len(combos))
             for c in zip(*(cols[n] for n in _VALIDATED))]
    valid = validate_combinations(Student, _VALIDATED, list(combos),
                                  {"student_id": "-", "site": "-"})
    if valid is None:
        return None
    # Validated values and the fields given, per combination.
    given = [s.model_fields_set - {"student_id", "site"} for s in valid]
    shared = [tuple(s.__dict__[n] for n in _VALIDATED) for s in valid]
    make = _STUDENT.make
    students = []
    for sid, site, k, tor, prior, lang, review, reeval in zip(
            cols["student_id"], cols["site"], which,
            *(cols[n] for n in _OPTIONAL_TEXT)):
        fields_set = {"student_id", "site", *given[k]}
        if tor is MISSING:
            tor = None
        else:
            fields_set.add("teacher_of_record")
        if prior is MISSING:
            prior = None
        else:
            fields_set.add("prior_case_manager")
        if lang is MISSING:
            lang = None
        else:
            fields_set.add("home_language")
        if review is MISSING:
            review = None
        else:
            fields_set.add("annual_review_date")
        if reeval is MISSING:
            reeval = None
        else:
            fields_set.add("reevaluation_date")
        grade, primary, secondary, level, setting, services, alt, weight \
            = shared[k]
        students.append(make({
            "student_id": sid, "site": site, "grade": grade,
            "primary_disability": primary,
            "secondary_disability": secondary, "support_level": level,
            "setting": setting, "services": services,
            "alt_placement_secondary": alt, "teacher_of_record": tor,
            "prior_case_manager": prior, "home_language": lang,
            "weight": weight, "annual_review_date": review,
            "reevaluation_date": reeval}, fields_set))
    if extra_pos:
        by_column = table.cell_columns()
        extra = list(zip(*(by_column[p] for p in extra_pos)))
    else:
        extra = [()] * len(students)
    extras = dict(zip(cols["student_id"], extra))
    return students, tuple(table.header[p] for p in extra_pos), extras
