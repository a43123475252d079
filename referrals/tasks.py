"""Celery tasks: thin. Each calls a plain function that is tested directly.

The beat schedule is ``CELERY_BEAT_SCHEDULE`` in config/settings/base.py. Nothing
here waits long in the broker: a chase due at night waits in the outbox
(``OutboundEmail.not_before``), not as a Celery ETA, so no message outlives the
broker's visibility timeout (SECURITY-CHECKLIST #26).
"""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.conf import settings

from referrals import chasing, mailer, retention


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    max_retries=mailer.MAX_ATTEMPTS - 1,
    # The same schedule as mailer.backoff, so each retry arrives when the row is due.
    retry_backoff=mailer.BACKOFF_BASE_SECONDS,
    retry_backoff_max=settings.CELERY_RETRY_BACKOFF_MAX,
    retry_jitter=False,
)
def send_outbound_email(self, email_id: int) -> bool:
    """Send one outbox e-mail; SMTP failures are retried with backoff, then the row is
    left FAILED for the admin's list of stuck messages."""
    return mailer.send_one(email_id, reraise=True)


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


@shared_task(acks_late=True)
def send_closure_summary(referral_id: int) -> int:
    return mailer.send_closure_summary(referral_id)
