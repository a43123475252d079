"""The provider's coordinator allocates, or reallocates, a therapist (docs/service.md,
step 5).

A therapist takes a new case only when they are in the pool, not on leave that day and
have a place left (fewer open cases than their capacity): ``allocation_refusal`` says
why not, for the allocation page and for these services alike. The services lock the
therapist's row after the referral's (the lock order of ``core``) and count their open
cases again under that lock, so two allocations for one last place, each on its own
referral, queue there and the second is refused."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from referrals import notifications
from referrals.models import Allocation, Referral
from referrals.permissions import can_allocate, require
from referrals.services.core import RuleRefused, apply_transition, lock_referral, moves_clocks


def allocation_refusal(referral: Referral, therapist, *, day: date) -> str | None:
    """Why ``therapist`` may not take ``referral`` on ``day``, or None if they may.
    ``therapist`` comes from ``Therapist.objects.with_open_cases()``."""
    if therapist.provider_id != referral.provider_id:
        return "Please choose a therapist from this provider's pool."
    if therapist.pk == referral.therapist_id:
        return "This therapist already holds the case. Please choose someone else."
    if not therapist.is_active:
        return "This therapist is not taking cases at the moment. Please choose someone else."
    leave = therapist.leave_on(day)
    if leave is not None:
        return (
            f"This therapist is on leave from {leave.starts_on:%-d %B %Y} to "
            f"{leave.ends_on:%-d %B %Y}. Please choose someone else."
        )
    if therapist.places_left == 0:
        cases = "case" if therapist.open_cases == 1 else "cases"
        return (
            f"This therapist has no places left: they hold {therapist.open_cases} open "
            f"{cases} and can take {therapist.capacity} at once. Please choose someone else, "
            "or give them a higher capacity on the Therapists page first."
        )
    return None


def lock_therapist(therapist_id: int):
    """Lock the therapist's row (after the referral's), then read them with their open
    cases counted afresh: a second allocation for their last place waits here until the
    first one commits, and then counts its case."""
    Therapist = Referral._meta.get_field("therapist").related_model
    # NO KEY: a row that only points at the therapist (a session, an allocation) does
    # not wait for this lock, while two allocations, or a change to the pool, do.
    Therapist.objects.select_for_update(no_key=True).filter(pk=therapist_id).values_list("pk").get()
    return Therapist.objects.with_open_cases().select_related("user").get(pk=therapist_id)


def _therapist_for(referral: Referral, therapist):
    """The therapist locked and read again, or RuleRefused beside the therapist field."""
    locked = lock_therapist(therapist.pk)
    refusal = allocation_refusal(referral, locked, day=timezone.localdate())
    if refusal is not None:
        raise RuleRefused(refusal, field="therapist")
    return locked


@transaction.atomic
@moves_clocks
def allocate_referral(*, referral_id: int, therapist, by, expected_version: int | None = None):
    """The provider's coordinator allocates a therapist (docs/service.md step 5)."""
    now = timezone.now()
    referral = lock_referral(referral_id, expected_version=expected_version)
    require(by, can_allocate, referral)  # the role before any rule about the pool
    therapist = _therapist_for(referral, therapist)
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
    therapist = _therapist_for(referral, therapist)
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
