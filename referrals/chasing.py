"""Chasing every clock: who is told, when, and how each chase goes out exactly once.

docs/service.md, "Clocks": "A chase is sent once per clock and level, never twice, even
when the job runs again, crashes midway, or two workers run at once."

The rules below (``CHASE_RULES``) are the table of docs/service.md written as data. A
clock starts and stops as ``referrals/sla.py`` says (``sla.CLOCKS`` and the same
``clock_spans`` feed the badges), and each level fires at one moment of that clock:

* ``near``   — less than ``CIRS_CLOCK_NEAR_FRACTION`` of the working time to the first
  deadline (the target, or the limit when there is no target) is left;
* ``target`` — the target has passed;
* ``limit``  — the limit has passed, plus, for some levels, a configured number of
  further working days.

| clock           | stops when                                 | level 1                        | level 2                          | level 3                                   |
|-----------------|--------------------------------------------|--------------------------------|----------------------------------|-------------------------------------------|
| triage          | accepted or declined (more information     | PSW & SMPE, near the target    | PSW & SMPE, past the limit       |                                           |
|                 | pauses it, resubmission restarts it)       |                                |                                  |                                           |
| allocation      | a therapist is allocated                   | provider coordinator, near the | PSW, past the limit              |                                           |
|                 |                                            | target                         |                                  |                                           |
| first_meeting   | a first meeting is *held* (planning one    | therapist, past the 48-hour    | provider coordinator, past the   | PSW, limit + CIRS_FIRST_MEETING_PSW_AFTER_ |
|                 | does not stop it)                          | target                         | limit                            | LIMIT_DAYS working days                   |
| manager_contact | the manager contact is recorded            | therapist, near the limit      | PSW, past the limit              |                                           |
| review          | the review is recorded                     | therapist, near the limit      | therapist, past the limit        |                                           |
| closure_summary | the referral is closed with its summary    | therapist, near the limit      | PSW, past the limit              |                                           |
| key_date        | the date passes or is removed              | therapist, CIRS_KEY_DATE_REMINDER_DAYS calendar days before the date (a changed date is a new reminder) | | |

How "exactly once" works: the ``ChaseRecord`` row for (referral, clock, level,
window) is inserted first, in the same transaction as the in-app notices and the
outbox rows. The unique constraint ``chase_once`` lets only one worker win; a crash
rolls back the record together with the e-mails, so the next sweep tries again; once
committed, the outbox row is sent (and retried) by ``flush_outbox`` until it goes.
The window is the moment the clock started, so a clock that restarts (triage after a
resubmission) is chased afresh, and a key date's window is its id and date.

Only the highest level that is due is sent: a sweep that first finds a clock past its
limit sends the escalation, not a late "getting close" notice as well.

How it stays set-based: per level, one query selects the referrals whose clock runs
and may be due (a cheap calendar bound: a working-time span never ends sooner in
calendar time) and that have no chase at this level or above for this window; the
exact working-day check then runs in Python on that short list. The query count does
not grow with the number of open referrals.

Chases and reminders go out in working hours only (``CIRS_WORKING_HOURS`` on working
days, Europe/London): one found at night waits in the outbox until the next working
morning. Notices caused by a person's action (``referrals/notifications.py``) are
never held.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from accounts.roles import TRIAGE_ROLES, Role, group_name
from referrals import clocks, sla
from referrals.models import ChaseRecord, KeyDate, Referral
from referrals.notifications import notify

S = Referral.State


class When(enum.StrEnum):
    NEAR = "near"
    TARGET = "target"
    LIMIT = "limit"


class To(enum.StrEnum):
    """Who a chase goes to."""

    TRIAGERS = "triagers"  # the PSW and the SMPE
    PSW = "psw"
    COORDINATOR = "coordinator"  # the coordinators of the referral's provider
    THERAPIST = "therapist"  # the therapist allocated now


@dataclass(frozen=True)
class ChaseLevel:
    level: int
    when: When
    to: tuple[To, ...]
    # Working days after the limit, read from this setting (default 0).
    after_limit_setting: str | None = None

    def after_limit_days(self) -> int:
        if self.after_limit_setting is None:
            return 0
        return int(getattr(settings, self.after_limit_setting))


@dataclass(frozen=True)
class ChaseRule:
    """Who is chased about one clock, and when. Whether the clock runs, and from which
    field it starts, is ``sla.CLOCKS``: written once, for the badges and the chases."""

    clock: str
    template: str
    levels: tuple[ChaseLevel, ...]

    @property
    def started_field(self) -> str:
        return sla.CLOCKS[self.clock].started_field

    @property
    def running(self) -> Q:
        return sla.CLOCKS[self.clock].running


CHASE_RULES: tuple[ChaseRule, ...] = (
    ChaseRule(
        clock="triage",
        template="chase_triage",
        levels=(
            ChaseLevel(1, When.NEAR, (To.TRIAGERS,)),
            ChaseLevel(2, When.LIMIT, (To.TRIAGERS,)),
        ),
    ),
    ChaseRule(
        clock="allocation",
        template="chase_allocation",
        levels=(
            ChaseLevel(1, When.NEAR, (To.COORDINATOR,)),
            ChaseLevel(2, When.LIMIT, (To.PSW,)),
        ),
    ),
    ChaseRule(
        clock="first_meeting",
        template="chase_first_meeting",
        levels=(
            ChaseLevel(1, When.TARGET, (To.THERAPIST,)),
            ChaseLevel(2, When.LIMIT, (To.COORDINATOR,)),
            ChaseLevel(
                3,
                When.LIMIT,
                (To.PSW,),
                after_limit_setting="CIRS_FIRST_MEETING_PSW_AFTER_LIMIT_DAYS",
            ),
        ),
    ),
    ChaseRule(
        clock="manager_contact",
        template="chase_manager_contact",
        levels=(
            ChaseLevel(1, When.NEAR, (To.THERAPIST,)),
            ChaseLevel(2, When.LIMIT, (To.PSW,)),
        ),
    ),
    ChaseRule(
        clock="review",
        template="chase_review",
        levels=(
            ChaseLevel(1, When.NEAR, (To.THERAPIST,)),
            ChaseLevel(2, When.LIMIT, (To.THERAPIST,)),
        ),
    ),
    ChaseRule(
        clock="closure_summary",
        template="chase_closure_summary",
        levels=(
            ChaseLevel(1, When.NEAR, (To.THERAPIST,)),
            ChaseLevel(2, When.LIMIT, (To.PSW,)),
        ),
    ),
)
KEY_DATE_CLOCK = "key_date"
KEY_DATE_TEMPLATE = "reminder_key_date"


# --- working hours ---------------------------------------------------------------------


def send_at(now: datetime) -> datetime:
    """When a chase found at ``now`` may go out: now in working hours, else the start
    of the next working morning (docs/service.md: working days exclude weekends and bank
    holidays)."""
    if not settings.CIRS_HOLD_CHASES_OUT_OF_HOURS:
        return now
    start_hour, end_hour = settings.CIRS_WORKING_HOURS
    local = now.astimezone(clocks.WORKING_TIME_ZONE)
    day = local.date()
    if clocks.is_working_day(day):
        if start_hour <= local.hour < end_hour:
            return now
        if local.hour < start_hour:
            return _morning(day, start_hour)
    day += timedelta(days=1)
    while not clocks.is_working_day(day):
        day += timedelta(days=1)
    return _morning(day, start_hour)


def _morning(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=clocks.WORKING_TIME_ZONE)


# --- when a level is due ---------------------------------------------------------------


def _nominal(span) -> timedelta | None:
    if not span:
        return None
    ((unit, amount),) = span.items()
    return timedelta(days=amount) if unit == "working_days" else timedelta(hours=amount)


def earliest_due_after_start(rule: ChaseRule, level: ChaseLevel) -> timedelta | None:
    """The least calendar time from the clock's start to this level's moment.

    Working time never runs faster than calendar time, so a referral whose clock
    started less than this long ago cannot be due: the query skips it."""
    config = clocks.clock_config(rule.clock)
    target, limit = _nominal(config.get("target")), _nominal(config.get("limit"))
    if level.when == When.NEAR:
        first = target or limit
        return first * (1 - clocks.near_fraction()) if first else None
    if level.when == When.TARGET:
        return target
    if limit is None:
        return None
    return limit + timedelta(days=level.after_limit_days())


def due_at(level: ChaseLevel, deadline: clocks.Deadline) -> datetime | None:
    """The instant after which this level's chase is due (None: never)."""
    if level.when == When.NEAR:
        first = deadline.first_at
        if first is None:
            return None
        span = clocks.working_time_between(deadline.started_at, first)
        hours = span.total_seconds() / 3600 * (1 - clocks.near_fraction())
        return clocks.add_working_hours(deadline.started_at, hours)
    if level.when == When.TARGET:
        return deadline.target_at
    if deadline.limit_at is None:
        return None
    extra = level.after_limit_days()
    return clocks.add_working_days(deadline.limit_at, extra) if extra else deadline.limit_at


def window_for(started_at: datetime) -> str:
    """Which run of a clock a chase belongs to: the moment it started, in UTC."""
    return started_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")


# --- who is chased -----------------------------------------------------------------------


class _People:
    """Role holders, each read at most once per sweep."""

    @cached_property
    def triagers(self) -> list:
        return list(_role_holders(*TRIAGE_ROLES))

    @cached_property
    def psw(self) -> list:
        return list(_role_holders(Role.PSW))


def _role_holders(*roles):
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


def _record_and_tell(referral, *, clock, level, window, users, template, context, now) -> int:
    """Insert the ChaseRecord, then the notices and outbox rows, in one transaction.
    Losing the race for the record means another sweep already sent this chase."""
    url = reverse("referrals:detail", args=[referral.pk])
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


def sweep(*, now: datetime | None = None) -> int:
    """Chase every clock and send key-date reminders due at ``now``; returns how many
    chases were sent (a chase to two people counts once)."""
    now = now or timezone.now()
    people = _People()
    sent = sum(chase_clock(rule, now=now, people=people) for rule in CHASE_RULES)
    return sent + remind_key_dates(now=now, people=people)


# --- the Monday digest -------------------------------------------------------------------

_DIGEST_STATUS = {
    clocks.ClockStatus.NEAR: "close to its deadline",
    clocks.ClockStatus.TARGET_MISSED: "past its target",
    clocks.ClockStatus.BREACHED: "past its limit",
}


@dataclass(frozen=True)
class DigestItem:
    reference: str
    clock_label: str
    status: str
    due_at: datetime | None
    url: str
    provider_id: int | None


def digest_items(*, now: datetime) -> list[DigestItem]:
    """Every running clock near or past its deadline, on every open referral."""
    referrals = (
        Referral.objects.open()
        .filter(submitted_at__isnull=False)
        .exclude(state__in=[S.DRAFT, S.MORE_INFO])
        .prefetch_related("reviews", "key_dates")
        .order_by("submitted_at", "pk")
    )
    items = []
    for referral in referrals:
        for reading in sla.running_clocks(referral, now=now):
            if reading.status not in _DIGEST_STATUS:
                continue
            items.append(
                DigestItem(
                    reference=referral.reference,
                    clock_label=reading.label,
                    status=_DIGEST_STATUS[reading.status],
                    due_at=reading.deadline.limit_at or reading.deadline.target_at,
                    url=f"{settings.SITE_URL}{reverse('referrals:detail', args=[referral.pk])}",
                    provider_id=referral.provider_id
                    if referral.state in Referral.PROVIDER_STATES
                    else None,
                )
            )
    return items


def send_weekly_digest(*, now: datetime | None = None) -> int:
    """Monday morning: the PSW and SMPE hear of everything near or past its limit; each
    provider coordinator of their provider's cases. Nothing is sent to someone with
    nothing to hear about. Once per person per ISO week."""
    now = now or timezone.now()
    items = digest_items(now=now)
    if not items:
        return 0
    year, week, _ = timezone.localdate(now, clocks.WORKING_TIME_ZONE).isocalendar()
    week_key = f"{year}-W{week:02d}"
    not_before = send_at(now)
    sent = 0
    for user in _role_holders(*TRIAGE_ROLES):
        sent += _send_digest(user, items, week_key, not_before, template="digest_triage")
    coordinators = _role_holders(Role.COORDINATOR).prefetch_related("coordinated_providers")
    for user in coordinators:
        providers = {p.pk for p in user.coordinated_providers.all()}
        own = [i for i in items if i.provider_id in providers]
        if own:
            sent += _send_digest(user, own, week_key, not_before, template="digest_provider")
    return sent


def _send_digest(user, items, week_key: str, not_before, *, template: str) -> int:
    with transaction.atomic():
        told = notify(
            [user],
            template=template,
            context={"items": items, "week": week_key},
            url=reverse("referrals:notifications"),
            key=f"digest:{template}:{week_key}",
            not_before=not_before,
        )
    return int(told)
