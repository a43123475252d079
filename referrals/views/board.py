"""The PSW/SMPE's oversight board: every open referral from submission to closure on
one page, the most urgent first, 50 to a page, with a CSV export of the filtered rows
(issue 13; docs/performance.md for how it stays fast)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.audit import record_list_view
from accounts.models import AuditEvent
from referrals import permissions as perms
from referrals import rules, sla
from referrals.forms import BoardFilterForm
from referrals.models import ClockStatusCode, Referral, StoredReading
from referrals.paging import paginate
from referrals.selectors import (
    board_filter_choices,
    board_referrals,
    most_urgent_first,
    with_clock_status,
)

# A cell starting with one of these is read as a formula by spreadsheet programs; it is
# written with a leading apostrophe (the same rule as the monitoring CSV export).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
STATUS_WORDS = dict(ClockStatusCode.choices)


def csv_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@dataclass(frozen=True)
class BoardRow:
    referral: Referral
    clocks: list[StoredReading]
    sessions_used: int
    sessions_allowed: int | None
    next_key_date: date | None

    @property
    def next_deadline(self) -> datetime | None:
        return self.referral.next_due


def _rows(referrals, now: datetime) -> list[BoardRow]:
    rows = []
    for r in referrals:
        in_support = r.state in Referral.SUPPORT_STATES and not r.is_group
        rows.append(
            BoardRow(
                referral=r,
                clocks=sla.stored_readings(r, now=now),
                sessions_used=r.sessions_used,
                sessions_allowed=rules.sessions_allowed_now(
                    extension_approved=r.extension_approved,
                    exceptional_approved=r.exceptional_approved,
                )
                if in_support
                else None,
                next_key_date=r.next_key_date,
            )
        )
    return rows


def _filtered(request: HttpRequest, now: datetime):
    form = BoardFilterForm(request.GET or None, choices=board_filter_choices())
    referrals = form.apply(
        board_referrals(request.user, now=now), now=now, with_clock_status=with_clock_status
    )
    return form, most_urgent_first(referrals)


@login_required
@require_safe
def board(request: HttpRequest) -> HttpResponse:
    """Every open referral, the most urgent first: state, provider, therapist, team,
    each running clock with its next deadline and whether it is within time, near or
    past, sessions used out of the allowance, and the next key date."""
    perms.require(request.user, perms.is_triager)
    now = timezone.now()
    form, referrals = _filtered(request, now)
    page = paginate(request, referrals)
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    record_list_view(
        request,
        object_type="referral",
        ids=[r.pk for r in page.rows],
        detail=f"oversight board; filters: {urlencode(query) or 'none'}",
    )
    return render(
        request,
        "referrals/board.html",
        {
            "form": form,
            "rows": _rows(page.rows, now),
            "page": page,
            "export_url": reverse("referrals:board_csv") + "?" + urlencode(query),
        },
    )


CSV_HEADER = [
    "Referral",
    "Status",
    "Kind",
    "Team",
    "Provider",
    "Therapist",
    "Running clocks",
    "Next deadline",
    "Sessions used",
    "Sessions allowed now",
    "Next key date",
]


@login_required
@require_safe
def board_csv(request: HttpRequest) -> HttpResponse:
    """Every row of the board's current filter (all pages, not only the one on screen),
    most urgent first. Each export is audited with the filter it used and the id of
    every referral it held."""
    perms.require(request.user, perms.is_triager)
    now = timezone.now()
    _form, referrals = _filtered(request, now)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    exported = []
    for row in _rows(referrals.iterator(chunk_size=500), now):
        r = row.referral
        exported.append(r.pk)
        writer.writerow(
            [
                csv_safe(value)
                for value in (
                    r.reference,
                    r.get_state_display(),
                    r.get_kind_display(),
                    r.incident.team.name,
                    r.provider.name if r.provider else "",
                    (r.therapist.user.get_full_name() or r.therapist.user.username)
                    if r.therapist
                    else "",
                    "; ".join(f"{c.label}: {STATUS_WORDS[c.status]}" for c in row.clocks),
                    timezone.localtime(row.next_deadline).strftime("%Y-%m-%d %H:%M")
                    if row.next_deadline
                    else "",
                    row.sessions_used if row.sessions_allowed is not None else "",
                    row.sessions_allowed if row.sessions_allowed is not None else "",
                    row.next_key_date.isoformat() if row.next_key_date else "",
                )
            ]
        )
    filters = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    record_list_view(
        request,
        action=AuditEvent.Action.DOWNLOAD,
        object_type="referral",
        ids=exported,
        detail=f"oversight board export, {len(exported)} rows; filters: {filters or 'none'}",
    )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="cirs-oversight-board-{timezone.localdate(now):%Y-%m-%d}.csv"'
    )
    return response


urlpatterns = [
    path("board/", board, name="board"),
    path("board/export.csv", board_csv, name="board_csv"),
]
