"""``make bench``: how CIRS's pages, sweep, PDF and submission hold up at volume.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python benchmarks/bench.py

Creates a throwaway PostgreSQL database ``cirs_bench_<pid>`` (dropped at the end, even
on failure), seeds it with bulk inserts and prints, per page, the rows shown, the
queries, the in-process median and p95 (Django test client, 30 timed requests after 3
warm-ups), the 10k/1k ratio and the bare SQL time of the same statements; then referral
detail, the monitoring dashboard, referral submission, the sweep over 100,000 open
referrals with 5% due, the quarterly PDF over 2,000 referrals, and requests/s under
gunicorn (2 sync workers) with ``wrk -t1 -c4``. docs/performance.md has the method and
the latest figures.

The spread over states (``SPREAD``) is a steady service: most referrals closed, about
four in ten still open, a few in each waiting state.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
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

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
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


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


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


def measure(client: Client, url: str, *, warmups: int = WARMUPS, timed: int = TIMED) -> dict:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(CONTROL)]
    for _ in range(warmups):
        client.get(url)
    times = []
    for _ in range(timed):
        began = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - began)
    selects = [s for s in statements if s.startswith("SELECT")]
    sql_times = []
    with connection.cursor() as cursor:
        for _ in range(timed):
            began = time.perf_counter()
            for sql in selects:
                cursor.execute(sql)
                cursor.fetchall()
            sql_times.append(time.perf_counter() - began)
    context = response.context
    rows = len(context["rows"]) if context and "rows" in context else None
    if context and "items" in context:
        rows = len(context["items"])
    total = context["page"].total if context and "page" in context else None
    return {
        "rows": rows,
        "total": total,
        "queries": len(statements),
        "median": statistics.median(times),
        "p95": p95(times),
        "sql": statistics.median(sql_times),
    }


def page_table(world: World, volume: int) -> dict:
    # A steady database, as autovacuum keeps it: the bulk seed and the stored deadlines'
    # update of every referral leave dead rows and an unset visibility map behind.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    results = {}
    for label, who, name in PAGES:
        client = Client()
        client.force_login(world.user(who))
        results[label] = measure(client, reverse(name))
    return results


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


def sweep_bench(world: World, rng: random.Random) -> None:
    """Seed open referrals up to 100,000, store their deadlines in bulk (memoised per
    start moment: the same public functions the services use), move 5% of the rows'
    next chase into the past, and run the sweep on a Saturday (chases wait in the
    outbox for Monday; nothing is handed to a worker)."""
    from referrals import chasing, clocks, sla
    from referrals.chasing.deadlines import next_chase_at
    from referrals.models import ClockDeadline, Referral

    open_spread = {k: v for k, v in SPREAD.items() if k not in ("declined", "closed", "withdrawn")}
    have = Referral.objects.open().count()
    began = time.perf_counter()
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
    total = Referral.objects.open().count()
    saturday = timezone.now() + timedelta(days=(5 - timezone.localdate().weekday()) % 7 or 7)
    # Every chase already sent at its highest level, then 5% of rows due now.
    far = saturday + timedelta(days=3650)
    ClockDeadline.objects.update(chase_at=far)
    due_ids = [
        pk for pk in ClockDeadline.objects.values_list("pk", flat=True) if rng.random() < DUE_SHARE
    ]
    ClockDeadline.objects.filter(pk__in=due_ids).update(chase_at=saturday - timedelta(minutes=1))
    print(
        f"\nsweep data: {total:,} open referrals, {ClockDeadline.objects.count():,} running "
        f"clocks, {len(due_ids):,} due ({time.perf_counter() - began:.0f} s to seed)"
    )
    from referrals.chasing import sweep as sweep_module

    with CaptureQueriesContext(connection) as captured:
        began = time.perf_counter()
        sent = chasing.sweep_deadlines(now=saturday)
        elapsed = time.perf_counter() - began
    batches = -(-len(due_ids) // sweep_module.BATCH) + 1
    print(
        f"sweep: {sent:,} chases sent for {len(due_ids):,} due rows in {elapsed:.2f} s; "
        f"{len(captured.captured_queries):,} statements in all"
    )
    with CaptureQueriesContext(connection) as again:
        began = time.perf_counter()
        resent = chasing.sweep_deadlines(now=saturday)
        idle = time.perf_counter() - began
    print(
        f"sweep again at the same moment (nothing left due): {resent} sent, {idle * 1000:.1f} ms, "
        f"{len(again.captured_queries)} queries; selection+claims+moves per batch of "
        f"{sweep_module.BATCH}: 4 queries (+ per chase sent: its claim and notices); "
        f"{batches} batches"
    )


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


def wrk_bench(world: World) -> None:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from config.middleware import SessionTimeoutMiddleware

    wrk = shutil.which("wrk")
    if not wrk:
        print("\nwrk not installed: `apt-get install wrk` (make bench does it)")
        return
    # gunicorn serves the pages as in production: the static files' manifest must exist.
    call_command("collectstatic", interactive=False, verbosity=0)
    session = SessionStore()
    session[SESSION_KEY] = str(world.psw.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = world.psw.get_session_auth_hash()
    SessionTimeoutMiddleware.start(session)
    session.create()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{connection.settings_dict['USER']}@{connection.settings_dict['HOST']}:{connection.settings_dict['PORT']}/{connection.settings_dict['NAME']}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_CONN_MAX_AGE": "60",
    }
    server = subprocess.Popen(  # noqa: S603 - the venv's gunicorn
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "-w",
            "2",
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}{reverse('referrals:triage')}"
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        request = urllib.request.Request(url, headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local
            status = response.status
        out = subprocess.run(  # noqa: S603 - wrk from PATH, fixed arguments
            [wrk, "-t1", "-c4", "-d10s", "-H", f"Cookie: {cookie}", url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        lines = [
            ln.strip()
            for ln in out.stdout.splitlines()
            if "Requests/sec" in ln or "Latency" in ln or "Non-2xx" in ln
        ]
        print(
            f"\ngunicorn 2 sync workers, wrk -t1 -c4 -d10s, triage queue at 10k (status {status}):"
        )
        for line in lines:
            print("  " + line)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


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
    load = os.getloadavg()
    print(
        f"CIRS bench on {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at start"
    )
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
        small = page_table(world, 1000) if "pages" in PARTS else None
        seed(world, 9000, rng)
        began = time.perf_counter()
        stored = recompute_all()
        stopped = recompute_stopped_clocks()
        print(
            f"10,000 referrals: {stored:,} running clocks and {stopped:,} stopped clocks stored in {time.perf_counter() - began:.1f} s (recompute_deadlines)"
        )
        connection.cursor().execute("ANALYZE")
        if "pages" in PARTS:
            large = page_table(world, 10000)
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
            wrk_bench(world)
        if "sweep" in PARTS:
            sweep_bench(world, rng)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    if "pdf" in PARTS:
        pdf_bench()
    load = os.getloadavg()
    print(
        f"\nload average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; bench took {time.perf_counter() - began_all:.0f} s"
    )


if __name__ == "__main__":
    main()
