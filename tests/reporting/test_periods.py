"""Financial quarters and periods, on London time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine

from reporting.periods import Period, Quarter

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


def test_april_to_june_is_q1_and_january_to_march_is_q4():
    assert Quarter.containing(date(2026, 4, 1)) == Quarter(2026, 1)
    assert Quarter.containing(date(2026, 6, 30)) == Quarter(2026, 1)
    assert Quarter.containing(date(2026, 7, 1)) == Quarter(2026, 2)
    assert Quarter.containing(date(2026, 12, 31)) == Quarter(2026, 3)
    assert Quarter.containing(date(2027, 1, 1)) == Quarter(2026, 4)
    assert Quarter.containing(date(2027, 3, 31)) == Quarter(2026, 4)


def test_quarter_dates_and_labels():
    q4 = Quarter(2025, 4)

    assert (q4.start, q4.end, q4.label) == (date(2026, 1, 1), date(2026, 3, 31), "Q4 2025/26")
    assert q4.next() == Quarter(2026, 1)
    assert Quarter(2026, 1).previous() == q4


def test_the_default_period_is_the_current_quarter_in_london():
    # 23:30 UTC on 31 March 2026 is 00:30 BST on 1 April: Q1 in London.
    with time_machine.travel(datetime(2026, 3, 31, 23, 30, tzinfo=UTC), tick=False):
        period = Period.current_quarter()

    assert (period.start, period.end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert period.label == "Q1 2026/27 (1 April 2026 to 30 June 2026)"


def test_bounds_are_london_midnights():
    period = Period(start=date(2026, 4, 1), end=date(2026, 6, 30))

    assert period.start_at == datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
    assert period.end_at == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert period.contains(datetime(2026, 4, 1, 0, 30, tzinfo=LONDON))
    assert not period.contains(datetime(2026, 3, 31, 23, 30, tzinfo=LONDON))
    assert period.contains(datetime(2026, 6, 30, 23, 59, tzinfo=LONDON))
    assert not period.contains(datetime(2026, 7, 1, 0, 0, tzinfo=LONDON))


def test_snapshot_days_are_quarter_ends_and_the_period_end():
    year = Period(start=date(2026, 1, 1), end=date(2026, 8, 15))

    assert year.snapshot_days() == [date(2026, 3, 31), date(2026, 6, 30), date(2026, 8, 15)]
    assert Period(start=date(2026, 4, 1), end=date(2026, 6, 30)).snapshot_days() == [
        date(2026, 6, 30)
    ]
    assert year.quarter is None
    assert year.label == "1 January 2026 to 15 August 2026"
