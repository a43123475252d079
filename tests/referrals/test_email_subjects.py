"""Each e-mail event has its own subject: an extension request and an exceptional
session request (and each decision, and each chase level) never share one, so a
reader knows from the inbox which it is."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings

from referrals.chasing import CHASE_RULES
from referrals.notifications import render_email
from tests.referrals.test_email_templates import USED

LONDON = ZoneInfo("Europe/London")
DUE = datetime(2026, 12, 8, tzinfo=LONDON)


def _variants(name: str) -> list[dict]:
    """Each event an e-mail template stands for, as the context that tells them apart."""
    levels = {rule.template: [lvl.level for lvl in rule.levels] for rule in CHASE_RULES}
    if name in levels:
        return [{"level": level} for level in levels[name]]
    if name == "extension_requested":
        return [{"request": SimpleNamespace(kind=k)} for k in ("extension", "exceptional")]
    if name == "extension_decided":
        return [
            {"request": SimpleNamespace(kind=k, status=s)}
            for k in ("extension", "exceptional")
            for s in ("approved", "refused")
        ]
    return [{}]


def test_every_e_mail_event_has_its_own_subject():
    base = {
        "user": SimpleNamespace(first_name="Sam"),
        "referral": SimpleNamespace(reference="CIRS-0042"),
        "url": "https://cirs.example.org/referrals/42/",
        "service_name": settings.CIRS_SERVICE_NAME,
        "target_at": DUE,
        "limit_at": DUE,
        "key_date_on": DUE.date(),
        "items": [],
        "summary_text": "-",
    }
    subjects: dict[str, list[str]] = {}
    events = 0
    for name in USED:
        for variant in _variants(name):
            subject, _, _ = render_email(name, {**base, **variant})
            subjects.setdefault(subject, []).append(f"{name} {variant}")
            events += 1

    shared = {subject: who for subject, who in subjects.items() if len(who) > 1}
    assert shared == {}
    assert events >= len(USED) + 8  # the variants above were really rendered


def test_extension_and_exceptional_requests_read_differently():
    context = {"referral": SimpleNamespace(reference="CIRS-0042"), "user": None}

    extension, _, _ = render_email(
        "extension_requested", {**context, "request": SimpleNamespace(kind="extension")}
    )
    exceptional, _, _ = render_email(
        "extension_requested", {**context, "request": SimpleNamespace(kind="exceptional")}
    )

    assert "more sessions" in extension
    assert "exceptional" in exceptional
