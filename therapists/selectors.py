"""Reads for the therapist's workspace: "My cases" and what is due next on each case.

docs/service.md, "Roles": a therapist sees "only cases allocated to them". Every read
starts from ``referrals_visible_to`` (docs/security-checklist.md, row 10).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from referrals import clocks, rules, sla
from referrals.models import ExtensionRequest, KeyDate, Referral, TherapySession
from referrals.permissions import is_coordinator
from referrals.selectors import (
    most_urgent_first,
    page_of,
    referrals_visible_to,
    running_deadlines,
    with_deadlines,
)
from therapists.models import Therapist, TherapistLeave


def cases_for_therapist(user, *, now: datetime | None = None) -> QuerySet[Referral]:
    """The open cases allocated to ``user`` as therapist, the most urgent first, with
    their stored deadlines (``next_due_for`` reads them)."""
    cases = referrals_visible_to(user).filter(
        therapist__user=user, state__in=Referral.SUPPORT_STATES
    )
    return most_urgent_first(with_deadlines(cases, now=now or timezone.now()))


def _sessions(referral_filter: Q) -> Coalesce:
    counted = (
        TherapySession.objects.filter(referral_filter, referral=OuterRef("pk"))
        .order_by()
        .values("referral")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def my_case_rows(user, ids, *, now: datetime):
    """The "My cases" page's rows for the cases ``ids`` (a subquery, from
    ``cases_for_therapist``): only the columns the page shows, no model objects; the
    sessions and the next key date counted and found in SQL for these rows only."""
    today = timezone.localdate(now)
    key_dates = KeyDate.objects.filter(referral=OuterRef("pk"), date__gte=today).order_by(
        "date", "pk"
    )
    return (
        page_of(user, ids)
        .annotate(
            deadlines=running_deadlines(now),
            attended_sessions=_sessions(TherapySession.counted()),
            group_sessions=_sessions(Q(kind=TherapySession.Kind.GROUP)),
            key_date_on=Subquery(key_dates.values("date")[:1]),
            key_date_kind=Subquery(key_dates.values("kind")[:1]),
        )
        .values(
            "pk",
            "kind",
            "state",
            "staff_name",
            "incident__team__name",
            "deadlines",
            "attended_sessions",
            "group_sessions",
            "key_date_on",
            "key_date_kind",
        )
    )


@dataclass(frozen=True)
class KeyDateReading:
    """A key date shaped like ``sla.ClockReading`` so ``{% clock_badge %}`` can show it.

    docs/service.md, "Clocks": "key date approaching | 7 days before": the badge turns
    "near" on the reminder day (``clocks.key_date_reminder_on``)."""

    clock: str
    label: str
    key_date: KeyDate
    due_at: datetime
    badge: str
    is_running: bool = True
    deadline: None = None


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()), clocks.WORKING_TIME_ZONE)


def key_date_reading(key_date: KeyDate, *, today: date) -> KeyDateReading:
    near = clocks.key_date_reminder_on(key_date.date) <= today
    return KeyDateReading(
        clock="key_date",
        label=f"Key date: {key_date.get_kind_display()}",
        key_date=key_date,
        due_at=_start_of_day(key_date.date),
        badge="near" if near else "ok",
    )


def upcoming_key_dates(referral: Referral, *, today: date) -> list[KeyDate]:
    """Key dates still to come (uses the prefetched ``key_dates`` when present)."""
    return sorted((k for k in referral.key_dates.all() if k.date >= today), key=lambda k: k.date)


def next_due_for(referral: Referral, *, now: datetime | None = None):
    """The next thing due on a case: the running SLA clock whose deadline comes first
    (``sla.next_due``), or a key date still to come when that is sooner."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if hasattr(referral, "running_deadlines_json"):  # from a list: the stored deadlines
        reading = soonest_stored(referral.running_deadlines_json, now=now)
    else:
        reading = sla.next_due(referral, now=now)
    upcoming = upcoming_key_dates(referral, today=today)
    return sooner_of(reading, upcoming[0] if upcoming else None, today=today)


def soonest_stored(deadlines, *, now: datetime):
    """The stored reading whose next deadline comes first, or None (``deadlines``: the
    row's stored moments as ``selectors.running_deadlines`` reads them)."""
    readings = [r for r in sla.readings_at(deadlines, now) if r.due_at is not None]
    return min(readings, key=lambda r: r.due_at) if readings else None


def sooner_of(reading, key_date: KeyDate | None, *, today: date):
    """The clock's reading, or the key date's when that comes first."""
    if key_date is not None:
        key_reading = key_date_reading(key_date, today=today)
        if reading is None or key_reading.due_at < reading.due_at:
            return key_reading
    return reading


@dataclass(frozen=True)
class SessionAllowance:
    """How many attended sessions the case may have now, in the service's words."""

    attended: int
    missed: int
    group: int
    allowed_now: int
    before_review: int
    maximum: int
    absolute_maximum: int


def session_allowance(referral: Referral) -> SessionAllowance:
    """docs/service.md step 8, from the prefetched sessions and requests: the figures
    come from ``referrals.rules`` (the same rule the state machine's conditions use)."""
    limits = rules.allowance()
    sessions = list(referral.therapy_sessions.all())
    attended = sum(1 for s in sessions if s.counts_toward_cap)
    missed = sum(
        1
        for s in sessions
        if s.kind == TherapySession.Kind.INDIVIDUAL
        and s.attendance != TherapySession.Attendance.ATTENDED
    )
    group = sum(1 for s in sessions if s.kind == TherapySession.Kind.GROUP)
    approved = {
        r.kind
        for r in referral.extension_requests.all()
        if r.status == ExtensionRequest.Status.APPROVED
    }
    return SessionAllowance(
        attended=attended,
        missed=missed,
        group=group,
        allowed_now=rules.sessions_allowed_now(
            extension_approved=ExtensionRequest.Kind.EXTENSION in approved,
            exceptional_approved=ExtensionRequest.Kind.EXCEPTIONAL in approved,
        ),
        before_review=limits.before_review,
        maximum=limits.maximum,
        absolute_maximum=limits.absolute_maximum,
    )


# --- the coordinator's pool ------------------------------------------------------------


def leave_notice_days() -> int:
    """How far ahead a therapist's leave shows on their cases (settings)."""
    return settings.CIRS_LEAVE_NOTICE_DAYS


def pool_for(user) -> QuerySet[Therapist]:
    """The therapists of the providers ``user`` coordinates, with their open cases
    counted (``with_open_cases``, the count allocation uses) and their leave fetched."""
    today = timezone.localdate()
    return (
        Therapist.objects.filter(provider__coordinators=user)
        .select_related("user", "provider")
        .prefetch_related(
            Prefetch(
                "leaves",
                queryset=TherapistLeave.objects.filter(ends_on__gte=today),
                to_attr="leave_to_come",
            )
        )
        .with_open_cases()
        .order_by("provider__name", "user__first_name", "user__last_name", "pk")
    )


def therapist_for_coordinator(user, therapist_id: int) -> Therapist:
    """One therapist of this coordinator's pool; anyone else's, and for anyone who is
    not a coordinator, a 404 (docs/security-checklist.md row 11)."""
    if not is_coordinator(user):
        raise Http404
    return get_object_or_404(pool_for(user), pk=therapist_id)


def caseload(user, therapist: Therapist) -> QuerySet[Referral]:
    """The therapist's open cases, as far as ``user`` may see them."""
    return (
        referrals_visible_to(user)
        .filter(therapist=therapist, state__in=Referral.SUPPORT_STATES)
        .select_related("incident__team")
        .annotate(
            attended_sessions=Count(
                "therapy_sessions",
                filter=TherapySession.counted(prefix="therapy_sessions__"),
                distinct=True,
            )
        )
        .order_by("allocated_at", "pk")
    )


@dataclass(frozen=True)
class LeaveComing:
    """An open case whose therapist has leave within the notice horizon."""

    referral: Referral
    leave: TherapistLeave


def cases_with_leave_coming(user, *, today: date | None = None) -> list[LeaveComing]:
    """The open cases ``user`` may see whose therapist is on leave, or goes on leave
    within ``leave_notice_days()``, soonest leave first."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=leave_notice_days())
    leaves = TherapistLeave.objects.filter(ends_on__gte=today, starts_on__lte=horizon).order_by(
        "starts_on", "pk"
    )
    cases = (
        referrals_visible_to(user)
        .filter(state__in=Referral.SUPPORT_STATES, therapist__leaves__in=leaves)
        .select_related("therapist__user")
        .prefetch_related(Prefetch("therapist__leaves", queryset=leaves, to_attr="coming"))
        .distinct()
    )
    rows = [LeaveComing(referral=r, leave=r.therapist.coming[0]) for r in cases]
    return sorted(rows, key=lambda row: (row.leave.starts_on, row.referral.pk))


def leave_coming_for(referral: Referral, *, today: date | None = None) -> TherapistLeave | None:
    """The case's therapist's leave within the notice horizon, if any."""
    if referral.therapist_id is None or referral.state not in Referral.SUPPORT_STATES:
        return None
    today = today or timezone.localdate()
    return referral.therapist.leave_from(today, days=leave_notice_days())
