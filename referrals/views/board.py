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
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from accounts.audit import record_list_view
from accounts.models import AuditEvent
from config.prepared import MOMENT
from referrals import permissions as perms
from referrals import rules, sla
from referrals.forms import BoardFilterForm
from referrals.models import ClockStatusCode, Referral, StoredReading
from referrals.paging import Listing, paginate
from referrals.rows import (
    GROUP_BADGE,
    PAUSED,
    badge_html,
    day_words,
    draw,
    stacked,
    url_for_each,
)
from referrals.selectors import (
    board_filter_choices,
    board_referrals,
    board_rows,
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
    """One referral on the board, with everything it shows already in words."""

    pk: int
    state: str
    is_group: bool
    clocks: list[StoredReading]
    sessions_used: int
    sessions_allowed: int | None
    next_key_date: date | None
    next_deadline: datetime | None
    status: str
    kind: str
    team: str
    provider: str
    therapist: str

    @property
    def reference(self) -> str:
        return Referral.reference_for(self.pk)


STATE_WORDS = dict(Referral.State.choices)
KIND_WORDS = dict(Referral.Kind.choices)


def _rows(rows, now: datetime) -> list[BoardRow]:
    """Board rows from ``selectors.board_rows``' values."""
    out = []
    for r in rows:
        clocks = list(sla.readings_at(r["deadlines"], now))
        dues = [reading.due_at for reading in clocks if reading.due_at is not None]
        is_group = r["kind"] == Referral.Kind.GROUP
        in_support = r["state"] in Referral.SUPPORT_STATES and not is_group
        therapist = ""
        if r["therapist_id"]:
            full = f"{r['therapist__user__first_name']} {r['therapist__user__last_name']}"
            therapist = full.strip() or r["therapist__user__username"]
        out.append(
            BoardRow(
                pk=r["pk"],
                state=r["state"],
                is_group=is_group,
                clocks=clocks,
                sessions_used=r["sessions_used"],
                sessions_allowed=rules.sessions_allowed_now(
                    extension_approved=r["extension_approved"],
                    exceptional_approved=r["exceptional_approved"],
                )
                if in_support
                else None,
                next_key_date=r["next_key_date"],
                # As ``selectors.next_due`` sorts on it: the soonest next deadline.
                next_deadline=min(dues) if dues else None,
                status=STATE_WORDS.get(r["state"], r["state"]),
                kind=KIND_WORDS.get(r["kind"], r["kind"]),
                team=r["incident__team__name"],
                provider=r["provider__name"] or "",
                therapist=therapist,
            )
        )
    return out


def _shown(rows: list[BoardRow]) -> list[dict]:
    """What each row of the page shows, worked out once per row (``referrals.rows``)."""
    detail = url_for_each("referrals:detail")
    shown = []
    for row in rows:
        day = row.next_key_date
        badges = [badge_html(reading) for reading in row.clocks]
        paused = row.state == Referral.State.MORE_INFO
        sessions = (
            f"{row.sessions_used} of {row.sessions_allowed}"
            if row.sessions_allowed is not None
            else None
        )
        shown.append(
            {
                "pk": row.pk,
                "reference": row.reference,
                "is_group": row.is_group,
                "group_badge": GROUP_BADGE if row.is_group else "",
                "status": row.status,
                "team": row.team,
                "provider": row.provider or "Not yet",
                "therapist": row.therapist or "Not yet",
                "paused": paused,
                "url": detail(row.pk),
                "badges": badges,
                "clocks": stacked(badges) if badges else PAUSED if paused else NONE_RUNNING,
                "sessions": sessions,
                "sessions_cell": NOT_YET if sessions is None else sessions,
                "key_date": day_words(day, weekday=True) if day else "None",
            }
        )
    return shown


# One row of the board (``rows.draw`` fills the holes, escaped).
ROW = (
    '<tr data-testid="board-row"><td><a href="{url}">{reference}</a>{group_badge}</td>'
    "<td>{status}</td><td>{team}</td><td>{provider}</td><td>{therapist}</td>"
    "<td>{clocks}</td><td>{sessions_cell}</td><td>{key_date}</td></tr>\n"
)
NONE_RUNNING = mark_safe('<span class="text-body-secondary small">None running</span>')
NOT_YET = mark_safe('<span class="text-body-secondary">Not yet</span>')


# The unfiltered board, its SQL written once (``referrals.paging.Listing``).
BOARD = Listing(
    lambda user, now: most_urgent_first(board_referrals(user, now=now)),
    lambda user, ids, now: board_rows(user, ids, now=now),
    kinds=(MOMENT,),
    count_apart=True,
)


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
    if any(request.GET.get(name) for name in BoardFilterForm.base_fields):
        form, referrals = _filtered(request, now)
    else:
        # The whole board, as it is opened: its SQL written once.
        form = BoardFilterForm(request.GET or None, choices=board_filter_choices())
        referrals = BOARD.for_person(request.user, now)
    page = paginate(request, referrals, rows_for=lambda ids: board_rows(request.user, ids, now=now))
    rows = _rows(page.rows, now)
    shown = _shown(rows)
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    record_list_view(
        request,
        object_type="referral",
        ids=[row.pk for row in rows],
        detail=f"oversight board; filters: {urlencode(query) or 'none'}",
    )
    return render(
        request,
        "referrals/board.html",
        {
            "form": form,
            "rows": rows,
            "shown": shown,
            "table_rows": draw(ROW, shown),
            "page": page,
            "export_url": reverse("referrals:board_csv") + "?" + urlencode(query),
        },
    )


def _in_order(user, referrals, now: datetime, chunk: int = 500):
    """Every row of the filtered board, most urgent first: the ids in order, then
    ``board_rows`` for 500 at a time."""
    ids = list(referrals.values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        by_pk = {row["pk"]: row for row in board_rows(user, part, now=now)}
        yield from (by_pk[pk] for pk in part if pk in by_pk)


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
    for row in _rows(_in_order(request.user, referrals, now), now):
        exported.append(row.pk)
        writer.writerow(
            [
                csv_safe(value)
                for value in (
                    row.reference,
                    row.status,
                    row.kind,
                    row.team,
                    row.provider,
                    row.therapist,
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
