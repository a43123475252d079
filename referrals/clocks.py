"""Working-day arithmetic and SLA clocks (docs/service.md, "Clocks").

"Working days exclude Saturdays, Sundays and England and Wales bank holidays
(the `holidays` package). "48 hours" means 48 hours on a clock that stops at
weekends and bank holidays. Every clock, its target and its limit is
configuration, not code."

How the clock runs, decided here once so every caller agrees:

* Only time that falls on a working day counts, and a working day is the whole
  24-hour local calendar day in ``settings.TIME_ZONE`` (Europe/London).
* Arithmetic is done on local wall-clock time and the result localised
  afterwards, so "Friday 15:00 plus 48 hours" is "Tuesday 15:00" whether or
  not the clocks changed over the weekend. (UK clock changes fall on Sundays,
  which never count, so a working day is always 24 real hours as well.)
* A clock started on a non-working day starts at 00:00 of the next working day.
* A deadline is the *latest* instant at which the clock has not yet run past its
  allowance: when the allowance runs out exactly at midnight before a weekend or
  bank holiday, the deadline is 00:00 of the next working day, because the
  stopped clock cannot run out during the break. So Friday 00:00 plus one
  working day is Monday 00:00, matching "same local time N working days later".
* A deadline is past only when an instant is strictly later than it.

Configuration, read on every call so tests and deployments can change it: the table of
clocks is ``CIRS_CLOCKS`` in config/settings/base.py and nowhere else (the README's copy
is checked against it by tests/foundation/test_readme_clocks.py), with
``CIRS_CLOCK_NEAR_FRACTION`` and ``CIRS_KEY_DATE_REMINDER_DAYS`` beside it.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

__all__ = [
    "ClockStatus",
    "Deadline",
    "add_working_days",
    "add_working_hours",
    "clock_config",
    "clock_status",
    "deadline",
    "due_words",
    "earlier_today",
    "is_working_day",
    "key_date_reminder_days",
    "key_date_reminder_on",
    "met_target",
    "near_fraction",
    "working_days_age",
    "working_days_between",
    "working_time_between",
]

_DAY = timedelta(days=1)
_SPAN_UNITS = ("working_days", "working_hours")


# --- Calendar -------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(d: date) -> bool:
    """Whether ``d`` is a working day.

    docs/service.md: "Working days exclude Saturdays, Sundays and England and Wales
    bank holidays (the `holidays` package)." An aware datetime is judged by its
    local (``settings.TIME_ZONE``) date.
    """
    if isinstance(d, datetime):
        d = d.astimezone(_local_zone()).date() if timezone.is_aware(d) else d.date()
    return d.weekday() < 5 and d not in _bank_holidays(d.year)


def _next_working_day(d: date) -> date:
    d += _DAY
    while not is_working_day(d):
        d += _DAY
    return d


def next_working_day(d: date) -> date:
    return _next_working_day(d)


def is_working_day_before(today: date, day: date) -> bool:
    """Whether ``today`` is the last working day before ``day`` (a Monday session's is
    the Friday before, or the Thursday when that Friday is a bank holiday)."""
    return is_working_day(today) and today < day <= _next_working_day(today)


def _previous_working_day(d: date) -> date:
    d -= _DAY
    while not is_working_day(d):
        d -= _DAY
    return d


@functools.lru_cache(maxsize=4096)
def due_words(due: datetime, *, lead: str = "by") -> str:
    """A due moment as people say it: "by the end of Mon 7 Dec", not "Tue 8 Dec 00:00".

    A deadline at 00:00 means the allowance ran out when the last working day before
    it ended (a clock that stops at weekends and bank holidays cannot run out during
    them), so it reads as the end of that working day; any other moment reads as
    "by 14:30 on Tue 8 Dec". ``lead`` is the word in front ("by", "at", or "" for
    none). Kept for each moment (a list page's badges repeat the same deadlines, and
    the calendar never changes while the service runs)."""
    _require_aware("due", due)
    local = due.astimezone(_local_zone())
    if local.time() == time():
        day = _previous_working_day(local.date())
        words = f"the end of {day:%a} {day.day} {day:%b}"
    else:
        words = f"{local:%H:%M} on {local:%a} {local.day} {local:%b}"
    return f"{lead} {words}" if lead else words


# --- Local wall-clock helpers -------------------------------------------------------


# England and Wales bank holidays are London's: the working-day clock always runs on
# Europe/London wall time, whatever TIME_ZONE the display uses.
WORKING_TIME_ZONE = ZoneInfo("Europe/London")


def _local_zone() -> ZoneInfo:
    return WORKING_TIME_ZONE


def _require_aware(name: str, value: datetime) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if timezone.is_naive(value):
        raise ValueError(f"{name} must be an aware datetime, got naive {value.isoformat()}")


def _to_local_naive(name: str, value: datetime) -> datetime:
    _require_aware(name, value)
    return value.astimezone(_local_zone()).replace(tzinfo=None)


def _localise(wall: datetime) -> datetime:
    # fold=0: for an ambiguous or skipped wall time take the first reading; clock
    # changes fall on Sundays, so a result on a working day is never ambiguous.
    return wall.replace(tzinfo=_local_zone())


def earlier_today(**delta) -> datetime:
    """A moment ``delta`` (``timedelta``'s arguments) ago, but not before today began
    and never after now: for what is recorded "earlier today" about a referral sent
    today (nothing is held before a referral was sent). The demo data and the tests use
    it, so neither fails just after midnight."""
    now = timezone.localtime()
    return max(now - timedelta(**delta), now.replace(hour=0, minute=0, second=0, microsecond=0))


def start_of_day(d: date) -> datetime:
    """Midnight at the start of ``d``, working time zone."""
    return _localise(datetime.combine(d, datetime.min.time()))


def _clock_start(wall: datetime) -> datetime:
    """Where the clock really starts: 00:00 of the next working day if ``wall`` is not on one."""
    if is_working_day(wall.date()):
        return wall
    return datetime.combine(_next_working_day(wall.date()), time())


def _add_working_time(start: datetime, amount: timedelta) -> datetime:
    if amount < timedelta(0):
        raise ValueError(f"cannot add a negative working time ({amount})")
    wall = _clock_start(_to_local_naive("start", start))
    remaining = amount
    while True:
        end_of_day = datetime.combine(wall.date() + _DAY, time())
        available = end_of_day - wall
        # Strictly less: a span that uses up the whole day ends at 00:00 of the
        # next working day, not at midnight before a weekend (see module docstring).
        if remaining < available:
            return _localise(wall + remaining)
        remaining -= available
        wall = datetime.combine(_next_working_day(wall.date()), time())


# --- Working-time arithmetic --------------------------------------------------------


def add_working_days(start: datetime, days: int) -> datetime:
    """The same local time ``days`` working days after ``start``.

    docs/service.md: "Working days exclude Saturdays, Sundays and England and Wales
    bank holidays." Friday 15:00 + 1 working day is Monday 15:00. A start on a
    non-working day counts from 00:00 of the next working day, so Saturday 11:00
    + 1 working day is Tuesday 00:00.
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an int, not {type(days).__name__}")
    return _add_working_time(start, timedelta(days=days))


def add_working_hours(start: datetime, hours: float) -> datetime:
    """``start`` plus ``hours`` hours on a clock that only runs on working days.

    docs/service.md: ""48 hours" means 48 hours on a clock that stops at weekends and
    bank holidays." Friday 15:00 + 48 hours is Tuesday 15:00; Thursday 2 April
    2026 10:00 + 48 hours is Wednesday 8 April 10:00 (Good Friday and Easter
    Monday do not count).
    """
    return _add_working_time(start, timedelta(hours=hours))


@functools.lru_cache(maxsize=64)
def _year_prefix(year: int) -> tuple[int, ...]:
    """``prefix[i]``: how many working days fall in ``year`` before its day ``i + 1``."""
    first = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - first).days
    prefix = [0]
    for offset in range(days):
        prefix.append(prefix[-1] + is_working_day(first + timedelta(days=offset)))
    return tuple(prefix)


def _working_days_before(d: date) -> int:
    return _year_prefix(d.year)[d.timetuple().tm_yday - 1]


def _working_days_from_to(first: date, last: date) -> int:
    """How many working days ``d`` have ``first <= d < last`` (a table lookup per year,
    so a list of old referrals costs no loop over their days)."""
    if last <= first:
        return 0
    if first.year == last.year:
        return _working_days_before(last) - _working_days_before(first)
    total = _year_prefix(first.year)[-1] - _working_days_before(first)
    for year in range(first.year + 1, last.year):
        total += _year_prefix(year)[-1]
    return total + _working_days_before(last)


def working_time_between(start: datetime, end: datetime) -> timedelta:
    """How long a clock started at ``start`` has run by ``end``, counting only
    time on working days (docs/service.md: a clock "that stops at weekends and bank
    holidays"). Zero if ``end`` is not after ``start``."""
    wall_start = _to_local_naive("start", start)
    wall_end = _to_local_naive("end", end)
    if end <= start:
        return timedelta(0)
    first, last = wall_start.date(), wall_end.date()
    if first == last:
        return wall_end - wall_start if is_working_day(first) else timedelta(0)
    total = timedelta(0)
    if is_working_day(first):
        total += datetime.combine(first + _DAY, time()) - wall_start
    total += _DAY * _working_days_from_to(first + _DAY, last)
    if is_working_day(last):
        total += wall_end - datetime.combine(last, time())
    return total


def working_days_between(start: datetime, end: datetime) -> float:
    """``working_time_between`` in working days (24 hours each), as a float."""
    return working_time_between(start, end) / _DAY


def working_days_age(start: datetime, now: datetime | None = None) -> int:
    """Whole working days a clock started at ``start`` has run by ``now``
    (default: ``timezone.now()``), for "age in working days" badges.

    Kept for each start over a stretch of time in which it cannot change, as a list
    shows the same referrals' ages on every request. With ``run`` the working time run
    by now, the next whole day needs ``(age + 1) days - run`` more of it, and working
    time runs no faster than time itself, except that a clock change can put the wall
    clock an hour on: so the age holds from now until now + that - 1 hour."""
    if now is None:
        now = timezone.now()
    _require_aware("now", now)
    kept = _AGES.get(start)
    if kept is not None and kept[0] <= now < kept[1]:
        return kept[2]
    run = working_time_between(start, now)
    age = math.floor(run / _DAY)
    until = now + ((age + 1) * _DAY - run) - _CLOCK_CHANGE
    if until > now:
        if len(_AGES) >= _AGES_KEPT:
            _AGES.clear()
        _AGES[start] = (now, until, age)
    return age


# ``working_days_age`` of each start: (from, until, age), the age for every now from
# ``from`` until before ``until``. Equal instants are one key, as they are one age.
_AGES: dict[datetime, tuple[datetime, datetime, int]] = {}
_AGES_KEPT = 4096
_CLOCK_CHANGE = timedelta(hours=1)


# --- Configured clocks -----------------------------------------------------------------


def clock_config(clock: str) -> Mapping[str, Mapping[str, float] | None]:
    """``settings.CIRS_CLOCKS[clock]``: its target and limit."""
    clocks = settings.CIRS_CLOCKS
    try:
        return clocks[clock]
    except KeyError:
        known = ", ".join(sorted(clocks))
        raise ValueError(f"unknown clock {clock!r}; configured clocks: {known}") from None


def near_fraction() -> float:
    """``settings.CIRS_CLOCK_NEAR_FRACTION``: a clock is "near" when less than this share
    of the working time to its first deadline is left."""
    return settings.CIRS_CLOCK_NEAR_FRACTION


def key_date_reminder_days() -> int:
    """``settings.CIRS_KEY_DATE_REMINDER_DAYS``: calendar days before a key date."""
    return settings.CIRS_KEY_DATE_REMINDER_DAYS


def _apply_span(
    clock: str, part: str, span: Mapping[str, float] | None, start: datetime
) -> datetime | None:
    if span is None:
        return None
    if not isinstance(span, Mapping) or len(span) != 1 or next(iter(span)) not in _SPAN_UNITS:
        raise ImproperlyConfigured(
            f"CIRS_CLOCKS[{clock!r}][{part!r}] must be None, {{'working_days': n}} or "
            f"{{'working_hours': n}}, not {span!r}"
        )
    ((unit, amount),) = span.items()
    if unit == "working_days":
        return add_working_days(start, int(amount))
    return add_working_hours(start, float(amount))


@dataclass(frozen=True)
class Deadline:
    """When a clock started and when its target and limit fall (None if it has none)."""

    clock: str
    started_at: datetime
    target_at: datetime | None
    limit_at: datetime | None

    @property
    def first_at(self) -> datetime | None:
        """The first deadline to watch: the target if there is one, else the limit."""
        return self.target_at if self.target_at is not None else self.limit_at


def deadline(clock: str, started_at: datetime) -> Deadline:
    """The target and limit of ``clock`` started at ``started_at``, as configured in
    ``settings.CIRS_CLOCKS`` (docs/service.md: "Every clock, its target and its limit is
    configuration, not code")."""
    config = clock_config(clock)
    _require_aware("started_at", started_at)
    return Deadline(
        clock=clock,
        started_at=started_at,
        target_at=_apply_span(clock, "target", config.get("target"), started_at),
        limit_at=_apply_span(clock, "limit", config.get("limit"), started_at),
    )


class ClockStatus(enum.StrEnum):
    ON_TRACK = "on_track"
    NEAR = "near"
    TARGET_MISSED = "target_missed"
    BREACHED = "breached"
    MET = "met"
    MISSED = "missed"


def _is_past(instant: datetime, due: datetime | None) -> bool:
    # Exactly at the deadline is still in time; only strictly later is past it.
    return due is not None and instant > due


def clock_status(
    clock: str,
    *,
    started_at: datetime,
    now: datetime | None = None,
    stopped_at: datetime | None = None,
) -> ClockStatus:
    """Where ``clock`` stands at ``now`` (default ``timezone.now()``).

    A stopped clock is MET if it stopped on or before its limit (its target when
    it has no limit) and MISSED otherwise; see ``met_target`` for the target.
    A running clock is BREACHED past its limit, TARGET_MISSED past its target,
    NEAR when less than ``CIRS_CLOCK_NEAR_FRACTION`` of the working time to its
    first deadline (target, else limit) remains, and ON_TRACK otherwise.
    docs/service.md's chases fire on these: "near its target or past its limit".
    """
    due = deadline(clock, started_at)
    if stopped_at is not None:
        _require_aware("stopped_at", stopped_at)
        final = due.limit_at if due.limit_at is not None else due.target_at
        return ClockStatus.MISSED if _is_past(stopped_at, final) else ClockStatus.MET

    if now is None:
        now = timezone.now()
    _require_aware("now", now)
    if _is_past(now, due.limit_at):
        return ClockStatus.BREACHED
    if _is_past(now, due.target_at):
        return ClockStatus.TARGET_MISSED
    first = due.first_at
    if first is None:
        return ClockStatus.ON_TRACK
    span = working_time_between(started_at, first)
    remaining = working_time_between(now, first)
    return ClockStatus.NEAR if remaining < span * near_fraction() else ClockStatus.ON_TRACK


def met_target(clock: str, *, started_at: datetime, stopped_at: datetime) -> bool | None:
    """Whether a clock stopped at ``stopped_at`` met its target (on or before it);
    None when the clock has no target (e.g. "manager contacted": "—")."""
    _require_aware("stopped_at", stopped_at)
    target_at = deadline(clock, started_at).target_at
    if target_at is None:
        return None
    return not _is_past(stopped_at, target_at)


def key_date_reminder_on(key_date: date) -> date:
    """The day to remind the therapist of ``key_date``.

    docs/service.md: "key date approaching | 7 days before" — calendar days, set by
    ``settings.CIRS_KEY_DATE_REMINDER_DAYS``.
    """
    if isinstance(key_date, datetime):
        key_date = key_date.date()
    return key_date - timedelta(days=key_date_reminder_days())
