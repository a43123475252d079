"""The line manager's part: Appendix 1 drafted, sent, a group referral, and the answer
to a question from triage (docs/service.md, steps 1-4 and 10)."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from accounts.models import AuditEvent
from referrals import notifications, rules
from referrals.eligibility import incident_date_errors
from referrals.models import CriticalIncident, GroupReferral, Referral
from referrals.permissions import (
    can_answer_information_request,
    can_make_group_referral,
    can_make_referral,
    require,
)
from referrals.services.core import (
    RuleRefused,
    apply_transition,
    lock_referral,
    log_transition,
    moves_clocks,
    run_transition,
    save_referral,
)

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
            referral = lock_referral(referral_id)
            if referral.staff_user_id is not None:
                continue  # linked meanwhile (read again under the lock)
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


def on_council_account_signed_in(sender, *, user, **kwargs) -> None:
    """``accounts.signals.council_account_signed_in``: link the staff member's referrals."""
    link_staff_member_account(user)


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

    referral = lock_referral(referral_id, expected_version=expected_version)
    method = (
        "edit_draft" if referral.state == Referral.State.DRAFT else "edit_after_information_request"
    )
    run_transition(referral, method, by)
    _apply_incident(referral.incident, data)
    referral.incident.save()
    _apply_fields(referral, data)
    _link_staff_user(referral)
    save_referral(referral)
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
@moves_clocks
def submit_referral(*, referral_id: int, by, expected_version: int | None = None) -> Referral:
    """docs/service.md steps 3-4: submission starts every clock and notifies the PSW and SMPE."""
    now = timezone.now()
    referral = lock_referral(referral_id, expected_version=expected_version)
    if referral.state == Referral.State.DRAFT:
        _eligibility_or_refuse(referral, now)
    referral = apply_transition(referral.pk, by=by, method="submit", event="submitted", at=now)
    notifications.referral_submitted(referral)
    return referral


@transaction.atomic
@moves_clocks
def create_group_referral(*, by, data: dict, submit: bool = True) -> Referral:
    """docs/service.md step 10: a line manager, service manager or Head of Service refers a
    group after the staff concerned were consulted and wish to take part."""
    require(by, can_make_group_referral)
    consent = rules.group_consent_errors(
        consulted=bool(data.get("group_consulted")),
        wishes_to_take_part=bool(data.get("group_wishes_to_take_part")),
    )
    now = timezone.now()
    # Every refusal at once: consent and the incident date together.
    errors = {**consent, **_incident_errors(data.get("occurred_on"), now)}
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
        referral = apply_transition(referral.pk, by=by, method="submit", event="submitted", at=now)
        notifications.referral_submitted(referral)
    return referral


def _incident_errors(occurred_on: date | None, now: datetime) -> dict[str, str]:
    return incident_date_errors(occurred_on, today=timezone.localdate(now))


@transaction.atomic
@moves_clocks
def answer_information_request(
    *, referral_id: int, by, answer: str, expected_version: int | None = None
) -> Referral:
    """The referrer answers triage's question; the referral goes back for triage."""
    answer = (answer or "").strip()
    if not answer:
        raise RuleRefused("Please write an answer to the question.", field="answer")
    now = timezone.now()
    referral = lock_referral(referral_id, expected_version=expected_version)
    require(by, can_answer_information_request, referral)
    updated = referral.information_requests.filter(answered_at__isnull=True).update(
        answer=answer, answered_by=by, answered_at=now
    )
    if not updated:
        raise TransitionNotAllowed("There is no open question on this referral.")
    _eligibility_or_refuse(referral, now)
    referral = apply_transition(referral.pk, by=by, method="resubmit", event="resubmitted", at=now)
    notifications.referral_resubmitted(referral)
    return referral
