"""Random workbooks fed to the roster reader (run by test_fuzz_workbooks
in a child process under a memory limit).

Each example is the sample roster as a workbook with random damage:
cells of every kind Excel writes (strings, numbers, booleans, dates,
errors, shared strings that are not there, formulas with and without
their results, styles), at random or far places (row and column
numbers past Excel's, references without numbers), a random
``<dimension>``, rows added, sheets hidden, and bytes of the archive
flipped. The only outcomes allowed: a roster (which the planner takes)
or an ``InputError`` whose every problem names its file. Anything else,
a traceback or a MemoryError, fails.

Usage: python tests/workbook_fuzz.py EXAMPLES (exit 0 when every
example ended well; prints the outcomes counted).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

import hostile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimizer as cl
from optimizer.errors import InputError

RULES = cl.load_rules()
STUDENTS = hostile.sample_rows("students")[:30]
STAFF = hostile.sample_rows("staff")
OUTCOMES: Counter = Counter()


def _written() -> bytes:
    """The sample as XlsxWriter writes it, as Excel does: shared
    strings, styles, numbers, a date and a percentage format."""
    import datetime as dt
    import io

    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    percent = book.add_format({"num_format": "0.00%"})
    for name, rows in (("students", STUDENTS), ("staff", STAFF)):
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value.isdigit() and value[0] != "0":
                    sheet.write_number(r, c, int(value))
                elif value:
                    sheet.write_string(r, c, value)
    staff = book.get_worksheet_by_name("staff")
    staff.write_string(0, 10, "x_hired")
    staff.write_datetime(1, 10, dt.datetime(2020, 8, 1), date)
    staff.write_number(1, 6, 0.8, percent)
    book.close()
    return buf.getvalue()


WRITTEN = _written()

refs = st.one_of(
    st.just("{ref}"),
    st.builds(lambda c, r: f"{hostile.letter(c)}{r}",
              st.integers(1, 16_500), st.integers(1, 1_100_000)),
    st.sampled_from(["", "A", "1", "A0", "ZZZZ1", "a1", "-1", "A-1"]))
texts = st.text(st.characters(blacklist_categories=("Cs",),
                              blacklist_characters="\x00"), max_size=12)
numbers = st.one_of(
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1.23456789012345E+16", "28", "0.5", "1e-300",
                     "1E+400", "NaN", "", " ", "12abc", "4.0"]))


def _xml_text(s: str) -> str:
    from xml.sax.saxutils import escape

    return escape("".join(ch for ch in s if ch in "\t\n\r"
                          or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff")))


def raw_cell(draw) -> hostile.Raw:
    ref = draw(refs)
    attr = f' r="{ref}"' if ref else ""
    kind = draw(st.sampled_from(
        ["n", "s", "str", "b", "e", "d", "inlineStr", "f", "fv", "style",
         "empty", "rich"]))
    num = _xml_text(draw(numbers))
    txt = _xml_text(draw(texts))
    xml = {
        "n": f"<c{attr}><v>{num}</v></c>",
        "s": f'<c{attr} t="s"><v>{num}</v></c>',
        "str": f'<c{attr} t="str"><v>{txt}</v></c>',
        "b": f'<c{attr} t="b"><v>{num}</v></c>',
        "e": f'<c{attr} t="e"><v>{txt or "#N/A"}</v></c>',
        "d": f'<c{attr} t="d"><v>{txt}</v></c>',
        "inlineStr": f'<c{attr} t="inlineStr"><is><t>{txt}</t></is></c>',
        "f": f"<c{attr}><f>{txt}</f></c>",
        "fv": f"<c{attr}><f>{txt}</f><v>{num}</v></c>",
        "style": f'<c{attr} s="{draw(st.integers(-1, 99))}"><v>{num}</v>'
                 "</c>",
        "empty": f"<c{attr}/>",
        "rich": f'<c{attr} t="inlineStr"><is><r><t>{txt}</t></r>'
                f"<r><t>{txt}</t></r><rPh><t>x</t></rPh></is></c>",
    }[kind]
    return hostile.Raw(xml)


@st.composite
def damaged(draw) -> bytes:
    """A workbook XlsxWriter wrote, with bytes changed or cut off."""
    data = bytearray(WRITTEN)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        del data[draw(st.integers(0, len(data) - 1)):]
    return bytes(data)


@st.composite
def built(draw) -> bytes:
    students = [list(r) for r in STUDENTS]
    staff = [list(r) for r in STAFF]
    for _ in range(draw(st.integers(0, 8))):
        table = draw(st.sampled_from([students, staff]))
        row = draw(st.integers(0, len(table) - 1))
        col = draw(st.integers(0, len(table[0]) + 3))
        while len(table[row]) <= col:
            table[row].append("")
        table[row][col] = raw_cell(draw)
    tail = ""
    for _ in range(draw(st.integers(0, 2))):
        number = draw(st.one_of(st.integers(1, 1_100_000), st.just(None)))
        r = f' r="{number}"' if number else ""
        cells = "".join(raw_cell(draw).xml.replace("{ref}", "A1")
                        for _ in range(draw(st.integers(0, 3))))
        tail += f"<row{r}>{cells}</row>"
    dimension = draw(st.sampled_from(
        [None, "A1:M11", "A1:XFD1048576", "A1", "garbage"]))
    states = draw(st.sampled_from(
        [{}, {"students": "hidden"}, {"staff": "veryHidden"}]))
    parts = hostile.workbook_parts({
        "students": hostile.sheet_xml(students, dimension, tail=tail),
        "staff": hostile.sheet_xml(staff)}, states)
    data = bytearray(hostile.zip_bytes(parts))
    for _ in range(draw(st.integers(0, 2)) if draw(st.booleans()) else 0):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    return bytes(data)


def outcome(path: Path) -> str:
    try:
        roster = cl.load_roster(path, RULES)
    except InputError as exc:
        assert exc.problems and all(p.file for p in exc.problems)
        str(exc)  # every problem renders
        return "located input error"
    assert roster.instance.students and roster.instance.staff
    return "roster"


def main(examples: int, derandomize: bool = True) -> None:
    folder = Path(tempfile.mkdtemp(prefix="wbfuzz"))

    @settings(max_examples=examples, deadline=None, derandomize=derandomize,
              database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(built(), damaged(), st.just(WRITTEN)))
    def check(data: bytes) -> None:
        path = folder / "roster.xlsx"
        path.write_bytes(data)
        OUTCOMES[outcome(path)] += 1

    check()
    print(json.dumps(dict(OUTCOMES)))


if __name__ == "__main__":
    main(int(sys.argv[1]), len(sys.argv) < 3)
