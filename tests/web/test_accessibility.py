"""Readable contrast: every text colour of the workbench's style sheet
meets WCAG AA (4.5:1) on the backgrounds it is used on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).parents[2] / "optimizer" / "web" / "static"
       / "style.css").read_text()
VARS = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{6})", CSS))


def luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("text", ["ink", "muted", "accent", "good", "warn",
                                  "bad"])
@pytest.mark.parametrize("background", ["bg", "soft"])
def test_text_colours_meet_wcag_aa(text, background):
    assert contrast(VARS[text], VARS[background]) >= 4.5


def test_header_and_notices_meet_wcag_aa():
    assert contrast("#ffffff", "#12314f") >= 4.5  # the top bar
    assert contrast(VARS["ink"], "#fbeeee") >= 4.5  # problem notice
    assert contrast(VARS["accent"], "#eef5fc") >= 4.5  # link in a notice
    assert contrast("#5c3700", "#fff1d6") >= 4.5  # "unverified" tag
