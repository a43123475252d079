"""When a chase may go out (working hours) and when each level falls due."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings

from referrals import clocks
from referrals.chasing.rules import ChaseLevel, ChaseRule, When

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
