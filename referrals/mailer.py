"""Sending what is in the outbox, once, with retries.

A row is claimed with a conditional UPDATE before sending, so two workers never send
the same e-mail; a failure puts it back with a later ``not_before`` (exponential
backoff) until ``MAX_ATTEMPTS``, then marks it failed and logs an alert.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from referrals.models import OutboundEmail, Referral

log = logging.getLogger("cirs.mailer")

MAX_ATTEMPTS = 5
SENDING = "sending"  # transient marker kept in last_error while a worker holds the row


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(settings.CELERY_RETRY_BACKOFF_MAX, 30 * 2 ** (attempts - 1)))


def send_one(email_id: int, *, now=None) -> bool:
    """Send one pending e-mail if it is due. Returns True when it went out."""
    now = now or timezone.now()
    claimed = OutboundEmail.objects.filter(
        pk=email_id, status=OutboundEmail.Status.PENDING, not_before__lte=now
    ).update(attempts=F("attempts") + 1, not_before=now + timedelta(minutes=15))
    if not claimed:
        return False
    email = OutboundEmail.objects.get(pk=email_id)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - SMTP, DNS, TLS: all retried the same way
        _failed(email, exc, now=now)
        return False
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def _failed(email: OutboundEmail, exc: Exception, *, now) -> None:
    error = f"{type(exc).__name__}: {exc}"[:1000]
    if email.attempts >= MAX_ATTEMPTS:
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=OutboundEmail.Status.FAILED, last_error=error
        )
        log.error(
            "e-mail could not be sent and needs attention",
            extra={"outbox_id": email.pk, "attempts": email.attempts, "error": error},
        )
        return
    OutboundEmail.objects.filter(pk=email.pk).update(
        last_error=error, not_before=now + _backoff(email.attempts)
    )
    log.warning(
        "e-mail send failed; will retry",
        extra={"outbox_id": email.pk, "attempts": email.attempts, "error": error},
    )


def flush(*, now=None, limit: int = 200) -> int:
    """Try every pending e-mail that is due. Returns how many went out."""
    now = now or timezone.now()
    due = OutboundEmail.objects.filter(
        status=OutboundEmail.Status.PENDING, not_before__lte=now
    ).values_list("pk", flat=True)[:limit]
    return sum(send_one(pk, now=now) for pk in list(due))


@transaction.atomic
def send_closure_summary(referral_id: int) -> None:
    """Freeze the summary text and send it to the line manager (with the notice that
    support has ended) and a copy to the staff member. Idempotent: the outbox
    ``dedupe_key`` makes a second run queue nothing."""
    from referrals.notifications import notify, queue_email, render_email
    from referrals.summaries import summary_text

    referral = (
        Referral.objects.select_for_update()
        .select_related("closure_summary", "line_manager", "staff_user", "created_by")
        .get(pk=referral_id)
    )
    summary = referral.closure_summary
    if not summary.text:
        summary.text = summary_text(referral)
        summary.sent_at = timezone.now()
        summary.save(update_fields=["text", "sent_at"])
    context = {"referral": referral, "summary_text": summary.text}
    url = f"/referrals/{referral.pk}/"
    managers = {u.pk: u for u in [referral.line_manager, referral.created_by] if u}
    notify(
        managers.values(),
        template="support_ended_manager",
        referral=referral,
        event="summary",
        context=context,
        url=url,
    )
    if referral.staff_user is not None:
        notify(
            [referral.staff_user],
            template="support_ended_staff",
            referral=referral,
            event="summary",
            context=context,
            url=url,
        )
    elif referral.staff_email:
        subject, text, html = render_email(
            "support_ended_staff",
            {**context, "url": settings.SITE_URL, "service_name": settings.CIRS_SERVICE_NAME},
        )
        queue_email(
            to=referral.staff_email,
            subject=subject,
            text=text,
            html=html,
            dedupe_key=f"summary:{referral.pk}:staff",
        )
    # The manager's own e-mail from Appendix 1, when they have no account.
    if referral.line_manager is None and referral.line_manager_email:
        subject, text, html = render_email(
            "support_ended_manager",
            {**context, "url": settings.SITE_URL, "service_name": settings.CIRS_SERVICE_NAME},
        )
        queue_email(
            to=referral.line_manager_email,
            subject=subject,
            text=text,
            html=html,
            dedupe_key=f"summary:{referral.pk}:manager",
        )
