"""Simple horizontal bar charts as SVG, drawn in Python for the dashboard and the PDF.

No JavaScript and no images of text: labels and values are real SVG text, and each
chart has a <title> and <desc> so screen readers and tagged PDFs can describe it. The
same figures are always in a table beside the chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
LABEL_WIDTH = 250
VALUE_WIDTH = 60
BAR_HEIGHT = 18
GAP = 8
PADDING = 6
MAX_LABEL_CHARS = 40
# Each bar stands out from the white page by 3:1 or more (WCAG 1.4.11).
COLOURS = ("#2f5d62", "#5e8b7e", "#4f7f9a")

_ids = count(1)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def bar_chart(title: str, bars: Sequence[tuple[str, float]], *, unit: str = "") -> SafeString:
    """One bar per (label, value); values are drawn to scale from zero."""
    chart_id = f"chart-{next(_ids)}"
    height = PADDING * 2 + max(1, len(bars)) * (BAR_HEIGHT + GAP)
    largest = max((value for _, value in bars), default=0) or 1
    scale = (WIDTH - LABEL_WIDTH - VALUE_WIDTH - PADDING) / largest
    summary = "; ".join(f"{label}: {_number(value)}{unit}" for label, value in bars) or "no data"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cirs-chart" role="img" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]
    for index, (label, value) in enumerate(bars):
        y = PADDING + index * (BAR_HEIGHT + GAP)
        text_y = y + BAR_HEIGHT - 5
        bar_width = max(0.0, value * scale)
        colour = COLOURS[index % len(COLOURS)]
        parts += [
            f'<text x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end" font-size="12" '
            f'font-family="sans-serif" fill="#222">{escape(_short(label))}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar_width:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{colour}"/>',
            f'<text x="{LABEL_WIDTH + bar_width + 6:.1f}" y="{text_y}" font-size="12" '
            f'font-family="sans-serif" fill="#222">{_number(value)}{escape(unit)}</text>',
        ]
    if not bars:
        parts.append(
            f'<text x="{PADDING}" y="{PADDING + BAR_HEIGHT - 5}" font-size="12" '
            'font-family="sans-serif" fill="#222">Nothing to show for this period</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
