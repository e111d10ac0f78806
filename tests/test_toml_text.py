"""What toml_text writes, tomllib reads back equal, for any text."""

from __future__ import annotations

import tomllib

from hypothesis import given
from hypothesis import strategies as st

from optimizer.inputs import toml_text


@given(st.text())
def test_quote_round_trips_any_text(text):
    assert tomllib.loads(f"x = {toml_text.quote(text)}\n") == {"x": text}


@given(st.dictionaries(st.text(min_size=1), st.text(), max_size=4),
       st.lists(st.text(), max_size=4))
def test_documents_round_trip(table, items):
    data = {"name": "a\x00b\x1f\x7f", "cells": items, "renames": table}
    assert tomllib.loads(toml_text.dumps(data)) == data


def test_control_characters_are_unicode_escapes():
    assert toml_text.quote("\x00\x08\x1b\x7f") == \
        '"\\u0000\\u0008\\u001b\\u007f"'
