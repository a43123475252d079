"""The monitoring figures' queries are written once for each period and split
(``reporting.figures._written_once``): asked again, the same figures come back without
the ORM writing any SQL, and what changed in between is counted."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models.sql.compiler import SQLCompiler

from reporting import figures
from reporting.figures import monitoring_figures
from reporting.periods import Period
from tests.reporting.conftest import london, travel

Q1 = Period(start=date(2026, 4, 1), end=date(2026, 6, 30))


@pytest.fixture
def written(monkeypatch):
    calls = []
    original = SQLCompiler.as_sql

    def as_sql(self, *args, **kwargs):
        calls.append(type(self.query).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", as_sql)
    return calls


def _forget_what_was_written():
    # Another test in this process may have asked for the same period already.
    kept = [f.prepared for f in vars(figures).values() if hasattr(f, "prepared")]
    assert len(kept) == 8  # one for each of the figures' queries
    for prepared in kept:
        prepared._compiled.clear()


def test_asked_again_the_figures_are_the_same_and_no_sql_is_written(quarter, written):
    _forget_what_was_written()
    now = london(2026, 7, 1, 9, 0)
    first = monitoring_figures(Q1, parts=Q1.months(), now=now)
    assert written  # the first time, the ORM writes them
    written.clear()

    again = monitoring_figures(Q1, parts=Q1.months(), now=now)

    assert again == first
    assert written == []


def test_what_changed_in_between_is_counted(quarter, flow):
    now = london(2026, 7, 1, 9, 0)
    before = monitoring_figures(Q1, parts=Q1.months(), now=now)
    with travel(london(2026, 5, 12, 10, 0)):
        flow.referral()  # sent on 12 May

    after = monitoring_figures(Q1, parts=Q1.months(), now=now)

    assert after.referrals_total == before.referrals_total + 1
    assert after.parts[1].referrals_total == before.parts[1].referrals_total + 1


def test_each_period_and_split_has_its_own_statements(quarter):
    now = london(2026, 7, 1, 9, 0)
    whole = monitoring_figures(Q1, now=now)
    split = monitoring_figures(Q1, parts=Q1.months(), now=now)
    may = monitoring_figures(Q1.months()[1], now=now)

    assert split.staff_supported == whole.staff_supported
    assert split.parts[1].referrals == may.referrals
    assert split.parts[1].staff_supported == may.staff_supported


def test_a_statement_kept_in_one_time_zone_is_not_used_in_another(quarter, settings):
    # A period's bounds are its days' midnights in the service's time zone. B, sent at
    # 00:30 on 1 April (BST), is in the first quarter in London and not in UTC.
    now = london(2026, 7, 1, 9, 0)
    in_london = monitoring_figures(Q1, now=now)
    settings.TIME_ZONE = "UTC"
    kept_elsewhere = monitoring_figures(Q1, now=now)
    _forget_what_was_written()
    afresh = monitoring_figures(Q1, now=now)

    assert kept_elsewhere == afresh
    assert afresh.referrals_total == in_london.referrals_total - 1
