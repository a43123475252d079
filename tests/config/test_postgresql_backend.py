"""``config.postgresql``: Django's PostgreSQL backend reading ``timestamptz`` with
psycopg's own (compiled) loader, to the same values Django's loader gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg import adapters
from psycopg.pq import Format

pytestmark = pytest.mark.django_db

MOMENTS = [
    datetime(2026, 12, 5, 22, 40, 1, 123456, tzinfo=UTC),
    # The clocks going back in London (the same wall time twice).
    datetime(2026, 10, 25, 1, 30, tzinfo=ZoneInfo("Europe/London")),
    datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(1, 1, 2, 0, 0, tzinfo=UTC),
    datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC),
]


def test_timestamps_read_back_as_the_same_instants_in_utc(requires_postgres):
    with connection.cursor() as cursor:
        for moment in MOMENTS:
            cursor.execute("SELECT %s::timestamptz, NULL::timestamptz", [moment])
            (read, nothing) = cursor.fetchone()
            # As UTC: an hour that London has twice never equals another zone's time.
            assert read == moment.astimezone(UTC)
            assert read.tzinfo is UTC
            assert nothing is None


def test_the_backend_reads_with_psycopg_s_loader_as_django_s_would(requires_postgres):
    """The loader in use is this backend's, over psycopg's own one (the compiled one
    where psycopg[binary] is installed), and it gives what Django's loader gives."""
    from config.postgresql.base import _PSYCOPG_LOADER

    connection.ensure_connection()
    raw = connection.connection
    oid = adapters.types["timestamptz"].oid
    ours = raw.adapters.get_loader(oid, Format.TEXT)
    assert ours.__module__ == "config.postgresql.base"
    assert ours.timezone is connection.timezone
    assert _PSYCOPG_LOADER is adapters.get_loader(oid, Format.TEXT)

    class Djangos(BaseTzLoader):
        timezone = connection.timezone

    with connection.cursor() as cursor:
        for moment in MOMENTS:
            cursor.execute("SELECT %s::timestamptz::text", [moment])
            text = cursor.fetchone()[0].encode()
            assert ours(oid, raw).load(text) == Djangos(oid, raw).load(text)
            assert ours(oid, raw).load(text).tzinfo is Djangos(oid, raw).load(text).tzinfo


def test_models_read_their_moments_through_it(requires_postgres, flow):
    from referrals.models import Referral

    sent = flow.referral(Referral.State.SUBMITTED)
    read = Referral.objects.get(pk=sent.pk)
    assert read.submitted_at == sent.submitted_at
    assert read.submitted_at.tzinfo is UTC
