"""The coordinator's changes to their provider's pool: a therapist's place in it, their
capacity and their leave. Each change checks who is acting and leaves an audit row."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import AuditEvent
from accounts.roles import Role, group_name
from referrals.permissions import can_manage_pool, require
from referrals.services import RuleRefused
from therapists.models import Provider, Therapist, TherapistLeave


def _audit(by, therapist: Therapist, detail: str) -> None:
    AuditEvent.objects.create(
        user=by,
        action=AuditEvent.Action.CHANGE,
        object_type="therapist",
        object_id=str(therapist.pk),
        detail=detail,
    )


def users_who_may_join():
    """Accounts with the therapist role not yet in any pool (accounts are made when the
    service is set up; the coordinator adds them to the pool here)."""
    User = get_user_model()
    return (
        User.objects.filter(
            is_active=True, therapist__isnull=True, groups__name=group_name(Role.THERAPIST)
        )
        .distinct()
        .order_by("first_name", "last_name")
    )


@transaction.atomic
def add_therapist(
    *, by, provider: Provider, user, capacity: int, availability_note: str = ""
) -> Therapist:
    require(by, lambda u: can_manage_pool(provider, u))
    if not users_who_may_join().filter(pk=user.pk).exists():
        raise RuleRefused(
            "This person cannot be added: they need a therapist account and must not be "
            "in a pool already.",
            field="user",
        )
    therapist = Therapist.objects.create(
        user=user, provider=provider, capacity=capacity, availability_note=availability_note
    )
    _audit(by, therapist, "added to the pool")
    return therapist


@transaction.atomic
def update_therapist(
    *, by, therapist_id: int, capacity: int, is_active: bool, availability_note: str = ""
) -> Therapist:
    therapist = (
        Therapist.objects.select_for_update().select_related("provider").get(pk=therapist_id)
    )
    require(by, lambda u: can_manage_pool(therapist.provider, u))
    therapist.capacity = capacity
    therapist.is_active = is_active
    therapist.availability_note = availability_note.strip()
    therapist.save(update_fields=["capacity", "is_active", "availability_note"])
    _audit(by, therapist, f"capacity {capacity}, {'in' if is_active else 'out of'} the pool")
    return therapist


def leave_errors(*, starts_on: date, ends_on: date) -> dict[str, str]:
    """A leave's last day is on or after its first day."""
    if ends_on < starts_on:
        return {"ends_on": "The last day of leave is before the first day. Please check."}
    return {}


@transaction.atomic
def add_leave(
    *, by, therapist_id: int, starts_on: date, ends_on: date, note: str = ""
) -> TherapistLeave:
    therapist = (
        Therapist.objects.select_for_update().select_related("provider").get(pk=therapist_id)
    )
    require(by, lambda u: can_manage_pool(therapist.provider, u))
    for field, message in leave_errors(starts_on=starts_on, ends_on=ends_on).items():
        raise RuleRefused(message, field=field)
    overlapping = therapist.leaves.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).first()
    if overlapping is not None:
        raise RuleRefused(
            f"This overlaps the leave already recorded from {overlapping}. Please change "
            "that one instead.",
            field="starts_on",
        )
    leave = TherapistLeave.objects.create(
        therapist=therapist, starts_on=starts_on, ends_on=ends_on, note=note.strip(), created_by=by
    )
    _audit(by, therapist, f"leave from {starts_on.isoformat()} to {ends_on.isoformat()}")
    return leave


@transaction.atomic
def remove_leave(*, by, therapist_id: int, leave_id: int) -> None:
    therapist = (
        Therapist.objects.select_for_update().select_related("provider").get(pk=therapist_id)
    )
    require(by, lambda u: can_manage_pool(therapist.provider, u))
    leave = therapist.leaves.filter(pk=leave_id).first()
    if leave is None:
        return
    leave.delete()
    _audit(by, therapist, f"leave removed ({leave})")
