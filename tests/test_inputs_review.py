"""Review of issue 22's input half (review2): what the first tests left
open."""

from __future__ import annotations

import hostile
import pytest

import optimizer as cl
from optimizer.errors import InputError

HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
ENTITY = '<!DOCTYPE worksheet [<!ENTITY x "S9999">]>'
LAUGHS = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">' + "".join(
    f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">'
    for i in range(9)) + "]>")
EXTERNAL = '<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/hostname">]>'


def _with_doctype(tmp_path, doctype: str, part: str):
    """The sample roster as a workbook whose ``part`` declares
    ``doctype``; the first student id is the entity ``&x;`` (or
    ``&j;``, a billion laughs)."""
    students = hostile.sample_rows("students")
    parts = hostile.workbook_parts({
        "students": hostile.sheet_xml(students),
        "staff": hostile.sheet_xml(hostile.sample_rows("staff"))})
    ref = "&j;" if "ENTITY j" in doctype else "&x;"
    out = []
    for name, xml in parts:
        if name == part:
            if name.endswith("sheet1.xml"):
                xml = xml.replace(students[1][0], ref, 1)
            xml = (xml.replace(HEAD, HEAD + doctype) if xml.startswith(HEAD)
                   else doctype + xml)
        out.append((name, xml))
    path = tmp_path / "roster.xlsx"
    path.write_bytes(hostile.zip_bytes(out))
    return path


@pytest.mark.parametrize("doctype", [ENTITY, LAUGHS, EXTERNAL])
@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml",
                                  "xl/workbook.xml"])
def test_a_part_declaring_a_doctype_is_refused(tmp_path, rules, doctype,
                                               part):
    """No part of a workbook may declare a DTD (entities would change
    cell values unseen: before, ``&x;`` read as the student id S9999)."""
    path = _with_doctype(tmp_path, doctype, part)
    with pytest.raises(InputError) as exc:
        cl.load_roster(path, rules)
    (problem,) = exc.value.problems
    assert f"{part} declares a document type" in str(problem)
    assert problem.file == "roster.xlsx"


def test_the_toml_round_trip_properties_have_no_deadline():
    """Hypothesis's default 200 ms deadline failed an example under load
    (two cores shared by eight engineers): no property test of
    test_toml_text is timed."""
    import test_toml_text

    tests = [f for name, f in vars(test_toml_text).items()
             if name.startswith("test_") and hasattr(f, "hypothesis")]
    assert len(tests) == 3
    for f in tests:
        assert f._hypothesis_internal_use_settings.deadline is None
