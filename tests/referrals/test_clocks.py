"""SLA clocks and working-day arithmetic (docs/service.md "Clocks (SLA)").

Every deadline is checked on both sides: one second before is in time, one
second after is past. Runs under pytest-django (``--ds=config.settings.test``) or
without it (``-p no:django``), when the module configures minimal settings itself.
"""

from collections.abc import Iterator
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from referrals.clocks import (
    ClockStatus,
    Deadline,
    add_working_days,
    add_working_hours,
    clock_status,
    deadline,
    earlier_today,
    is_working_day,
    key_date_reminder_on,
    met_target,
    working_days_age,
    working_days_between,
    working_time_between,
)

if not django_settings.configured:  # running with -p no:django
    django_settings.configure(TIME_ZONE="Europe/London", USE_TZ=True)

LONDON = ZoneInfo("Europe/London")
SECOND = timedelta(seconds=1)

# docs/service.md's table, pinned so these tests do not follow a deployment's environment.
SERVICE_CLOCKS = {
    "triage": {"target": {"working_days": 1}, "limit": {"working_days": 2}},
    "allocation": {"target": {"working_days": 1}, "limit": {"working_days": 2}},
    "first_meeting": {"target": {"working_hours": 48}, "limit": {"working_days": 5}},
    "manager_contact": {"target": None, "limit": {"working_days": 5}},
    "review": {"target": None, "limit": {"working_days": 5}},
    "closure_summary": {"target": None, "limit": {"working_days": 10}},
}


def london(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


class _SettingsStandIn:
    """pytest-django's ``settings`` fixture API, for runs under ``-p no:django``."""

    def __init__(self) -> None:
        object.__setattr__(self, "_overrides", [])

    def __setattr__(self, name: str, value: Any) -> None:
        override = override_settings(**{name: value})
        override.enable()
        self._overrides.append(override)

    def __delattr__(self, name: str) -> None:
        override = override_settings()
        override.enable()
        delattr(django_settings, name)
        self._overrides.append(override)

    def __getattr__(self, name: str) -> Any:
        return getattr(django_settings, name)

    def finalize(self) -> None:
        for override in reversed(self._overrides):
            override.disable()


@pytest.fixture
def cirs_settings(request: pytest.FixtureRequest) -> Iterator[Any]:
    try:
        yield request.getfixturevalue("settings")  # pytest-django
    except pytest.FixtureLookupError:
        stand_in = _SettingsStandIn()
        yield stand_in
        stand_in.finalize()


@pytest.fixture(autouse=True)
def service_clock_settings(cirs_settings: Any) -> Any:
    cirs_settings.TIME_ZONE = "Europe/London"
    cirs_settings.CIRS_CLOCKS = SERVICE_CLOCKS
    cirs_settings.CIRS_CLOCK_NEAR_FRACTION = 0.25
    cirs_settings.CIRS_KEY_DATE_REMINDER_DAYS = 7
    return cirs_settings


# --- Working days -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 4, 2), True),  # Thursday before Easter
        (date(2026, 4, 3), False),  # Good Friday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 5, 4), False),  # early May bank holiday
        (date(2026, 12, 25), False),  # Christmas Day, a Friday
        (date(2026, 12, 28), False),  # Boxing Day substitute, Monday
        (date(2026, 12, 29), True),
        (date(2026, 6, 6), False),  # Saturday
        (date(2026, 6, 7), False),  # Sunday
        (date(2026, 6, 8), True),  # Monday
    ],
)
def test_is_working_day(day: date, expected: bool) -> None:
    assert is_working_day(day) is expected


# --- Weekends ---------------------------------------------------------------------------


def test_one_working_day_from_friday_afternoon_is_monday_afternoon() -> None:
    assert add_working_days(london(2026, 6, 5, 15), 1) == london(2026, 6, 8, 15)


def test_48_hours_from_friday_afternoon_is_tuesday_afternoon() -> None:
    assert add_working_hours(london(2026, 6, 5, 15), 48) == london(2026, 6, 9, 15)


def test_working_time_skips_the_weekend() -> None:
    assert working_time_between(london(2026, 6, 5, 15), london(2026, 6, 9, 15)) == timedelta(
        hours=48
    )


def test_a_span_ending_at_midnight_before_a_weekend_runs_to_monday_midnight() -> None:
    # The clock stops over the weekend, so it cannot run out on Saturday.
    assert add_working_hours(london(2026, 6, 5, 0), 24) == london(2026, 6, 8, 0)
    assert add_working_days(london(2026, 6, 5, 0), 1) == london(2026, 6, 8, 0)


def test_a_clock_started_on_saturday_starts_at_monday_midnight() -> None:
    saturday = london(2026, 6, 6, 11)
    assert add_working_days(saturday, 0) == london(2026, 6, 8, 0)
    assert add_working_days(saturday, 1) == london(2026, 6, 9, 0)
    assert add_working_hours(saturday, 48) == london(2026, 6, 10, 0)
    assert working_time_between(saturday, london(2026, 6, 8, 9)) == timedelta(hours=9)


# --- Bank holidays --------------------------------------------------------------------


def test_easter_2026_48_hours_skips_good_friday_and_easter_monday() -> None:
    assert add_working_hours(london(2026, 4, 2, 10), 48) == london(2026, 4, 8, 10)


def test_easter_2026_one_working_day_from_maundy_thursday_is_tuesday() -> None:
    assert add_working_days(london(2026, 4, 2, 10), 1) == london(2026, 4, 7, 10)


def test_christmas_2026_skips_christmas_day_weekend_and_boxing_day_substitute() -> None:
    christmas_eve = london(2026, 12, 24, 12)
    assert add_working_days(christmas_eve, 1) == london(2026, 12, 29, 12)
    assert add_working_hours(christmas_eve, 48) == london(2026, 12, 30, 12)


def test_early_may_bank_holiday_2026() -> None:
    assert add_working_days(london(2026, 5, 1, 9), 1) == london(2026, 5, 5, 9)


def test_a_clock_started_on_a_bank_holiday_starts_next_working_day() -> None:
    assert add_working_days(london(2026, 4, 6, 14), 1) == london(2026, 4, 8, 0)


# --- Clock changes --------------------------------------------------------------------


def test_48_hours_across_the_spring_clock_change_keeps_wall_clock_time() -> None:
    # Clocks go forward on Sunday 29 March 2026: Friday is GMT, Tuesday is BST.
    due = add_working_hours(london(2026, 3, 27, 15), 48)
    assert due == london(2026, 3, 31, 15)
    assert due.astimezone(UTC) == datetime(2026, 3, 31, 14, tzinfo=UTC)
    assert working_time_between(london(2026, 3, 27, 15), due) == timedelta(hours=48)


def test_one_working_day_across_the_autumn_clock_change_keeps_wall_clock_time() -> None:
    # Clocks go back on Sunday 25 October 2026: Friday is BST, Monday is GMT.
    due = add_working_days(london(2026, 10, 23, 15), 1)
    assert due == london(2026, 10, 26, 15)
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 15, tzinfo=UTC)


def test_utc_input_is_read_in_london_time() -> None:
    # 23:30 UTC on Friday 5 June is 00:30 BST on Saturday: the clock starts Monday.
    start = datetime(2026, 6, 5, 23, 30, tzinfo=UTC)
    assert add_working_days(start, 1) == london(2026, 6, 9, 0)


# --- Elapsed working time ---------------------------------------------------------------


def test_working_time_is_zero_when_end_is_not_after_start() -> None:
    start = london(2026, 6, 8, 10)
    assert working_time_between(start, start) == timedelta(0)
    assert working_time_between(start, start - timedelta(days=3)) == timedelta(0)


def test_working_days_between_is_fractional() -> None:
    assert working_days_between(london(2026, 6, 8, 0), london(2026, 6, 8, 12)) == 0.5
    assert working_days_between(london(2026, 4, 2, 10), london(2026, 4, 8, 10)) == 2.0


def test_working_days_age_counts_whole_working_days() -> None:
    start = london(2026, 6, 5, 15)  # Friday
    assert working_days_age(start, london(2026, 6, 8, 15) - SECOND) == 0
    assert working_days_age(start, london(2026, 6, 8, 15)) == 1
    assert working_days_age(start, london(2026, 6, 12, 16)) == 5


def test_working_days_age_defaults_to_now() -> None:
    with time_machine.travel(london(2026, 4, 8, 10), tick=False):
        assert working_days_age(london(2026, 4, 2, 10)) == 2


# --- Deadlines -----------------------------------------------------------------------------


def test_triage_deadline_from_service_table() -> None:
    started = london(2026, 6, 8, 10)  # Monday
    assert deadline("triage", started) == Deadline(
        clock="triage",
        started_at=started,
        target_at=london(2026, 6, 9, 10),
        limit_at=london(2026, 6, 10, 10),
    )


def test_first_meeting_deadline_over_easter() -> None:
    due = deadline("first_meeting", london(2026, 4, 2, 10))
    assert due.target_at == london(2026, 4, 8, 10)  # 48 hours
    assert due.limit_at == london(2026, 4, 13, 10)  # 5 working days


def test_clock_without_target_has_only_a_limit() -> None:
    due = deadline("closure_summary", london(2026, 6, 8, 10))
    assert due.target_at is None
    assert due.limit_at == london(2026, 6, 22, 10)
    assert due.first_at == due.limit_at


def test_deadline_is_frozen() -> None:
    due = deadline("triage", london(2026, 6, 8, 10))
    with pytest.raises(FrozenInstanceError):
        due.limit_at = None  # type: ignore[misc]


# --- Running clocks: both sides of each deadline -------------------------------------------------


def test_triage_either_side_of_target() -> None:
    started = london(2026, 6, 8, 10)
    target = london(2026, 6, 9, 10)
    assert clock_status("triage", started_at=started, now=target - SECOND) == ClockStatus.NEAR
    assert clock_status("triage", started_at=started, now=target) == ClockStatus.NEAR
    assert (
        clock_status("triage", started_at=started, now=target + SECOND) == ClockStatus.TARGET_MISSED
    )


def test_triage_either_side_of_limit() -> None:
    started = london(2026, 6, 8, 10)
    limit = london(2026, 6, 10, 10)
    assert (
        clock_status("triage", started_at=started, now=limit - SECOND) == ClockStatus.TARGET_MISSED
    )
    assert clock_status("triage", started_at=started, now=limit) == ClockStatus.TARGET_MISSED
    assert clock_status("triage", started_at=started, now=limit + SECOND) == ClockStatus.BREACHED


def test_first_meeting_either_side_of_48_hour_target_over_a_weekend() -> None:
    started = london(2026, 6, 5, 15)  # Friday
    target = london(2026, 6, 9, 15)  # Tuesday
    assert (
        clock_status("first_meeting", started_at=started, now=target - SECOND) == ClockStatus.NEAR
    )
    assert (
        clock_status("first_meeting", started_at=started, now=target + SECOND)
        == ClockStatus.TARGET_MISSED
    )


def test_first_meeting_either_side_of_5_working_day_limit() -> None:
    started = london(2026, 6, 5, 15)  # Friday
    limit = london(2026, 6, 12, 15)  # next Friday
    assert (
        clock_status("first_meeting", started_at=started, now=limit - SECOND)
        == ClockStatus.TARGET_MISSED
    )
    assert (
        clock_status("first_meeting", started_at=started, now=limit + SECOND)
        == ClockStatus.BREACHED
    )


def test_near_starts_when_less_than_a_quarter_of_the_span_remains() -> None:
    # 5 working days from Monday 09:00 ends next Monday 09:00; a quarter is 1.25
    # working days (30 working hours), so NEAR starts just after Friday 03:00.
    started = london(2026, 6, 1, 9)
    boundary = london(2026, 6, 5, 3)

    def status(now: datetime) -> ClockStatus:
        return clock_status("manager_contact", started_at=started, now=now)

    assert status(started) == ClockStatus.ON_TRACK
    assert status(boundary - SECOND) == ClockStatus.ON_TRACK
    assert status(boundary) == ClockStatus.ON_TRACK
    assert status(boundary + SECOND) == ClockStatus.NEAR
    # On Saturday only Monday's working time is left before the limit.
    assert status(london(2026, 6, 6, 12)) == ClockStatus.NEAR


def test_near_fraction_is_configuration(cirs_settings: Any) -> None:
    cirs_settings.CIRS_CLOCK_NEAR_FRACTION = 0.5
    started = london(2026, 6, 1, 9)
    assert (
        clock_status("manager_contact", started_at=started, now=london(2026, 6, 3, 21))
        == ClockStatus.ON_TRACK
    )
    assert (
        clock_status("manager_contact", started_at=started, now=london(2026, 6, 3, 22))
        == ClockStatus.NEAR
    )


def test_clock_status_defaults_to_now() -> None:
    started = london(2026, 6, 8, 10)
    with time_machine.travel(london(2026, 6, 10, 10) + SECOND, tick=False):
        assert clock_status("triage", started_at=started) == ClockStatus.BREACHED
    with time_machine.travel(london(2026, 6, 8, 11), tick=False):
        assert clock_status("triage", started_at=started) == ClockStatus.ON_TRACK


# --- Stopped clocks -------------------------------------------------------------------------


def test_stopped_clock_met_on_the_limit_and_missed_a_second_after() -> None:
    started = london(2026, 6, 8, 10)
    limit = london(2026, 6, 10, 10)
    late_now = london(2026, 7, 1, 10)  # a stopped clock ignores now
    assert (
        clock_status("triage", started_at=started, now=late_now, stopped_at=limit)
        == ClockStatus.MET
    )
    assert (
        clock_status("triage", started_at=started, now=late_now, stopped_at=limit + SECOND)
        == ClockStatus.MISSED
    )


def test_met_target_either_side_of_the_target() -> None:
    started = london(2026, 4, 2, 10)
    target = london(2026, 4, 8, 10)
    assert met_target("first_meeting", started_at=started, stopped_at=target) is True
    assert met_target("first_meeting", started_at=started, stopped_at=target + SECOND) is False
    # Missing the target alone is still within the limit.
    assert (
        clock_status("first_meeting", started_at=started, stopped_at=target + SECOND)
        == ClockStatus.MET
    )


def test_met_target_is_none_for_a_clock_without_target() -> None:
    started = london(2026, 6, 8, 10)
    assert met_target("review", started_at=started, stopped_at=started) is None


# --- Configuration ------------------------------------------------------------------------------


def test_clock_targets_and_limits_come_from_settings(cirs_settings: Any) -> None:
    cirs_settings.CIRS_CLOCKS = {
        **SERVICE_CLOCKS,
        "triage": {"target": {"working_hours": 4}, "limit": None},
    }
    started = london(2026, 6, 5, 22)  # Friday 22:00: two hours on Friday, two on Monday
    due = deadline("triage", started)
    assert due.target_at == london(2026, 6, 8, 2)
    assert due.limit_at is None
    assert (
        clock_status("triage", started_at=started, now=due.target_at + SECOND)
        == ClockStatus.TARGET_MISSED
    )
    assert (
        clock_status("triage", started_at=started, stopped_at=due.target_at + SECOND)
        == ClockStatus.MISSED
    )


def test_the_service_table_is_read_from_settings(cirs_settings: Any) -> None:
    """The table lives only in settings: change it there and the deadline follows."""
    assert deadline("first_meeting", london(2026, 4, 2, 10)).target_at == london(2026, 4, 8, 10)
    cirs_settings.CIRS_CLOCKS = {
        **cirs_settings.CIRS_CLOCKS,
        "first_meeting": {"target": {"working_days": 1}, "limit": {"working_days": 5}},
    }
    assert deadline("first_meeting", london(2026, 4, 2, 10)).target_at == london(2026, 4, 7, 10)


def test_malformed_clock_configuration_is_refused(cirs_settings: Any) -> None:
    cirs_settings.CIRS_CLOCKS = {"triage": {"target": {"days": 1}, "limit": None}}
    with pytest.raises(ImproperlyConfigured, match="triage"):
        deadline("triage", london(2026, 6, 8, 10))


def test_key_date_reminder_is_seven_calendar_days_before(cirs_settings: Any) -> None:
    assert key_date_reminder_on(date(2026, 6, 15)) == date(2026, 6, 8)
    cirs_settings.CIRS_KEY_DATE_REMINDER_DAYS = 3
    assert key_date_reminder_on(date(2026, 6, 15)) == date(2026, 6, 12)


# --- Bad input -------------------------------------------------------------------------------------


def test_unknown_clock_raises() -> None:
    with pytest.raises(ValueError, match="unknown clock 'tea_break'"):
        deadline("tea_break", london(2026, 6, 8, 10))
    with pytest.raises(ValueError, match="unknown clock"):
        clock_status("tea_break", started_at=london(2026, 6, 8, 10), now=london(2026, 6, 8, 11))


def test_naive_datetime_raises() -> None:
    naive = datetime(2026, 6, 8, 10)
    with pytest.raises(ValueError, match="aware"):
        add_working_days(naive, 1)
    with pytest.raises(ValueError, match="aware"):
        working_time_between(london(2026, 6, 8, 10), naive)
    with pytest.raises(ValueError, match="aware"):
        clock_status("triage", started_at=london(2026, 6, 8, 10), now=naive)


def test_negative_working_days_raise() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(london(2026, 6, 8, 10), -1)


@pytest.mark.parametrize(
    "wall, delta, expected",
    [
        # Just after midnight: as far back as today began, never into yesterday, and
        # never after now (the first second of a day is not yet 00:00:01).
        ((2026, 12, 8, 0, 0, 0, 300000), {"minutes": 5}, (2026, 12, 8, 0, 0, 0, 0)),
        ((2026, 12, 8, 0, 0, 0, 300000), {"hours": 3}, (2026, 12, 8, 0, 0, 0, 0)),
        ((2026, 12, 8, 0, 5, 0, 0), {"minutes": 1}, (2026, 12, 8, 0, 4, 0, 0)),
        ((2026, 12, 8, 0, 50, 0, 0), {"hours": 1}, (2026, 12, 8, 0, 0, 0, 0)),
        # Later in the day: exactly that long ago.
        ((2026, 12, 8, 14, 30, 0, 0), {"hours": 2}, (2026, 12, 8, 12, 30, 0, 0)),
        # The day the clocks go forward (29 March 2026): today began at 00:00 GMT.
        ((2026, 3, 29, 2, 30, 0, 0), {"hours": 3}, (2026, 3, 29, 0, 0, 0, 0)),
    ],
)
def test_earlier_today_is_that_long_ago_but_never_yesterday_or_in_the_future(wall, delta, expected):
    """``clocks.earlier_today``, which the demo data and the tests use for what is held
    "earlier today", with time frozen: so it does not depend on how soon after midnight
    a slow machine gets to it."""
    now = datetime(*wall, tzinfo=LONDON)
    with time_machine.travel(now, tick=False):
        found = earlier_today(**delta)
    assert found == datetime(*expected, tzinfo=LONDON)
    assert found <= now
    assert found.astimezone(LONDON).date() == now.date()
