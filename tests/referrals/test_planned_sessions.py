"""Sessions booked ahead (issue 13): the invitation (.ics through the outbox), a stable
UID with SEQUENCE on change and METHOD:CANCEL, held / not attended / cancelled, the
allowance counting booked sessions, and the staff member's reminder the working day
before, sent once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from referrals import chasing, mailer, services
from referrals.models import ChaseRecord, OutboundEmail, PlannedSession, Referral, TherapySession
from referrals.services import RuleRefused

LONDON = ZoneInfo("Europe/London")


def _plan(flow, referral, *, days=2, planned_id=None, **kwargs):
    kwargs.setdefault("mode", TherapySession.Mode.VIRTUAL)
    kwargs.setdefault("link", "https://meet.example.org/abc")
    return services.plan_session(
        referral_id=referral.pk,
        by=flow.therapist.user,
        starts_at=timezone.now() + timedelta(days=days),
        planned_id=planned_id,
        **kwargs,
    )


def _invites(planned) -> list[OutboundEmail]:
    return list(
        OutboundEmail.objects.filter(dedupe_key__startswith=f"planned:{planned.pk}:").order_by("pk")
    )


def _event(email: OutboundEmail):
    calendar = Calendar.from_ical(email.attachment)
    return calendar, next(iter(calendar.walk("VEVENT")))


def test_booking_e_mails_the_staff_member_and_the_therapist_an_invitation(flow):
    referral = flow.referral(state="active")

    planned = _plan(flow, referral)

    invites = _invites(planned)
    assert {e.to for e in invites} == {referral.staff_email, flow.therapist.user.email}
    for email in invites:
        assert email.attachment_name == "session.ics"
        assert email.attachment_type == "text/calendar; method=REQUEST"
        calendar, event = _event(email)
        assert calendar["METHOD"] == "REQUEST"
        assert str(event["UID"]) == f"cirs-planned-session-{planned.pk}@localhost"
        assert event["SEQUENCE"] == 0
        assert event.decoded("DTSTART") == planned.starts_at.replace(microsecond=0)
        assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=1)
        assert str(event["LOCATION"]) == "https://meet.example.org/abc"
        assert referral.staff_name not in email.attachment


def test_a_change_updates_the_same_entry_and_cancelling_sends_cancel(flow):
    referral = flow.referral(state="active")
    planned = _plan(flow, referral)
    uid = str(_event(_invites(planned)[0])[1]["UID"])

    moved = _plan(
        flow,
        referral,
        days=3,
        planned_id=planned.pk,
        mode=TherapySession.Mode.FACE_TO_FACE,
        place="Room 2",
    )
    services.record_planned_session(
        referral_id=referral.pk,
        by=flow.therapist.user,
        planned_id=planned.pk,
        outcome=PlannedSession.Status.CANCELLED,
        reason="Rearranged",
    )

    invites = _invites(planned)
    assert len(invites) == 6  # booked, moved, cancelled: two people each
    sequences, methods = [], []
    for email in invites:
        calendar, event = _event(email)
        assert str(event["UID"]) == uid
        sequences.append(event["SEQUENCE"])
        methods.append(str(calendar["METHOD"]))
    assert sequences == [0, 0, 1, 1, 2, 2]
    assert methods == ["REQUEST"] * 4 + ["CANCEL"] * 2
    assert str(_event(invites[2])[1]["LOCATION"]) == "Room 2"
    assert moved.pk == planned.pk
    planned.refresh_from_db()
    assert planned.status == PlannedSession.Status.CANCELLED
    assert planned.session.attendance == TherapySession.Attendance.CANCELLED


def test_the_outbox_sends_the_invitation_as_a_calendar_attachment(flow):
    referral = flow.referral(state="active")
    planned = _plan(flow, referral)
    email = _invites(planned)[0]
    mail.outbox.clear()

    assert mailer.send_one(email.pk)

    (sent,) = mail.outbox
    (part,) = [p for p in sent.message().walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "session.ics"
    assert "BEGIN:VEVENT" in part.get_payload(decode=True).decode()


def test_a_face_to_face_session_needs_a_place_and_a_virtual_one_a_link(flow):
    referral = flow.referral(state="active")
    with pytest.raises(RuleRefused) as refused:
        _plan(flow, referral, mode=TherapySession.Mode.FACE_TO_FACE, place="")
    assert refused.value.field == "place"
    with pytest.raises(RuleRefused) as refused:
        _plan(flow, referral, link="")
    assert refused.value.field == "link"


def test_a_booked_session_is_in_the_future(flow):
    referral = flow.referral(state="active")
    with pytest.raises(RuleRefused) as refused:
        _plan(flow, referral, days=-1)
    assert refused.value.field == "starts_at"


def test_booked_sessions_count_against_the_allowance(flow, settings):
    settings.CIRS_SESSIONS_BEFORE_REVIEW = 3
    referral = flow.referral(state="active")  # the first meeting: 1 attended
    flow.session(referral)  # 2 attended
    _plan(flow, referral)  # 2 held + 1 booked = 3

    with pytest.raises(RuleRefused) as refused:
        _plan(flow, referral, days=4)

    assert "2 sessions held and 1 planned make 3" in refused.value.message
    assert "review" in refused.value.message
    assert PlannedSession.objects.filter(referral=referral).count() == 1


def test_moving_a_booked_session_does_not_count_it_twice(flow):
    referral = flow.referral(state="active")
    flow.session(referral)
    planned = _plan(flow, referral)
    moved = _plan(flow, referral, days=5, planned_id=planned.pk)
    assert moved.sequence == 1


def test_held_is_recorded_once_the_time_has_come_and_counts(flow):
    referral = flow.referral(state="active")
    planned = _plan(flow, referral, days=1)
    with pytest.raises(RuleRefused, match="not happened yet"):
        services.record_planned_session(
            referral_id=referral.pk,
            by=flow.therapist.user,
            planned_id=planned.pk,
            outcome=PlannedSession.Status.HELD,
        )
    before = flow.refresh(referral).counted_sessions()

    with time_machine.travel(planned.ends_at, tick=False):
        services.record_planned_session(
            referral_id=referral.pk,
            by=flow.therapist.user,
            planned_id=planned.pk,
            outcome=PlannedSession.Status.HELD,
        )

    planned.refresh_from_db()
    assert planned.status == PlannedSession.Status.HELD
    assert planned.session.held_at == planned.starts_at
    assert flow.refresh(referral).counted_sessions() == before + 1


def test_not_attended_needs_a_reason_and_does_not_count(flow):
    referral = flow.referral(state="active")
    planned = _plan(flow, referral, days=1)
    with pytest.raises(RuleRefused) as refused:
        services.record_planned_session(
            referral_id=referral.pk,
            by=flow.therapist.user,
            planned_id=planned.pk,
            outcome=PlannedSession.Status.NOT_ATTENDED,
        )
    assert refused.value.field == "reason"
    with time_machine.travel(planned.ends_at, tick=False):
        services.record_planned_session(
            referral_id=referral.pk,
            by=flow.therapist.user,
            planned_id=planned.pk,
            outcome=PlannedSession.Status.NOT_ATTENDED,
            reason="Unwell",
        )
    planned.refresh_from_db()
    assert planned.session.attendance == TherapySession.Attendance.DID_NOT_ATTEND


# --- the reminder the working day before -----------------------------------------------


def _booked_at(flow, *, wants: bool, starts_at: datetime) -> PlannedSession:
    with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=LONDON), tick=False):
        referral = flow.referral(state="active")
        Referral.objects.filter(pk=referral.pk).update(staff_wants_reminders=wants)
        return services.plan_session(
            referral_id=referral.pk,
            by=flow.therapist.user,
            starts_at=starts_at,
            mode=TherapySession.Mode.VIRTUAL,
            link="https://meet.example.org/x",
        )


def _sweep(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return chasing.remind_planned_sessions(now=moment)


def _reminders(planned) -> list[OutboundEmail]:
    return list(
        OutboundEmail.objects.filter(
            dedupe_key__startswith=f"chase:{planned.referral_id}:session_reminder:"
        )
    )


def test_the_reminder_goes_the_working_day_before_once(flow):
    # Monday 8 June 2026, 10:00: the working day before is Friday 5 June.
    planned = _booked_at(flow, wants=True, starts_at=datetime(2026, 6, 8, 10, tzinfo=LONDON))

    assert _sweep(datetime(2026, 6, 4, 9, tzinfo=LONDON)) == 0  # Thursday: too early
    assert _sweep(datetime(2026, 6, 5, 9, tzinfo=LONDON)) == 1  # Friday
    assert _sweep(datetime(2026, 6, 5, 15, tzinfo=LONDON)) == 0  # once only
    assert _sweep(datetime(2026, 6, 7, 9, tzinfo=LONDON)) == 0  # Sunday: not a working day

    (email,) = _reminders(planned)
    assert email.to == planned.referral.staff_email
    assert "reminder" in email.subject.lower()
    assert ChaseRecord.objects.filter(clock="session_reminder").count() == 1


def test_the_reminder_skips_a_bank_holiday(flow):
    # Tuesday 26 May 2026 follows the Spring bank holiday: remind on Friday 22 May.
    planned = _booked_at(flow, wants=True, starts_at=datetime(2026, 6, 2, 10, tzinfo=LONDON))
    assert _sweep(datetime(2026, 6, 1, 9, tzinfo=LONDON)) == 1
    assert _reminders(planned)


def test_no_reminder_unless_the_staff_member_chose_it(flow):
    planned = _booked_at(flow, wants=False, starts_at=datetime(2026, 6, 8, 10, tzinfo=LONDON))
    assert _sweep(datetime(2026, 6, 5, 9, tzinfo=LONDON)) == 0
    assert _reminders(planned) == []


def test_the_first_meeting_records_the_reminder_choice(client, flow):
    referral = flow.referral(state="allocated")
    client.force_login(flow.therapist.user)
    client.post(
        reverse("therapists:first_meeting", args=[referral.pk]),
        {
            "version": referral.version,
            "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "mode": "virtual",
            "staff_wants_reminders": "on",
        },
    )
    assert flow.refresh(referral).staff_wants_reminders is True


def test_the_staff_member_sees_their_booked_sessions_where_the_e_mail_points(
    client, flow, staff_member
):
    referral = flow.referral(state="active", staff_email=staff_member.email)
    Referral.objects.filter(pk=referral.pk).update(staff_user=staff_member)
    planned = _plan(flow, referral)
    email = OutboundEmail.objects.get(
        dedupe_key__startswith=f"planned:{planned.pk}:", to=staff_member.email
    )
    assert reverse("referrals:own") in email.body_text
    client.force_login(staff_member)

    response = client.get(reverse("referrals:own"))

    assert f"{timezone.localtime(planned.starts_at):%A %-d %B %Y, %H:%M}" in response.text
    assert "meet.example.org/abc" in response.text


def test_someone_without_an_account_is_not_told_to_sign_in(flow):
    referral = flow.referral(state="active")  # the staff member has an e-mail, no account
    planned = _plan(flow, referral)
    email = OutboundEmail.objects.get(
        dedupe_key__startswith=f"planned:{planned.pk}:", to=referral.staff_email
    )
    assert "CIRS" not in email.body_text.replace("The Critical Incident Response Service", "")
    assert email.attachment_name == "session.ics"
