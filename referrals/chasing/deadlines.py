"""The stored deadline of every running clock (``ClockDeadline``), kept in step with
the referral by the services that start, stop or pause a clock.

``refresh_deadlines`` applies ``sla.clock_runs`` (the one rule of when a clock runs) to
some referrals and rewrites their rows: one row per running clock with its near,
target and limit moments, and ``chase_at``, the moment the next chase not yet sent
falls due. List pages sort, filter and show badges from these rows with plain
comparisons in SQL; the sweep selects ``chase_at <= now`` with an indexed range query.
Running it again for the same referrals gives the same rows (``recompute_deadlines``
command, migration backfill).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from referrals import clocks, sla
from referrals.chasing.rules import RULES_BY_CLOCK
from referrals.chasing.timing import level_moment, near_moment, window_for
from referrals.models import ChaseRecord, ClockDeadline, Referral
from referrals.models.deadlines import clock_summary, running

__all__ = ["next_chase_at", "recompute_all", "refresh_deadlines", "rows_for", "running"]


def next_chase_at(row: ClockDeadline, *, after_level: int) -> datetime | None:
    """The moment the lowest chase level above ``after_level`` falls due."""
    rule = RULES_BY_CLOCK.get(row.clock)
    if rule is None:
        return None
    moments = [level_moment(level, row) for level in rule.levels if level.level > after_level]
    moments = [m for m in moments if m is not None]
    return min(moments) if moments else None


def rows_for(referral: Referral, *, today: date, chased: dict) -> list[ClockDeadline]:
    """The rows of one referral's running clocks (reviews and key dates prefetched)."""
    if not referral.is_open or referral.personal_data_erased_at is not None:
        return []  # an erased referral that never ended is chased no more
    rows = []
    for clock, started, stopped, held_until in sla.clock_runs(referral):
        if stopped is not None:
            continue
        due = clocks.deadline(clock, started)
        row = ClockDeadline(
            referral_id=referral.pk,
            clock=clock,
            started_at=started,
            near_at=near_moment(due),
            target_at=due.target_at,
            limit_at=due.limit_at,
            held_until=held_until if held_until is not None and held_until >= today else None,
        )
        row.chase_at = next_chase_at(
            row, after_level=chased.get((referral.pk, clock, window_for(started)), 0)
        )
        rows.append(row)
    return rows


def refresh_deadlines(referral_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Rewrite the stored deadlines of these referrals: five queries whatever their
    number (referrals with reviews and key dates, chases sent, delete, insert, and the
    update of the referrals' brief of them, ``Referral.clocks_*``)."""
    ids = list(referral_ids)
    if not ids:
        return 0
    today = timezone.localdate(now or timezone.now())
    referrals = Referral.objects.filter(pk__in=ids).prefetch_related("reviews", "key_dates")
    chased: dict = defaultdict(int)
    for referral_id, clock, level, window in ChaseRecord.objects.filter(
        referral_id__in=ids
    ).values_list("referral_id", "clock", "level", "window"):
        key = (referral_id, clock, window)
        chased[key] = max(chased[key], level)
    rows = [row for r in referrals for row in rows_for(r, today=today, chased=chased)]
    with transaction.atomic():
        ClockDeadline.objects.filter(referral_id__in=ids).delete()
        ClockDeadline.objects.bulk_create(rows, batch_size=1000)
        # The referrals' brief of their rows, which lists sort on (selectors.next_due).
        Referral.objects.filter(pk__in=ids).update(**clock_summary())
    return len(rows)


def recompute_all(*, batch: int = 2000, now: datetime | None = None) -> int:
    """Every referral's stored deadlines, in batches (idempotent)."""
    total = 0
    ids = list(Referral.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        total += refresh_deadlines(ids[start : start + batch], now=now)
    return total
