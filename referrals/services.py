"""Every change to a referral goes through one function here: lock the row, check who
is acting and what is allowed, transition, log, and queue what follows on commit.

Views, admin actions, commands and tasks all call these; nothing calls a model
transition directly (STYLE.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from accounts.models import AuditEvent
from referrals import notifications
from referrals.models import (
    Allocation,
    ClosureSummary,
    CriticalIncident,
    ExitPathway,
    ExtensionRequest,
    GroupReferral,
    InformationRequest,
    KeyDate,
    Referral,
    Review,
    TherapySession,
    TransitionLog,
)
from referrals.permissions import (
    can_act_as_therapist,
    can_allocate,
    can_answer_information_request,
    can_decide_extension,
    can_make_group_referral,
    can_make_referral,
    require,
)


class ReferralChanged(Exception):
    """Someone else changed the referral since this person loaded it."""

    message = (
        "This referral was just updated by someone else. Nothing you typed has been "
        "lost: please look at the latest version below and try again if it is still needed."
    )

    def __str__(self) -> str:
        return self.message


class RuleRefused(Exception):
    """A rule of the service says no; the message says what is needed instead."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- helpers -------------------------------------------------------------------------


def _lock(referral_id: int, *, expected_version: int | None = None) -> Referral:
    """Fetch and lock the row for the rest of the transaction. Concurrent callers
    queue here; the second then sees the first one's result, not a stale copy."""
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the outer
    # joins to provider and therapist; only the referral row needs the lock.
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("provider", "therapist", "incident")
        .get(pk=referral_id)
    )
    if expected_version is not None and referral.version != expected_version:
        raise ReferralChanged
    return referral


def _transition(referral: Referral, method_name: str, by, **kwargs) -> None:
    """Check the role (django-fsm does not enforce ``permission=`` itself), then run
    the transition; an illegal one raises TransitionNotAllowed.

    The role is checked first and on its own: someone who may never do this gets
    PermissionDenied whatever the state, while the right person acting on a referral
    that has since moved on (or whose rule is not met) gets TransitionNotAllowed,
    which views show as "just updated by someone else" (409), not as a 403.
    ``has_transition_perm`` would fold all three into one False.
    """
    method = getattr(referral, method_name)
    meta = method._django_fsm
    # Every source state of one transition shares its permission= predicate.
    rule = meta.get_transition(referral.state) or next(iter(meta.transitions.values()))
    if not rule.has_perm(referral, by):
        raise PermissionDenied
    method(**kwargs)


def _save(referral: Referral) -> None:
    referral.version += 1
    try:
        referral.save()
    except ConcurrentTransition as exc:  # state moved under us despite the lock
        raise ReferralChanged from exc


def log_transition(referral: Referral, *, event: str, from_state: str, by, note: str = "") -> None:
    TransitionLog.objects.create(
        referral=referral,
        event=event,
        from_state=from_state,
        to_state=referral.state,
        by=by,
        note=note,
    )
    AuditEvent.objects.create(
        user=by,
        action=AuditEvent.Action.CHANGE,
        object_type="referral",
        object_id=str(referral.pk),
        detail=event,
    )


def _apply(
    referral_id: int,
    *,
    by,
    method: str,
    event: str,
    note: str = "",
    expected_version: int | None = None,
    **kwargs,
) -> Referral:
    """Lock, transition, save and log in one step (the caller holds the transaction)."""
    referral = _lock(referral_id, expected_version=expected_version)
    from_state = referral.state
    _transition(referral, method, by, **kwargs)
    _save(referral)
    log_transition(referral, event=event, from_state=from_state, by=by, note=note)
    return referral


REFERRAL_FIELDS = (
    "staff_name",
    "staff_phone",
    "staff_email",
    "line_manager_name",
    "line_manager_phone",
    "line_manager_email",
    "event_details",
    "team_input",
    "team_input_details",
    "discussion_date",
    "practitioner_agrees",
)
INCIDENT_FIELDS = ("occurred_on", "category", "team", "description")


def _apply_fields(referral: Referral, data: dict) -> None:
    for name in REFERRAL_FIELDS:
        if name in data:
            setattr(referral, name, data[name])


def _apply_incident(incident: CriticalIncident, data: dict) -> None:
    for name in INCIDENT_FIELDS:
        if name in data:
            setattr(incident, name, data[name])


def _link_staff_user(referral: Referral) -> None:
    """Give the staff member their own view if they already have an account."""
    from django.contrib.auth import get_user_model

    if referral.staff_email and referral.staff_user_id is None:
        referral.staff_user = (
            get_user_model()
            .objects.filter(email__iexact=referral.staff_email, is_active=True)
            .first()
        )


def link_staff_member_account(user) -> int:
    """A council account has just signed in (single sign-on): referrals that name its
    e-mail as the staff member and have no staff account yet are linked by the one
    linking rule, ``_link_staff_user``, so the staff member sees their own support.
    Each referral row is locked first. Returns how many were linked."""
    if not user.email:
        return 0
    pending = Referral.objects.filter(
        staff_email__iexact=user.email, staff_user__isnull=True
    ).values_list("pk", flat=True)
    linked = 0
    with transaction.atomic():
        for referral_id in list(pending):
            referral = _lock(referral_id)
            _link_staff_user(referral)
            if referral.staff_user_id is None:
                continue
            referral.save(update_fields=["staff_user"])
            AuditEvent.objects.create(
                user=referral.staff_user,
                action=AuditEvent.Action.CHANGE,
                object_type="referral",
                object_id=str(referral.pk),
                detail="staff_account_linked",
            )
            linked += 1
    return linked


# --- line manager: Appendix 1 --------------------------------------------------------


@transaction.atomic
def save_referral_draft(
    *,
    by,
    data: dict,
    referral_id: int | None = None,
    expected_version: int | None = None,
) -> Referral:
    """Create or update a draft (or a referral sent back for more information).

    Drafts keep everything typed, even when it is not yet eligible: eligibility is
    checked at submission.
    """
    if referral_id is None:
        require(by, can_make_referral)
        incident = CriticalIncident(**{k: data[k] for k in INCIDENT_FIELDS if k in data})
        incident.full_clean(exclude=["description"])
        incident.save()
        referral = Referral(incident=incident, created_by=by, line_manager=by)
        referral.line_manager_name = referral.line_manager_name or by.get_full_name()
        referral.line_manager_email = referral.line_manager_email or by.email
        referral.line_manager_phone = referral.line_manager_phone or by.phone
        _apply_fields(referral, data)
        _link_staff_user(referral)
        referral.save()
        log_transition(referral, event="draft_saved", from_state=referral.state, by=by)
        return referral

    referral = _lock(referral_id, expected_version=expected_version)
    method = (
        "edit_draft" if referral.state == Referral.State.DRAFT else "edit_after_information_request"
    )
    _transition(referral, method, by)
    _apply_incident(referral.incident, data)
    referral.incident.save()
    _apply_fields(referral, data)
    _link_staff_user(referral)
    _save(referral)
    AuditEvent.objects.create(
        user=by,
        action=AuditEvent.Action.CHANGE,
        object_type="referral",
        object_id=str(referral.pk),
        detail="details_edited",
    )
    return referral


def _eligibility_or_refuse(referral: Referral, now: datetime) -> None:
    # "No more than 3 months before the referral": the referral is made when it is
    # first submitted, so answering a question later never makes it too late.
    errors = referral.eligibility_errors(
        today=timezone.localdate(referral.first_submitted_at or now)
    )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def submit_referral(*, referral_id: int, by, expected_version: int | None = None) -> Referral:
    """SERVICE.md steps 3-4: submission starts every clock and notifies the PSW and SMPE."""
    now = timezone.now()
    referral = _lock(referral_id, expected_version=expected_version)
    if referral.state == Referral.State.DRAFT:
        _eligibility_or_refuse(referral, now)
    referral = _apply(referral.pk, by=by, method="submit", event="submitted", at=now)
    notifications.referral_submitted(referral)
    return referral


@transaction.atomic
def create_group_referral(*, by, data: dict, submit: bool = True) -> Referral:
    """SERVICE.md step 10: a line manager, service manager or Head of Service refers a
    group after the staff concerned were consulted and wish to take part."""
    require(by, can_make_group_referral)
    if not (data.get("group_consulted") and data.get("group_wishes_to_take_part")):
        raise ValidationError(
            {
                "group_consulted": "Please talk with the staff concerned first, and confirm "
                "they wish to take up group support."
            }
        )
    now = timezone.now()
    errors = _incident_errors(data.get("occurred_on"), now)
    if errors:
        raise ValidationError(errors)
    incident = CriticalIncident(**{k: data[k] for k in INCIDENT_FIELDS if k in data})
    incident.save()
    referral = Referral(
        kind=Referral.Kind.GROUP,
        incident=incident,
        created_by=by,
        line_manager=by,
        line_manager_name=by.get_full_name(),
        line_manager_email=by.email,
        line_manager_phone=by.phone,
    )
    _apply_fields(referral, data)
    referral.save()
    GroupReferral.objects.create(
        referral=referral,
        referrer_role=data["referrer_role"],
        number_of_staff=data["number_of_staff"],
        group_consulted=True,
        group_wishes_to_take_part=True,
    )
    log_transition(referral, event="draft_saved", from_state=referral.state, by=by)
    if submit:
        referral = _apply(referral.pk, by=by, method="submit", event="submitted", at=now)
        notifications.referral_submitted(referral)
    return referral


def _incident_errors(occurred_on: date | None, now: datetime) -> dict[str, str]:
    from referrals.eligibility import incident_date_errors

    return incident_date_errors(occurred_on, today=timezone.localdate(now))


@transaction.atomic
def answer_information_request(
    *, referral_id: int, by, answer: str, expected_version: int | None = None
) -> Referral:
    """The referrer answers triage's question; the referral goes back for triage."""
    answer = (answer or "").strip()
    if not answer:
        raise RuleRefused("Please write an answer to the question.", field="answer")
    now = timezone.now()
    referral = _lock(referral_id, expected_version=expected_version)
    require(by, can_answer_information_request, referral)
    updated = referral.information_requests.filter(answered_at__isnull=True).update(
        answer=answer, answered_by=by, answered_at=now
    )
    if not updated:
        raise TransitionNotAllowed("There is no open question on this referral.")
    _eligibility_or_refuse(referral, now)
    referral = _apply(referral.pk, by=by, method="resubmit", event="resubmitted", at=now)
    notifications.referral_resubmitted(referral)
    return referral


# --- triage (PSW / SMPE) -------------------------------------------------------------


@transaction.atomic
def request_more_information(
    *, referral_id: int, by, question: str, expected_version: int | None = None
) -> Referral:
    question = (question or "").strip()
    if not question:
        raise RuleRefused("Please write the question for the line manager.", field="question")
    referral = _apply(
        referral_id,
        by=by,
        method="request_more_information",
        event="more_information_requested",
        expected_version=expected_version,
    )
    InformationRequest.objects.create(referral=referral, question=question, asked_by=by)
    notifications.more_information_requested(referral)
    return referral


@transaction.atomic
def accept_referral(
    *, referral_id: int, by, provider, note: str = "", expected_version: int | None = None
) -> Referral:
    """Accept and send to the provider (SERVICE.md step 5); the coordinator is told."""
    referral = _apply(
        referral_id,
        by=by,
        method="accept",
        event="accepted",
        note=note,
        expected_version=expected_version,
        provider=provider,
        at=timezone.now(),
    )
    notifications.referral_accepted(referral)
    return referral


@transaction.atomic
def decline_referral(
    *,
    referral_id: int,
    by,
    reason: str,
    signposting: str,
    expected_version: int | None = None,
) -> Referral:
    """Decline with a reason and signposting; the referrer is told kindly."""
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = "Please give the reason, so the line manager understands."
    if not (signposting or "").strip():
        errors["signposting"] = (
            "Please say where the staff member can find support instead (for example "
            "supervision, the wellbeing service or their GP)."
        )
    if errors:
        raise ValidationError(errors)
    referral = _apply(
        referral_id,
        by=by,
        method="decline",
        event="declined",
        expected_version=expected_version,
        reason=reason.strip(),
        signposting=signposting.strip(),
        at=timezone.now(),
    )
    notifications.referral_declined(referral)
    return referral


# --- provider coordinator --------------------------------------------------------------


def _check_therapist(referral: Referral, therapist) -> None:
    if therapist.provider_id != referral.provider_id:
        raise RuleRefused("Please choose a therapist from this provider's pool.", field="therapist")
    if not therapist.is_active or therapist.on_leave:
        raise RuleRefused("This therapist is not available at the moment.", field="therapist")
    today = timezone.localdate()
    if therapist.unavailable_until and therapist.unavailable_until > today:
        raise RuleRefused(
            f"This therapist is unavailable until {therapist.unavailable_until:%-d %B %Y}.",
            field="therapist",
        )


@transaction.atomic
def allocate_referral(*, referral_id: int, therapist, by, expected_version: int | None = None):
    """The provider's coordinator allocates a therapist (SERVICE.md step 5)."""
    now = timezone.now()
    referral = _lock(referral_id, expected_version=expected_version)
    require(by, can_allocate, referral)  # the role before any rule about the pool
    _check_therapist(referral, therapist)
    referral = _apply(
        referral.pk, by=by, method="allocate", event="allocated", therapist=therapist, at=now
    )
    Allocation.objects.create(
        referral=referral, therapist=therapist, allocated_by=by, allocated_at=now
    )
    notifications.therapist_allocated(referral)
    return referral


@transaction.atomic
def reallocate_referral(
    *, referral_id: int, therapist, by, reason: str, expected_version: int | None = None
):
    if not (reason or "").strip():
        raise RuleRefused("Please give the reason for reallocating.", field="reason")
    now = timezone.now()
    referral = _lock(referral_id, expected_version=expected_version)
    require(by, can_allocate, referral)  # the role before any rule about the pool
    if therapist.pk == referral.therapist_id:
        raise RuleRefused("This therapist already holds the case.", field="therapist")
    _check_therapist(referral, therapist)
    referral = _apply(
        referral.pk,
        by=by,
        method="reallocate",
        event="reallocated",
        note=reason.strip(),
        therapist=therapist,
    )
    Allocation.objects.filter(referral=referral, ended_at__isnull=True).update(ended_at=now)
    Allocation.objects.create(
        referral=referral,
        therapist=therapist,
        allocated_by=by,
        allocated_at=now,
        reason=reason.strip(),
    )
    notifications.therapist_allocated(referral)
    return referral


# --- therapist -------------------------------------------------------------------------


def _not_in_future(moment: datetime, field: str) -> None:
    if moment > timezone.now():
        raise RuleRefused(
            "This date and time is in the future. Please record it once it has happened.",
            field=field,
        )


@transaction.atomic
def plan_first_meeting(*, referral_id: int, by, planned_at: datetime, expected_version=None):
    return _apply(
        referral_id,
        by=by,
        method="plan_first_meeting",
        event="first_meeting_planned",
        expected_version=expected_version,
        planned_at=planned_at,
    )


@transaction.atomic
def record_first_meeting(
    *,
    referral_id: int,
    by,
    held_at: datetime,
    mode: str = TherapySession.Mode.VIRTUAL,
    duration_minutes: int = 60,
    notes: str = "",
    expected_version: int | None = None,
) -> Referral:
    """SERVICE.md step 6: the first meeting is held (the clock stops when it is held,
    not when it is planned). It is the first of the staff member's sessions."""
    _not_in_future(held_at, "held_at")
    referral = _apply(
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
def record_manager_contact(*, referral_id: int, by, contacted_at: datetime, expected_version=None):
    """SERVICE.md step 7: the therapist contacted the line manager."""
    _not_in_future(contacted_at, "contacted_at")
    return _apply(
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
    """SERVICE.md step 8: record an hourly session. Attended sessions count toward the
    cap of 3, then 6 with an approved extension, then one exceptional; never more."""
    attended = attendance == TherapySession.Attendance.ATTENDED
    if attended:
        _not_in_future(held_at, "held_at")
    elif not (cancellation_reason or "").strip():
        raise RuleRefused(
            "Please add a short reason (for example 'unwell' or 'rearranged').",
            field="cancellation_reason",
        )
    referral = _lock(referral_id, expected_version=expected_version)
    require(by, can_act_as_therapist, referral)
    if referral.state == Referral.State.EXTENSION_REQUESTED:
        raise RuleRefused(WAITING_FOR_DECISION)
    if attended and referral.state == Referral.State.ACTIVE:
        refusal = referral.session_cap_refusal()
        if refusal:
            raise RuleRefused(refusal)
    method = "record_attended_session" if attended else "record_missed_session"
    kwargs = {"held_at": held_at} if attended else {}
    referral = _apply(referral.pk, by=by, method=method, event=f"session_{attendance}", **kwargs)
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
    """SERVICE.md clocks: "review recorded after 3rd session". The clock starts when
    the 3rd counted session was held (in date order, whatever order they were typed
    in); missed, cancelled and group sessions do not count."""
    nth = settings.CIRS_SESSIONS_BEFORE_REVIEW
    held = list(
        referral.therapy_sessions.filter(
            kind=TherapySession.Kind.INDIVIDUAL,
            attendance=TherapySession.Attendance.ATTENDED,
        )
        .order_by("held_at")
        .values_list("held_at", flat=True)[nth - 1 : nth]
    )
    if held:
        Referral.objects.filter(pk=referral.pk).update(third_session_at=held[0])
        referral.third_session_at = held[0]


@transaction.atomic
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
    """SERVICE.md step 10: a group session; count of attendees, no names. Group
    sessions are counted apart from individual sessions."""
    _not_in_future(held_at, "held_at")
    if attendees < 1:
        raise RuleRefused("Please give the number of people who attended.", field="attendees")
    referral = _lock(referral_id, expected_version=expected_version)
    if not referral.is_group:
        raise RuleRefused("Group sessions are recorded on a group referral.")
    referral = _apply(
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
def record_review(
    *, referral_id: int, by, outcome: str, reason: str = "", expected_version: int | None = None
) -> Review:
    """The review after 3 sessions. "Extend" also asks the PSW/SMPE for up to 3 more."""
    if outcome == Review.Outcome.EXTEND and not (reason or "").strip():
        raise RuleRefused("Please say why more sessions would help.", field="reason")
    referral = _lock(referral_id, expected_version=expected_version)
    require(by, can_act_as_therapist, referral)  # the role before any rule about the case
    if not referral.review_is_due():
        raise RuleRefused("A review is recorded once, after the 3rd session has been held.")
    referral = _apply(
        referral.pk, by=by, method="record_review", event=f"review_{outcome}", note=""
    )
    review = Review.objects.create(
        referral=referral, outcome=outcome, reason=reason.strip(), recorded_by=by
    )
    if outcome == Review.Outcome.EXTEND:
        _request(referral, by=by, kind=ExtensionRequest.Kind.EXTENSION, reason=reason.strip())
    return review


def _request(referral: Referral, *, by, kind: str, reason: str) -> ExtensionRequest:
    method = (
        "request_extension"
        if kind == ExtensionRequest.Kind.EXTENSION
        else "request_exceptional_session"
    )
    referral = _apply(referral.pk, by=by, method=method, event=f"{kind}_requested", note=reason)
    request = ExtensionRequest.objects.create(
        referral=referral, kind=kind, reason=reason, requested_by=by
    )
    notifications.extension_requested(referral, request)
    return request


@transaction.atomic
def request_exceptional_session(*, referral_id: int, by, reason: str, expected_version=None):
    """One session beyond 6 "only in exceptional circumstances, with approval and a
    recorded reason"."""
    if not (reason or "").strip():
        raise RuleRefused("Please record the exceptional circumstances.", field="reason")
    referral = _lock(referral_id, expected_version=expected_version)
    require(by, can_act_as_therapist, referral)  # the role before any rule about the case
    if not referral.may_request_exceptional_session():
        raise RuleRefused(
            "An exceptional session can be requested once, after the 6th session has been held."
        )
    return _request(referral, by=by, kind=ExtensionRequest.Kind.EXCEPTIONAL, reason=reason.strip())


@transaction.atomic
def decide_extension_request(
    *, request_id: int, by, approve: bool, note: str = ""
) -> ExtensionRequest:
    """PSW/SMPE approve or refuse; the therapist is told."""
    request = ExtensionRequest.objects.select_for_update().get(pk=request_id)
    require(by, can_decide_extension, request.referral)
    if request.status != ExtensionRequest.Status.PENDING:
        raise ReferralChanged
    if not approve and not (note or "").strip():
        raise RuleRefused("Please give the therapist a short reason.", field="note")
    referral = _apply(
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
def save_key_date(
    *, referral_id: int, by, kind: str, date: date, label: str = "", key_date_id: int | None = None
) -> KeyDate:
    """SERVICE.md step 9: a future date where follow-up may be needed."""
    if date < timezone.localdate():
        raise RuleRefused("Key dates are dates still to come. Please check the date.", field="date")
    referral = _apply(referral_id, by=by, method="change_key_dates", event="key_date_saved")
    if key_date_id is None:
        return KeyDate.objects.create(
            referral=referral, kind=kind, date=date, label=label, created_by=by
        )
    key_date = referral.key_dates.get(pk=key_date_id)
    key_date.kind, key_date.date, key_date.label = kind, date, label
    key_date.save()
    return key_date


@transaction.atomic
def remove_key_date(*, referral_id: int, by, key_date_id: int) -> None:
    referral = _apply(referral_id, by=by, method="change_key_dates", event="key_date_removed")
    referral.key_dates.filter(pk=key_date_id).delete()


def closing_refusal(referral: Referral) -> str | None:
    """Why support cannot end now, or None if it can (only an active case closes)."""
    if referral.state == Referral.State.ACTIVE:
        return None
    if referral.state == Referral.State.EXTENSION_REQUESTED:
        return (
            "A request for more sessions is waiting for a decision. Support can be "
            "ended once it is decided."
        )
    if referral.state == Referral.State.ALLOCATED:
        return "Support can be ended once the first meeting or a group session is recorded."
    return f"This case is {referral.get_state_display().lower()}, so it cannot be closed here."


@transaction.atomic
def save_closure_summary(
    *, referral_id: int, by, exit_pathways: Iterable[ExitPathway], comments: str
) -> ClosureSummary:
    """The therapist drafts the summary; nothing is sent until ``close_referral``."""
    comments = (comments or "").strip()
    pathways = list(exit_pathways)
    errors = {}
    if not pathways:
        errors["exit_pathways"] = "Please choose at least one exit pathway."
    if not comments:
        errors["comments"] = "Please write a few general comments for the line manager."
    if errors:
        raise ValidationError(errors)
    referral = _lock(referral_id)
    require(by, can_act_as_therapist, referral)
    refusal = closing_refusal(referral)
    if refusal:
        raise RuleRefused(refusal)
    summary, _ = ClosureSummary.objects.update_or_create(
        referral=referral,
        defaults={"comments": comments, "written_by": by, "written_at": timezone.now()},
    )
    summary.exit_pathways.set(pathways)
    return summary


@transaction.atomic
def close_referral(
    *,
    referral_id: int,
    by,
    exit_pathways: Iterable[ExitPathway] | None = None,
    comments: str | None = None,
    expected_version: int | None = None,
) -> Referral:
    """SERVICE.md step 11: end support with an exit pathway and a summary that goes to
    the line manager and, as a copy, to the staff member."""
    if exit_pathways is not None or comments is not None:
        save_closure_summary(
            referral_id=referral_id,
            by=by,
            exit_pathways=exit_pathways or [],
            comments=comments or "",
        )
    referral = _lock(referral_id, expected_version=expected_version)
    require(by, can_act_as_therapist, referral)
    if referral.state in (Referral.State.ALLOCATED, Referral.State.EXTENSION_REQUESTED):
        raise RuleRefused(closing_refusal(referral))
    if not referral.has_closure_summary():
        raise RuleRefused("Please choose the exit pathway and write the summary before closing.")
    referral = _apply(referral.pk, by=by, method="close", event="closed", at=timezone.now())
    notifications.referral_closed(referral)
    return referral


@transaction.atomic
def withdraw_referral(
    *, referral_id: int, by, reason: str = "", expected_version: int | None = None
):
    """SERVICE.md step 12: the staff member may decline or stop support at any point."""
    referral = _apply(
        referral_id,
        by=by,
        method="withdraw",
        event="withdrawn",
        note=(reason or "").strip(),
        expected_version=expected_version,
        reason=(reason or "").strip(),
        at=timezone.now(),
    )
    # A request still waiting can never be decided now: take it out of the PSW/SMPE's
    # queue rather than leave it pending for ever.
    referral.extension_requests.filter(status=ExtensionRequest.Status.PENDING).update(
        status=ExtensionRequest.Status.REFUSED,
        decided_at=referral.withdrawn_at,
        decision_note="Support was withdrawn before a decision was needed.",
    )
    notifications.referral_withdrawn(referral, by=by)
    return referral
