"""Which clock runs on a referral, from what event, and what stops it.

docs/service.md, "Clocks": each clock, with the event that starts it and the event that
stops it. The chase sweep (``referrals/chasing/``) applies the same definitions as
stored deadlines (``referrals.chasing.deadlines``); the badges of one referral read them
from here.

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

import bisect
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from referrals import clocks
from referrals.models import Referral
from referrals.models.deadlines import parse_moments, stored_reading

LABELS = {
    "triage": "Triage decision",
    "allocation": "Therapist allocated",
    "first_meeting": "First meeting held",
    "manager_contact": "Manager contacted",
    "review": "Review recorded",
    "closure_summary": "Closure summary sent",
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


def clock_runs(
    referral: Referral,
) -> list[tuple[str, datetime, datetime | None, date | None]]:
    """(clock, started_at, stopped_at, held_until) for every clock that has started on
    this referral: the one rule of when each clock runs. ``held_until`` is the last key
    date still ahead of a closure-summary clock, which waits until that day has passed
    (None for every other clock).

    Reads only fields on the row and ``prefetch_related``-able relations (reviews,
    key_dates). ``clock_spans`` (the badges of one referral) and
    ``referrals.chasing.deadlines`` (the stored deadlines that lists and the sweep read)
    both apply it."""
    spans: list[tuple[str, datetime, datetime | None, date | None]] = []
    r = referral
    if r.submitted_at is None:
        return spans
    decided = r.decided_at if r.state != Referral.State.SUBMITTED else None
    if (
        r.state in (Referral.State.SUBMITTED, Referral.State.ACCEPTED, Referral.State.DECLINED)
        or decided
    ):
        spans.append(("triage", r.submitted_at, decided, None))
    if r.state == Referral.State.MORE_INFO:
        return spans  # paused with the referrer
    if r.decided_at and r.state != Referral.State.DECLINED:
        spans.append(("allocation", r.decided_at, r.allocated_at, None))
    if r.state in (Referral.State.DECLINED, Referral.State.WITHDRAWN) and r.allocated_at is None:
        return spans
    if r.decided_at and r.state != Referral.State.DECLINED:
        if not r.is_group:
            spans.append(("first_meeting", r.submitted_at, r.first_meeting_at, None))
        spans.append(("manager_contact", r.submitted_at, r.manager_contacted_at, None))
    reviews = sorted(r.reviews.all(), key=lambda rv: rv.pk)  # the first review stops it
    if r.third_session_at:
        stopped = reviews[0].recorded_at if reviews else None
        spans.append(("review", r.third_session_at, stopped, None))
    said_close = any(rv.outcome == "close" for rv in reviews)
    if r.last_session_at and said_close:
        last_key_date = max((k.date for k in r.key_dates.all()), default=None)
        spans.append(("closure_summary", r.last_session_at, r.closed_at, last_key_date))
    return spans


def clock_spans(referral: Referral, *, today=None) -> list[tuple[str, datetime, datetime | None]]:
    """(clock, started_at, stopped_at) for every clock that has started on this referral
    by ``today`` (``clock_runs``: a closure summary waits while a key date is to come)."""
    today = today or timezone.localdate()
    return [
        (clock, started, stopped)
        for clock, started, stopped, held_until in clock_runs(referral)
        if held_until is None or held_until < today
    ]


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


def stored_readings(referral: Referral, *, now: datetime | None = None) -> list:
    """The badges of a referral on a list page, read from its stored deadlines
    (``selectors.with_deadlines`` reads them with the row): plain comparisons with
    ``now``, no working-day arithmetic per row."""
    return list(readings_at(referral.running_deadlines_json, now or timezone.now()))


def readings_of(moments, *, now: datetime | None = None) -> list:
    """The badges of stored deadlines (``deadlines.Moments`` or ``ClockDeadline`` rows)."""
    now = now or timezone.now()
    return [stored_reading(row, LABELS[row.clock], now) for row in moments]


def readings_at(deadlines, now: datetime) -> tuple:
    """``readings_of(parse_moments(deadlines), now=now)`` for a list row's stored
    moments (the JSON text ``selectors.running_deadlines`` reads with it).

    A reading only compares now with the row's moments (``deadlines.deadline_status``
    and ``due_moment``: is now past the near moment, the target, the limit?), so it is
    the same for every now between two of them. The readings are kept for each text and
    each such stretch of time: a list shows the same rows on every request, and works
    their readings out again only when now has passed one of their moments."""
    if not isinstance(deadlines, str):
        return tuple(readings_of(parse_moments(deadlines), now=now))
    return _readings_in(deadlines, bisect.bisect_left(_turns(deadlines), now))


@functools.lru_cache(maxsize=4096)
def _turns(text: str) -> tuple[datetime, ...]:
    """The moments of a text at which its readings can change, each once, in order."""
    return tuple(
        sorted(
            {
                moment
                for row in parse_moments(text)
                for moment in (row.near_at, row.target_at, row.limit_at)
                if moment is not None
            }
        )
    )


@functools.lru_cache(maxsize=4096)
def _readings_in(text: str, passed: int) -> tuple:
    """The readings of ``text`` once now has passed its first ``passed`` turns and not
    the next: read at the next turn itself (not yet passed), or just after the last."""
    turns = _turns(text)
    if passed < len(turns):
        moment = turns[passed]
    else:
        moment = turns[-1] + timedelta(microseconds=1) if turns else _ANY_MOMENT
    return tuple(readings_of(parse_moments(text), now=moment))


# For a text with no moment at all: its readings compare now with nothing.
_ANY_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
