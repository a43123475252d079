"""Two copies of the suite at once on one machine (issue 10): each test process has a
PostgreSQL test database and a Redis database of its own (tests/conftest.py)."""

from __future__ import annotations

import os

import pytest
import redis
from django.db import connection

from tests.conftest import REDIS_CLAIM_KEY, _claim_redis_db


@pytest.mark.django_db
def test_the_postgresql_test_database_is_this_process_s_own(requires_postgres):
    assert connection.settings_dict["NAME"].endswith(f"_{os.getpid()}")


def test_a_redis_database_claimed_by_another_run_is_passed_over(redis_url):
    mine = redis.Redis.from_url(redis_url)
    assert mine.get(REDIS_CLAIM_KEY) == str(os.getpid()).encode()
    # Asking again from the same starting point lands on another database: ours is
    # taken, exactly as a second copy of the suite would find it.
    other_url, other = _claim_redis_db(redis_url)
    try:
        assert other_url is not None and other_url != redis_url
        assert other.get(REDIS_CLAIM_KEY) == str(os.getpid()).encode()
    finally:
        if other is not None:
            other.delete(REDIS_CLAIM_KEY)
