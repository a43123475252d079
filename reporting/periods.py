"""Reporting periods: the council's financial quarters (April to June is Q1) or any
date range. docs/service.md "Monitoring": "Per period (financial quarter by default, any
date range possible)".

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
        return f"{quarter.label} ({span})" if quarter else span

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start_at <= moment < self.end_at

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
