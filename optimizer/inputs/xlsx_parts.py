"""The XML parts of an .xlsx archive, read under the limits.

A part's stream is counted against ``limits.MAX_XML_BYTES`` as bytes are
parsed (``Counted``), and a part that declares a document type is
refused before its entities are declared (``_Prolog``). ``elements``
pull-parses a part keeping one wanted element's subtree at a time.
``Refused`` carries the located problem when a limit is reached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.etree.ElementTree import ParseError, XMLParser, iterparse

from optimizer.errors import Problem
from optimizer.inputs import limits

if TYPE_CHECKING:
    from optimizer.inputs.xlsx_archive import Workbook


class Refused(Exception):
    """A limit reached or a part that cannot be read: ``problem`` says
    which, located."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class _Prolog:
    """An ``XMLParser`` target that reads a part's prolog only: a
    document type declaration (``<!DOCTYPE``) is refused before its
    entities are declared, and the root element ends the watch.

    No workbook holds one (the Open Packaging Conventions forbid DTDs in
    a package's XML); its entities would be expanded into cell values
    unseen, or, nested, expand a few bytes into gigabytes. Expat (the
    parser under ``xml.etree``) fetches no external entity and stops
    the worst expansions, but a part is refused here whatever it
    declares. The prolog is parsed on the side, so the same bytes in any
    encoding are seen as the real parser sees them."""

    def __init__(self, book: Workbook, part: str):
        self.book, self.part = book, part
        self.done = False

    def doctype(self, name, pubid, system) -> None:
        raise Refused(self.book._problem(
            f"{self.part} declares a document type (<!DOCTYPE {name}>); "
            "no workbook holds one (its entities could change cell values "
            "or exhaust memory). Save the workbook again from Excel as "
            ".xlsx, or export the sheets as CSV"))

    def start(self, tag, attrib) -> None:
        self.done = True

    def end(self, tag) -> None:
        return None

    def data(self, text) -> None:
        return None

    def close(self) -> None:
        return None


class Counted:
    """A part's stream that counts what is parsed against a budget, and
    refuses a document type declaration in its prolog (``_Prolog``)."""

    def __init__(self, raw, book: Workbook, part: str):
        self.raw, self.book, self.part = raw, book, part
        self.prolog: _Prolog | None = _Prolog(book, part)
        self.watch = XMLParser(target=self.prolog)

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n if n and n > 0 else 1 << 16)
        self.book.inflated += len(data)
        if self.book.inflated > limits.MAX_XML_BYTES:
            raise Refused(self.book.too_big(self.part))
        if self.prolog is not None and data:
            try:
                self.watch.feed(data)
            except ParseError:
                self.prolog = None  # the real parser says why
            if self.prolog is not None and self.prolog.done:
                self.prolog = None
        return data


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def text_of(elem) -> str:
    """A string item's text: its ``<t>``, or its rich-text runs' ``<t>``
    joined (phonetic ``<rPh>`` runs left out)."""
    parts = []
    for child in elem:
        tag = local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts += [t.text or "" for t in child if local(t.tag) == "t"]
    return "".join(parts)


# Elements inside one cell or string item (rich-text runs and their
# formatting): far above any real cell, and a bound on what is held.
MAX_INNER_ELEMENTS = 10_000


def _inner_refused(file: str, part: str) -> Refused:
    return Refused(Problem(
        file, None, None, None,
        f"{part} holds a cell of more than {MAX_INNER_ELEMENTS:,} XML "
        "elements; no roster cell is made so (the file is damaged or "
        "built to exhaust memory)"))


def elements(stream, tags: tuple[str, ...], file: str, part: str):
    """Pull-parse ``stream``; yield (element, parent's local name) for
    each element named ``tags``, whole, then drop it. Every other
    element is dropped as it ends, so memory holds one element's
    subtree at a time whatever the part's size."""
    stack: list = []
    inside = 0  # elements within the wanted element being built
    depth_wanted = -1
    for event, elem in iterparse(stream, events=("start", "end")):
        if event == "start":
            stack.append(elem)
            if depth_wanted >= 0:
                inside += 1
                if inside > MAX_INNER_ELEMENTS:
                    raise _inner_refused(file, part)
            elif local(elem.tag) in tags:
                depth_wanted, inside = len(stack), 0
            continue
        stack.pop()
        if 0 <= depth_wanted <= len(stack):
            continue  # within a wanted element: kept until it ends
        if depth_wanted == len(stack) + 1:
            depth_wanted = -1
            yield elem, local(stack[-1].tag) if stack else ""
        if stack:
            stack[-1].remove(elem)
