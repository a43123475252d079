"""The .ics calendar file for a key date (RFC 5545): all-day, no personal data, audited."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from referrals import services
from referrals.calendar import key_date_calendar
from referrals.models import KeyDate, Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_date(flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    return services.save_key_date(
        referral_id=referral.pk,
        by=flow.therapist.user,
        kind="inquest",
        date=timezone.localdate() + timedelta(days=40),
        label="Robin's inquest, court 2",
    )


def url(key_date):
    return reverse("therapists:key_date_ics", args=[key_date.referral_id, key_date.pk])


def test_the_calendar_file_is_an_all_day_event_with_only_type_and_reference(client, flow, key_date):
    client.force_login(flow.therapist.user)

    response = client.get(url(key_date))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    lines = body.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert "VERSION:2.0" in lines
    assert any(line.startswith("PRODID:") for line in lines)
    assert any(line.startswith("UID:") for line in lines)
    assert any(line.startswith("DTSTAMP:") and line.endswith("Z") for line in lines)
    start = key_date.date
    assert f"DTSTART;VALUE=DATE:{start:%Y%m%d}" in lines
    assert f"DTEND;VALUE=DATE:{start + timedelta(days=1):%Y%m%d}" in lines
    summary = next(line for line in lines if line.startswith("SUMMARY:"))
    assert key_date.referral.reference in summary
    assert "Inquest" in summary
    # Nothing personal: not the staff member, not the free-text note.
    referral = key_date.referral
    for personal in (referral.staff_name, referral.staff_email, "Robin", "court 2"):
        assert personal not in body
    assert "\n" not in body.replace("\r\n", "")


def test_the_download_is_audited(client, flow, key_date):
    client.force_login(flow.therapist.user)

    client.get(url(key_date))

    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DOWNLOAD,
        object_type="referral",
        object_id=str(key_date.referral_id),
        user=flow.therapist.user,
    ).exists()


def test_another_therapist_cannot_download_it(client, other_therapist, key_date):
    client.force_login(other_therapist.user)

    response = client.get(url(key_date))

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()


def test_the_line_manager_cannot_download_it(client, flow, key_date):
    client.force_login(flow.manager)

    assert client.get(url(key_date)).status_code == 403


def test_long_lines_are_folded_at_75_octets():
    key_date = KeyDate(pk=1, kind="imr", date=timezone.localdate())
    referral = SimpleNamespace(reference="CIRS-" + "é" * 60)

    body = key_date_calendar(key_date, referral)

    lines = body.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines)
    unfolded = body.replace("\r\n ", "")
    assert "CIRS-" + "é" * 60 in unfolded
