"""The stored deadlines' indexes (referrals/models/deadlines.py): every lookup by
referral is served by an index that starts with the referral, and there is no third one
of its own to write on every deadline the sweep moves on."""

import pytest
from django.db import connection

from referrals.models import ClockDeadline

pytestmark = pytest.mark.django_db


def _indexes() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, ClockDeadline._meta.db_table)
    # Indexes, and the unique constraints that PostgreSQL and SQLite keep as indexes.
    return {
        name: spec["columns"]
        for name, spec in found.items()
        if spec["index"] or (spec["unique"] and not spec["primary_key"])
    }


def test_lookups_by_referral_have_an_index_and_no_index_of_their_own():
    indexes = _indexes()
    by_referral = [columns for columns in indexes.values() if columns[:1] == ["referral_id"]]
    assert ["referral_id", "clock"] in by_referral  # one_deadline_per_clock
    assert ["referral_id", "limit_at"] in by_referral
    assert ["referral_id"] not in by_referral
    assert ["chase_at"] in indexes.values()  # the sweep's range
