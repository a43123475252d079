"""Monitoring dashboard and its downloads: aggregate, anonymised figures only.

The period travels as ``?start=YYYY-MM-DD&end=YYYY-MM-DD``: dates only, nothing
about any person. A reader without case access sees whole months and quarters only
(``periods.period_for``). Every read of the dashboard and every download is audited
with the period. A PDF over more than ``CIRS_REPORT_ASYNC_THRESHOLD`` referrals is
built in the background; its address then says it is being prepared (the page asks
``report_status`` every few seconds and offers the download), and serves it to the
reader who asked once it is ready.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_safe

from accounts.audit import record_access
from accounts.models import AuditEvent
from referrals import permissions as perms
from reporting import background, exports
from reporting.figures import monitoring_figures
from reporting.forms import PeriodForm
from reporting.models import ReportExport
from reporting.periods import Period, Quarter, parts_for
from reporting.sections import Section, build_sections


def may_choose_any_dates(user) -> bool:
    """The PSW and SMPE, who already see cases, may choose any date range; everyone
    else (the service lead, the Head of Service) whole months and quarters."""
    return perms.is_triager(user)


def _period_form(request: HttpRequest) -> tuple[PeriodForm, Period | None]:
    any_dates = may_choose_any_dates(request.user)
    if "start" not in request.GET and "end" not in request.GET:
        period = Period.current_quarter()
        initial = {"start": period.start, "end": period.end}
        return PeriodForm(initial=initial, any_dates=any_dates), period
    form = PeriodForm(request.GET, any_dates=any_dates)
    if not form.is_valid():
        return form, None
    period = form.period
    if form.changed_dates:
        # Show the dates the figures are really for, with a note next to the fields.
        shown = PeriodForm(initial={"start": period.start, "end": period.end}, any_dates=False)
        shown.changed_dates = True
        return shown, period
    return form, period


def _query(period: Period) -> str:
    return urlencode({"start": period.start.isoformat(), "end": period.end.isoformat()})


def _period_links(period: Period | None) -> list[dict[str, str]]:
    if period is None:
        return []
    quarter = period.quarter or Quarter.containing(period.end)
    here = reverse("reporting:dashboard")
    links = [quarter.previous(), *([quarter] if period.quarter is None else []), quarter.next()]
    return [{"label": q.label, "url": f"{here}?{_query(q.period())}"} for q in links]


def _month_links(period: Period | None) -> list[dict[str, str]]:
    if period is None:
        return []
    quarter = period.quarter or Quarter.containing(period.start)
    here = reverse("reporting:dashboard")
    return [
        {"label": f"{month.start:%B %Y}", "url": f"{here}?{_query(month)}"}
        for month in quarter.period().months()
    ]


def _audit_id(period: Period) -> str:
    return f"{period.start.isoformat()}/{period.end.isoformat()}"


def _shown(sections: list[Section]) -> str:
    hidden = sum(s.suppressed for s in sections)
    return f"{','.join(s.key for s in sections)}; tables with hidden counts: {hidden}"


def _page(request: HttpRequest, form: PeriodForm, period: Period | None) -> HttpResponse:
    any_dates = may_choose_any_dates(request.user)
    context = {
        "form": form,
        "any_dates": any_dates,
        "quarter_links": _period_links(period),
        "month_links": [] if any_dates else _month_links(period),
        "exports": background.live_exports(request.user)[:5],
    }
    if period is None:
        return render(request, "reporting/dashboard.html", context, status=400)
    figures = monitoring_figures(period, parts=parts_for(period, any_dates=any_dates))
    sections = build_sections(figures)
    record_access(
        request,
        action=AuditEvent.Action.VIEW,
        object_type="report",
        object_id=_audit_id(period),
        detail=f"monitoring dashboard: {_shown(sections)}",
    )
    context |= {"figures": figures, "sections": sections, "query": _query(period)}
    return render(request, "reporting/dashboard.html", context)


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    perms.require(request.user, perms.can_see_reports)
    form, period = _period_form(request)
    return _page(request, form, period)


def _attachment(body, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _background_pdf(request: HttpRequest, period: Period, parts) -> HttpResponse:
    """The same address serves a large PDF in three steps: the first visit asks for it
    to be built, a visit while it is being built says so, and a visit once it is ready
    downloads it. Only the reader's own request is ever found, so no one else can
    download it."""
    job = background.request_export(
        user=request.user,
        period=period,
        split_by_month=parts is not None,
        again="again" in request.GET,
    )
    if job.status == ReportExport.Status.READY:
        content = ReportExport.objects.values_list("content", flat=True).get(pk=job.pk)
        record_access(
            request,
            action=AuditEvent.Action.DOWNLOAD,
            object_type="report",
            object_id=_audit_id(period),
            detail="monitoring report (pdf, prepared in the background)",
        )
        return _attachment(bytes(content), "application/pdf", job.filename)
    context = {
        "export": job,
        "period": period,
        "query": _query(period),
        "keep_hours": settings.CIRS_REPORT_EXPORT_KEEP_HOURS,
    }
    return render(request, "reporting/export.html", context, status=202)


def _download(request: HttpRequest, extension: str, content_type: str, render_file):
    perms.require(request.user, perms.can_see_reports)
    form, period = _period_form(request)
    if period is None:
        return _page(request, form, period)
    parts = parts_for(period, any_dates=may_choose_any_dates(request.user))
    if extension == "pdf" and background.needs_background(period):
        return _background_pdf(request, period, parts)
    figures = monitoring_figures(period, parts=parts)
    body = render_file(figures, build_sections(figures))
    record_access(
        request,
        action=AuditEvent.Action.DOWNLOAD,
        object_type="report",
        object_id=_audit_id(period),
        detail=f"monitoring report ({extension})",
    )
    return _attachment(body, content_type, exports.filename(figures, extension))


@login_required
@require_safe
def report_status(request: HttpRequest) -> JsonResponse:
    """Whether the reader's own PDF for the period is being prepared ("pending"), ready
    or failed ("none" if they have not asked for it): the page that says it is being
    prepared asks this every few seconds, then offers the download. A status only, for
    the reader's own request: no figures, nothing to audit."""
    perms.require(request.user, perms.can_see_reports)
    _, period = _period_form(request)
    if period is None:
        return JsonResponse({"status": "none"}, status=400)
    parts = parts_for(period, any_dates=may_choose_any_dates(request.user))
    job = background.latest_export(
        user=request.user, period=period, split_by_month=parts is not None
    )
    return JsonResponse({"status": job.status if job is not None else "none"})


@login_required
@require_safe
def report_pdf(request: HttpRequest) -> HttpResponse:
    return _download(request, "pdf", "application/pdf", exports.report_pdf)


@login_required
@require_safe
def report_csv(request: HttpRequest) -> HttpResponse:
    return _download(request, "csv", "text/csv; charset=utf-8", exports.report_csv)


@login_required
@require_safe
def report_xlsx(request: HttpRequest) -> HttpResponse:
    return _download(
        request,
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        exports.report_xlsx,
    )


urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("report.pdf", report_pdf, name="report_pdf"),
    path("report-status", report_status, name="report_status"),
    path("report.csv", report_csv, name="report_csv"),
    path("report.xlsx", report_xlsx, name="report_xlsx"),
]
