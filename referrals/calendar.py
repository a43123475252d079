"""Calendar files (RFC 5545), built with the ``icalendar`` package: the invitation to a
planned session (METHOD:REQUEST, and METHOD:CANCEL when it is cancelled) and the
all-day entry for a key date.

A planned session's UID comes from its row, so every change updates the same calendar
entry; its SEQUENCE counts the changes. A key date's entry holds only its type and the
case reference: no names, no free-text note."""

from __future__ import annotations

from datetime import UTC, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from referrals.models import KeyDate, PlannedSession, Referral, TherapySession

PRODID = "-//Critical Incident Response Service//CIRS//EN"
REQUEST, CANCEL = "REQUEST", "CANCEL"


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "cirs"


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _stamp() -> object:
    return timezone.now().astimezone(UTC).replace(microsecond=0)


def planned_session_uid(planned: PlannedSession) -> str:
    return f"cirs-planned-session-{planned.pk}@{_host()}"


def _person(user_or_address, name: str = "") -> vCalAddress:
    address = vCalAddress(f"mailto:{user_or_address}")
    if name:
        address.params["cn"] = vText(name)
    return address


def session_invitation(planned: PlannedSession, *, method: str = REQUEST) -> str:
    """The invitation for the staff member and the therapist; only when and where the
    session is, and the case reference: the e-mail carries nothing more either."""
    referral = planned.referral
    therapist = referral.therapist.user
    event = Event()
    event.add("uid", planned_session_uid(planned))
    event.add("sequence", planned.sequence)
    event.add("dtstamp", _stamp())
    event.add("dtstart", planned.starts_at.astimezone(UTC))
    event.add("dtend", planned.ends_at.astimezone(UTC))
    event.add("summary", f"Support session ({referral.reference})")
    mode = TherapySession.Mode(planned.mode).label
    where = planned.where
    event.add("description", f"{mode} session. {where}".strip())
    if where:
        event.add("location", where)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("organizer", _person(therapist.email, therapist.get_full_name()))
    staff = referral.staff_user.email if referral.staff_user_id else referral.staff_email
    for attendee in (staff, therapist.email):
        if attendee:
            event.add("attendee", _person(attendee))
    calendar = _calendar(method)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def key_date_calendar(key_date: KeyDate, referral: Referral) -> str:
    """An all-day entry holding only the key date's type and the case reference."""
    event = Event()
    event.add("uid", f"cirs-key-date-{key_date.pk}@{_host()}")
    event.add("dtstamp", _stamp())
    event.add("dtstart", key_date.date)
    event.add("dtend", key_date.date + timedelta(days=1))
    event.add("summary", f"{referral.reference}: key date ({key_date.get_kind_display()})")
    event.add("transp", "TRANSPARENT")
    calendar = _calendar("PUBLISH")
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
