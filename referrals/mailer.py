"""Sending what is in the outbox, once, with retries; and the notices that must be
queued exactly once (chases, digests, the closure summary).

A row is claimed by locking it (``SELECT ... FOR UPDATE SKIP LOCKED``) in a
transaction that lasts until the result is written, so two live workers never send the
same e-mail at once. The claim lives only as long as the sender: a worker killed
mid-send drops its database connection, the claim goes with it, and the redelivered
task (``acks_late`` + ``task_reject_on_worker_lost``) sends the e-mail at once instead
of after a lease (SECURITY-CHECKLIST #25). A sender that hangs loses its claim after
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

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from referrals.models import Notification, OutboundEmail, Referral

log = logging.getLogger("cirs.mailer")

MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 30
# The longest a sender may hold its claim without a word to the database (PostgreSQL
# then ends its session). Longer than any SMTP timeout, far shorter than the broker's
# visibility timeout (SECURITY-CHECKLIST #26).
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
    return message


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
    from referrals.notifications import enqueue_on_commit
    from referrals.tasks import send_outbound_email

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


# --- notices queued exactly once -------------------------------------------------------


def tell_once(
    user,
    *,
    template: str,
    context: dict,
    dedupe_key: str,
    referral: Referral | None = None,
    url: str = "",
    not_before=None,
    to: str | None = None,
) -> bool:
    """Queue one e-mail (``templates/emails/<template>_*``) and, for a user, its twin
    in-app notice. A second call with the same ``dedupe_key`` does nothing and returns
    False. ``to`` sends to an address with no account (no in-app notice then)."""
    from referrals.notifications import queue_email, render_email

    ctx = {
        **context,
        "user": user,
        "referral": referral,
        "url": f"{settings.SITE_URL}{url}" if url else settings.SITE_URL,
        "service_name": settings.CIRS_SERVICE_NAME,
    }
    subject, text, html = render_email(template, ctx)
    address = to or getattr(user, "email", "")
    queued = queue_email(
        to=address,
        user=user,
        subject=subject,
        text=text,
        html=html,
        dedupe_key=dedupe_key,
        not_before=not_before,
    )
    if address and queued is None:
        return False
    if user is not None:
        Notification.objects.create(
            user=user, referral=referral, subject=subject, body=text.strip()[:2000], url=url
        )
    return True


@transaction.atomic
def send_closure_summary(referral_id: int) -> int:
    """SERVICE.md step 11: freeze the anonymised summary and send it to the line manager
    with the notice that support has ended, and the same copy to the staff member.

    Idempotent: the text is frozen once, and each recipient's outbox ``dedupe_key``
    makes a second run queue nothing. Returns how many people were told."""
    from referrals.summaries import summary_text

    # Lock the row, then read it with its people in a fresh statement (a locking read
    # that waited would keep the joined rows it saw before the wait).
    Referral.objects.select_for_update().filter(pk=referral_id).values_list("pk").get()
    referral = Referral.objects.select_related("line_manager", "staff_user", "created_by").get(
        pk=referral_id
    )
    summary = getattr(referral, "closure_summary", None)
    if referral.state != Referral.State.CLOSED or summary is None:
        log.warning(
            "closure summary not sent: referral is not closed", extra={"referral": referral.pk}
        )
        return 0
    if referral.personal_data_erased_at is not None:
        return 0
    if not summary.text:
        summary.text = summary_text(referral)
        summary.sent_at = timezone.now()
        summary.save(update_fields=["text", "sent_at"])
    context = {"summary_text": summary.text}
    url = reverse("referrals:detail", args=[referral.pk])
    told = 0
    managers = {u.pk: u for u in [referral.line_manager, referral.created_by] if u and u.is_active}
    for user in managers.values():
        told += tell_once(
            user,
            template="support_ended_manager",
            referral=referral,
            context=context,
            url=url,
            dedupe_key=f"summary:{referral.pk}:manager:{user.pk}",
        )
    # The manager's own e-mail from Appendix 1, when they have no account.
    if not managers and referral.line_manager_email:
        told += tell_once(
            None,
            to=referral.line_manager_email,
            template="support_ended_manager",
            referral=referral,
            context=context,
            dedupe_key=f"summary:{referral.pk}:manager:address",
        )
    staff = referral.staff_user
    if staff is not None and staff.is_active and staff.pk not in managers:
        told += tell_once(
            staff,
            template="support_ended_staff",
            referral=referral,
            context=context,
            url=reverse("referrals:own"),
            dedupe_key=f"summary:{referral.pk}:staff:{staff.pk}",
        )
    elif staff is None and referral.staff_email:
        told += tell_once(
            None,
            to=referral.staff_email,
            template="support_ended_staff",
            referral=referral,
            context=context,
            dedupe_key=f"summary:{referral.pk}:staff:address",
        )
    from reporting.evaluation import invite_to_evaluation  # the questionnaire (issue 7)

    invite_to_evaluation(referral)
    return told
