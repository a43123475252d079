"""Celery tasks: thin. Each fetches and calls a plain function that is tested directly."""

from __future__ import annotations

import logging

from celery import shared_task

from referrals import mailer

log = logging.getLogger("cirs.tasks")


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=mailer.MAX_ATTEMPTS,
    retry_backoff=True,
)
def send_outbound_email(self, email_id: int) -> None:
    """Send one outbox e-mail; on SMTP failure retry with backoff, then leave it failed
    for the admin's list of stuck messages."""
    mailer.send_one(email_id)


@shared_task(acks_late=True)
def flush_outbox() -> int:
    """Send whatever is still waiting (broker was down, a retry is due, a chase waited
    for the working morning)."""
    return mailer.flush()


@shared_task(acks_late=True)
def send_closure_summary(referral_id: int) -> None:
    mailer.send_closure_summary(referral_id)
