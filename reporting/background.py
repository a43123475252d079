"""Monitoring PDFs that take too long to build while the reader waits.

Whether a PDF is built in the background is decided by its size, not by timing it:
a period with more referrals than ``CIRS_REPORT_ASYNC_THRESHOLD`` is built by the
Celery task ``reporting.tasks.build_report_export``, which calls ``build_export``
here. The reader's page then offers the download when it is ready. Only the person
who asked may download it (``views/dashboard.py``), each download is audited, and
``delete_old_exports`` removes it after ``CIRS_REPORT_EXPORT_KEEP_HOURS``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from referrals.notifications import enqueue_on_commit
from reporting import exports
from reporting.figures import monitoring_figures, referrals_in
from reporting.models import ReportExport
from reporting.periods import Period
from reporting.sections import build_sections

logger = logging.getLogger(__name__)


def needs_background(period: Period) -> bool:
    return referrals_in(period) > settings.CIRS_REPORT_ASYNC_THRESHOLD


def build_pdf(period: Period, parts: list[Period] | None) -> tuple[bytes, str]:
    """The monitoring PDF for ``period`` and its file name (the same for both paths)."""
    figures = monitoring_figures(period, parts=parts)
    return exports.report_pdf(figures, build_sections(figures)), exports.filename(figures, "pdf")


def _kept_since(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(hours=settings.CIRS_REPORT_EXPORT_KEEP_HOURS)


def live_exports(user):
    """The reader's own background reports that are not yet deleted."""
    return ReportExport.objects.filter(requested_by=user, requested_at__gte=_kept_since()).defer(
        "content"
    )


def latest_export(*, user, period: Period, split_by_month: bool) -> ReportExport | None:
    """The reader's latest request for this PDF still kept, if any."""
    return (
        live_exports(user)
        .filter(start=period.start, end=period.end, split_by_month=split_by_month)
        .first()
    )


def request_export(
    *, user, period: Period, split_by_month: bool, again: bool = False
) -> ReportExport:
    """The reader's latest request for this PDF (being prepared, ready, or failed),
    or a new one handed to the worker if there is none, or if the last one failed
    and ``again`` asks to try again."""
    earlier = latest_export(user=user, period=period, split_by_month=split_by_month)
    if earlier is not None and not (again and earlier.status == ReportExport.Status.FAILED):
        return earlier
    export = ReportExport.objects.create(
        requested_by=user, start=period.start, end=period.end, split_by_month=split_by_month
    )
    from reporting.tasks import build_report_export

    enqueue_on_commit(build_report_export, export.pk)
    return export


def build_export(export_id: int) -> bool:
    """Build one requested PDF and store it. True if this call stored it.

    The PDF is built outside any transaction (it takes seconds, and SQLite would hold
    its write lock all that time); the row is then locked and filled in only if it is
    still waiting, so a task delivered twice stores the file once."""
    export = ReportExport.objects.filter(pk=export_id, status=ReportExport.Status.PENDING).first()
    if export is None:
        return False
    period = Period(start=export.start, end=export.end)
    parts = period.months() if export.split_by_month else None
    try:
        content, filename = build_pdf(period, parts)
    except Exception:
        logger.exception("monitoring PDF %s could not be built", export_id)
        ReportExport.objects.filter(pk=export_id, status=ReportExport.Status.PENDING).update(
            status=ReportExport.Status.FAILED, finished_at=timezone.now()
        )
        return False
    with transaction.atomic():
        export = (
            ReportExport.objects.select_for_update()
            .filter(pk=export_id, status=ReportExport.Status.PENDING)
            .first()
        )
        if export is None:
            return False
        export.content = content
        export.filename = filename
        export.status = ReportExport.Status.READY
        export.finished_at = timezone.now()
        export.save(update_fields=["content", "filename", "status", "finished_at"])
    return True


def delete_old_exports(now: datetime | None = None) -> int:
    """Delete background PDFs older than ``CIRS_REPORT_EXPORT_KEEP_HOURS``."""
    deleted, _ = ReportExport.objects.filter(requested_at__lt=_kept_since(now)).delete()
    return deleted
