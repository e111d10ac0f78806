"""Read a table column by column: the fast path for a clean file.

A roster repeats itself: 70,000 students have a few hundred sites, a
dozen grades and a few dozen service lists. Parsing each distinct cell
once per column, and validating each distinct combination of the
validated fields once, reads a large roster several times faster than
row by row.

This path never words a message. It answers only "clean" (every cell
parses, every record validates) or ``None``; on ``None`` the caller
reads the file row by row (``tables.parse_rows``), which finds and
words every problem exactly as it always has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

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
