"""E-mails that could not be delivered: the PSW and SMPE try them again from CIRS."""

from __future__ import annotations

from django.db import transaction

from accounts.models import AuditEvent
from referrals import mailer
from referrals.models import OutboundEmail
from referrals.permissions import is_triager, require
from referrals.services.core import RuleRefused

ALREADY_SENT = "This e-mail has gone out since the page was opened, so there is nothing to do."


@transaction.atomic
def retry_undelivered_email(*, email_id: int, by) -> OutboundEmail:
    """Make one undelivered e-mail due now, with a fresh set of attempts, and hand it
    to a worker once this commits. Audited. Raises ``OutboundEmail.DoesNotExist`` for an
    unknown id and ``RuleRefused`` when it is no longer waiting."""
    require(by, is_triager)
    email = OutboundEmail.objects.select_for_update().get(pk=email_id)
    if not mailer.stuck().filter(pk=email.pk).exists():
        raise RuleRefused(ALREADY_SENT)
    mailer.retry_now([email.pk])
    AuditEvent.objects.create(
        user=by,
        action=AuditEvent.Action.CHANGE,
        object_type="outbound_email",
        object_id=str(email.pk),
        detail="retry",
    )
    email.refresh_from_db()
    return email
