"""Reporting periods: the council's financial quarters (April to June is Q1), whole
months, or any date range. The service's rule: "financial quarter by default; whole
months or quarters for anyone without case access, any date range for the PSW and
SMPE" (``period_for`` applies it).

A period is a range of whole London calendar days; its bounds are the London
midnights at either end, so a referral made at 00:30 on 1 April (BST) falls in Q1
even though it is still 31 March in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

_MONTHS_PER_QUARTER = 3
_FIRST_MONTH = 4  # the financial year starts on 1 April


def local_midnight(day: date) -> datetime:
    """00:00 on ``day`` in the service's time zone (Europe/London), as an aware datetime."""
    return datetime.combine(day, time(), tzinfo=timezone.get_default_timezone())


@dataclass(frozen=True)
class Quarter:
    year: int  # the calendar year the financial year starts in (2025 for 2025/26)
    number: int  # 1 = April to June ... 4 = January to March

    @classmethod
    def containing(cls, day: date) -> Quarter:
        offset = (day.month - _FIRST_MONTH) % 12
        year = day.year if day.month >= _FIRST_MONTH else day.year - 1
        return cls(year=year, number=offset // _MONTHS_PER_QUARTER + 1)

    @property
    def start(self) -> date:
        month = _FIRST_MONTH + (self.number - 1) * _MONTHS_PER_QUARTER
        return date(self.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    @property
    def label(self) -> str:
        return f"Q{self.number} {self.year}/{(self.year + 1) % 100:02d}"

    def period(self) -> Period:
        return Period(start=self.start, end=self.end)


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both whole days included."""

    start: date
    end: date

    @classmethod
    def current_quarter(cls, *, today: date | None = None) -> Period:
        return Quarter.containing(today or timezone.localdate()).period()

    @property
    def start_at(self) -> datetime:
        return local_midnight(self.start)

    @property
    def end_at(self) -> datetime:
        """The first instant after the period (exclusive bound)."""
        return local_midnight(self.end + timedelta(days=1))

    @property
    def quarter(self) -> Quarter | None:
        """The financial quarter this period is exactly, if it is one."""
        quarter = Quarter.containing(self.start)
        return quarter if quarter.period() == self else None

    @property
    def label(self) -> str:
        span = f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}"
        quarter = self.quarter
        if quarter:
            return f"{quarter.label} ({span})"
        return f"{self.start:%B %Y} ({span})" if self.is_whole_month else span

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start_at <= moment < self.end_at

    @property
    def is_whole_month(self) -> bool:
        return self == Period.month_of(self.start)

    @classmethod
    def month_of(cls, day: date) -> Period:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return cls(start=first, end=following - timedelta(days=1))

    def months(self) -> list[Period]:
        """The whole months this period is made of (only for a run of whole months)."""
        months, month = [], Period.month_of(self.start)
        while month.start <= self.end:
            months.append(month)
            month = Period.month_of(month.end + timedelta(days=1))
        if months[0].start != self.start or months[-1].end != self.end:
            raise ValueError(f"{self.label} is not made of whole months")
        return months

    def snapshot_days(self) -> list[date]:
        """The days at whose end active cases are counted: each financial quarter end
        within the period, and the period's own last day if it is not one."""
        days = []
        quarter = Quarter.containing(self.start)
        while quarter.start <= self.end:
            if self.start <= quarter.end <= self.end:
                days.append(quarter.end)
            quarter = quarter.next()
        if not days or days[-1] != self.end:
            days.append(self.end)
        return days


def period_for(period: Period, *, any_dates: bool) -> Period:
    """The period a reader may see for the dates they chose.

    The PSW and SMPE (``any_dates``), who already see cases, may choose any range.
    Anyone else sees a whole financial quarter or a whole calendar month, and no other
    period, so two periods they can choose either do not overlap or are a month and
    the quarter it is in (docs/motivated-intruder-review.md, "Differencing"): dates
    that are exactly a quarter stay a quarter; any other dates become the month the
    chosen start date is in.
    """
    if any_dates or period.quarter is not None or period.is_whole_month:
        return period
    return Period.month_of(period.start)


def parts_for(period: Period, *, any_dates: bool) -> list[Period] | None:
    """The smaller periods the same reader can also see inside ``period``: the months of
    a quarter, for a reader limited to months and quarters. Their figures are worked
    out with the quarter's, so a count hidden in a month stays hidden in the quarter."""
    if any_dates or period.quarter is None:
        return None
    return period.months()
