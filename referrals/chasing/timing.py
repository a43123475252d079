"""When a chase may go out (working hours) and when each level falls due."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings

from referrals import clocks
from referrals.chasing.rules import ChaseLevel, When

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


def level_moment(level: ChaseLevel, row) -> datetime | None:
    """``due_at`` read from a stored ``ClockDeadline`` (its near moment is stored)."""
    if level.when == When.NEAR:
        return row.near_at
    if level.when == When.TARGET:
        return row.target_at
    if row.limit_at is None:
        return None
    extra = level.after_limit_days()
    return clocks.add_working_days(row.limit_at, extra) if extra else row.limit_at


def near_moment(deadline: clocks.Deadline) -> datetime | None:
    """When less than ``CIRS_CLOCK_NEAR_FRACTION`` of the working time to the first
    deadline is left (the ``near`` chase level and the "near" badge)."""
    return due_at(_NEAR, deadline)


def window_for(started_at: datetime) -> str:
    """Which run of a clock a chase belongs to: the moment it started, in UTC."""
    return started_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")


_NEAR = ChaseLevel(0, When.NEAR, ())
