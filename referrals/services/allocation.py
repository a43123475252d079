"""The provider's coordinator allocates, or reallocates, a therapist (docs/service.md,
step 5)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from referrals import notifications
from referrals.models import Allocation, Referral
from referrals.permissions import can_allocate, require
from referrals.services.core import RuleRefused, apply_transition, lock_referral, moves_clocks


def _check_therapist(referral: Referral, therapist) -> None:
    if therapist.provider_id != referral.provider_id:
        raise RuleRefused("Please choose a therapist from this provider's pool.", field="therapist")
    # The same rule the allocation page offers therapists by (``available_on``).
    today = timezone.localdate()
    if therapist.is_available_on(today):
        return
    leave = therapist.leave_on(today)
    if leave is not None:
        raise RuleRefused(
            f"This therapist is on leave from {leave.starts_on:%-d %B %Y} to "
            f"{leave.ends_on:%-d %B %Y}. Please choose someone else.",
            field="therapist",
        )
    raise RuleRefused("This therapist is not taking cases at the moment.", field="therapist")


@transaction.atomic
@moves_clocks
def allocate_referral(*, referral_id: int, therapist, by, expected_version: int | None = None):
    """The provider's coordinator allocates a therapist (docs/service.md step 5)."""
    now = timezone.now()
    referral = lock_referral(referral_id, expected_version=expected_version)
    require(by, can_allocate, referral)  # the role before any rule about the pool
    _check_therapist(referral, therapist)
    referral = apply_transition(
        referral.pk, by=by, method="allocate", event="allocated", therapist=therapist, at=now
    )
    Allocation.objects.create(
        referral=referral, therapist=therapist, allocated_by=by, allocated_at=now
    )
    notifications.therapist_allocated(referral)
    return referral


@transaction.atomic
@moves_clocks
def reallocate_referral(
    *, referral_id: int, therapist, by, reason: str, expected_version: int | None = None
):
    if not (reason or "").strip():
        raise RuleRefused("Please give the reason for reallocating.", field="reason")
    now = timezone.now()
    referral = lock_referral(referral_id, expected_version=expected_version)
    require(by, can_allocate, referral)  # the role before any rule about the pool
    if therapist.pk == referral.therapist_id:
        raise RuleRefused("This therapist already holds the case.", field="therapist")
    _check_therapist(referral, therapist)
    referral = apply_transition(
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
