"""The next deadline of each running clock, and the outcome of each stopped one, stored
on rows (docs/performance.md).

A list page sorts and filters by urgency in SQL and shows a badge by comparing the
stored moments with now; the chase sweep selects the rows whose ``chase_at`` has
passed with one indexed range query. The rows are written by
``referrals.deadlines.refresh_deadlines`` from ``referrals.sla.clock_spans`` (the one
rule of when a clock runs), called by every service that starts, stops or pauses a
clock, and by the sweep when it has sent a chase.

``StoppedClock`` keeps every clock that has stopped, with whether it stopped in time:
the monitoring figures count these rows by clock and part of the period (one GROUP
BY), instead of working out the working time of every clock of every referral on
each request. ``referrals.chasing.stopped.refresh_stopped_clocks`` writes them, from
the same rule and at the same moments as the deadlines.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import NamedTuple

from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.functions import Coalesce
from django.utils import timezone


class ClockStatusCode(models.TextChoices):
    """Where a running clock stands, in the words of the board's filter."""

    OK = "ok", "Within time"
    NEAR = "near", "Near the deadline"
    PAST = "past", "Past the deadline"


def running(today: date) -> Q:
    """Stored rows of clocks running ``today``: a held closure summary waits until the
    day after its last key date (``ClockDeadline.runs_on`` says the same of one row)."""
    return Q(held_until__isnull=True) | Q(held_until__lt=today)


def clock_summary() -> dict:
    """``Referral.clocks_*`` from a referral's stored rows (``ClockDeadline``), as
    subqueries for one ``UPDATE``: the clocks running when the rows were written (not
    held), and the earliest day a held one waits for."""
    rows = (
        ClockDeadline.objects.filter(referral=models.OuterRef("pk")).order_by().values("referral")
    )
    not_held = rows.filter(held_until__isnull=True)

    def first(queryset, aggregate):
        return models.Subquery(queryset.annotate(m=aggregate).values("m"))

    return {
        "clocks_limit_at": first(not_held, models.Min("limit_at")),
        "clocks_target_at": first(not_held, models.Min("target_at")),
        "clocks_first_at": first(not_held, models.Min(Coalesce("target_at", "limit_at"))),
        "clocks_held_until": first(rows.filter(held_until__isnull=False), models.Min("held_until")),
    }


def due_expression(now: datetime):
    """The next deadline that matters, in SQL: the target until it passes, then the limit
    (``ClockDeadline.due_at`` says the same of one row)."""
    return Case(
        When(target_at__gte=now, then=F("target_at")),
        default=F("limit_at"),
        output_field=models.DateTimeField(),
    )


def status_filter(status: str, now: datetime, prefix: str = "") -> Q:
    """Rows whose clock is within time ("ok"), near its deadline or past its target
    ("near"), past its limit ("past"), or either of the last two ("due")
    (``ClockDeadline.status`` says the same of one row)."""

    def q(**kwargs) -> Q:
        return Q(**{f"{prefix}{key}": value for key, value in kwargs.items()})

    past = q(limit_at__lt=now)
    near = ~past & (q(target_at__lt=now) | q(near_at__lt=now))
    if status == "past":
        return past
    if status == "near":
        return near
    if status == "due":
        return past | near
    return ~past & ~q(target_at__lt=now) & ~q(near_at__lt=now)


def due_moment(target_at, limit_at, now: datetime):
    """The next deadline that matters: the target until it passes, then the limit."""
    if target_at is not None and now <= target_at:
        return target_at
    return limit_at


def deadline_status(near_at, target_at, limit_at, now: datetime) -> str:
    """Within time, near (or past the target) or past the limit, at ``now``."""
    if limit_at is not None and now > limit_at:
        return ClockStatusCode.PAST
    if target_at is not None and now > target_at:
        return ClockStatusCode.NEAR
    if near_at is not None and now > near_at:
        return ClockStatusCode.NEAR
    return ClockStatusCode.OK


BADGES = {ClockStatusCode.PAST: "breached", ClockStatusCode.NEAR: "near"}


class Moments(NamedTuple):
    """A running clock's stored moments, as a list page reads them (no model row)."""

    clock: str
    near_at: datetime | None
    target_at: datetime | None
    limit_at: datetime | None
    pk: int = 0

    def due_at(self, now: datetime) -> datetime | None:
        return due_moment(self.target_at, self.limit_at, now)

    def status(self, now: datetime) -> str:
        return deadline_status(self.near_at, self.target_at, self.limit_at, now)

    def reading(self, label: str, now: datetime) -> StoredReading:
        return stored_reading(self, label, now)


def parse_moment(value) -> datetime | None:
    """A moment read back from a JSON value (PostgreSQL's carries its offset; SQLite
    keeps UTC without one)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_moments(value) -> list[Moments]:
    """The JSON list ``selectors.with_deadlines`` reads with each row ([clock, near,
    target, limit, id] per running clock) as ``Moments``, soonest limit first (the order
    the stored rows were read in before: limit, then id; no limit last)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = json.loads(value)
    rows = [
        Moments(clock, parse_moment(near), parse_moment(target), parse_moment(limit), pk)
        for clock, near, target, limit, pk in value
    ]
    rows.sort(
        key=lambda m: (m.limit_at is None, m.limit_at or datetime.min.replace(tzinfo=UTC), m.pk)
    )
    return rows


def stored_reading(row, label: str, now: datetime) -> StoredReading:
    """A badge's reading of a stored deadline (a ``ClockDeadline`` or ``Moments``)."""
    status = deadline_status(row.near_at, row.target_at, row.limit_at, now)
    return StoredReading(
        clock=row.clock,
        label=label,
        due_at=due_moment(row.target_at, row.limit_at, now),
        badge=BADGES.get(status, "ok"),
        status=status,
        deadline=row,
    )


class ClockDeadline(models.Model):
    # No index of its own: the two below that start with the referral serve every
    # lookup by referral, and each index is one more write for every deadline the sweep
    # moves on (about 25 of 140 ms for 5,000 rows) and every clock a service moves.
    referral = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.CASCADE,
        related_name="clock_deadlines",
        db_index=False,
    )
    clock = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    # Less than CIRS_CLOCK_NEAR_FRACTION of the working time to the first deadline left.
    near_at = models.DateTimeField(null=True)
    target_at = models.DateTimeField(null=True)
    limit_at = models.DateTimeField(null=True)
    # The closure-summary clock waits while a key date is still to come: it runs from
    # the day after this date (None: not held).
    held_until = models.DateField(null=True)
    # When the next chase of this clock falls due (None: no chase left to send).
    chase_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["referral", "clock"], name="one_deadline_per_clock")
        ]
        indexes = [
            models.Index(fields=["chase_at"], name="deadline_chase_at"),
            models.Index(fields=["limit_at"], name="deadline_limit_at"),
            models.Index(fields=["referral", "limit_at"], name="deadline_referral_limit"),
        ]

    def __str__(self) -> str:
        return f"{self.clock} on referral {self.referral_id}"

    def runs_on(self, today: date) -> bool:
        return self.held_until is None or self.held_until < today

    def first_at(self) -> datetime | None:
        return self.target_at if self.target_at is not None else self.limit_at

    def due_at(self, now: datetime) -> datetime | None:
        """The next deadline that matters: the target until it passes, then the limit."""
        return due_moment(self.target_at, self.limit_at, now)

    def status(self, now: datetime) -> str:
        return deadline_status(self.near_at, self.target_at, self.limit_at, now)

    def reading(self, label: str, now: datetime | None = None) -> StoredReading:
        return stored_reading(self, label, now or timezone.now())


class StoredReading(NamedTuple):
    """A badge's reading of a stored deadline: shaped like ``sla.ClockReading`` for
    ``{% clock_badge %}`` (``deadline.limit_at``, ``due_at``, ``badge``). A named tuple,
    not a frozen dataclass: as unchangeable, and a quarter of the cost to make (a list
    page makes one for each running clock of each of its 50 rows)."""

    clock: str
    label: str
    due_at: datetime | None
    badge: str
    status: str
    deadline: ClockDeadline | Moments
    is_running: bool = True


class StoppedClock(models.Model):
    """A clock that has stopped on a referral (``sla.clock_runs``), and whether it
    stopped in time by ``clocks.clock_status`` and ``clocks.met_target``."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="stopped_clocks"
    )
    clock = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField()
    # Stopped on or before its limit (its target when it has no limit).
    met = models.BooleanField()
    # Stopped on or before its target; None when the clock has no target.
    target_met = models.BooleanField(null=True)
    # The closure-summary clock: the last key date of the referral (None: none, or
    # another clock). The clock did not run while that date was still to come, so the
    # figures of a period ending before it leave the clock out.
    last_key_date = models.DateField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["referral", "clock"], name="one_stop_per_clock")
        ]
        indexes = [models.Index(fields=["stopped_at"], name="stopped_clock_at")]

    def __str__(self) -> str:
        return f"{self.clock} stopped on referral {self.referral_id}"
