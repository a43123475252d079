"""Triage by the PSW or SMPE: ask for more information, accept and send to the
provider, or decline with signposting (docs/service.md, steps 4-5)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from referrals import notifications
from referrals.models import InformationRequest, Referral
from referrals.services.core import RuleRefused, apply_transition, moves_clocks


@transaction.atomic
@moves_clocks
def request_more_information(
    *, referral_id: int, by, question: str, expected_version: int | None = None
) -> Referral:
    question = (question or "").strip()
    if not question:
        raise RuleRefused("Please write the question for the line manager.", field="question")
    referral = apply_transition(
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
@moves_clocks
def accept_referral(
    *, referral_id: int, by, provider, note: str = "", expected_version: int | None = None
) -> Referral:
    """Accept and send to the provider (docs/service.md step 5); the coordinator is told."""
    referral = apply_transition(
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
@moves_clocks
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
    referral = apply_transition(
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
