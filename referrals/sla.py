"""Which clock runs on a referral, from what event, and what stops it.

docs/service.md, "Clocks": each clock, with the event that starts it and the event that
stops it. The chase sweep (``referrals/chasing/``) applies the same definitions as
set-based queries; the badges on every queue read them from here.

| clock            | starts                         | stops                                      |
|------------------|--------------------------------|--------------------------------------------|
| triage           | (re)submission                 | accept or decline (a request for more      |
|                  |                                | information pauses it; resubmission        |
|                  |                                | restarts it)                               |
| allocation       | acceptance                     | a therapist is allocated                   |
| first_meeting    | submission                     | a first meeting is *held* (not planned)    |
| manager_contact  | submission                     | the manager contact is recorded            |
| review           | the 3rd counted session        | the review is recorded                     |
| closure_summary  | the last session, once the     | the referral is closed with its summary    |
|                  | review said "close" and no key |                                            |
|                  | date is still to come          |                                            |
| key_date         | CIRS_KEY_DATE_REMINDER_DAYS    | the date passes, or the key date is        |
|                  | calendar days before the date  | removed (a changed date is a new reminder) |

Who is chased at each level, and when, is data in ``referrals/chasing.CHASE_RULES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from referrals import clocks
from referrals.models import Referral, Review

S = Referral.State

LABELS = {
    "triage": "Triage decision",
    "allocation": "Therapist allocated",
    "first_meeting": "First meeting held",
    "manager_contact": "Manager contacted",
    "review": "Review recorded",
    "closure_summary": "Closure summary sent",
}


@dataclass(frozen=True)
class ClockDefinition:
    """Where a clock starts, and when it is running, as a filter on referrals."""

    started_field: str
    running: Q


_SUPPORT = Q(state__in=Referral.SUPPORT_STATES)

# Whether each clock runs, as a database filter for the chase sweep
# (``referrals/chasing/``). ``clock_spans`` below says the same of one referral,
# for the badges; tests/referrals/test_sla.py checks the two agree.
CLOCKS: dict[str, ClockDefinition] = {
    "triage": ClockDefinition("submitted_at", Q(state=S.SUBMITTED)),
    "allocation": ClockDefinition("decided_at", Q(state=S.ACCEPTED)),
    "first_meeting": ClockDefinition(
        "submitted_at",
        (Q(state=S.ACCEPTED) | _SUPPORT)
        & Q(kind=Referral.Kind.INDIVIDUAL, first_meeting_at__isnull=True),
    ),
    "manager_contact": ClockDefinition(
        "submitted_at", (Q(state=S.ACCEPTED) | _SUPPORT) & Q(manager_contacted_at__isnull=True)
    ),
    "review": ClockDefinition(
        "third_session_at",
        Q(state__in=[S.ACTIVE, S.EXTENSION_REQUESTED], third_session_at__isnull=False)
        & ~Exists(Review.objects.filter(referral=OuterRef("pk"))),
    ),
    "closure_summary": ClockDefinition(
        "last_session_at",
        # "No key date still to come" needs today's date and is checked by
        # clock_spans; this filter is its superset.
        Q(state__in=[S.ACTIVE, S.EXTENSION_REQUESTED], last_session_at__isnull=False)
        & Exists(Review.objects.filter(referral=OuterRef("pk"), outcome=Review.Outcome.CLOSE)),
    ),
}


@dataclass(frozen=True)
class ClockReading:
    clock: str
    label: str
    started_at: datetime
    stopped_at: datetime | None
    deadline: clocks.Deadline
    status: clocks.ClockStatus
    # The moment this reading was taken (the ``now`` it was read at).
    read_at: datetime

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None

    @property
    def due_at(self) -> datetime | None:
        """The next deadline that matters: the target until it passes, then the limit."""
        target = self.deadline.target_at
        if target is not None and self.read_at <= target:
            return target
        return self.deadline.limit_at

    @property
    def badge(self) -> str:
        return {
            clocks.ClockStatus.NEAR: "near",
            clocks.ClockStatus.TARGET_MISSED: "near",
            clocks.ClockStatus.BREACHED: "breached",
            clocks.ClockStatus.MISSED: "breached",
        }.get(self.status, "ok")


def clock_spans(referral: Referral, *, today=None) -> list[tuple[str, datetime, datetime | None]]:
    """(clock, started_at, stopped_at) for every clock that has started on this referral.

    Reads only fields on the row and ``prefetch_related``-able relations (reviews,
    key_dates), so a list page can prefetch them and stay at a constant query count.
    """
    spans: list[tuple[str, datetime, datetime | None]] = []
    r = referral
    if r.submitted_at is None:
        return spans
    decided = r.decided_at if r.state != Referral.State.SUBMITTED else None
    if (
        r.state in (Referral.State.SUBMITTED, Referral.State.ACCEPTED, Referral.State.DECLINED)
        or decided
    ):
        spans.append(("triage", r.submitted_at, decided))
    if r.state == Referral.State.MORE_INFO:
        return spans  # paused with the referrer
    if r.decided_at and r.state != Referral.State.DECLINED:
        spans.append(("allocation", r.decided_at, r.allocated_at))
    if r.state in (Referral.State.DECLINED, Referral.State.WITHDRAWN) and r.allocated_at is None:
        return spans
    if r.decided_at and r.state != Referral.State.DECLINED:
        if not r.is_group:
            spans.append(("first_meeting", r.submitted_at, r.first_meeting_at))
        spans.append(("manager_contact", r.submitted_at, r.manager_contacted_at))
    reviews = list(r.reviews.all())
    if r.third_session_at:
        spans.append(("review", r.third_session_at, reviews[0].recorded_at if reviews else None))
    today = today or timezone.localdate()
    future_key_date = any(k.date >= today for k in r.key_dates.all())
    said_close = any(rv.outcome == "close" for rv in reviews)
    if r.last_session_at and said_close and not future_key_date:
        spans.append(("closure_summary", r.last_session_at, r.closed_at))
    return spans


def referral_clocks(referral: Referral, *, now: datetime | None = None) -> list[ClockReading]:
    """Every clock on the referral with its deadline and status at ``now``.

    A clock whose referral was withdrawn stops at the withdrawal."""
    now = now or timezone.now()
    readings = []
    for clock, started, stopped in clock_spans(referral, today=timezone.localdate(now)):
        if stopped is None and not referral.is_open:
            stopped = referral.withdrawn_at or referral.closed_at or referral.decided_at
            if stopped is None:
                continue
        status = clocks.clock_status(clock, started_at=started, now=now, stopped_at=stopped)
        readings.append(
            ClockReading(
                clock=clock,
                label=LABELS[clock],
                started_at=started,
                stopped_at=stopped,
                deadline=clocks.deadline(clock, started),
                status=status,
                read_at=now,
            )
        )
    return readings


def running_clocks(referral: Referral, *, now: datetime | None = None) -> list[ClockReading]:
    return [r for r in referral_clocks(referral, now=now) if r.is_running]


def next_due(referral: Referral, *, now: datetime | None = None) -> ClockReading | None:
    """The running clock whose next deadline comes first (for "My cases" and queues)."""
    running = [r for r in running_clocks(referral, now=now) if r.due_at is not None]
    return min(running, key=lambda r: r.due_at) if running else None
