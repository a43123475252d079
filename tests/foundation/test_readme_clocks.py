"""The table of clocks lives in settings only; the README quotes it, and this test
fails the moment the quote and settings.CIRS_CLOCKS disagree."""

import re
from pathlib import Path

from django.conf import settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _span(span) -> str:
    if not span:
        return "—"
    ((unit, amount),) = span.items()
    word = {"working_days": "working day", "working_hours": "working hour"}[unit]
    return f"{amount:g} {word}{'' if amount == 1 else 's'}"


def expected_table() -> str:
    lines = ["| clock | target | limit |", "|---|---|---|"]
    for clock, config in settings.CIRS_CLOCKS.items():
        lines.append(f"| `{clock}` | {_span(config['target'])} | {_span(config['limit'])} |")
    return "\n".join(lines)


def readme_table() -> str:
    found = re.search(
        r"<!-- clocks:start -->\n(.*?)\n<!-- clocks:end -->", README.read_text(), re.S
    )
    assert found, "README.md lost its <!-- clocks:start --> ... <!-- clocks:end --> block"
    return found.group(1).strip()


def test_readme_quotes_the_clocks_from_settings():
    assert readme_table() == expected_table(), (
        "README.md's clock table differs from CIRS_CLOCKS; paste this:\n" + expected_table()
    )


def test_a_changed_setting_would_be_caught(settings):
    settings.CIRS_CLOCKS = {
        **settings.CIRS_CLOCKS,
        "triage": {"target": {"working_days": 2}, "limit": {"working_days": 3}},
    }
    assert readme_table() != expected_table()
