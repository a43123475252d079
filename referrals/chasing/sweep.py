"""The sweep: every clock's chases and the key-date reminders, each sent exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.roles import TRIAGE_ROLES, Role, group_name
from referrals import clocks, sla
from referrals.chasing import deadlines
from referrals.chasing.rules import (
    KEY_DATE_CLOCK,
    KEY_DATE_TEMPLATE,
    RULES_BY_CLOCK,
    SESSION_REMINDER_CLOCK,
    SESSION_REMINDER_TEMPLATE,
    ChaseLevel,
    ChaseRule,
    To,
)
from referrals.chasing.timing import level_moment, send_at, window_for
from referrals.models import ChaseRecord, ClockDeadline, KeyDate, PlannedSession, Referral
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


BATCH = 500


def _due_rows(now: datetime, after_pk: int):
    """One batch of stored deadlines whose next chase has fallen due: an indexed range
    query on ``chase_at`` (like healthchecks' ``alert_after``), in pk order."""
    today = timezone.localdate(now)
    return list(
        ClockDeadline.objects.filter(deadlines.running(today), chase_at__lte=now, pk__gt=after_pk)
        .select_related("referral__provider", "referral__therapist__user")
        .prefetch_related("referral__provider__coordinators")
        .order_by("pk")[:BATCH]
    )


def _highest_due(rule: ChaseRule, row: ClockDeadline, now: datetime) -> ChaseLevel | None:
    for level in sorted(rule.levels, key=lambda lv: lv.level, reverse=True):
        moment = level_moment(level, row)
        if moment is not None and now > moment:
            return level
    return None


def sweep_deadlines(*, now: datetime, people: _People | None = None) -> int:
    """Send every clock chase due at ``now``; returns how many were sent.

    Per batch of due rows: one query for the rows (with their referral, provider,
    therapist), one for the coordinators, one for the chases already sent, one to move
    each row's ``chase_at`` on; then each chase sent claims its ``ChaseRecord`` and
    queues its notices (a fixed number of statements per chase). Two sweeps at once
    both try the claim; the unique key lets one win, and the other moves on."""
    people = people or _People()
    sent = 0
    after_pk = 0
    while True:
        rows = _due_rows(now, after_pk)
        if not rows:
            return sent
        after_pk = rows[-1].pk
        chased: dict = {}
        for referral_id, clock, level, window in ChaseRecord.objects.filter(
            referral_id__in={r.referral_id for r in rows}, clock__in={r.clock for r in rows}
        ).values_list("referral_id", "clock", "level", "window"):
            key = (referral_id, clock, window)
            chased[key] = max(chased.get(key, 0), level)
        moved = []
        for row in rows:
            rule = RULES_BY_CLOCK.get(row.clock)
            if rule is None:
                continue
            window = window_for(row.started_at)
            done = chased.get((row.referral_id, row.clock, window), 0)
            level = _highest_due(rule, row, now)
            if level is not None and level.level > done:
                told = _send_chase(row, rule, level, now=now, people=people)
                if told is None:
                    continue  # nobody to tell yet: due again at the next sweep
                sent += told
                done = level.level
            row.chase_at = deadlines.next_chase_at(row, after_level=done)
            moved.append(row)
        ClockDeadline.objects.bulk_update(moved, ["chase_at"], batch_size=BATCH)


def _send_chase(
    row: ClockDeadline, rule: ChaseRule, level: ChaseLevel, *, now: datetime, people: _People
) -> int | None:
    referral = row.referral
    users = recipients(level.to, referral, people)
    if not users:
        return None
    context = {
        "level": level.level,
        "when": level.when.value,
        "clock_label": sla.LABELS[row.clock],
        "started_at": row.started_at,
        "target_at": row.target_at,
        "limit_at": row.limit_at,
    }
    return _record_and_tell(
        referral,
        clock=rule.clock,
        level=level.level,
        window=window_for(row.started_at),
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
            referral__personal_data_erased_at__isnull=True,  # stalled, then erased
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
            referral__personal_data_erased_at__isnull=True,
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
    sent = sweep_deadlines(now=now, people=people)
    return sent + remind_key_dates(now=now, people=people) + remind_planned_sessions(now=now)
