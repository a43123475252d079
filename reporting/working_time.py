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

Only what SQLite and PostgreSQL share is used (Extract with a time zone, Cast,
integer ``/``, ``MOD``, ``CASE`` and ``IN``), so the same SQL runs on both. For
aggregates, ``local_parts`` works out each row's day number and seconds once in an
inner query, and ``working_time_of`` is integer arithmetic on those two columns in
the outer one; ``W`` is written as SQL text around its compiled inputs, so a query
compiles in microseconds however many bank holidays it lists.
"""

from __future__ import annotations

from datetime import date

from django.db.models import (
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Value,
)
from django.db.models.functions import (
    Cast,
    ExtractDay,
    ExtractHour,
    ExtractMinute,
    ExtractMonth,
    ExtractSecond,
    ExtractYear,
)

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


def local_parts(field: str, prefix: str) -> dict:
    """Annotations holding the London day number and the seconds since London midnight
    of the instant in ``field``, worked out once per row in an inner query;
    ``working_seconds_of(prefix)`` then does integer arithmetic on the two columns."""
    y, m, d, s = _local(field)
    return {f"{prefix}_n": _day_number(y, m, d), f"{prefix}_s": s}


def _local(field: str):
    zone = clocks.WORKING_TIME_ZONE
    return (
        _int(ExtractYear(field, tzinfo=zone)),
        _int(ExtractMonth(field, tzinfo=zone)),
        _int(ExtractDay(field, tzinfo=zone)),
        ExpressionWrapper(
            Value(3600.0) * ExtractHour(field, tzinfo=zone)
            + Value(60.0) * ExtractMinute(field, tzinfo=zone)
            + ExtractSecond(field, tzinfo=zone),
            output_field=FloatField(),
        ),
    )


class _DayNumber(Expression):
    """The Julian Day Number of a year, month and day (Fliegel and Van Flandern's
    formula, integer arithmetic only), written as SQL text around the three compiled
    children so each time-zone conversion appears once per use, not once per term."""

    output_field = IntegerField()

    def __init__(self, y, m, d):
        super().__init__(output_field=IntegerField())
        self.y, self.m, self.d = y, m, d

    def get_source_expressions(self):
        return [self.y, self.m, self.d]

    def set_source_expressions(self, exprs):
        self.y, self.m, self.d = exprs

    def as_sql(self, compiler, connection):
        (y, y_params), (m, m_params), (d, d_params) = (
            compiler.compile(part) for part in (self.y, self.m, self.d)
        )
        a = f"((14 - ({m})) / 12)"
        yy = f"(({y}) + 4800 - {a})"
        mm = f"(({m}) + 12 * {a} - 3)"
        sql = (
            f"(({d}) + (153 * {mm} + 2) / 5 + 365 * {yy} + {yy} / 4 - {yy} / 100 "
            f"+ {yy} / 400 - 32045)"
        )
        # Parameters in the order their parts appear in the text above.
        params = [*d_params, *m_params, *m_params]  # d, then mm (m and a's m)
        params += [*y_params, *m_params] * 4  # yy four times (y, then a's m)
        return sql, params


def _day_number(y, m, d):
    return _DayNumber(y, m, d)


class _WorkingSeconds(Expression):
    """``W`` as one SQL expression over a day number ``n`` and seconds ``s``.

    Written as SQL text around the two compiled children (rather than as nested
    ``Case``/``When`` objects, which Django would resolve and copy node by node) so a
    query with several clocks compiles in microseconds. The bank holidays are our own
    integers, never user input. Only what SQLite and PostgreSQL share: integer ``/``,
    ``MOD``, ``CASE`` and ``IN``.
    """

    output_field = FloatField()

    def __init__(self, n, s, holidays: list[int]):
        super().__init__(output_field=FloatField())
        self.n, self.s = n, s
        self.holidays = [int(day) for day in holidays]

    def get_source_expressions(self):
        return [self.n, self.s]

    def set_source_expressions(self, exprs):
        self.n, self.s = exprs

    def as_sql(self, compiler, connection):
        n_sql, n_params = compiler.compile(self.n)
        s_sql, s_params = compiler.compile(self.s)
        n = f"({n_sql})"
        weekday = f"MOD({n}, 7)"
        weekdays_before = f"(5 * ({n} / 7) + CASE WHEN {weekday} < 5 THEN {weekday} ELSE 5 END)"
        if self.holidays:
            whens = " ".join(
                f"WHEN {n} <= {day} THEN {index}" for index, day in enumerate(self.holidays)
            )
            holidays_before = f"(CASE {whens} ELSE {len(self.holidays)} END)"
            listed = ", ".join(str(day) for day in self.holidays)
            holiday = f"{n} IN ({listed})"
        else:
            holidays_before, holiday = "0", "1 = 0"
        working = f"(CASE WHEN {holiday} THEN 0 WHEN {weekday} >= 5 THEN 0 ELSE 1 END)"
        head = f"({float(SECONDS_PER_DAY)} * ({weekdays_before} - {holidays_before}) + {working} * "
        # Every copy of n comes before s in the text, so the parameters follow in that order.
        uses = 3 + len(self.holidays) + (1 if self.holidays else 0) + 1
        return f"{head}({s_sql}))", [*n_params * uses, *s_params]


def _working_seconds(n, s, *, years: range):
    return _WorkingSeconds(n, s, bank_holidays(years))


def working_seconds_of(prefix: str, *, years: range):
    """``W`` from the ``local_parts(field, prefix)`` annotations of the same query."""
    return _working_seconds(F(f"{prefix}_n"), F(f"{prefix}_s"), years=years)


def working_seconds(field: str, *, years: range):
    """``W(field)`` in one expression (each use converts the time zone again: for a
    single row; aggregates use ``local_parts`` and ``working_seconds_of``)."""
    y, m, d, s = _local(field)
    return _working_seconds(_day_number(y, m, d), s, years=years)


def working_time(started: str, stopped: str, *, years: range):
    """Working seconds a clock ran from ``started`` to ``stopped`` (both field names)."""
    return ExpressionWrapper(
        working_seconds(stopped, years=years) - working_seconds(started, years=years),
        output_field=FloatField(),
    )


def working_time_of(started: str, stopped: str, *, years: range):
    """The same from the ``local_parts`` annotations prefixed ``started``/``stopped``."""
    return ExpressionWrapper(
        working_seconds_of(stopped, years=years) - working_seconds_of(started, years=years),
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
