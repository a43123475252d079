"""The SQL working clock agrees with ``referrals/clocks.py`` (the Python one) on
every pair of instants tried: weekends, bank holidays, clock changes, midnights."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from referrals import clocks
from referrals.models import Referral
from reporting.working_time import working_time

LONDON = ZoneInfo("Europe/London")
YEARS = range(2025, 2028)

# Hand-picked edges: Good Friday and Easter Monday 2026, a weekend, the October
# clock change, Christmas, exact midnights.
EDGES = [
    (datetime(2026, 5, 8, 15, 0), datetime(2026, 5, 12, 15, 0)),  # Friday to Tuesday
    (datetime(2026, 4, 2, 10, 0), datetime(2026, 4, 8, 10, 0)),  # over Easter
    (datetime(2026, 4, 4, 11, 0), datetime(2026, 4, 7, 9, 0)),  # from a Saturday
    (datetime(2026, 10, 23, 18, 0), datetime(2026, 10, 27, 9, 30)),  # clocks go back
    (datetime(2026, 12, 24, 12, 0), datetime(2026, 12, 29, 12, 0)),  # Christmas
    (datetime(2026, 6, 5, 0, 0), datetime(2026, 6, 8, 0, 0)),  # midnight to midnight
    (datetime(2026, 6, 1, 9, 0), datetime(2026, 6, 1, 8, 0)),  # stopped before it started
]


def _random_pairs(n: int) -> list[tuple[datetime, datetime]]:
    rng = random.Random(12)
    base = datetime(2025, 12, 1)
    pairs = []
    for _ in range(n):
        start = base + timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
        pairs.append((start, start + timedelta(minutes=rng.randrange(0, 20 * 24 * 60))))
    return pairs


def _sql_and_python(flow, pairs):
    referral = flow.referral(state=Referral.State.SUBMITTED)
    results = []
    for start, stop in pairs:
        start, stop = start.replace(tzinfo=LONDON), stop.replace(tzinfo=LONDON)
        Referral.objects.filter(pk=referral.pk).update(submitted_at=start, first_meeting_at=stop)
        sql = (
            Referral.objects.filter(pk=referral.pk)
            .annotate(ran=working_time("submitted_at", "first_meeting_at", years=YEARS))
            .values_list("ran", flat=True)
            .get()
        )
        if stop >= start:
            python = clocks.working_time_between(start, stop).total_seconds()
        else:  # a clock stopped before it started ran "negative" time: met, as in clocks.py
            python = -clocks.working_time_between(stop, start).total_seconds()
        results.append((start, stop, sql, python))
    return results


def _check(results):
    for start, stop, sql, python in results:
        assert sql == pytest.approx(python, abs=1e-3), (start, stop)


def test_the_sql_clock_agrees_at_the_edges(flow):
    _check(_sql_and_python(flow, EDGES))


def test_the_sql_clock_agrees_on_random_instants(flow):
    _check(_sql_and_python(flow, _random_pairs(25)))


@pytest.mark.postgres
def test_the_sql_clock_agrees_on_postgresql(flow, requires_postgres):
    _check(_sql_and_python(flow, EDGES + _random_pairs(25)))
