"""The palette in static/cirs/cirs.css: text tokens meet 4.5:1 and the control edges and
focus ring meet 3:1 (WCAG 2.2 AA 1.4.3 and 1.4.11), on the page background and on white.
axe-core checks the text on every page (tests/browser/test_accessibility.py); it does
not check the focus ring or field edges, so this does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

CSS = Path(settings.BASE_DIR) / "static" / "cirs" / "cirs.css"
TEXT = ["text", "muted", "link", "link-hover", "primary", "success", "danger", "code"]
NON_TEXT = ["control-border", "focus"]
# Token pairs where the first is text (or a ring) drawn on the second.
ON_COLOUR = [("#ffffff", "primary"), ("#ffffff", "primary-dark"), ("#ffffff", "accent")]


def _tokens() -> dict[str, str]:
    found = dict(re.findall(r"--cirs-([a-z-]+):\s*(#[0-9a-fA-F]{3,6})\b", CSS.read_text()))
    return {name: _six(value) for name, value in found.items()}


def _six(colour: str) -> str:
    colour = colour.lstrip("#").lower()
    return "#" + ("".join(c * 2 for c in colour) if len(colour) == 3 else colour)


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_is_computed_as_wcag_says():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    # Bootstrap's own blue on the old off-white page: the failure the issue found.
    assert contrast("#0d6efd", "#f7f8f7") < 4.5


@pytest.mark.parametrize("name", TEXT)
def test_text_tokens_meet_4_5_to_1(name):
    tokens = _tokens()
    for background in (tokens["bg"], tokens["surface"]):
        assert contrast(tokens[name], background) >= 4.5, (name, background)


@pytest.mark.parametrize("name", NON_TEXT)
def test_control_edges_and_the_focus_ring_meet_3_to_1(name):
    tokens = _tokens()
    for background in (tokens["bg"], tokens["surface"]):
        assert contrast(tokens[name], background) >= 3.0, (name, background)


@pytest.mark.parametrize(("text", "background"), ON_COLOUR)
def test_white_text_on_the_coloured_tokens_meets_4_5_to_1(text, background):
    assert contrast(text, _tokens()[background]) >= 4.5


def test_the_focus_ring_on_the_header_meets_3_to_1():
    tokens = _tokens()
    assert contrast(tokens["focus-on-dark"], tokens["accent"]) >= 3.0


def test_chart_bars_stand_out_from_the_page_by_3_to_1():
    from reporting.charts import COLOURS

    for colour in COLOURS:
        assert contrast(_six(colour), "#ffffff") >= 3.0, colour
