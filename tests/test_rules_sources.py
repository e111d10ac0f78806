"""``verified = yes`` means a regulation, a statute or a CTC page (issue 10,
item 8), and docs/authorizations.md is the tables, generated."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from optimizer.outputs.rules_doc import render

ROOT = Path(__file__).parent.parent

# A citation is primary when it names a regulation, a statute or a CTC page
# and is not one seen only second-hand.
PRIMARY = re.compile(r"\b(\d+ CCR|EC \d+|Education Code|\d+ CFR|CTC)\b")
SECONDARY = re.compile(
    r"university|program page|program-review|CSU|SDSU|Fresno Pacific|"
    r"La Verne|Cal State|Cal Lutheran|Lammersville|SELPA|handbook|"
    r"third-party|third party|\b3P\b|matrix|CSBA|quoted in|secondary|"
    r"contract decision|not researched|presentation|slide|issuu|mirror|"
    r"inference|assumption|definition only|district default|"
    r"district policy|contract S1", re.IGNORECASE)


def citations(source: str) -> list[str]:
    """A source cell split into its citations."""
    return [c.strip() for c in source.split(";") if c.strip()]


def is_primary(citation: str) -> bool:
    return bool(PRIMARY.search(citation)) and not SECONDARY.search(
        citation)


@pytest.mark.parametrize("source, primary", [
    ("5 CCR 80047 (eff. 7/1/2022)", True),
    ("CTC C8", True),
    ("EC 56362(b)", True),
    ("CSU Chico 2010 program-review page (secondary)", False),
    ("Title 5 as quoted in DMSELPA policy (secondary)", False),
    ("5 CCR 3051.6, seen only as quoted in DMSELPA policies", False),
    ("code from a third-party matrix", False),
    ("contract decision", False),
    # issue 21: a slide deck seen on a mirror is not a CTC page
    ("CTC 2011 presentation seen only as an issuu mirror", False),
    ("CTC 2011 presentation: all Education Specialist credentials", False),
    ("CTC TC3Q (R3DH authorization text)", True),
    ("district default (no statutory cap)", False),
])
def test_citation_classifier(source, primary):
    # The classifier itself, so the table test below means what it says.
    assert is_primary(source) is primary


def test_every_verified_row_cites_a_regulation_or_ctc_page(rules):
    offenders = [
        (r.rule_id, r.source) for r in rules.authorizations
        if r.verified and not any(is_primary(c)
                                  for c in citations(r.source))]
    assert offenders == []


# Every table of data/rules and what its ``verified`` column speaks to;
# credentials.csv makes no claim (its source cell says where each code
# was seen). A new table fails until it is listed here.
TABLES = {
    "authorizations.csv": "verified",
    "caseload_defaults.csv": "verified",
    "best_practice.csv": "verified",
    "alt_placement_services.csv": "verified",
    "credentials.csv": None,
}


def test_every_rules_table_is_covered():
    found = {p.name for p in (ROOT / "data" / "rules").glob("*.csv")}
    assert found == set(TABLES)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_verified_row_of_every_table_is_primary(name):
    # Issue 21: verified = yes only with a statute, a regulation or a CTC
    # page, in every rules table (read as the district edits it).
    with (ROOT / "data" / "rules" / name).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    column = TABLES[name]
    assert all(r["source"].strip() for r in rows), name
    if column is None:
        assert "verified" not in rows[0]
        return
    offenders = [r["source"] for r in rows
                 if r[column].strip().lower() == "yes"
                 and not any(is_primary(c) for c in citations(r["source"]))]
    assert offenders == []
    assert {r[column].strip().lower() for r in rows} <= {"yes", "no"}


def test_the_table_test_catches_a_slide_deck_row(tmp_path):
    # Not vacuous: the pre-issue-21 S-RSP-LEGACY row (verified on a 2011
    # slide deck) and the old best-practice rank 3 would fail it.
    assert not any(is_primary(c) for c in citations(
        "CTC 2011 presentation: all Education Specialist credentials "
        "include a resource services authorization"))
    assert not any(is_primary(c) for c in citations(
        "contract S1 ranking (district-editable)"))


def test_every_unverified_row_says_why(rules):
    # An unverified row needs a note explaining what is missing.
    assert [r.rule_id for r in rules.authorizations
            if not r.verified and not r.note] == []


def test_table_has_unverified_rows_the_test_would_catch(rules):
    # Guard against a vacuous pass: rows citing only secondary sources
    # exist and are all marked unverified.
    secondary_only = [r for r in rules.authorizations
                      if not any(is_primary(c)
                                 for c in citations(r.source))]
    assert len(secondary_only) >= 5
    assert not any(r.verified for r in secondary_only)


def test_docs_page_is_generated_from_the_tables(rules):
    committed = (ROOT / "docs" / "authorizations.md").read_text(
        encoding="utf-8")
    assert committed == render(rules), (
        "docs/authorizations.md is stale: run "
        "caseload rules --out docs/authorizations.md")


def test_docs_page_lists_every_row_with_its_status(rules):
    page = render(rules)
    for r in rules.authorizations:
        line = next(ln for ln in page.splitlines()
                    if ln.startswith(f"| `{r.rule_id}` |"))
        assert ("| yes |" if r.verified else "| **no** |") in line


def test_docs_page_lists_every_rules_table(rules):
    # Issue 21: caps (every row, with its law and status), best practice
    # and alternate placement are on the page, not only authorizations.
    page = render(rules)
    for title in ("## Caseload caps", "## Best practice",
                  "## Alternate placement", "## Documents"):
        assert title in page
    caps = page[page.index("## Caseload caps"):page.index("## Best")]
    assert caps.count("\n| ") - 1 == len(rules.caseload_defaults)
    assert "| SPEECH | always | 55 | - | average | yes |" in caps
    best = page[page.index("## Best practice"):page.index("## Alternate")]
    assert best.count("\n| ") - 1 == len(rules.best_practice) == 9
    alt = page[page.index("## Alternate"):page.index("## Documents")]
    assert alt.count("\n| ") - 1 == len(rules.related_services)
    assert "| DEAF (Deaf) | DHH or AUD | yes |" in alt


def test_review_page_covers_every_row(rules):
    # Issue 21: docs/rules-review.md reviews every row of every table,
    # with its status as the table has it.
    page = (ROOT / "docs" / "rules-review.md").read_text(encoding="utf-8")
    for r in rules.authorizations:
        line = next(ln for ln in page.splitlines()
                    if ln.startswith(f"| `{r.rule_id}` |"))
        assert ("| yes |" if r.verified else "| **no** |") in line
    for name in TABLES:
        assert f"## {name}" in page
    for code in rules.credentials:
        assert f"| `{code}` |" in page
