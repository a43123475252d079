"""Sending what is in the outbox, once, with retries. What goes into the outbox, and
to whom, is ``referrals/notifications.py``; this module only delivers it.

A row is claimed by locking it (``SELECT ... FOR UPDATE SKIP LOCKED``) in a
transaction that lasts until the result is written, so two live workers never send the
same e-mail at once. The claim lives only as long as the sender: a worker killed
mid-send drops its database connection, the claim goes with it, and the redelivered
task (``acks_late`` + ``task_reject_on_worker_lost``) sends the e-mail at once instead
of after a lease (docs/security-checklist.md, row 25). A sender that hangs loses its claim after
``CLAIM_LEASE``. A failure puts it back with a later ``not_before`` (exponential
backoff capped at ``settings.CELERY_RETRY_BACKOFF_MAX``) until ``MAX_ATTEMPTS``, then
marks it FAILED and logs an error for the admin's "Stuck messages" list. The Celery
task retries SMTP errors on the same schedule; ``flush_outbox`` picks up anything a
retry missed.

Logs carry the outbox id and the kind of error, never an address or any content.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.mime.text import MIMEText

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from referrals.models import OutboundEmail

log = logging.getLogger("cirs.mailer")

MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 30
# The longest a sender may hold its claim without a word to the database (PostgreSQL
# then ends its session). Longer than any SMTP timeout, far shorter than the broker's
# visibility timeout (docs/security-checklist.md, row 26).
CLAIM_LEASE = timedelta(minutes=15)
# A pending e-mail this far past its due time, or any retried one, is "stuck".
STUCK_AFTER = timedelta(minutes=30)


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 30 s, 60 s, 120 s ... capped."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(settings.CELERY_RETRY_BACKOFF_MAX, seconds))


def message_id(email: OutboundEmail) -> str:
    """The ``Message-ID`` of an outbox row: the same on every attempt, so a copy sent
    again after a crash is recognisably the same message."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "localhost"
    return f"<cirs-outbox-{email.pk}@{domain}>"


def send_one(email_id: int, *, now=None, reraise: bool = False) -> bool:
    """Send one pending e-mail if it is due. Returns True when it went out.

    With ``reraise`` a failure that will be retried is raised again after it is
    recorded, so the Celery task can retry it; the last failure is not raised (the row
    is FAILED and an alert logged, and retrying cannot help).

    The row is marked sent inside the claim before the message goes, and that is
    committed the moment the mail server accepts it, before the connection is closed;
    a failed send puts it back. Only a crash between the server's "250 OK" and that
    commit sends the message twice, and then with the same ``Message-ID``.

    ``attempts`` counts the sends that finished (delivered or refused); one cut off by
    a killed worker is rolled back with its claim."""
    now = now or timezone.now()
    failure, will_retry = None, False
    smtp = get_connection(fail_silently=False)
    try:
        with transaction.atomic():
            email = (
                OutboundEmail.objects.select_for_update(skip_locked=True)
                .filter(pk=email_id, status=OutboundEmail.Status.PENDING, not_before__lte=now)
                .first()
            )
            if email is None:  # not due, already sent, or another worker is sending it
                return False
            _limit_claim(CLAIM_LEASE)
            email.attempts += 1
            OutboundEmail.objects.filter(pk=email.pk).update(
                attempts=email.attempts,
                status=OutboundEmail.Status.SENT,
                sent_at=timezone.now(),
                last_error="",
            )
            try:
                # Opened here, closed after the commit: send_messages() on a connection
                # it did not open leaves it open instead of waiting for the goodbye.
                smtp.open()
                smtp.send_messages([_message(email, smtp)])
            except Exception as exc:  # noqa: BLE001 - recorded here, raised after the commit
                failure = exc
                will_retry = _failed(email, exc, now=now)
            else:
                return True  # leaving the block commits: nothing else runs before it
    finally:
        _close_quietly(smtp)
    if reraise and will_retry:
        raise failure
    return False


def _message(email: OutboundEmail, smtp) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers={"Auto-Submitted": "auto-generated", "Message-ID": message_id(email)},
        connection=smtp,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    if email.attachment_name:
        message.attach(_attachment(email))
    return message


def _attachment(email: OutboundEmail) -> MIMEText:
    """The text attachment with its content type's parameters kept (a calendar reader
    needs ``method=REQUEST`` or ``method=CANCEL`` on the part itself)."""
    kind, *params = (part.strip() for part in email.attachment_type.split(";"))
    subtype = kind.partition("/")[2] or "plain"
    part = MIMEText(email.attachment, subtype, "utf-8")
    for param in params:
        name, _, value = param.partition("=")
        part.set_param(name, value)
    part.add_header("Content-Disposition", "attachment", filename=email.attachment_name)
    return part


def _close_quietly(smtp) -> None:
    """Say goodbye to the mail server after the commit. The message is already
    accepted and recorded, so a server that hangs up rudely changes nothing."""
    try:
        smtp.close()
    except (smtplib.SMTPException, OSError):
        log.info("mail server connection closed uncleanly after sending")


def _limit_claim(lease: timedelta) -> None:
    """End this transaction (and free the row) if the sender goes quiet for ``lease``,
    for a worker that hangs rather than dies. Only PostgreSQL can; elsewhere the claim
    lasts as long as the connection."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('idle_in_transaction_session_timeout', %s, true)",
            [str(int(lease.total_seconds() * 1000))],
        )


def _failed(email: OutboundEmail, exc: Exception, *, now) -> bool:
    """Record a failed attempt; True if it will be tried again."""
    error = f"{type(exc).__name__}: {exc}"[:1000]
    if email.attempts >= MAX_ATTEMPTS:
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=OutboundEmail.Status.FAILED, sent_at=None, last_error=error
        )
        log.error(
            "e-mail could not be sent after %s attempts and needs attention",
            email.attempts,
            extra={"outbox_id": email.pk, "attempts": email.attempts, "error": type(exc).__name__},
        )
        return False
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.PENDING,
        sent_at=None,
        last_error=error,
        not_before=now + backoff(email.attempts),
    )
    log.warning(
        "e-mail send failed; will retry",
        extra={"outbox_id": email.pk, "attempts": email.attempts, "error": type(exc).__name__},
    )
    return True


def flush(*, now=None, limit: int = 200) -> int:
    """Try every pending e-mail that is due. Returns how many went out."""
    now = now or timezone.now()
    due = OutboundEmail.objects.filter(
        status=OutboundEmail.Status.PENDING, not_before__lte=now
    ).values_list("pk", flat=True)[:limit]
    return sum(send_one(pk, now=now) for pk in list(due))


def stuck(*, now=None):
    """E-mails that need a person to look: failed, retried at least once and still
    waiting, or overdue by more than ``STUCK_AFTER``."""
    now = now or timezone.now()
    return OutboundEmail.objects.filter(
        Q(status=OutboundEmail.Status.FAILED)
        | Q(status=OutboundEmail.Status.PENDING, attempts__gt=0)
        | Q(status=OutboundEmail.Status.PENDING, not_before__lt=now - STUCK_AFTER)
    )


def retry_now(email_ids, *, now=None) -> int:
    """Make unsent e-mails due now (a failed one gets a fresh set of attempts) and hand
    them to a worker after commit. Returns how many were reset."""
    now = now or timezone.now()
    ids = list(
        OutboundEmail.objects.filter(pk__in=list(email_ids))
        .exclude(status=OutboundEmail.Status.SENT)
        .values_list("pk", flat=True)
    )
    OutboundEmail.objects.filter(pk__in=ids, status=OutboundEmail.Status.FAILED).update(
        status=OutboundEmail.Status.PENDING, attempts=0
    )
    OutboundEmail.objects.filter(pk__in=ids).update(not_before=now)
    for pk in ids:
        enqueue_on_commit(send_outbound_email, pk)
    return len(ids)


# What went wrong, in words a social worker can act on: by the kind of error recorded
# in ``last_error`` (its exception class), never the server's own text.
PLAIN_ERRORS = (
    (
        ("SMTPRecipientsRefused", "SMTPRecipientRefused"),
        "The mail server would not take this address. Please check that it is right.",
    ),
    (
        ("SMTPAuthenticationError", "SMTPSenderRefused"),
        "CIRS could not sign in to the mail server. Please ask IT to check the mail settings.",
    ),
    (
        (
            "SMTPConnectError",
            "SMTPServerDisconnected",
            "ConnectionRefusedError",
            "ConnectionResetError",
            "TimeoutError",
            "timeout",
            "gaierror",
            "OSError",
        ),
        "CIRS could not reach the mail server. It may have been down for a while.",
    ),
    (("SMTPDataError",), "The mail server turned the message away."),
)
NOT_SENT_YET = "It has not gone out yet and is late. The sending service may be stopped."
UNKNOWN_ERROR = (
    "The mail server gave an error CIRS does not know. Please ask IT if it happens again."
)


def plain_error(email: OutboundEmail) -> str:
    """Why ``email`` has not been delivered, in plain words (no server text, no address)."""
    if not email.last_error:
        return NOT_SENT_YET
    kind = email.last_error.split(":", 1)[0].strip()
    for kinds, words in PLAIN_ERRORS:
        if kind in kinds:
            return words
    return UNKNOWN_ERROR


# --- handing e-mails to the worker ---------------------------------------------------


def enqueue_on_commit(task, *args) -> None:
    """Hand a task to the broker once the current transaction commits (a rolled-back
    change queues nothing). If the broker is down the outbox row stays pending and the
    next ``flush_outbox`` sweep sends it: nothing is lost, nothing is raised at the
    person who just pressed a button."""
    transaction.on_commit(lambda: _enqueue(task, *args))


def _enqueue(task, *args) -> None:
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - any broker failure is recovered by flush_outbox
        logging.getLogger("cirs.notifications").warning(
            "broker unavailable; e-mail left in the outbox", extra={"task": task.name}
        )


# Registered under its historical name, so messages already in the broker still run.
@shared_task(
    bind=True,
    name="referrals.tasks.send_outbound_email",
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    max_retries=MAX_ATTEMPTS - 1,
    # The same schedule as backoff(), so each retry arrives when the row is due.
    retry_backoff=BACKOFF_BASE_SECONDS,
    retry_backoff_max=settings.CELERY_RETRY_BACKOFF_MAX,
    retry_jitter=False,
)
def send_outbound_email(self, email_id: int) -> bool:
    """Send one outbox e-mail; SMTP failures are retried with backoff, then the row is
    left FAILED for the admin's list of stuck messages."""
    return send_one(email_id, reraise=True)
