"""Service lead's monitoring dashboard and its downloads: aggregate, anonymised
figures only (docs/service.md "Monitoring"; docs/security-checklist.md row 14 and #15).

The period travels as ``?start=YYYY-MM-DD&end=YYYY-MM-DD``: dates only, nothing
about any person. Every download is audited.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_safe

from accounts.audit import record_access
from accounts.models import AuditEvent
from referrals import permissions as perms
from reporting import exports
from reporting.figures import monitoring_figures
from reporting.forms import PeriodForm
from reporting.periods import Period, Quarter
from reporting.sections import build_sections


def _period_form(request: HttpRequest) -> tuple[PeriodForm, Period | None]:
    if "start" in request.GET or "end" in request.GET:
        form = PeriodForm(request.GET)
        return form, (form.period if form.is_valid() else None)
    period = Period.current_quarter()
    return PeriodForm(initial={"start": period.start, "end": period.end}), period


def _query(period: Period) -> str:
    return urlencode({"start": period.start.isoformat(), "end": period.end.isoformat()})


def _quarter_links(period: Period | None) -> list[dict[str, str]]:
    if period is None:
        return []
    quarter = period.quarter or Quarter.containing(period.end)
    here = reverse("reporting:dashboard")
    links = [quarter.previous(), *([quarter] if period.quarter is None else []), quarter.next()]
    return [{"label": q.label, "url": f"{here}?{_query(q.period())}"} for q in links]


def _page(request: HttpRequest, form: PeriodForm, period: Period | None) -> HttpResponse:
    context = {"form": form, "quarter_links": _quarter_links(period)}
    if period is None:
        return render(request, "reporting/dashboard.html", context, status=400)
    figures = monitoring_figures(period)
    context |= {"figures": figures, "sections": build_sections(figures), "query": _query(period)}
    return render(request, "reporting/dashboard.html", context)


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    perms.require(request.user, perms.can_see_reports)
    form, period = _period_form(request)
    return _page(request, form, period)


def _download(request: HttpRequest, extension: str, content_type: str, render_file):
    perms.require(request.user, perms.can_see_reports)
    form, period = _period_form(request)
    if period is None:
        return _page(request, form, period)
    figures = monitoring_figures(period)
    body = render_file(figures, build_sections(figures))
    record_access(
        request,
        action=AuditEvent.Action.DOWNLOAD,
        object_type="report",
        object_id=f"{period.start.isoformat()}/{period.end.isoformat()}",
        detail=f"monitoring report ({extension})",
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.filename(figures, extension)}"'
    )
    return response


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
    path("report.csv", report_csv, name="report_csv"),
    path("report.xlsx", report_xlsx, name="report_xlsx"),
]
