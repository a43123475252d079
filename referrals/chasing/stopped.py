"""Every clock that has stopped on a referral (``StoppedClock``), with whether it
stopped in time, kept in step with the referral at the same moments as the running
clocks' deadlines: by every service marked ``@moves_clocks``.

The monitoring figures (``reporting/figures.py``) count these rows by clock and by
part of the period with one GROUP BY, rather than working out on every request the
working time each clock of each referral ran (weekends, bank holidays and London
time, for every row). The rows follow ``sla.clock_runs`` (the one rule of when a
clock runs) and ``clocks.clock_status`` and ``clocks.met_target`` (whether it stopped
on or before its limit and its target). They hold no name and no free text.

Running ``refresh_stopped_clocks`` again for the same referrals gives the same rows
(``recompute_deadlines`` command, migration backfill); run it after changing
``CIRS_CLOCKS``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from referrals import clocks, sla
from referrals.models import Referral, StoppedClock

__all__ = ["recompute_stopped_clocks", "refresh_stopped_clocks", "stopped_rows_for"]

_CLOSURE = "closure_summary"


def stopped_rows_for(referral: Referral) -> list[StoppedClock]:
    """The rows of one referral's stopped clocks (reviews and key dates prefetched)."""
    rows = []
    for clock, started, stopped, last_key_date in sla.clock_runs(referral):
        if stopped is None:
            continue
        status = clocks.clock_status(clock, started_at=started, stopped_at=stopped)
        rows.append(
            StoppedClock(
                referral_id=referral.pk,
                clock=clock,
                started_at=started,
                stopped_at=stopped,
                met=status == clocks.ClockStatus.MET,
                target_met=clocks.met_target(clock, started_at=started, stopped_at=stopped),
                last_key_date=last_key_date if clock == _CLOSURE else None,
            )
        )
    return rows


def refresh_stopped_clocks(referral_ids: Iterable[int]) -> int:
    """Rewrite the stopped clocks of these referrals: five queries whatever their
    number (referrals, their reviews and key dates, delete, insert)."""
    ids = list(referral_ids)
    if not ids:
        return 0
    referrals = Referral.objects.filter(pk__in=ids).prefetch_related("reviews", "key_dates")
    rows = [row for referral in referrals for row in stopped_rows_for(referral)]
    with transaction.atomic():
        StoppedClock.objects.filter(referral_id__in=ids).delete()
        StoppedClock.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def recompute_stopped_clocks(*, batch: int = 2000) -> int:
    """Every referral's stopped clocks, in batches (idempotent)."""
    total = 0
    ids = list(Referral.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        total += refresh_stopped_clocks(ids[start : start + batch])
    return total
