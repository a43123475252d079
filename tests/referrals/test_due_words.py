"""Due times read as people say them: "by the end of Mon 7 Dec", not "due Tue 8 Dec
00:00" (``referrals.clocks.due_words``, shown everywhere through the ``due_by`` filter)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.template import Context, Template

from referrals import clocks, sla
from referrals.models import Referral
from referrals.notifications import render_email

LONDON = ZoneInfo("Europe/London")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("due", "words"),
    [
        # Midnight: the end of the working day before.
        (at(2026, 12, 8, 0, 0), "by the end of Mon 7 Dec"),
        # Monday 00:00 after a weekend: the allowance ran out as Friday ended.
        (at(2026, 12, 7, 0, 0), "by the end of Fri 4 Dec"),
        # After Christmas and Boxing Day (bank holidays, 25 and 28 Dec 2026 substitute):
        # the last working day before Tue 29 Dec is Thu 24 Dec.
        (at(2026, 12, 29, 0, 0), "by the end of Thu 24 Dec"),
        # Easter 2027: Good Friday 26 and Easter Monday 29 March are bank holidays, so
        # Tue 30 March 00:00 means the end of Thu 25 March.
        (at(2027, 3, 30, 0, 0), "by the end of Thu 25 Mar"),
        # Any other moment is said as it is.
        (at(2026, 12, 8, 14, 30), "by 14:30 on Tue 8 Dec"),
        # Summer time: the local wall clock, not UTC.
        (datetime(2026, 7, 6, 23, 0, tzinfo=ZoneInfo("UTC")), "by the end of Mon 6 Jul"),
    ],
)
def test_due_words(due, words):
    assert clocks.due_words(due) == words


def test_the_lead_word_can_change_or_go():
    assert clocks.due_words(at(2026, 12, 8), lead="at") == "at the end of Mon 7 Dec"
    assert clocks.due_words(at(2026, 12, 8), lead="") == "the end of Mon 7 Dec"


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        clocks.due_words(datetime(2026, 12, 8))


def test_the_filter_says_the_same():
    html = Template("{% load cirs %}{{ due|due_by }}|{{ none|due_by }}").render(
        Context({"due": at(2026, 12, 8), "none": None})
    )
    assert html == "by the end of Mon 7 Dec|"


@time_machine.travel(at(2026, 12, 4, 16, 0), tick=False)
def test_a_badge_shows_the_due_time_in_words(flow):
    """A referral sent on Friday afternoon before a weekend: the triage clock is
    configured in working days or hours; whatever it gives, the badge says it in words
    and never shows a bare midnight."""
    referral = flow.referral(state=Referral.State.SUBMITTED)
    readings = [r for r in sla.referral_clocks(referral) if r.is_running]
    html = Template("{% load cirs %}{% for r in readings %}{% clock_badge r %}{% endfor %}").render(
        Context({"readings": readings})
    )

    assert readings
    for reading in readings:
        assert clocks.due_words(reading.due_at) in html
    assert "00:00" not in html


def test_a_chase_e_mail_says_the_limit_in_words():
    context = {
        "user": SimpleNamespace(first_name="Sam"),
        "referral": SimpleNamespace(reference="CIRS-0042"),
        "url": "https://cirs.example.org/referrals/42/",
        "service_name": settings.CIRS_SERVICE_NAME,
        "level": 2,
        "limit_at": at(2026, 12, 29),
        "target_at": at(2026, 12, 29),
    }

    for template in ("chase_triage", "chase_review", "chase_manager_contact"):
        _, text, html = render_email(template, context)
        assert "the end of Thu 24 Dec" in text, template
        assert "the end of Thu 24 Dec" in html, template
        assert "00:00" not in text + html


def test_no_template_shows_a_due_time_with_a_plain_date_filter():
    """Every due time goes through ``due_by``: no template formats one itself."""
    root = Path(settings.BASE_DIR) / "templates"
    offenders = []
    for path in root.rglob("*.*"):
        source = path.read_text()
        for name in ("due_at", "limit_at", "target_at"):
            if f"{name}|date" in source:
                offenders.append(f"{path.relative_to(root)}: {name}")
    assert offenders == []
