"""What every service function shares: lock the referral row, check who is acting,
run the transition, save with a new version, and log it (docs/architecture.md,
"Locks"). Every change to a referral goes through a function of ``referrals.services``;
nothing calls a model transition directly.

Lock order, the same in every service: the referral row first (``lock_referral``), then
its children (extension requests, sessions, key dates, the closure summary ...), and
when allocating, the chosen therapist's row (``allocation.lock_therapist``). Two
people acting on one referral at once then queue on the referral row; the second waits,
sees the first one's result and is refused with ReferralChanged or TransitionNotAllowed
(a kind 409 in the views), never a deadlock. A child's id given by a caller is read
without a lock only to find its referral.
"""

from __future__ import annotations

import functools
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_fsm import ConcurrentTransition

from accounts.models import AuditEvent
from referrals.chasing.deadlines import refresh_deadlines
from referrals.chasing.stopped import refresh_stopped_clocks
from referrals.models import Referral, TransitionLog


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


def lock_referral(referral_id: int, *, expected_version: int | None = None) -> Referral:
    """Fetch and lock the row for the rest of the transaction. Concurrent callers
    queue here; the second then sees the first one's result, not a stale copy."""
    # Lock first, then read with the joins in a statement of its own. A locking read
    # that had to wait re-checks only the locked row: its outer joins keep the rows
    # they saw before the wait, so a therapist changed meanwhile came back as None.
    Referral.objects.select_for_update().filter(pk=referral_id).values_list("pk").get()
    referral = Referral.objects.select_related("provider", "therapist", "incident").get(
        pk=referral_id
    )
    if expected_version is not None and referral.version != expected_version:
        raise ReferralChanged
    return referral


def run_transition(referral: Referral, method_name: str, by, **kwargs) -> None:
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


def save_referral(referral: Referral) -> None:
    referral.version += 1
    referral.last_activity_at = timezone.now()
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


def apply_transition(
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
    referral = lock_referral(referral_id, expected_version=expected_version)
    from_state = referral.state
    run_transition(referral, method, by, **kwargs)
    save_referral(referral)
    log_transition(referral, event=event, from_state=from_state, by=by, note=note)
    return referral


def not_in_future(moment: datetime, field: str) -> None:
    if moment > timezone.now():
        raise RuleRefused(
            "This date and time is in the future. Please record it once it has happened.",
            field=field,
        )


def held_when_it_could_be(
    referral: Referral, moment: datetime, field: str, *, may_be_ahead: bool = False
) -> None:
    """A meeting, contact or session is held after the referral was sent and, once it
    has happened, not in the future (``may_be_ahead`` for one cancelled or missed)."""
    sent = referral.first_submitted_at or referral.submitted_at
    if sent is not None and timezone.localdate(moment) < timezone.localdate(sent):
        raise RuleRefused(
            f"This is before the referral was sent on {timezone.localdate(sent):%-d %B %Y}. "
            "Please check the date.",
            field=field,
        )
    if not may_be_ahead:
        not_in_future(moment, field)


def moves_clocks(service):
    """Mark a service that starts, stops or pauses a clock: once it has done its work,
    inside its transaction, the referral's stored deadlines (``ClockDeadline``) and
    stopped clocks (``StoppedClock``) are rewritten from ``sla.clock_runs``, so lists,
    the sweep and the monitoring figures read them as they are now."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        result = service(*args, **kwargs)
        referral_id = kwargs.get("referral_id")
        if referral_id is None:
            referral_id = result.pk if isinstance(result, Referral) else result.referral_id
        refresh_deadlines([referral_id])
        refresh_stopped_clocks([referral_id])
        return result

    return wrapper
