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

from dataclasses import dataclass
from datetime import date, datetime

from django.db import models
from django.db.models import Case, F, Q, When
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


class ClockDeadline(models.Model):
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="clock_deadlines"
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
        if self.target_at is not None and now <= self.target_at:
            return self.target_at
        return self.limit_at

    def status(self, now: datetime) -> str:
        if self.limit_at is not None and now > self.limit_at:
            return ClockStatusCode.PAST
        if self.target_at is not None and now > self.target_at:
            return ClockStatusCode.NEAR
        if self.near_at is not None and now > self.near_at:
            return ClockStatusCode.NEAR
        return ClockStatusCode.OK

    def reading(self, label: str, now: datetime | None = None) -> StoredReading:
        now = now or timezone.now()
        status = self.status(now)
        return StoredReading(
            clock=self.clock,
            label=label,
            due_at=self.due_at(now),
            badge={"past": "breached", "near": "near"}.get(status, "ok"),
            status=status,
            deadline=self,
        )


@dataclass(frozen=True)
class StoredReading:
    """A badge's reading of a stored deadline: shaped like ``sla.ClockReading`` for
    ``{% clock_badge %}`` (``deadline.limit_at``, ``due_at``, ``badge``)."""

    clock: str
    label: str
    due_at: datetime | None
    badge: str
    status: str
    deadline: ClockDeadline
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
