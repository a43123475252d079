"""The sweep: every clock's chases and the key-date reminders, each sent exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from accounts.roles import TRIAGE_ROLES, Role, group_name
from referrals import clocks, sla
from referrals.chasing.rules import (
    CHASE_RULES,
    KEY_DATE_CLOCK,
    KEY_DATE_TEMPLATE,
    SESSION_REMINDER_CLOCK,
    SESSION_REMINDER_TEMPLATE,
    ChaseLevel,
    ChaseRule,
    To,
)
from referrals.chasing.timing import due_at, earliest_due_after_start, send_at, window_for
from referrals.models import ChaseRecord, KeyDate, PlannedSession, Referral
from referrals.notifications import notify

# --- who is chased -----------------------------------------------------------------------


class _People:
    """Role holders, each read at most once per sweep."""

    @cached_property
    def triagers(self) -> list:
        return list(role_holders(*TRIAGE_ROLES))

    @cached_property
    def psw(self) -> list:
        return list(role_holders(Role.PSW))


def role_holders(*roles):
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[group_name(r) for r in roles])
        .distinct()
    )


def recipients(to: tuple[To, ...], referral: Referral, people: _People) -> list:
    found = []
    for kind in to:
        if kind == To.TRIAGERS:
            found += people.triagers
        elif kind == To.PSW:
            found += people.psw
        elif kind == To.COORDINATOR and referral.provider_id:
            found += list(referral.provider.coordinators.all())
        elif kind == To.THERAPIST and referral.therapist_id:
            found.append(referral.therapist.user)
    return list({u.pk: u for u in found if u.is_active}.values())


# --- the sweep ---------------------------------------------------------------------------


def _candidates(rule: ChaseRule, level: ChaseLevel, now: datetime):
    least = earliest_due_after_start(rule, level)
    if least is None:
        return Referral.objects.none()
    already = ChaseRecord.objects.filter(
        referral=OuterRef("pk"),
        clock=rule.clock,
        level__gte=level.level,
        created_at__gte=OuterRef(rule.started_field),
    )
    return (
        Referral.objects.filter(rule.running, **{f"{rule.started_field}__lt": now - least})
        .exclude(Exists(already))
        .select_related("provider", "therapist__user")
        .prefetch_related("reviews", "key_dates", "provider__coordinators")
        .order_by("pk")
    )


def _reading(referral: Referral, clock: str, now: datetime) -> sla.ClockReading | None:
    for reading in sla.referral_clocks(referral, now=now):
        if reading.clock == clock and reading.is_running:
            return reading
    return None


def chase_clock(rule: ChaseRule, *, now: datetime, people: _People | None = None) -> int:
    """Send every chase of one clock that is due at ``now``; returns how many were sent."""
    people = people or _People()
    sent = 0
    for level in sorted(rule.levels, key=lambda lv: lv.level, reverse=True):
        for referral in _candidates(rule, level, now):
            reading = _reading(referral, rule.clock, now)
            if reading is None:
                continue
            moment = due_at(level, reading.deadline)
            if moment is None or now <= moment:
                continue
            sent += _send_chase(referral, rule, level, reading, now=now, people=people)
    return sent


def _send_chase(
    referral: Referral,
    rule: ChaseRule,
    level: ChaseLevel,
    reading: sla.ClockReading,
    *,
    now: datetime,
    people: _People,
) -> int:
    users = recipients(level.to, referral, people)
    if not users:
        # Nobody to tell yet (e.g. no therapist allocated): try again next sweep.
        return 0
    window = window_for(reading.started_at)
    context = {
        "level": level.level,
        "when": level.when.value,
        "clock_label": reading.label,
        "started_at": reading.started_at,
        "target_at": reading.deadline.target_at,
        "limit_at": reading.deadline.limit_at,
    }
    return _record_and_tell(
        referral,
        clock=rule.clock,
        level=level.level,
        window=window,
        users=users,
        template=rule.template,
        context=context,
        now=now,
    )


def _record_and_tell(
    referral, *, clock, level, window, users, template, context, now, url=None
) -> int:
    """Insert the ChaseRecord, then the notices and outbox rows, in one transaction.
    Losing the race for the record means another sweep already sent this chase."""
    url = url or reverse("referrals:detail", args=[referral.pk])
    with transaction.atomic():
        try:
            with transaction.atomic():
                ChaseRecord.objects.create(
                    referral=referral, clock=clock, level=level, window=window, created_at=now
                )
        except IntegrityError:
            return 0
        notify(
            users,
            template=template,
            referral=referral,
            context=context,
            url=url,
            key=f"chase:{referral.pk}:{clock}:{level}:{window}",
            not_before=send_at(now),
        )
    return 1


def remind_key_dates(*, now: datetime, people: _People | None = None) -> int:
    """docs/service.md "key date approaching | 7 days before | therapist (reminder)": one
    reminder per key date and date, from ``CIRS_KEY_DATE_REMINDER_DAYS`` days before it."""
    today = timezone.localdate(now, clocks.WORKING_TIME_ZONE)
    due = list(
        KeyDate.objects.filter(
            date__gte=today,
            date__lte=today + timedelta(days=clocks.key_date_reminder_days()),
            referral__state__in=Referral.SUPPORT_STATES,
            referral__therapist__isnull=False,
        )
        .select_related("referral__therapist__user")
        .order_by("pk")
    )
    if not due:
        return 0
    done = set(
        ChaseRecord.objects.filter(
            clock=KEY_DATE_CLOCK, referral_id__in={k.referral_id for k in due}
        ).values_list("referral_id", "window")
    )
    sent = 0
    for key_date in due:
        window = f"{key_date.pk}:{key_date.date.isoformat()}"
        if (key_date.referral_id, window) in done:
            continue
        referral = key_date.referral
        users = recipients((To.THERAPIST,), referral, people or _People())
        if not users:
            continue
        sent += _record_and_tell(
            referral,
            clock=KEY_DATE_CLOCK,
            level=1,
            window=window,
            users=users,
            template=KEY_DATE_TEMPLATE,
            context={"key_date_on": key_date.date},
            now=now,
        )
    return sent


def remind_planned_sessions(*, now: datetime) -> int:
    """The staff member's reminder of a booked session, on the working day before it
    (``clocks.is_working_day_before``), if they chose it at the first meeting; once per
    session and date."""
    today = timezone.localdate(now, clocks.WORKING_TIME_ZONE)
    if not clocks.is_working_day(today):
        return 0
    last = clocks.next_working_day(today)
    due = [
        planned
        for planned in PlannedSession.objects.filter(
            status=PlannedSession.Status.PLANNED,
            starts_at__gt=now,
            starts_at__lt=clocks.start_of_day(last + timedelta(days=1)),
            referral__staff_wants_reminders=True,
            referral__state__in=Referral.SUPPORT_STATES,
        )
        .select_related("referral__staff_user")
        .order_by("pk")
        if clocks.is_working_day_before(
            today, timezone.localdate(planned.starts_at, clocks.WORKING_TIME_ZONE)
        )
    ]
    sent = 0
    for planned in due:
        referral = planned.referral
        staff = referral.staff_user if referral.staff_user_id else referral.staff_email
        if not staff:
            continue
        sent += _record_and_tell(
            referral,
            clock=SESSION_REMINDER_CLOCK,
            level=1,
            window=f"{planned.pk}:{planned.starts_at.isoformat()}",
            users=[staff],
            template=SESSION_REMINDER_TEMPLATE,
            context={"planned": planned},
            now=now,
            url=reverse("referrals:own"),
        )
    return sent


def sweep(*, now: datetime | None = None) -> int:
    """Chase every clock and send key-date reminders due at ``now``; returns how many
    chases were sent (a chase to two people counts once)."""
    now = now or timezone.now()
    people = _People()
    sent = sum(chase_clock(rule, now=now, people=people) for rule in CHASE_RULES)
    return sent + remind_key_dates(now=now, people=people) + remind_planned_sessions(now=now)
