"""The working clock of ``referrals/clocks.py`` as a SQL expression, so the monitoring
figures can count clocks met or missed with one aggregate query instead of working
out each deadline in Python, row by row.

``clocks.py`` counts only time on working days (Monday to Friday, not an England
and Wales bank holiday), on Europe/London wall time. Here each instant ``t`` gets
a number ``W(t)``: the working seconds from a fixed origin to ``t``. Then the
working time a clock ran is ``W(stopped) - W(started)``, and a clock met an
allowance of ``A`` working seconds exactly when that difference is at most ``A``,
which is what ``clocks.met_target`` and ``clocks.clock_status`` decide in Python
(a clock started on a non-working day starts at 00:00 of the next working day,
which has the same ``W``; a deadline that falls at midnight before a weekend is
00:00 of the next working day, which has the same ``W`` too).

``W(t) = 86400 * (weekdays before d - bank holidays before d) + working(d) * s``,
where ``d`` is the London day number of ``t`` (Julian Day Number, so day 0 is a
Monday), ``s`` the seconds since London midnight and ``working(d)`` 1 on a
working day, else 0. Weekdays before ``d`` are ``5 * (d // 7) + min(d % 7, 5)``.
Bank holidays come from the ``holidays`` package, as in ``clocks.py``, for the
years the caller names; a clock that starts before those years counts the
missing holidays as working time, so it can only look later, never earlier.

Only portable functions (Extract with a time zone, Cast, Mod, Least, Case) are
used, so the same expression runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

from django.db.models import (
    Case,
    ExpressionWrapper,
    FloatField,
    IntegerField,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    ExtractDay,
    ExtractHour,
    ExtractMinute,
    ExtractMonth,
    ExtractSecond,
    ExtractYear,
    Least,
    Mod,
)
from django.db.models.lookups import GreaterThanOrEqual, In, LessThanOrEqual

from referrals import clocks

SECONDS_PER_DAY = 24 * 60 * 60
_WEEKDAYS = 5


def day_number(day: date) -> int:
    """The Julian Day Number of ``day`` (``day_number`` of a Monday is divisible by 7)."""
    return day.toordinal() + 1721425


def bank_holidays(years: range) -> list[int]:
    """Day numbers of the bank holidays that fall on weekdays in ``years``, in order."""
    days = {
        day
        for year in years
        for day in clocks._bank_holidays(year)  # the one calendar, reused
        if day.weekday() < _WEEKDAYS
    }
    return sorted(day_number(day) for day in days)


def _int(expression):
    return Cast(expression, IntegerField())


def _local_day_number(field: str):
    zone = clocks.WORKING_TIME_ZONE
    y = _int(ExtractYear(field, tzinfo=zone))
    m = _int(ExtractMonth(field, tzinfo=zone))
    d = _int(ExtractDay(field, tzinfo=zone))
    # Fliegel and Van Flandern's formula, in integer arithmetic only.
    a = (Value(14) - m) / Value(12)
    yy = y + Value(4800) - a
    mm = m + Value(12) * a - Value(3)
    return ExpressionWrapper(
        d
        + (Value(153) * mm + Value(2)) / Value(5)
        + Value(365) * yy
        + yy / Value(4)
        - yy / Value(100)
        + yy / Value(400)
        - Value(32045),
        output_field=IntegerField(),
    )


def _seconds_into_day(field: str):
    zone = clocks.WORKING_TIME_ZONE
    return ExpressionWrapper(
        Value(3600.0) * ExtractHour(field, tzinfo=zone)
        + Value(60.0) * ExtractMinute(field, tzinfo=zone)
        + ExtractSecond(field, tzinfo=zone),
        output_field=FloatField(),
    )


def _holidays_before(n, holidays: list[int]):
    if not holidays:
        return Value(0)
    whens = [
        When(LessThanOrEqual(n, Value(day)), then=Value(index))
        for index, day in enumerate(holidays)
    ]
    return Case(*whens, default=Value(len(holidays)), output_field=IntegerField())


def _is_working(n, holidays: list[int]):
    whens = [When(GreaterThanOrEqual(Mod(n, Value(7)), Value(_WEEKDAYS)), then=Value(0))]
    if holidays:
        whens.insert(0, When(In(n, holidays), then=Value(0)))
    return Case(*whens, default=Value(1), output_field=IntegerField())


def working_seconds(field: str, *, years: range):
    """``W(field)``: working seconds from the origin to the instant in ``field``."""
    n = _local_day_number(field)
    holidays = bank_holidays(years)
    weekdays_before = Value(_WEEKDAYS) * (n / Value(7)) + Least(Mod(n, Value(7)), Value(_WEEKDAYS))
    whole_days = ExpressionWrapper(
        weekdays_before - _holidays_before(n, holidays), output_field=IntegerField()
    )
    return ExpressionWrapper(
        Value(float(SECONDS_PER_DAY)) * whole_days
        + _is_working(n, holidays) * _seconds_into_day(field),
        output_field=FloatField(),
    )


def working_time(started: str, stopped: str, *, years: range):
    """Working seconds a clock ran from ``started`` to ``stopped`` (both field names)."""
    return ExpressionWrapper(
        working_seconds(stopped, years=years) - working_seconds(started, years=years),
        output_field=FloatField(),
    )


def allowance_seconds(span) -> float | None:
    """A target or limit of ``settings.CIRS_CLOCKS`` in working seconds (None if none)."""
    if span is None:
        return None
    ((unit, amount),) = span.items()
    if unit == "working_days":
        return float(int(amount) * SECONDS_PER_DAY)
    return float(amount) * 3600.0
