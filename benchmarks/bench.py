"""``make bench``: how CIRS's pages, sweep, PDF and submission hold up at volume.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python benchmarks/bench.py

Creates a throwaway PostgreSQL database ``cirs_bench_<pid>`` (dropped at the end, even
on failure), seeds it with bulk inserts and prints, per page, the rows shown, the
queries, the in-process median and p95 (Django test client, 100 timed requests at
each volume after 3 warm-ups, a request at 1,000 and one at 10,000 in turn, from a
copy of the database at 1,000), the 10k/1k ratio and the bare SQL time of the same statements; then referral
detail, the monitoring dashboard, referral submission, requests/s under gunicorn as
docker-compose.yml starts it (2 sync workers, signed in through the sign-in form and
the code step) with ``wrk -t1 -c4``, the sweep over 100,000 open referrals with 5% due
(alone, then two at once over the same rows), and the quarterly PDF over 2,000
referrals. ``BENCH_PARTS`` picks parts (the 1,000 and 10,000 referrals are always
seeded). A non-200 answer under wrk, or a chase not claimed exactly once, fails the
bench. docs/performance.md has the method and the latest figures.

The spread over states (``SPREAD``) is a steady service: most referrals closed, about
four in ten still open, a few in each waiting state.
"""

from __future__ import annotations

import http.client
import http.cookies
import logging
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault(
    "DATABASE_URL",
    os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
)

import django  # noqa: E402

django.setup()
logging.disable(logging.WARNING)

from django.db import DEFAULT_DB_ALIAS, connection, connections  # noqa: E402
from django.db.utils import load_backend  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

WARMUPS, TIMED = 3, 30
# Which parts to run (all by default), e.g. BENCH_PARTS=pages,sweep.
PARTS = set(os.environ.get("BENCH_PARTS", "pages,detail,dashboard,submit,wrk,sweep,pdf").split(","))
# Share of referrals in each state: "a documented spread" (docs/performance.md).
SPREAD = {
    "submitted": 0.06,
    "more_info": 0.02,
    "accepted": 0.04,
    "allocated": 0.04,
    "active": 0.22,
    "extension_requested": 0.02,
    "declined": 0.08,
    "closed": 0.47,
    "withdrawn": 0.05,
}
OPEN_FOR_SWEEP = 100_000
DUE_SHARE = 0.05
MANAGERS, PROVIDERS, THERAPISTS, TEAMS = 40, 3, 24, 12
PAGES = [
    ("triage queue", "psw", "referrals:triage"),
    ("allocation", "coordinator", "therapists:allocation_queue"),
    ("my cases", "therapist", "therapists:my_cases"),
    ("my referrals", "manager", "referrals:mine"),
    ("oversight board", "psw", "referrals:board"),
]
CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT")


def calibration() -> float:
    """Seconds for a fixed Python loop: the same machine is not always as fast (a shared
    host), so runs are compared with this beside them."""
    began = time.process_time()
    total = 0
    for step in range(10_000_000):
        total += step
    return time.process_time() - began


def cpu_ticks() -> tuple[int, int]:
    """(all, stolen) CPU ticks of the machine so far (Linux /proc/stat): "steal" is the
    time a virtual machine's host gave its CPUs to someone else."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def settle() -> None:
    """The database as a live one is between bursts of writes, before its pages are
    timed: vacuumed and analysed (what autovacuum does after a bulk load: fresh
    statistics, no dead rows, and index-only reads that need not visit each row), and its
    dirty pages written out (a checkpoint), so the seeding's writes do not land on the
    timed requests."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


# --- seeding -------------------------------------------------------------------------


class World:
    """The people and reference data every referral points at."""

    def __init__(self) -> None:
        from django.contrib.auth.models import Group

        from accounts.models import User
        from accounts.roles import Role, group_name
        from referrals.models import Team
        from therapists.models import Provider, Therapist

        def person(name: str, *roles: Role) -> User:
            user = User.objects.create(
                username=name, first_name=name.title(), last_name="Bench", email=f"{name}@ex.org"
            )
            user.groups.set([Group.objects.get_or_create(name=group_name(r))[0] for r in roles])
            return user

        self.psw = person("psw", Role.PSW)
        self.smpe = person("smpe", Role.SMPE)
        self.lead = person("lead", Role.SERVICE_LEAD)
        self.managers = [person(f"manager{n}", Role.LINE_MANAGER) for n in range(MANAGERS)]
        self.teams = Team.objects.bulk_create(Team(name=f"Bench team {n}") for n in range(TEAMS))
        self.providers = []
        self.coordinators = []
        for n in range(PROVIDERS):
            provider = Provider.objects.create(name=f"Bench provider {n}")
            coordinator = person(f"coordinator{n}", Role.COORDINATOR)
            provider.coordinators.add(coordinator)
            self.providers.append(provider)
            self.coordinators.append(coordinator)
        self.therapists = [
            Therapist.objects.create(
                user=person(f"therapist{n}", Role.THERAPIST),
                provider=self.providers[n % PROVIDERS],
                capacity=500,
            )
            for n in range(THERAPISTS)
        ]

    def user(self, who: str):
        return {
            "psw": self.psw,
            "coordinator": self.coordinators[0],
            "therapist": self.therapists[0].user,
            "manager": self.managers[0],
            "lead": self.lead,
        }[who]


def seed(world: World, count: int, rng: random.Random, *, spread=SPREAD, now=None) -> list[int]:
    """``count`` referrals across ``spread``, with incidents, group details, sessions and
    reviews where their state has them: bulk inserts only."""
    from referrals.models import CriticalIncident, GroupReferral, Referral, Review, TherapySession

    now = now or timezone.now()
    states = rng.choices(list(spread), weights=list(spread.values()), k=count)
    incidents = CriticalIncident.objects.bulk_create(
        (
            CriticalIncident(
                occurred_on=(now - timedelta(days=rng.randrange(5, 80))).date(),
                category="practitioner_harmed",
                team=rng.choice(world.teams),
                description="Bench incident",
            )
            for _ in states
        ),
        batch_size=5000,
    )
    referrals = []
    for state, incident in zip(states, incidents, strict=True):
        submitted = now - timedelta(hours=rng.randrange(2, 24 * 60))
        provider_n = rng.randrange(PROVIDERS)
        therapist = rng.choice(
            [t for t in world.therapists if t.provider_id == world.providers[provider_n].pk]
        )
        r = Referral(
            state=state,
            kind="group" if rng.random() < 0.05 else "individual",
            incident=incident,
            created_by=rng.choice(world.managers),
            staff_name=f"Staff {rng.randrange(100000)}",
            staff_email="staff@ex.org",
            event_details="Bench",
            first_submitted_at=submitted,
            submitted_at=submitted,
            created_at=submitted - timedelta(hours=1),
        )
        r.line_manager_id = r.created_by_id
        if state not in ("submitted", "more_info"):
            r.decided_at = submitted + timedelta(hours=rng.randrange(1, 30))
        if state in (
            "accepted",
            "allocated",
            "active",
            "extension_requested",
            "closed",
            "withdrawn",
        ):
            r.provider = world.providers[provider_n]
        if state in ("allocated", "active", "extension_requested", "closed"):
            r.therapist = therapist
            r.allocated_at = r.decided_at + timedelta(hours=rng.randrange(1, 30))
        if state in ("active", "extension_requested", "closed"):
            r.first_meeting_at = r.allocated_at + timedelta(hours=rng.randrange(2, 60))
            r.last_session_at = r.first_meeting_at + timedelta(days=rng.randrange(0, 30))
            if rng.random() < 0.7:
                r.manager_contacted_at = r.first_meeting_at
            if state != "active" or rng.random() < 0.4:
                r.third_session_at = r.last_session_at
        if state == "closed":
            r.closed_at = r.last_session_at + timedelta(days=rng.randrange(1, 20))
        if state == "withdrawn":
            r.withdrawn_at = r.decided_at + timedelta(days=1)
        referrals.append(r)
    referrals = Referral.objects.bulk_create(referrals, batch_size=5000)
    GroupReferral.objects.bulk_create(
        (
            GroupReferral(referral=r, referrer_role="line_manager", number_of_staff=6)
            for r in referrals
            if r.kind == "group"
        ),
        batch_size=5000,
    )
    sessions, reviews = [], []
    for r in referrals:
        if r.first_meeting_at is None:
            continue
        for n in range(3 if r.third_session_at else 1):
            sessions.append(
                TherapySession(
                    referral=r,
                    held_at=r.first_meeting_at + timedelta(days=7 * n),
                    kind="group" if r.kind == "group" else "individual",
                    attendees=5 if r.kind == "group" else None,
                    is_first_meeting=n == 0,
                    facilitator=r.therapist,
                    recorded_by=r.therapist.user,
                )
            )
        if r.state in ("closed", "extension_requested") or (
            r.third_session_at and rng.random() < 0.3
        ):
            reviews.append(
                Review(
                    referral=r,
                    outcome="extend" if r.state == "extension_requested" else "close",
                    recorded_by=r.therapist.user,
                )
            )
    TherapySession.objects.bulk_create(sessions, batch_size=5000)
    Review.objects.bulk_create(reviews, batch_size=5000)
    return [r.pk for r in referrals]


# --- measuring pages ---------------------------------------------------------------------


def _statements(client: Client, url: str):
    """One request's response and its statements (transaction control left out)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(CONTROL)]
    return response, statements


def _bare_sql(statements: list[str], timed: int) -> float:
    """The median time of the page's SELECTs run as they were sent, no Django around."""
    selects = [s for s in statements if s.startswith("SELECT")]
    sql_times = []
    with connection.cursor() as cursor:
        for _ in range(timed):
            began = time.perf_counter()
            for sql in selects:
                cursor.execute(sql)
                cursor.fetchall()
            sql_times.append(time.perf_counter() - began)
    return statistics.median(sql_times)


def _shown(response) -> tuple[int | None, int | None]:
    context = response.context
    rows = len(context["rows"]) if context and "rows" in context else None
    if context and "items" in context:
        rows = len(context["items"])
    total = context["page"].total if context and "page" in context else None
    return rows, total


def measure(client: Client, url: str, *, warmups: int = WARMUPS, timed: int = TIMED) -> dict:
    response, statements = _statements(client, url)
    for _ in range(warmups):
        client.get(url)
    times = []
    for _ in range(timed):
        began = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - began)
    rows, total = _shown(response)
    return {
        "rows": rows,
        "total": total,
        "queries": len(statements),
        "median": statistics.median(times),
        "p95": p95(times),
        "sql": _bare_sql(statements, timed),
    }


# The copy of the database at 1,000 referrals (``cirs_bench_<pid>_1k``).
SMALL = "1k"
# Each list is timed this many times at each volume, request by request in pairs.
PAIRS = 100


def _connection_to(name: str):
    """A connection of its own to the database ``name`` (``connections["default"]`` is
    set to it to use it): two stay open side by side, each warm."""
    settings_dict = {**connections.settings[DEFAULT_DB_ALIAS], "NAME": name}
    return load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, DEFAULT_DB_ALIAS)


def page_tables(world: World, *, small_db: str, large_db: str) -> tuple[dict, dict]:
    """Every list at 1,000 and at 10,000 referrals, timed in pairs: each list's
    ``PAIRS`` requests at one volume alternate with as many at the other (the order
    within a pair swapping each time), each volume on its own open connection, after 3
    warm-ups each. A shared host's speed drifts from one second to the next; timed
    minutes apart, or even a batch apart, the two volumes put that drift into their
    ratio, where side by side they share it."""
    own = connections[DEFAULT_DB_ALIAS]
    databases = {db: _connection_to(db) for db in (small_db, large_db)}
    found: dict[str, dict[str, dict]] = {db: {} for db in databases}
    try:
        for label, who, name in PAGES:
            url = reverse(name)
            clients, times = {}, {db: [] for db in databases}
            for db, wrapper in databases.items():
                connections[DEFAULT_DB_ALIAS] = wrapper
                clients[db] = Client()
                clients[db].force_login(world.user(who))
                response, statements = _statements(clients[db], url)
                rows, total = _shown(response)
                found[db][label] = {
                    "rows": rows,
                    "total": total,
                    "queries": len(statements),
                    "sql": _bare_sql(statements, TIMED),
                }
                for _ in range(WARMUPS):
                    clients[db].get(url)
            for n in range(PAIRS):
                for db in databases if n % 2 == 0 else reversed(databases):
                    connections[DEFAULT_DB_ALIAS] = databases[db]
                    began = time.perf_counter()
                    clients[db].get(url)
                    times[db].append(time.perf_counter() - began)
            for db in databases:
                found[db][label].update(median=statistics.median(times[db]), p95=p95(times[db]))
    finally:
        connections[DEFAULT_DB_ALIAS] = own
        for wrapper in databases.values():
            wrapper.close()
    return found[small_db], found[large_db]


def print_pages(small: dict, large: dict, small_n: int, large_n: int) -> None:
    print(
        f"\n{'page':<16} | {'rows/total @' + str(small_n):>15} {'q':>3} {'median':>10} {'p95':>10}"
        f" | {'rows/total @' + str(large_n):>16} {'q':>3} {'median':>10} {'p95':>10}"
        f" | {'p95 ratio':>9} | {'bare SQL @' + str(large_n):>14}"
    )
    for label in small:
        a, b = small[label], large[label]
        shown_a = f"{a['rows']}/{a['total']}"
        shown_b = f"{b['rows']}/{b['total']}"
        print(
            f"{label:<16} | {shown_a:>15} {a['queries']:>3} "
            f"{ms(a['median']):>10} {ms(a['p95']):>10} | {shown_b:>16} "
            f"{b['queries']:>3} {ms(b['median']):>10} {ms(b['p95']):>10} | "
            f"{b['p95'] / a['p95']:>9.2f} | {ms(b['sql']):>14}"
        )
    print(
        f"({PAIRS} timed requests at each volume, a request at {small_n:,} and one at "
        f"{large_n:,} in turn, after {WARMUPS} warm-ups)"
    )
    # Where the 10k page shows more rows than the 1k page, its ratio is as much rows as
    # volume: the median's growth per row shown more says which it is.
    extra = [
        f"{label} {(large[label]['median'] - small[label]['median']) / more * 1e6:,.0f} µs "
        f"({small[label]['rows']} -> {large[label]['rows']} rows)"
        for label in small
        if (more := (large[label]["rows"] or 0) - (small[label]["rows"] or 0)) > 0
    ]
    if extra:
        print("median's growth per row shown more at 10k: " + ", ".join(extra))


def profile(world: World, label: str, who: str, url: str, top: int = 14) -> None:
    """cProfile of 10 requests to one page: where its time goes (docs/performance.md)."""
    import cProfile
    import io
    import pstats

    client = Client()
    client.force_login(world.user(who))
    client.get(url)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if "ncalls" in ln)
    print(f"\nprofile, {label}, 10 requests, by own time:")
    for line in lines[start : start + top + 1]:
        print("  " + line[:150])


def single(world: World, label: str, who: str, url: str, *, timed: int = TIMED) -> None:
    client = Client()
    client.force_login(world.user(who))
    r = measure(client, url, warmups=min(WARMUPS, timed), timed=timed)
    print(
        f"{label}: {r['queries']} queries, median {ms(r['median'])}, p95 {ms(r['p95'])}, "
        f"bare SQL {ms(r['sql'])} ({timed} timed requests)"
    )


def submission(world: World) -> None:
    """A referral saved and sent through the services the form calls (the form's own
    validation and page are not in this figure)."""
    from referrals import services
    from referrals.models import Referral

    manager = world.managers[1]
    today = timezone.localdate()
    before = Referral.objects.filter(created_by=manager, state="submitted").count()
    times = []
    for n in range(WARMUPS + TIMED):
        data = {
            "occurred_on": today - timedelta(days=7),
            "category": "practitioner_harmed",
            "team": world.teams[0],
            "description": "Bench incident",
            "staff_name": "Robin Benchperson",
            "staff_phone": "07700 900123",
            "staff_email": "robin@example.org",
            "event_details": "Bench event",
            "team_input": "no",
            "team_input_details": "",
            "discussion_date": today - timedelta(days=1),
            "practitioner_agrees": True,
        }
        began = time.perf_counter()
        draft = services.save_referral_draft(by=manager, data=data)
        services.submit_referral(referral_id=draft.pk, by=manager)
        elapsed = time.perf_counter() - began
        if n >= WARMUPS:
            times.append(elapsed)
    sent = Referral.objects.filter(created_by=manager, state="submitted").count()
    assert sent - before == WARMUPS + TIMED, (sent, before)
    print(
        f"referral submission (save + send, services): median {ms(statistics.median(times))}, "
        f"p95 {ms(p95(times))}"
    )


# --- the sweep ---------------------------------------------------------------------------


def seed_open_referrals(world: World, rng: random.Random) -> int:
    """Open referrals up to ``OPEN_FOR_SWEEP``, their deadlines stored in bulk (memoised
    per start moment: the same public functions the services use). Returns how many
    referrals are open."""
    from referrals import chasing, clocks, sla
    from referrals.chasing.deadlines import next_chase_at
    from referrals.models import ClockDeadline, Referral

    open_spread = {k: v for k, v in SPREAD.items() if k not in ("declined", "closed", "withdrawn")}
    have = Referral.objects.open().count()
    new_ids = seed(world, OPEN_FOR_SWEEP - have, rng, spread=open_spread)
    cache: dict = {}
    rows = []
    for referral in (
        Referral.objects.filter(pk__in=new_ids)
        .prefetch_related("reviews", "key_dates")
        .iterator(chunk_size=5000)
    ):
        for clock, started, stopped, _held in sla.clock_runs(referral):
            if stopped is not None:
                continue
            key = (clock, started.replace(minute=0, second=0, microsecond=0))
            if key not in cache:
                due = clocks.deadline(clock, key[1])
                cache[key] = (chasing.near_moment(due), due.target_at, due.limit_at)
            near, target, limit = cache[key]
            row = ClockDeadline(
                referral_id=referral.pk,
                clock=clock,
                started_at=started,
                near_at=near,
                target_at=target,
                limit_at=limit,
            )
            row.chase_at = next_chase_at(row, after_level=0)
            rows.append(row)
    ClockDeadline.objects.bulk_create(rows, batch_size=5000)
    connection.cursor().execute("ANALYZE")
    return Referral.objects.open().count()


def next_saturday():
    """Noon next Saturday: chases found then wait in the outbox for Monday, so the
    sweep hands nothing to a worker."""
    today = timezone.localdate()
    day = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    return timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=12)))


def make_due(due_ids: list[int], moment, notices_before: int) -> None:
    """No chase sent yet, every row's next chase far ahead, then ``due_ids`` due at
    ``moment``: the same starting point for each sweep measured. The sweep's in-app
    notices are those after ``notices_before`` (a primary key)."""
    from referrals.models import ChaseRecord, ClockDeadline, Notification, OutboundEmail, Referral

    ChaseRecord.objects.all().delete()
    OutboundEmail.objects.filter(dedupe_key__startswith="chase:").delete()
    Notification.objects.filter(pk__gt=notices_before).delete()
    ClockDeadline.objects.update(chase_at=moment + timedelta(days=3650))
    ClockDeadline.objects.filter(pk__in=due_ids).update(chase_at=moment - timedelta(minutes=1))
    # Without the dead rows left by the lines above, with fresh statistics, and with the
    # referrals just seeded read once (their rows' hint bits set), as a live database is.
    with connection.cursor() as cursor:
        for model in (ChaseRecord, ClockDeadline, Notification, OutboundEmail, Referral):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def _sent_by_sweep(notices_before: int) -> dict:
    from django.db.models import Count

    from referrals.models import ChaseRecord, Notification, OutboundEmail

    keys = ChaseRecord.objects.values("referral_id", "clock", "level", "window")
    return {
        "claimed": ChaseRecord.objects.count(),
        "distinct": keys.distinct().count(),
        "emails": OutboundEmail.objects.filter(dedupe_key__startswith="chase:").count(),
        "most_emails_per_key": OutboundEmail.objects.filter(dedupe_key__startswith="chase:")
        .values("dedupe_key")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
        or 0,
        "notices": Notification.objects.filter(pk__gt=notices_before).count(),
    }


def sweep_bench(world: World, rng: random.Random) -> list[str]:
    """The sweep over 100,000 open referrals with 5% of the stored rows due, run on a
    Saturday; then the same due rows swept by two sweeps at once."""
    import threading

    from referrals import chasing
    from referrals.chasing.sweep import BATCH
    from referrals.models import ClockDeadline, Notification

    began = time.perf_counter()
    total = seed_open_referrals(world, rng)
    notices_before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    saturday = next_saturday()
    due_ids = [
        pk
        for pk in ClockDeadline.objects.order_by("pk").values_list("pk", flat=True)
        if rng.random() < DUE_SHARE
    ]
    make_due(due_ids, saturday, notices_before)
    print(
        f"\nsweep data: {total:,} open referrals, {ClockDeadline.objects.count():,} running "
        f"clocks, {len(due_ids):,} due ({time.perf_counter() - began:.0f} s to seed)"
    )

    # As in a worker: what it loads as it starts (config/warm.py), templates rendered
    # without the test client's instrumentation, and statements counted without
    # keeping their text (the debug cursor would copy every insert's data).
    from config.warm import warm

    warm()
    teardown_test_environment()
    statements: list[str] = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        began, cpu = time.perf_counter(), time.process_time()
        sent = chasing.sweep_deadlines(now=saturday)
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    once = _sent_by_sweep(notices_before)
    work = [s for s in statements if not s.startswith(CONTROL)]
    batches = -(-len(due_ids) // BATCH)
    verdict = "met" if elapsed <= 2 else f"MISSED by {elapsed - 2:.2f} s"
    print(
        f"sweep: {len(due_ids):,} due rows in {batches} batches of up to {BATCH}: "
        f"{elapsed:.2f} s (target 2 s: {verdict}; {cpu:.2f} s of it this process's CPU, "
        f"load average {os.getloadavg()[0]:.1f}); {sent:,} chases claimed, "
        f"{once['emails']:,} e-mails and {once['notices']:,} in-app notices queued"
    )
    by_kind: dict[str, int] = {}
    for sql in work:
        table = re.search(r'(?:FROM|INTO|UPDATE) "?(\w+)', sql)
        kind = f"{sql.split()[0]} {table[1] if table else '?'}"
        by_kind[kind] = by_kind.get(kind, 0) + 1
    each = {k: n // batches for k, n in by_kind.items() if n >= batches}
    once_a_sweep = {k: n % batches for k, n in by_kind.items() if n % batches}
    print(
        f"  {len(work):,} statements: {sum(each.values())} a batch, "
        f"{sum(once_a_sweep.values())} once a sweep"
        + (
            f" (and {len(statements) - len(work)} SAVEPOINTs)"
            if len(statements) > len(work)
            else ""
        )
    )
    print("  a batch: " + ", ".join(f"{k} ({n})" for k, n in sorted(each.items())))
    print("  once: " + ", ".join(f"{k} ({n})" for k, n in sorted(once_a_sweep.items())))

    statements.clear()
    with connection.execute_wrapper(count):
        began = time.perf_counter()
        resent = chasing.sweep_deadlines(now=saturday)
        idle = time.perf_counter() - began
    print(
        f"sweep again at the same moment (nothing left due): {resent} claimed, "
        f"{idle * 1000:.1f} ms, {len(statements)} statements"
    )

    # Two sweeps at once over the same due rows: each due chase claimed exactly once.
    make_due(due_ids, saturday, notices_before)
    start = threading.Barrier(2)
    results: list = [None, None]
    spans: list = [None, None]
    t0 = time.perf_counter()

    def run(n: int) -> None:
        try:
            start.wait()
            began = time.perf_counter()
            results[n] = chasing.sweep_deadlines(now=saturday)
            spans[n] = (began - t0, time.perf_counter() - t0)
        except Exception as error:  # noqa: BLE001 - shown below
            results[n] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    both = _sent_by_sweep(notices_before)
    errors = [r for r in results if isinstance(r, Exception)]
    exactly_once = (
        not errors
        and sum(results) == both["claimed"] == both["distinct"] == once["claimed"]
        and both["emails"] == once["emails"]
        and both["most_emails_per_key"] == 1
        and both["notices"] == once["notices"]
    )
    overlap = not errors and max(spans[0][0], spans[1][0]) < min(spans[0][1], spans[1][1])
    print(
        f"two sweeps at once over the same {len(due_ids):,} due rows: "
        + (
            f"A claimed {results[0]:,} ({spans[0][0]:.2f}-{spans[0][1]:.2f} s), "
            f"B claimed {results[1]:,} ({spans[1][0]:.2f}-{spans[1][1]:.2f} s), "
            f"{'overlapping' if overlap else 'NOT overlapping'}; "
            if not errors
            else f"errors {errors!r}; "
        )
        + f"{both['claimed']:,} chases claimed in all (one sweep alone: {once['claimed']:,}), "
        f"{both['emails']:,} e-mails, {both['notices']:,} in-app notices"
    )
    setup_test_environment()
    if not exactly_once:
        return ["two sweeps at once: a due chase was NOT claimed exactly once"]
    print("  every due chase claimed exactly once: yes")
    return []


# --- the PDF -----------------------------------------------------------------------------


def pdf_bench() -> None:
    """The quarterly PDF over 2,000 referrals: benchmarks/report_pdf.py's data, its own
    throwaway database, and the public report functions."""
    env = {**os.environ, "BENCH_TEST_DATABASE": f"cirs_bench_pdf_{os.getpid()}"}
    out = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "benchmarks" / "report_pdf.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    print("\nquarterly PDF over 2,000 referrals:")
    print("  " + (out.stdout.strip() or out.stderr.strip()[-800:]).replace("\n", "\n  "))


# --- gunicorn + wrk ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Signs in over HTTP as a person does, behind the production proxy (which says
    ``X-Forwarded-Proto: https``), keeping the cookies the app sets."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def headers(self) -> dict[str, str]:
        return {
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = self.headers()
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            origin = f"https://127.0.0.1:{self.port}"
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": origin + path,
            }
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            text = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar = http.cookies.SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return response.status, text
        finally:
            conn.close()

    def post_form(self, path: str, fields: dict) -> int:
        """GET the page, then POST ``fields`` with its CSRF token, as the form does."""
        status, page = self.request("GET", path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise RuntimeError(f"{path}: status {status}, no form to fill in")
        status, _ = self.request("POST", path, {"csrfmiddlewaretoken": token[1], **fields})
        return status


def cpu_seconds(match) -> float:
    """CPU time used so far by the processes whose command line ``match`` accepts
    (Linux /proc; 0 elsewhere)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not match(command):
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def production_env(port: int) -> dict[str, str]:
    """docker-compose.yml's web service: production settings (DEBUG off), database
    connections kept 60 s (``DATABASE_CONN_MAX_AGE``; ``BENCH_CONN_MAX_AGE`` to try
    another), the bench's database, and 127.0.0.1 as the proxy in front that ends
    HTTPS."""
    db = connection.settings_dict
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "MFA_REQUIRED_ROLES", "SECURE_SSL_REDIRECT", "DATABASE_URL"}
    }
    return env | {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": f"postgres://{urllib.parse.quote(db['USER'] or '')}"
        + (f":{urllib.parse.quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
        + f"@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": os.environ.get("BENCH_CONN_MAX_AGE", "60"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "CIRS_TRUSTED_PROXIES": "127.0.0.1/32",
        "SITE_URL": f"https://127.0.0.1:{port}",
    }


def wrk_bench(world: World) -> list[str]:
    """The triage queue at 10k under gunicorn as docker-compose.yml starts it (2 sync
    workers), signed in as the PSW through the sign-in form and the code step, loaded
    by ``wrk -t1 -c4 -d10s``. Returns what went wrong (nothing when all is well)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    wrk = shutil.which("wrk")
    if not wrk:
        return ["wrk not installed: `apt-get install wrk` (make bench does it)"]
    port = free_port()
    env = production_env(port)
    # As the image is built: the static files and their manifest.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    # The PSW signs in with a password (production's hasher) and an authenticator app.
    password = secrets.token_urlsafe(16)
    hasher = PBKDF2PasswordHasher()
    world.psw.password = hasher.encode(password, hasher.salt())
    world.psw.save(update_fields=["password"])
    device = TOTPDevice.objects.create(user=world.psw, name="Bench phone", confirmed=True)
    log = tempfile.NamedTemporaryFile(prefix="cirs-bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115 - read after the server stops
    server = subprocess.Popen(  # noqa: S603 - the venv's gunicorn, as docker-compose.yml
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            "-",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    failures: list[str] = []
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        browser = Browser(port)
        signed_in = browser.post_form(
            reverse("login"), {"username": world.psw.username, "password": password}
        )
        code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        verified = browser.post_form(reverse("otp_verify"), {"token": f"{code:06d}"})
        triage = reverse("referrals:triage")
        status, page = browser.request("GET", triage)
        if (signed_in, verified, status) != (302, 302, 200) or "Showing 1 to 50" not in page:
            failures.append(
                f"signing in and opening the triage queue: sign-in {signed_in}, code "
                f"{verified}, triage queue {status} (expected 302, 302, 200 with 50 rows)"
            )
            return failures
        headers = browser.headers()
        db_name = connection.settings_dict["NAME"]

        def is_web(command: str) -> bool:
            return "gunicorn" in command and f"127.0.0.1:{port}" in command

        def is_db(command: str) -> bool:
            return command.startswith("postgres:") and f" {db_name} " in command

        web_cpu, db_cpu = cpu_seconds(is_web), cpu_seconds(is_db)
        out = subprocess.run(  # noqa: S603 - wrk from PATH, fixed arguments
            [
                wrk,
                "-t1",
                "-c4",
                "-d10s",
                "--latency",
                "-s",
                str(ROOT / "benchmarks" / "count_statuses.lua"),
                *(arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")),
                f"http://127.0.0.1:{port}{triage}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        web_cpu, db_cpu = cpu_seconds(is_web) - web_cpu, cpu_seconds(is_db) - db_cpu
        text = out.stdout
        rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
        latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", text)
        spread = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", text, re.M))
        requests = re.search(r"(\d+) requests in", text)
        not_ok = re.search(r"Not 200: (\d+)", text)
        errors = re.search(r"Socket errors: (.*)", text)
        if not (rate and latency and requests and not_ok):
            failures.append(f"wrk gave no figures: {text or out.stderr}")
            return failures
        per_second = float(rate[1])
        verdict = "met" if per_second >= 120 else f"MISSED by {120 - per_second:.0f}"
        if int(not_ok[1]):
            verdict = "no figure: not every answer was 200"
        kept = env["DATABASE_CONN_MAX_AGE"]
        print(
            f"\ngunicorn as docker-compose.yml starts it (production settings, 2 sync "
            f"workers, database connections kept {kept} s); wrk -t1 -c4 -d10s on the triage "
            f"queue at 10k, signed in as the PSW with password and code; load average "
            f"{os.getloadavg()[0]:.1f}:"
        )
        print(f"  Requests/sec {per_second:.1f} (target 120: {verdict})")
        print(
            f"  latency mean {latency[1]}, stdev {latency[2]}, max {latency[3]}; "
            f"p50 {spread.get('50', '?')}, p90 {spread.get('90', '?')}, "
            f"p99 {spread.get('99', '?')}"
        )
        print(
            f"  {requests[1]} requests, {not_ok[1]} not 200"
            + (f", socket errors: {errors[1]}" if errors else "")
        )
        done = max(int(requests[1]), 1)
        print(
            f"  CPU a request: gunicorn workers {web_cpu / done * 1000:.0f} ms, PostgreSQL "
            f"{db_cpu / done * 1000:.0f} ms (2 cores give at most "
            f"{2 / max((web_cpu + db_cpu) / done, 1e-9):.0f} requests/s at that cost)"
        )
        if int(not_ok[1]) or errors:
            failures.append(f"{not_ok[1]} of {requests[1]} requests were not 200 OK")
        return failures
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
        if failures:
            tail = Path(log.name).read_text(errors="replace")[-6000:]
            failures.append(f"gunicorn's log ({log.name}), last lines:\n{tail}")
        else:
            os.unlink(log.name)


# --- main --------------------------------------------------------------------------------


def main() -> None:
    from referrals.chasing import recompute_all, recompute_stopped_clocks
    from referrals.models import Referral

    setup_test_environment()
    if connection.vendor != "postgresql":
        sys.exit("make bench needs PostgreSQL: set BENCH_DATABASE_URL=postgres://...")
    name = f"cirs_bench_{os.getpid()}"
    connection.settings_dict["TEST"]["NAME"] = name
    old_name = connection.settings_dict["NAME"]
    began_all = time.perf_counter()
    failures: list[str] = []
    load = os.getloadavg()
    print(
        f"CIRS bench on {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at start"
    )
    print(f"this machine's speed now: {calibration():.2f} s for 10 million steps of a Python loop")
    ticks_at_start = cpu_ticks()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        rng = random.Random(12)  # noqa: S311 - made-up data
        world = World()
        seed(world, 1000, rng)
        began = time.perf_counter()
        recompute_all()
        print(
            f"database {name}: 1,000 referrals, deadlines stored in {time.perf_counter() - began:.1f} s"
        )
        if "pages" in PARTS:
            # The 1,000 kept as they are, to time beside the 10,000 (page_tables).
            settle()
            connection.creation.clone_test_db(suffix=SMALL, verbosity=0)
        seed(world, 9000, rng)
        began = time.perf_counter()
        stored = recompute_all()
        stopped = recompute_stopped_clocks()
        print(
            f"10,000 referrals: {stored:,} running clocks and {stopped:,} stopped clocks stored in {time.perf_counter() - began:.1f} s (recompute_deadlines)"
        )
        settle()
        if "pages" in PARTS:
            # As in a gunicorn worker: what it loads as it starts (config/warm.py).
            from config.warm import warm

            warm()
            small_db = connection.creation.get_test_db_clone_settings(SMALL)["NAME"]
            small, large = page_tables(world, small_db=small_db, large_db=name)
            print_pages(small, large, 1000, 10000)
            profile(world, "triage queue at 10k", "psw", reverse("referrals:triage"))
        detail = Referral.objects.filter(state="active").order_by("pk").first()
        print()
        if "detail" in PARTS:
            single(
                world,
                "referral detail (active case, PSW)",
                "psw",
                reverse("referrals:detail", args=[detail.pk]),
            )
        if "dashboard" in PARTS:
            # The current quarter, which holds all 10,000 (submitted in the last 60 days).
            for label, who in (("service lead", "lead"), ("PSW", "psw")):
                single(
                    world,
                    f"monitoring dashboard (10k, {label})",
                    who,
                    reverse("reporting:dashboard"),
                )
        if "submit" in PARTS:
            submission(world)
        if "wrk" in PARTS:
            failures += wrk_bench(world)
        if "sweep" in PARTS:
            failures += sweep_bench(world, rng)
    finally:
        if "pages" in PARTS:
            connection.creation.destroy_test_db(verbosity=0, suffix=SMALL)
        connection.creation.destroy_test_db(old_name, verbosity=0)
    if "pdf" in PARTS:
        pdf_bench()
    load = os.getloadavg()
    print(f"\nthis machine's speed at the end: {calibration():.2f} s for the same loop")
    ticks = [end - start for end, start in zip(cpu_ticks(), ticks_at_start, strict=True)]
    if ticks[0]:
        print(
            f"CPU time the host gave to others during the bench (steal): {ticks[1] / ticks[0]:.1%}"
        )
    print(
        f"load average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; bench took {time.perf_counter() - began_all:.0f} s"
    )
    if failures:
        print("\nFAILED:\n" + "\n".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
