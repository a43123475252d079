"""Sessions booked ahead (issue 13): book or move one, record how it went, cancel it.

The staff member and the therapist each get an e-mail with a calendar invitation
(``referrals.calendar``); a move sends the same entry again with a higher SEQUENCE, a
cancellation sends METHOD:CANCEL. No session can be booked beyond the allowance:
sessions booked and not yet held count against it (``Referral.planning_refusal``)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from referrals import calendar
from referrals.models import PlannedSession, Referral, TherapySession
from referrals.notifications import Attachment, notify
from referrals.permissions import can_act_as_therapist, require
from referrals.services.core import RuleRefused, apply_transition, lock_referral
from referrals.services.support import record_therapy_session

Mode = TherapySession.Mode
PLANNED_TEMPLATE = "session_planned"
CANCELLED_TEMPLATE = "session_cancelled"


def place_errors(*, mode: str, place: str, link: str) -> dict[str, str]:
    """A face-to-face session needs a place; a virtual one needs a link."""
    if mode == Mode.FACE_TO_FACE and not place.strip():
        return {"place": "Please say where you will meet."}
    if mode == Mode.VIRTUAL and not link.strip():
        return {"link": "Please add the link for the video call."}
    return {}


def _invite(planned: PlannedSession, *, method: str) -> None:
    """E-mail the staff member and the therapist the calendar entry (once per change)."""
    referral = planned.referral
    staff = referral.staff_user if referral.staff_user_id else referral.staff_email
    content_type = f"text/calendar; method={method}"
    body = calendar.session_invitation(planned, method=method)
    cancelled = method == calendar.CANCEL
    for person, url in (
        (staff, reverse("referrals:own")),
        (referral.therapist.user, reverse("therapists:case", args=[referral.pk])),
    ):
        notify(
            [person],
            template=CANCELLED_TEMPLATE if cancelled else PLANNED_TEMPLATE,
            key=f"planned:{planned.pk}:{planned.sequence}:{method}",
            referral=referral,
            context={"planned": planned, "changed": planned.sequence > 0},
            url=url,
            attachment=Attachment("session.ics", content_type, body),
        )


def _check(referral: Referral, *, starts_at: datetime, excluding: int | None) -> None:
    if referral.is_group:
        raise RuleRefused("Sessions are booked ahead on an individual referral.")
    if starts_at <= timezone.now():
        raise RuleRefused(
            "A booked session is still to come. To record one that has happened, please "
            "use 'Record a session'.",
            field="starts_at",
        )
    refusal = referral.planning_refusal(excluding=excluding)
    if refusal:
        raise RuleRefused(refusal, field="starts_at")


@transaction.atomic
def plan_session(
    *,
    referral_id: int,
    by,
    starts_at: datetime,
    mode: str,
    place: str = "",
    link: str = "",
    duration_minutes: int = 60,
    planned_id: int | None = None,
    expected_version: int | None = None,
) -> PlannedSession:
    """Book a session ahead, or move one already booked (``planned_id``)."""
    for field, message in place_errors(mode=mode, place=place, link=link).items():
        raise RuleRefused(message, field=field)
    referral = lock_referral(referral_id, expected_version=expected_version)
    require(by, can_act_as_therapist, referral)
    planned = None
    if planned_id is not None:
        planned = referral.planned_sessions.select_for_update().get(pk=planned_id)
        if planned.status != PlannedSession.Status.PLANNED:
            raise RuleRefused("This session has already been recorded.")
    _check(referral, starts_at=starts_at, excluding=planned_id)
    referral = apply_transition(
        referral.pk,
        by=by,
        method="change_planned_sessions",
        event="session_moved" if planned else "session_planned",
    )
    values = {
        "starts_at": starts_at,
        "mode": mode,
        "place": place.strip() if mode == Mode.FACE_TO_FACE else "",
        "link": link.strip() if mode == Mode.VIRTUAL else "",
        "duration_minutes": duration_minutes,
    }
    if planned is None:
        planned = PlannedSession.objects.create(referral=referral, planned_by=by, **values)
    else:
        for name, value in values.items():
            setattr(planned, name, value)
        planned.sequence += 1
        planned.save()
    planned.referral = referral
    _invite(planned, method=calendar.REQUEST)
    return planned


OUTCOMES = {
    PlannedSession.Status.HELD: TherapySession.Attendance.ATTENDED,
    PlannedSession.Status.NOT_ATTENDED: TherapySession.Attendance.DID_NOT_ATTEND,
    PlannedSession.Status.CANCELLED: TherapySession.Attendance.CANCELLED,
}


@transaction.atomic
def record_planned_session(
    *, referral_id: int, by, planned_id: int, outcome: str, reason: str = "", notes: str = ""
) -> PlannedSession:
    """A booked session was held, not attended, or is cancelled. It becomes a recorded
    session (the allowance rule of ``record_therapy_session`` applies); a cancelled
    one also takes the entry out of both calendars."""
    referral = lock_referral(referral_id)
    require(by, can_act_as_therapist, referral)
    planned = referral.planned_sessions.select_for_update().get(pk=planned_id)
    if planned.status != PlannedSession.Status.PLANNED:
        raise RuleRefused("This session has already been recorded.")
    if outcome == PlannedSession.Status.HELD and planned.starts_at > timezone.now():
        raise RuleRefused(
            "This session has not happened yet. Please record it once it has.", field="outcome"
        )
    if outcome != PlannedSession.Status.HELD and not reason.strip():
        raise RuleRefused(
            "Please add a short reason (for example 'unwell' or 'rearranged').", field="reason"
        )
    session = record_therapy_session(
        referral_id=referral.pk,
        by=by,
        held_at=planned.starts_at,
        mode=planned.mode,
        attendance=OUTCOMES[outcome],
        cancellation_reason=reason if outcome != PlannedSession.Status.HELD else "",
        duration_minutes=planned.duration_minutes,
        notes=notes,
    )
    planned.status = outcome
    planned.session = session
    if outcome == PlannedSession.Status.CANCELLED:
        planned.sequence += 1
    planned.save()
    if outcome == PlannedSession.Status.CANCELLED:
        planned.referral = Referral.objects.select_related("therapist__user", "staff_user").get(
            pk=referral.pk
        )
        _invite(planned, method=calendar.CANCEL)
    return planned
