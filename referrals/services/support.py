"""The therapist's work on a case and the decisions on more sessions: first meeting,
contact with the manager, sessions, the review, requests for more sessions and their
decision, and key dates (docs/service.md, steps 6-10)."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from referrals import notifications, rules
from referrals.models import ExtensionRequest, KeyDate, Referral, Review, TherapySession
from referrals.permissions import can_act_as_therapist, can_decide_extension, require
from referrals.services.core import (
    ReferralChanged,
    RuleRefused,
    apply_transition,
    held_when_it_could_be,
    lock_referral,
    moves_clocks,
)


@transaction.atomic
def plan_first_meeting(*, referral_id: int, by, planned_at: datetime, expected_version=None):
    return apply_transition(
        referral_id,
        by=by,
        method="plan_first_meeting",
        event="first_meeting_planned",
        expected_version=expected_version,
        planned_at=planned_at,
    )


@transaction.atomic
@moves_clocks
def record_first_meeting(
    *,
    referral_id: int,
    by,
    held_at: datetime,
    mode: str = TherapySession.Mode.VIRTUAL,
    duration_minutes: int = 60,
    notes: str = "",
    staff_wants_reminders: bool = False,
    expected_version: int | None = None,
) -> Referral:
    """docs/service.md step 6: the first meeting is held (the clock stops when it is held,
    not when it is planned). It is the first of the staff member's sessions. The staff
    member says here whether they want a reminder the working day before each planned
    session."""
    referral = lock_referral(referral_id, expected_version=expected_version)
    require(by, can_act_as_therapist, referral)
    held_when_it_could_be(referral, held_at, "held_at")
    referral.staff_wants_reminders = staff_wants_reminders
    Referral.objects.filter(pk=referral.pk).update(staff_wants_reminders=staff_wants_reminders)
    referral = apply_transition(
        referral_id,
        by=by,
        method="record_first_meeting",
        event="first_meeting_held",
        expected_version=expected_version,
        held_at=held_at,
    )
    TherapySession.objects.create(
        referral=referral,
        held_at=held_at,
        duration_minutes=duration_minutes,
        mode=mode,
        is_first_meeting=True,
        facilitator=referral.therapist,
        therapist_notes=notes,
        recorded_by=by,
    )
    return referral


@transaction.atomic
@moves_clocks
def record_manager_contact(*, referral_id: int, by, contacted_at: datetime, expected_version=None):
    """docs/service.md step 7: the therapist contacted the line manager."""
    referral = lock_referral(referral_id, expected_version=expected_version)
    require(by, can_act_as_therapist, referral)
    held_when_it_could_be(referral, contacted_at, "contacted_at")
    return apply_transition(
        referral_id,
        by=by,
        method="record_manager_contact",
        event="manager_contacted",
        expected_version=expected_version,
        contacted_at=contacted_at,
    )


WAITING_FOR_DECISION = (
    "A request for more sessions is waiting for a decision from the Principal "
    "Social Worker or Service Manager. Sessions can be recorded again once it is "
    "decided; you will be told."
)


@transaction.atomic
@moves_clocks
def record_therapy_session(
    *,
    referral_id: int,
    by,
    held_at: datetime,
    mode: str = TherapySession.Mode.VIRTUAL,
    attendance: str = TherapySession.Attendance.ATTENDED,
    cancellation_reason: str = "",
    duration_minutes: int = 60,
    notes: str = "",
    expected_version: int | None = None,
) -> TherapySession:
    """docs/service.md step 8: record an hourly session. Attended sessions count toward the
    cap of 3, then 6 with an approved extension, then one exceptional; never more."""
    attended = attendance == TherapySession.Attendance.ATTENDED
    if not attended and not (cancellation_reason or "").strip():
        raise RuleRefused(
            "Please add a short reason (for example 'unwell' or 'rearranged').",
            field="cancellation_reason",
        )
    referral = lock_referral(referral_id, expected_version=expected_version)
    require(by, can_act_as_therapist, referral)
    held_when_it_could_be(referral, held_at, "held_at", may_be_ahead=not attended)
    if referral.state == Referral.State.EXTENSION_REQUESTED:
        raise RuleRefused(WAITING_FOR_DECISION)
    if attended and referral.state == Referral.State.ACTIVE:
        refusal = referral.session_cap_refusal()
        if refusal:
            raise RuleRefused(refusal)
    method = "record_attended_session" if attended else "record_missed_session"
    kwargs = {"held_at": held_at} if attended else {}
    referral = apply_transition(
        referral.pk, by=by, method=method, event=f"session_{attendance}", **kwargs
    )
    session = TherapySession.objects.create(
        referral=referral,
        held_at=held_at,
        duration_minutes=duration_minutes,
        mode=mode,
        attendance=attendance,
        cancellation_reason=(cancellation_reason or "").strip(),
        facilitator=referral.therapist,
        therapist_notes=notes,
        recorded_by=by,
    )
    if attended and referral.third_session_at is None:
        _start_review_clock(referral)
    return session


def _start_review_clock(referral: Referral) -> None:
    """docs/service.md clocks: "review recorded after 3rd session". The clock starts when
    the 3rd counted session was held (in date order, whatever order they were typed
    in); missed, cancelled and group sessions do not count."""
    nth = rules.allowance().before_review
    held = list(
        referral.therapy_sessions.filter(TherapySession.counted())
        .order_by("held_at")
        .values_list("held_at", flat=True)[nth - 1 : nth]
    )
    if held:
        Referral.objects.filter(pk=referral.pk).update(third_session_at=held[0])
        referral.third_session_at = held[0]


@transaction.atomic
@moves_clocks
def record_group_session(
    *,
    referral_id: int,
    by,
    held_at: datetime,
    attendees: int,
    mode: str = TherapySession.Mode.VIRTUAL,
    duration_minutes: int = 60,
    expected_version: int | None = None,
) -> TherapySession:
    """docs/service.md step 10: a group session; count of attendees, no names. Group
    sessions are counted apart from individual sessions."""
    if attendees < 1:
        raise RuleRefused("Please give the number of people who attended.", field="attendees")
    referral = lock_referral(referral_id, expected_version=expected_version)
    held_when_it_could_be(referral, held_at, "held_at")
    if not referral.is_group:
        raise RuleRefused("Group sessions are recorded on a group referral.")
    referral = apply_transition(
        referral.pk, by=by, method="record_group_session", event="group_session", held_at=held_at
    )
    return TherapySession.objects.create(
        referral=referral,
        held_at=held_at,
        duration_minutes=duration_minutes,
        mode=mode,
        kind=TherapySession.Kind.GROUP,
        attendees=attendees,
        facilitator=referral.therapist,
        recorded_by=by,
    )


@transaction.atomic
@moves_clocks
def record_review(
    *,
    referral_id: int,
    by,
    outcome: str,
    reason: str = "",
    held_on: date | None = None,
    expected_version: int | None = None,
) -> Review:
    """The review after 3 sessions. "Extend" also asks the PSW/SMPE for up to 3 more.
    ``held_on`` (today unless given) is on or after the 3rd attended session and not
    in the future."""
    held_on = held_on or timezone.localdate()
    if outcome == Review.Outcome.EXTEND and not (reason or "").strip():
        raise RuleRefused("Please say why more sessions would help.", field="reason")
    referral = lock_referral(referral_id, expected_version=expected_version)
    require(by, can_act_as_therapist, referral)  # the role before any rule about the case
    if not referral.review_is_due():
        raise RuleRefused("A review is recorded once, after the 3rd session has been held.")
    _check_review_date(referral, held_on)
    referral = apply_transition(
        referral.pk, by=by, method="record_review", event=f"review_{outcome}", note=""
    )
    review = Review.objects.create(
        referral=referral,
        outcome=outcome,
        reason=reason.strip(),
        held_on=held_on,
        recorded_by=by,
    )
    if outcome == Review.Outcome.EXTEND:
        _request(referral, by=by, kind=ExtensionRequest.Kind.EXTENSION, reason=reason.strip())
    return review


def _check_review_date(referral: Referral, held_on: date) -> None:
    """A review is held on or after the 3rd attended session, and not in the future."""
    if held_on > timezone.localdate():
        raise RuleRefused(
            "This date is in the future. Please record the review once it has happened.",
            field="held_on",
        )
    third = referral.third_session_at
    if third is not None and held_on < timezone.localdate(third):
        raise RuleRefused(
            f"The review comes after the 3rd attended session, held on "
            f"{timezone.localdate(third):%-d %B %Y}. Please check the date.",
            field="held_on",
        )


def _request(referral: Referral, *, by, kind: str, reason: str) -> ExtensionRequest:
    method = (
        "request_extension"
        if kind == ExtensionRequest.Kind.EXTENSION
        else "request_exceptional_session"
    )
    referral = apply_transition(
        referral.pk, by=by, method=method, event=f"{kind}_requested", note=reason
    )
    request = ExtensionRequest.objects.create(
        referral=referral, kind=kind, reason=reason, requested_by=by
    )
    notifications.extension_requested(referral, request)
    return request


@transaction.atomic
@moves_clocks
def request_exceptional_session(*, referral_id: int, by, reason: str, expected_version=None):
    """One session beyond 6 "only in exceptional circumstances, with approval and a
    recorded reason"."""
    if not (reason or "").strip():
        raise RuleRefused("Please record the exceptional circumstances.", field="reason")
    referral = lock_referral(referral_id, expected_version=expected_version)
    require(by, can_act_as_therapist, referral)  # the role before any rule about the case
    if not referral.may_request_exceptional_session():
        raise RuleRefused(
            "An exceptional session can be requested once, after the 6th session has been held."
        )
    return _request(referral, by=by, kind=ExtensionRequest.Kind.EXCEPTIONAL, reason=reason.strip())


@transaction.atomic
@moves_clocks
def decide_extension_request(
    *, request_id: int, by, approve: bool, note: str = ""
) -> ExtensionRequest:
    """PSW/SMPE approve or refuse; the therapist is told."""
    referral_id = ExtensionRequest.objects.values_list("referral_id", flat=True).get(pk=request_id)
    referral = lock_referral(referral_id)  # the referral first, then its request (core.py)
    request = ExtensionRequest.objects.select_for_update().get(pk=request_id)
    require(by, can_decide_extension, referral)
    if request.status != ExtensionRequest.Status.PENDING:
        raise ReferralChanged
    if not approve and not (note or "").strip():
        raise RuleRefused("Please give the therapist a short reason.", field="note")
    referral = apply_transition(
        request.referral_id,
        by=by,
        method="decide_extension",
        event=f"{request.kind}_{'approved' if approve else 'refused'}",
        note=note,
    )
    request.status = (
        ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REFUSED
    )
    request.decided_by = by
    request.decided_at = timezone.now()
    request.decision_note = (note or "").strip()
    request.save()
    notifications.extension_decided(referral, request)
    return request


@transaction.atomic
@moves_clocks
def save_key_date(
    *, referral_id: int, by, kind: str, date: date, label: str = "", key_date_id: int | None = None
) -> KeyDate:
    """docs/service.md step 9: a future date where follow-up may be needed: after the
    incident, and still to come."""
    referral = lock_referral(referral_id)
    require(by, can_act_as_therapist, referral)
    if date < referral.incident.occurred_on:
        raise RuleRefused(
            f"This is before the incident on {referral.incident.occurred_on:%-d %B %Y}. "
            "Please check the date.",
            field="date",
        )
    if date < timezone.localdate():
        raise RuleRefused("Key dates are dates still to come. Please check the date.", field="date")
    referral = apply_transition(
        referral_id, by=by, method="change_key_dates", event="key_date_saved"
    )
    if key_date_id is None:
        return KeyDate.objects.create(
            referral=referral, kind=kind, date=date, label=label, created_by=by
        )
    key_date = referral.key_dates.get(pk=key_date_id)
    key_date.kind, key_date.date, key_date.label = kind, date, label
    key_date.save()
    return key_date


@transaction.atomic
@moves_clocks
def remove_key_date(*, referral_id: int, by, key_date_id: int) -> None:
    referral = apply_transition(
        referral_id, by=by, method="change_key_dates", event="key_date_removed"
    )
    referral.key_dates.filter(pk=key_date_id).delete()
