"""Persona users per role, an outsider for every role, and the service guards.

Tests that need PostgreSQL, Redis or Chromium skip locally when those are absent,
but under CI=true a missing service is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
import redis

from accounts.roles import Role
from tests.factories import ProviderFactory, TeamFactory, TherapistFactory, UserFactory
from tests.flow import Flow

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(condition: bool, what: str) -> None:
    """Skip (locally) or fail (in CI) when a real service is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available", pytrace=False)
    pytest.skip(f"{what} not available on this machine")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def requires_postgres(django_db_blocker):
    from django.db import connection

    need(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")


# --- one run's own databases ---------------------------------------------------------
# Two copies of the suite may run at once on one machine (two checkouts, or CI beside a
# developer's run), against the same PostgreSQL and Redis. Each test process therefore
# takes a PostgreSQL test database and a Redis database of its own, so neither drops
# the other's tables nor takes the other's Celery tasks.

REDIS_CLAIM_KEY = "cirs-test-run-claim"
REDIS_CLAIM_SECONDS = 2 * 60 * 60


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """pytest-django names the test database test_<name>_gw<n> under xdist; add this
    process's id, so a second copy of the suite never clobbers it."""
    from django.conf import settings

    for db_settings in settings.DATABASES.values():
        if db_settings["ENGINE"] == "django.db.backends.sqlite3":
            continue  # in memory, or a file of the run's own
        test = db_settings.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + db_settings['NAME']}_{os.getpid()}"


def _claim_redis_db(url: str):
    """The first Redis database, from the one ``url`` suggests, that no other test process
    has claimed: (url of that database, its client), or (None, None) if none is free."""
    parsed = urlparse(url)
    preferred = int(parsed.path.lstrip("/") or 0)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        preferred += 1 + int(worker[2:])
    for step in range(16):
        number = (preferred + step) % 16
        client = redis.Redis(
            host=parsed.hostname or "127.0.0.1", port=parsed.port or 6379, db=number
        )
        if client.set(REDIS_CLAIM_KEY, os.getpid(), nx=True, ex=REDIS_CLAIM_SECONDS):
            return parsed._replace(path=f"/{number}").geturl(), client
    return None, None


@pytest.fixture(scope="session")
def _claimed_redis():
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    parsed = urlparse(url)
    if not _port_open(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        yield url, False
        return
    claimed, client = _claim_redis_db(url)
    if claimed is None:
        yield url, False
        return
    try:
        yield claimed, True
    finally:
        if client.get(REDIS_CLAIM_KEY) == str(os.getpid()).encode():
            client.delete(REDIS_CLAIM_KEY)


@pytest.fixture
def redis_url(_claimed_redis):
    """A Redis database this test process alone uses (claimed for the session)."""
    url, available = _claimed_redis
    need(available, f"Redis at {url} (with a database no other test run has claimed)")
    return url


@pytest.fixture
def chromium_path():
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    need(os.path.exists(path), "Debian's chromium")
    return path


# --- personas --------------------------------------------------------------------------


@pytest.fixture
def team(db):
    return TeamFactory(name="Child Protection North")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Youth Justice")


@pytest.fixture
def provider(db):
    return ProviderFactory(name="Reed")


@pytest.fixture
def other_provider(db):
    return ProviderFactory(name="Other Provider")


@pytest.fixture
def manager(db):
    return UserFactory(username="amara", first_name="Amara", roles=[Role.LINE_MANAGER])


@pytest.fixture
def other_manager(db):
    return UserFactory(username="ben", first_name="Ben", roles=[Role.LINE_MANAGER])


@pytest.fixture
def psw(db):
    return UserFactory(username="priya", first_name="Priya", roles=[Role.PSW])


@pytest.fixture
def smpe(db):
    return UserFactory(username="samuel", first_name="Samuel", roles=[Role.SMPE])


@pytest.fixture
def coordinator(db, provider):
    user = UserFactory(username="chris", first_name="Chris", roles=[Role.COORDINATOR])
    provider.coordinators.add(user)
    return user


@pytest.fixture
def other_coordinator(db, other_provider):
    user = UserFactory(username="casey", first_name="Casey", roles=[Role.COORDINATOR])
    other_provider.coordinators.add(user)
    return user


@pytest.fixture
def therapist(db, provider):
    return TherapistFactory(
        user=UserFactory(username="tess", first_name="Tess", roles=[Role.THERAPIST]),
        provider=provider,
    )


@pytest.fixture
def other_therapist(db, provider):
    return TherapistFactory(
        user=UserFactory(username="omar", first_name="Omar", roles=[Role.THERAPIST]),
        provider=provider,
    )


@pytest.fixture
def service_lead(db):
    return UserFactory(username="helen", first_name="Helen", roles=[Role.SERVICE_LEAD])


@pytest.fixture
def staff_member(db):
    return UserFactory(username="robin", first_name="Robin", email="robin@example.org")


@pytest.fixture
def outsider(db):
    """Signed in, no role, named on nothing."""
    return UserFactory(username="charlie", first_name="Charlie")


@pytest.fixture
def flow(manager, psw, coordinator, therapist, provider, team):
    return Flow(
        manager=manager,
        psw=psw,
        coordinator=coordinator,
        therapist=therapist,
        provider=provider,
        team=team,
    )


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Role groups and exit pathways come from a data migration; a transactional test
    (live server, real worker, threads) flushes them, so put them back for each test
    that uses the database."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        return
    transactional = bool(
        (marker and marker.kwargs.get("transaction")) or names & {"transactional_db", "live_server"}
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.contrib.auth.models import Group

    from accounts.roles import ensure_role_groups
    from referrals.models import ExitPathway
    from referrals.reference_data import ensure_exit_pathways

    ensure_role_groups(Group)
    ensure_exit_pathways(ExitPathway)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """A test that picks persona fixtures by name (``request.getfixturevalue``) uses the
    database without saying so; mark it, so pytest-django orders it with the other
    database tests, before the transactional ones that flush the tables."""
    for item in items:
        if "request" in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
            "django_db"
        ):
            item.add_marker(pytest.mark.django_db)
