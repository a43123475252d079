"""The monitoring dashboard and its downloads: who may see them, what they hold, and
that they hold nothing that could identify anyone (docs/security-checklist.md row 14, #15)."""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
import zlib
from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import AuditEvent
from referrals.models import Referral
from reporting import exports
from reporting.figures import monitoring_figures
from reporting.periods import Period
from reporting.sections import build_sections
from tests.reporting.conftest import MARKERS

Q1 = {"start": "2026-04-01", "end": "2026-06-30"}
Q1_DATES = (date(2026, 4, 1), date(2026, 6, 30))
DASHBOARD = "reporting:dashboard"
DOWNLOADS = ["reporting:report_pdf", "reporting:report_csv", "reporting:report_xlsx"]


def _xlsx_text(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        return " ".join(
            book.read(name).decode() for name in book.namelist() if name.endswith(".xml")
        )


def _pdf_objects(pdf: bytes) -> bytes:
    """The PDF with its compressed streams inflated, to look for structure markers."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(match.group(1)))
    return b" ".join(parts)


def _assert_anonymous(text: str, quarter) -> None:
    for marker in MARKERS.values():
        assert marker not in text
    assert "MARKER" not in text
    assert not re.search(r"CIRS-\d", text)
    assert not re.search(r"/referrals/\d+/", text)
    for referral in quarter.cases.values():
        assert referral.reference not in text


@pytest.mark.parametrize("persona", ["service_lead", "psw", "smpe"])
def test_report_readers_see_the_dashboard_for_the_current_quarter(client, persona, request):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse(DASHBOARD))

    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.period == Period.current_quarter()
    assert "Referrals by team or department" in response.content.decode()


@pytest.mark.parametrize("persona", ["manager", "coordinator", "staff_member", "outsider"])
@pytest.mark.parametrize("url_name", [DASHBOARD, *DOWNLOADS])
def test_other_roles_are_refused(client, persona, url_name, request):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse(url_name), Q1)

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()


def test_therapists_are_refused(client, therapist):
    client.force_login(therapist.user)

    assert client.get(reverse(DASHBOARD)).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse(DASHBOARD))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_any_date_range_can_be_chosen(client, service_lead, quarter):
    client.force_login(service_lead)

    response = client.get(reverse(DASHBOARD), Q1)

    assert response.status_code == 200
    assert response.context["figures"].referrals_total == 6
    page = response.content.decode()
    assert "Q1 2026/27" in page
    assert "&lt;5" in page  # small team counts are hidden


def test_an_end_before_the_start_is_explained_and_keeps_the_dates(client, service_lead):
    client.force_login(service_lead)

    response = client.get(reverse(DASHBOARD), {"start": "2026-06-30", "end": "2026-04-01"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Please choose an end date on or after the start date." in page
    assert 'value="2026-06-30"' in page
    assert 'value="2026-04-01"' in page
    assert "figures" not in response.context


def test_a_date_that_is_not_a_date_is_explained(client, service_lead):
    client.force_login(service_lead)

    response = client.get(reverse("reporting:report_csv"), {"start": "soon", "end": "2026-04-01"})

    assert response.status_code == 400
    assert "Please enter a date, for example 1 April 2026." in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()


@pytest.mark.parametrize(
    ("url_name", "content_type", "magic"),
    [
        ("reporting:report_pdf", "application/pdf", b"%PDF-"),
        ("reporting:report_csv", "text/csv; charset=utf-8", b"Critical Incident"),
        (
            "reporting:report_xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            b"PK",
        ),
    ],
)
def test_downloads_are_audited(client, service_lead, url_name, content_type, magic):
    client.force_login(service_lead)

    response = client.get(reverse(url_name), Q1)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response.content.startswith(magic)
    assert "cirs-monitoring-2026-04-01-to-2026-06-30." in response["Content-Disposition"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert (event.user, event.object_type, event.object_id) == (
        service_lead,
        "report",
        "2026-04-01/2026-06-30",
    )


def test_the_pdf_is_tagged_with_a_title_and_language(quarter):
    figures = monitoring_figures(Period.current_quarter())

    pdf = exports.report_pdf(figures)
    objects = _pdf_objects(pdf)

    assert pdf.startswith(b"%PDF-")
    assert b"/StructTreeRoot" in objects  # tagged
    assert b"/MarkInfo" in objects
    assert b"/Lang (en-GB)" in objects
    assert b"pdfuaid" in objects  # declares PDF/UA in its metadata
    assert b"CIRS monitoring report" in objects  # the document title


def test_the_pdf_has_a_cover_page_numbers_tables_and_a_chart_per_figure(quarter):
    figures = monitoring_figures(Period.current_quarter())

    html = exports.report_html(figures)

    assert '<html lang="en-GB">' in html
    assert "<title>CIRS monitoring report" in html
    assert "Produced on" in html
    assert "counter(page)" in html and "counter(pages)" in html
    assert "<script" not in html
    charts = html.count("<svg")
    tables = html.count("<table")
    # Every figure has a table; every one with nothing hidden has a chart, but the team
    # breakdown. This quarter holds nothing new, and 3 cases (A, C, F) still active.
    assert tables == 12
    hidden = [s.key for s in build_sections(figures) if s.suppressed]
    assert hidden == ["active_cases"]
    assert charts == tables - 2


def test_dashboard_and_every_download_hold_no_names_details_or_references(
    client, service_lead, quarter
):
    client.force_login(service_lead)
    dashboard = client.get(reverse(DASHBOARD), Q1)
    figures = dashboard.context["figures"]
    texts = [
        dashboard.content.decode(),
        client.get(reverse("reporting:report_csv"), Q1).content.decode(),
        _xlsx_text(client.get(reverse("reporting:report_xlsx"), Q1).content),
        exports.report_html(figures),  # what the PDF is printed from
    ]

    assert figures.referrals_total == 6  # the marked cases are in the figures...
    for text in texts:
        _assert_anonymous(text, quarter)  # ...but nothing about them is


def _referral_url_names(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _referral_url_names(pattern, namespace)
        elif (
            isinstance(pattern, URLPattern)
            and pattern.name
            and "referral_id" in pattern.pattern.converters
        ):
            yield f"{prefix}{pattern.name}", set(pattern.pattern.converters)


def test_service_leads_get_404_on_every_per_referral_page(client, service_lead, flow):
    referral = flow.referral(state=Referral.State.CLOSED)
    client.force_login(service_lead)
    names = list(_referral_url_names())
    assert "reporting:evaluation" in {name for name, _ in names}

    for name, params in names:
        if params != {"referral_id"}:
            continue
        url = reverse(name, kwargs={"referral_id": referral.pk})
        response = client.get(url)
        if response.status_code == 405:  # a POST-only action
            response = client.post(url, {})
        assert response.status_code == 404, name
    assert AuditEvent.objects.filter(
        user=service_lead, action=AuditEvent.Action.DENIED, object_id=str(referral.pk)
    ).exists()


# The dashboard as a service lead (a quarter split into its months) and as the PSW:
# the figures are 8 queries (docs/performance.md), the rest sign-in, audit and session,
# and 4 savepoint statements: the test's transaction stands where a deployment sends
# one BEGIN and one COMMIT for the audit row and the session's save together.
DASHBOARD_QUERIES = 18
CSV_QUERIES = 16


@pytest.mark.parametrize(
    ("persona", "url_name", "most"),
    [
        ("service_lead", DASHBOARD, DASHBOARD_QUERIES),
        ("psw", DASHBOARD, DASHBOARD_QUERIES),
        ("service_lead", "reporting:report_csv", CSV_QUERIES),
    ],
)
def test_the_figures_take_a_fixed_number_of_queries(
    client, persona, url_name, most, request, flow, django_assert_max_num_queries
):
    client.force_login(request.getfixturevalue(persona))
    for _ in range(3):
        flow.close(flow.referral(state=Referral.State.ACTIVE, sessions=2))
    with django_assert_max_num_queries(most) as few:
        assert client.get(reverse(url_name)).status_code == 200
    for _ in range(12):
        flow.close(flow.referral(state=Referral.State.ACTIVE, sessions=2))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert response.context is None or response.context["figures"].referrals_total == 15


# --- Nonsense periods: a kind message next to the fields, never a 500 -------------------


@pytest.mark.parametrize("url_name", [DASHBOARD, *DOWNLOADS])
@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"start": "0001-01-01", "end": "9999-12-31"}, "Please choose a date from 1 April 2025"),
        ({"start": "2026-04-01", "end": "9999-12-31"}, "Please choose a date no later than"),
        ({"start": "2026-02-30", "end": "2026-03-31"}, "Please enter a date, for example"),
        ({"start": "2026-04-01", "end": "10000-01-01"}, "Please enter a date, for example"),
        ({"start": "2026-04-01" * 1000, "end": "2026-06-30"}, "Please enter a date, for example"),
        ({"start": "2026-04-01"}, "Please enter the last day of the period."),
    ],
    ids=["year-1-to-9999", "end-9999", "30-february", "year-10000", "very-long", "no-end"],
)
def test_a_nonsense_period_is_explained_next_to_the_fields(client, psw, url_name, dates, message):
    client.force_login(psw)

    response = client.get(reverse(url_name), dates)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert message in page
    assert 'class="invalid-feedback' in page  # crispy puts it under its field
    assert "figures" not in response.context
    assert not AuditEvent.objects.filter(object_type="report").exists()


# --- The dashboard read is audited ---------------------------------------------------------


def test_reading_the_dashboard_is_audited_with_the_period_and_tables_shown(
    client, service_lead, quarter
):
    client.force_login(service_lead)

    client.get(reverse(DASHBOARD), Q1)

    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW, object_type="report")
    assert (event.user, event.object_id, event.path) == (
        service_lead,
        "2026-04-01/2026-06-30",
        reverse(DASHBOARD),
    )
    q1 = Period(*Q1_DATES)
    sections = build_sections(monitoring_figures(q1, parts=q1.months()))
    keys = ",".join(section.key for section in sections)
    hidden = sum(section.suppressed for section in sections)
    assert event.detail == f"monitoring dashboard: {keys}; tables with hidden counts: {hidden}"
    assert keys.startswith("referrals,referrals_by_team,") and keys.endswith(",sla")
    assert hidden > 0


def test_a_refused_period_is_not_audited_as_shown(client, service_lead):
    client.force_login(service_lead)

    client.get(reverse(DASHBOARD), {"start": "2026-06-30", "end": "2026-04-01"})

    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).exists()


def test_each_chart_is_reachable_by_keyboard_described_and_beside_its_table(
    client, service_lead, quarter
):
    """WCAG 2.1.1 and 1.1.1: the chart's scroll box takes keyboard focus and is named;
    the chart itself has a title and a description with every figure; the table with
    the same figures is in the same section."""
    client.force_login(service_lead)

    # The current quarter: with nothing hidden, its tables have charts.
    page = client.get(reverse(DASHBOARD)).content.decode()

    sections = re.findall(r'<section class="card mb-4".*?</section>', page, re.S)
    charted = [section for section in sections if 'class="chart-scroll"' in section]
    assert len(charted) >= 3
    for section in charted:
        title = re.search(r'<h3 class="h5" id="[^"]+">([^<]+)</h3>', section)[1]
        box = re.search(r'<div class="chart-scroll"([^>]*)>', section)[1]
        assert 'tabindex="0"' in box
        assert 'role="region"' in box
        assert f'aria-label="Chart: {title}"' in box
        svg = re.search(r"<svg[^>]*>(.*?)</svg>", section, re.S)
        assert 'role="img"' in svg[0]
        assert re.search(r"<title[^>]*>[^<]+</title>", svg[1])
        assert re.search(r"<desc[^>]*>[^<]+</desc>", svg[1])  # every figure, or "no data"
        assert "<table" in section
        assert "The table beside this chart has the same figures." in section
