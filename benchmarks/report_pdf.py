"""Benchmark: the quarterly monitoring PDF over 2,000 referrals.

    python benchmarks/report_pdf.py            # SQLite in memory
    DATABASE_URL=postgres://... python benchmarks/report_pdf.py

Builds the referrals with ``bulk_create`` in a throwaway test database (created and
destroyed here, never the real one), then times the figures and the PDF and counts
the SQL queries, and times the dashboard page (median of a few requests after a
warm-up) as a service lead (the quarter suppressed with its months) and as the PSW.
The query count does not grow with the number of referrals.

A PDF over more referrals than ``CIRS_REPORT_ASYNC_THRESHOLD`` is built by the
background task; "background PDF" times the function that task calls (the service
lead's quarter, suppressed with its months).
"""

from __future__ import annotations

import logging
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()
logging.getLogger("weasyprint").setLevel(logging.WARNING)

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

REFERRALS = 2000
TEAMS = 12
THERAPISTS = 15
PERIOD_START = date(2026, 4, 1)


def build(rng: random.Random) -> None:
    from accounts.models import User
    from referrals.chasing import recompute_all, recompute_stopped_clocks
    from referrals.models import (
        ClosureSummary,
        CriticalIncident,
        ExitPathway,
        Referral,
        Team,
        TherapySession,
    )
    from reporting.models import EvaluationResponse
    from reporting.periods import local_midnight
    from therapists.models import Provider, Therapist

    S = Referral.State
    manager = User.objects.create(username="bench-manager")
    provider = Provider.objects.create(name="Bench provider")
    teams = Team.objects.bulk_create(Team(name=f"Team {n:02d}") for n in range(TEAMS))
    users = User.objects.bulk_create(
        User(username=f"bench-therapist-{n}") for n in range(THERAPISTS)
    )
    therapists = Therapist.objects.bulk_create(Therapist(user=u, provider=provider) for u in users)
    pathways = list(ExitPathway.objects.all())

    start = local_midnight(PERIOD_START)
    incidents, referrals = [], []
    for _ in range(REFERRALS):
        submitted = start + timedelta(minutes=rng.randrange(0, 91 * 24 * 60))
        incidents.append(
            CriticalIncident(
                occurred_on=(submitted - timedelta(days=rng.randrange(1, 60))).date(),
                category="practitioner_harmed",
                team=rng.choice(teams),
            )
        )
    incidents = CriticalIncident.objects.bulk_create(incidents)
    for incident in incidents:
        submitted = local_midnight(incident.occurred_on) + timedelta(
            days=rng.randrange(1, 30), hours=rng.randrange(8, 18)
        )
        roll = rng.random()
        fields = {
            "incident": incident,
            "created_by": manager,
            "kind": Referral.Kind.GROUP if rng.random() < 0.1 else Referral.Kind.INDIVIDUAL,
            "first_submitted_at": submitted,
            "submitted_at": submitted,
            "decided_at": submitted + timedelta(hours=rng.randrange(1, 60)),
            "provider": provider,
        }
        if roll < 0.05:
            referrals.append(Referral(state=S.DECLINED, **fields))
            continue
        allocated = fields["decided_at"] + timedelta(hours=rng.randrange(1, 60))
        first = allocated + timedelta(hours=rng.randrange(4, 150))
        fields |= {
            "therapist": rng.choice(therapists),
            "allocated_at": allocated,
            "first_meeting_at": first,
            "last_session_at": first,
            "manager_contacted_at": first + timedelta(days=1),
        }
        if roll < 0.10:
            fields["withdrawn_at"] = first + timedelta(days=rng.randrange(1, 20))
            referrals.append(Referral(state=S.WITHDRAWN, **fields))
        elif roll < 0.55:
            fields["closed_at"] = first + timedelta(days=rng.randrange(14, 90))
            referrals.append(Referral(state=S.CLOSED, **fields))
        else:
            referrals.append(Referral(state=S.ACTIVE, **fields))
    referrals = Referral.objects.bulk_create(referrals)

    sessions, summaries, answers = [], [], []
    for r in referrals:
        if r.first_meeting_at is None:
            continue
        group = r.kind == Referral.Kind.GROUP
        for n in range(rng.randrange(1, 8)):
            sessions.append(
                TherapySession(
                    referral=r,
                    held_at=r.first_meeting_at + timedelta(days=7 * n),
                    kind=TherapySession.Kind.GROUP if group else TherapySession.Kind.INDIVIDUAL,
                    attendees=rng.randrange(3, 12) if group else None,
                    is_first_meeting=n == 0,
                    facilitator=r.therapist,
                    recorded_by=manager,
                )
            )
        if r.state == S.CLOSED:
            summaries.append(ClosureSummary(referral=r, comments="x", written_by=manager))
            if rng.random() < 0.5:
                answers.append(
                    EvaluationResponse(
                        referral=r,
                        timely=rng.randrange(1, 6),
                        helpful=rng.randrange(1, 6),
                        would_recommend=rng.random() < 0.8,
                        submitted_at=r.closed_at + timedelta(days=2),
                    )
                )
    TherapySession.objects.bulk_create(sessions)
    summaries = ClosureSummary.objects.bulk_create(summaries)
    through = ClosureSummary.exit_pathways.through
    through.objects.bulk_create(
        through(closuresummary_id=s.pk, exitpathway_id=rng.choice(pathways).pk) for s in summaries
    )
    EvaluationResponse.objects.bulk_create(answers)
    # Bulk inserts bypass the services: store the clocks as they would have.
    recompute_all()
    recompute_stopped_clocks()


RUNS = 5


def _timed(fn) -> tuple[float, int]:
    """Median seconds over RUNS calls after one warm-up, and the queries of one call."""
    fn()
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    with CaptureQueriesContext(connection) as queries:
        fn()
    return statistics.median(times), len(queries.captured_queries)


def _reader(username: str, role) -> object:
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import group_name

    user = User.objects.create(username=username)
    user.groups.add(Group.objects.get(name=group_name(role)))
    return user


def time_pages(period) -> None:
    from django.test import Client
    from django.urls import reverse

    from accounts.roles import Role

    query = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    for label, role in (("service lead", Role.SERVICE_LEAD), ("PSW", Role.PSW)):
        client = Client()
        client.force_login(_reader(f"bench-{role.value}", role))

        def page(client=client):
            response = client.get(reverse("reporting:dashboard"), query)
            assert response.status_code == 200, response.status_code

        median, queries = _timed(page)
        print(f"dashboard as {label}: median {median * 1000:.0f} ms, {queries} queries")
    try:
        from reporting.background import build_pdf
    except ImportError:  # before PDFs could be built in the background
        return
    began = time.perf_counter()
    pdf, _ = build_pdf(period, period.months())
    print(
        f"background PDF (service lead's quarter with its months): "
        f"{time.perf_counter() - began:.2f}s ({len(pdf):,} bytes)"
    )


def main() -> None:
    from reporting.exports import report_pdf
    from reporting.figures import monitoring_figures
    from reporting.periods import Quarter
    from reporting.sections import build_sections

    setup_test_environment()
    if os.environ.get("BENCH_TEST_DATABASE"):  # make bench: a cirs_bench_* name
        connection.settings_dict["TEST"]["NAME"] = os.environ["BENCH_TEST_DATABASE"]
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        began = time.perf_counter()
        build(random.Random(7))  # noqa: S311 - made-up data, not secrets
        print(f"built {REFERRALS} referrals in {time.perf_counter() - began:.1f}s")
        period = Quarter.containing(PERIOD_START).period()
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            figures = monitoring_figures(period)
            sections = build_sections(figures)
            computed = time.perf_counter() - began
            pdf = report_pdf(figures, sections)
            total = time.perf_counter() - began
        print(f"period: {period.label}; referrals in it: {figures.referrals_total}")
        print(f"figures: {computed:.2f}s; figures + PDF: {total:.2f}s ({len(pdf):,} bytes)")
        print(f"SQL queries: {len(queries.captured_queries)}")
        again = []
        for _ in range(RUNS):
            began = time.perf_counter()
            figures = monitoring_figures(period)
            report_pdf(figures, build_sections(figures))
            again.append(time.perf_counter() - began)
        print(f"figures + PDF again, median of {RUNS}: {statistics.median(again):.2f}s")
        time_pages(period)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
