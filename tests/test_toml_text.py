"""What toml_text writes, tomllib reads back equal, for any text."""

from __future__ import annotations

import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.inputs import toml_text

# No deadline: under load (eight engineers on two cores) an example once
# took over hypothesis's default 200 ms and failed the suite.
RELAXED = settings(deadline=None)


@RELAXED
@given(st.text())
def test_quote_round_trips_any_text(text):
    assert tomllib.loads(f"x = {toml_text.quote(text)}\n") == {"x": text}


@RELAXED
@given(st.dictionaries(st.text(min_size=1), st.text(), max_size=4),
       st.lists(st.text(), max_size=4))
def test_documents_round_trip(table, items):
    data = {"name": "a\x00b\x1f\x7f", "cells": items, "renames": table}
    assert tomllib.loads(toml_text.dumps(data)) == data


def test_control_characters_are_unicode_escapes():
    assert toml_text.quote("\x00\x08\x1b\x7f") == \
        '"\\u0000\\u0008\\u001b\\u007f"'


@RELAXED
@given(st.text(min_size=1), st.text(min_size=1))
def test_a_mapping_file_reads_back_equal(header, value):
    from optimizer.inputs.mapping import mapping_from_dict, to_toml

    data = {"students": {"columns": {header: "student_id"},
                         "values": {"grade": {value: "K"}}}}
    mapping = mapping_from_dict(data)
    again = mapping_from_dict(tomllib.loads(to_toml(mapping)))
    assert to_toml(again) == to_toml(mapping)
    assert again.part("students") == mapping.part("students")
