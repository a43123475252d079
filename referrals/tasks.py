"""Celery tasks: thin. Each calls a plain function that is tested directly.

The beat schedule is ``CELERY_BEAT_SCHEDULE`` in config/settings/base.py. Nothing
here waits long in the broker: a chase due at night waits in the outbox
(``OutboundEmail.not_before``), not as a Celery ETA, so no message outlives the
broker's visibility timeout (docs/security-checklist.md, row 26).
"""

from __future__ import annotations

from celery import shared_task

from referrals import chasing, mailer, retention
from referrals.mailer import send_outbound_email
from referrals.services import send_closure_summary_task as send_closure_summary

# Defined next to what they run, under these names (``referrals.tasks.*``).
__all__ = [
    "erase_expired_personal_data",
    "flush_outbox",
    "send_closure_summary",
    "send_outbound_email",
    "send_weekly_digest",
    "sweep_clocks",
]


@shared_task(acks_late=True)
def flush_outbox() -> int:
    """Send whatever is still waiting (broker was down, a retry is due, a chase waited
    for the working morning)."""
    return mailer.flush()


@shared_task(acks_late=True)
def sweep_clocks() -> int:
    """Chase every clock near its target or past its limit, and remind of key dates."""
    return chasing.sweep()


@shared_task(acks_late=True)
def send_weekly_digest() -> int:
    return chasing.send_weekly_digest()


@shared_task(acks_late=True)
def erase_expired_personal_data() -> int:
    return retention.erase_expired_personal_data()
