"""A monitoring PDF over more referrals than ``CIRS_REPORT_ASYNC_THRESHOLD`` is built
by a Celery task; the same address then says it is being prepared, and serves it to
the person who asked (and no one else) once it is ready. Old ones are deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from referrals.models import Referral
from reporting import background
from reporting.models import ReportExport
from reporting.periods import Period
from reporting.tasks import build_report_export, delete_old_report_exports

PDF = "reporting:report_pdf"
PREPARING = "We are preparing your report. This page will offer the download when it is ready."


@pytest.fixture
def two_referrals(flow):
    return [flow.referral(state=Referral.State.ACTIVE) for _ in range(2)]


def _quarter_query() -> dict:
    period = Period.current_quarter()
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def test_the_size_estimate_counts_the_periods_referrals(two_referrals, settings):
    period = Period.current_quarter()

    settings.CIRS_REPORT_ASYNC_THRESHOLD = 2
    assert not background.needs_background(period)
    settings.CIRS_REPORT_ASYNC_THRESHOLD = 1
    assert background.needs_background(period)


def test_a_small_report_is_built_while_the_reader_waits(client, service_lead, two_referrals):
    client.force_login(service_lead)

    response = client.get(reverse(PDF), _quarter_query())

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert not ReportExport.objects.exists()


def test_a_large_report_is_prepared_in_the_background_then_downloaded(
    client, service_lead, two_referrals, settings, django_capture_on_commit_callbacks
):
    settings.CIRS_REPORT_ASYNC_THRESHOLD = 1
    client.force_login(service_lead)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = client.get(reverse(PDF), _quarter_query())

    assert first.status_code == 202
    assert PREPARING in first.content.decode()
    job = ReportExport.objects.get()
    assert (job.requested_by, job.status, job.split_by_month) == (
        service_lead,
        ReportExport.Status.PENDING,
        True,  # a service lead's quarter is suppressed with its months
    )
    assert len(queued) == 1
    # Still being prepared: the same address says so again, and asks for nothing new.
    assert PREPARING in client.get(reverse(PDF), _quarter_query()).content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()

    queued[0]()  # the worker runs the task (eagerly, in tests)
    ready = client.get(reverse(PDF), _quarter_query())

    assert ready.status_code == 200
    assert ready.content.startswith(b"%PDF-")
    assert ready["Content-Disposition"].startswith('attachment; filename="cirs-monitoring-')
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert (event.user, event.object_type, event.object_id) == (
        service_lead,
        "report",
        f"{job.start.isoformat()}/{job.end.isoformat()}",
    )
    assert "background" in event.detail
    assert ReportExport.objects.count() == 1


STATUS = "reporting:report_status"


def test_the_preparing_page_asks_whether_its_report_is_ready_then_offers_it(
    client, service_lead, psw, two_referrals, settings, django_capture_on_commit_callbacks
):
    """The page that says the report is being prepared names the status address that
    its script asks (static/cirs/cirs.js); the status says "ready" once the worker has
    built it, and only to the reader who asked."""
    settings.CIRS_REPORT_ASYNC_THRESHOLD = 1
    client.force_login(service_lead)
    assert client.get(reverse(STATUS), _quarter_query()).json() == {"status": "none"}

    with django_capture_on_commit_callbacks(execute=False) as queued:
        page = client.get(reverse(PDF), _quarter_query())
    query = "start={start}&amp;end={end}".format(**_quarter_query())
    assert f'data-report-status="{reverse(STATUS)}?{query}"' in page.content.decode()
    assert f'data-report-url="{reverse(PDF)}?{query}"' in page.content.decode()
    assert client.get(reverse(STATUS), _quarter_query()).json() == {"status": "pending"}

    queued[0]()
    assert client.get(reverse(STATUS), _quarter_query()).json() == {"status": "ready"}
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()
    client.force_login(psw)  # someone else: their own request only, and they made none
    assert client.get(reverse(STATUS), _quarter_query()).json() == {"status": "none"}


def test_the_status_of_a_report_that_failed_or_of_nonsense_dates(
    client,
    service_lead,
    two_referrals,
    settings,
    monkeypatch,
    therapist,
    django_capture_on_commit_callbacks,
):
    settings.CIRS_REPORT_ASYNC_THRESHOLD = 1
    monkeypatch.setattr(background, "build_pdf", lambda *a, **k: 1 / 0)
    client.force_login(service_lead)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse(PDF), _quarter_query())

    assert client.get(reverse(STATUS), _quarter_query()).json() == {"status": "failed"}
    nonsense = client.get(reverse(STATUS), {"start": "2026-02-30", "end": "2026-03-31"})
    assert nonsense.status_code == 400
    client.force_login(therapist.user)
    assert client.get(reverse(STATUS), _quarter_query()).status_code == 403


def test_the_dashboard_lists_the_readers_own_reports(client, service_lead, psw, two_referrals):
    period = Period.current_quarter()
    background.request_export(user=psw, period=period, split_by_month=False)
    client.force_login(service_lead)
    assert (
        "PDF reports you asked for"
        not in client.get(reverse("reporting:dashboard")).content.decode()
    )

    client.force_login(psw)
    page = client.get(reverse("reporting:dashboard")).content.decode()

    assert "PDF reports you asked for" in page


def test_no_one_else_gets_someone_elses_report(
    client, service_lead, psw, two_referrals, settings, django_capture_on_commit_callbacks
):
    settings.CIRS_REPORT_ASYNC_THRESHOLD = 1
    period = Period.current_quarter()
    with django_capture_on_commit_callbacks(execute=True):
        theirs = background.request_export(user=psw, period=period, split_by_month=False)
    theirs.refresh_from_db()
    assert theirs.status == ReportExport.Status.READY
    client.force_login(service_lead)

    response = client.get(reverse(PDF), _quarter_query())

    # The service lead's own request is made; the PSW's file is not served.
    assert response.status_code == 202
    assert ReportExport.objects.filter(requested_by=service_lead).count() == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()


def test_the_task_builds_the_pdf_once(service_lead, two_referrals):
    job = ReportExport.objects.create(
        requested_by=service_lead,
        start=Period.current_quarter().start,
        end=Period.current_quarter().end,
        split_by_month=True,
    )

    assert build_report_export.delay(job.pk).get() is True
    job.refresh_from_db()
    assert job.status == ReportExport.Status.READY
    assert bytes(job.content).startswith(b"%PDF-")
    assert job.filename.startswith("cirs-monitoring-")
    assert build_report_export.delay(job.pk).get() is False  # delivered twice: built once


def test_a_report_that_cannot_be_built_says_so_kindly_and_can_be_tried_again(
    client, service_lead, two_referrals, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CIRS_REPORT_ASYNC_THRESHOLD = 1

    def broken(*args, **kwargs):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(background, "build_pdf", broken)
    client.force_login(service_lead)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse(PDF), _quarter_query())
    assert ReportExport.objects.get().status == ReportExport.Status.FAILED

    page = client.get(reverse(PDF), _quarter_query()).content.decode()
    assert "Sorry, we could not prepare this report." in page
    assert "again=1" in page

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse(PDF), {**_quarter_query(), "again": "1"})
    assert ReportExport.objects.filter(status=ReportExport.Status.READY).count() == 1


def test_old_reports_are_deleted(service_lead, settings):
    settings.CIRS_REPORT_EXPORT_KEEP_HOURS = 24
    now = timezone.now()
    period = Period.current_quarter()
    with time_machine.travel(now - timedelta(hours=25), tick=False):
        old = ReportExport.objects.create(
            requested_by=service_lead, start=period.start, end=period.end
        )
    fresh = ReportExport.objects.create(
        requested_by=service_lead, start=period.start, end=period.end
    )

    with time_machine.travel(now, tick=False):
        assert delete_old_report_exports.delay().get() == 1

    assert list(ReportExport.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not ReportExport.objects.filter(pk=old.pk).exists()
