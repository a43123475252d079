"""Erasing personal data after the retention period (docs/service.md, "Data": "erase personal
fields after a configurable retention period after closure while keeping the anonymous
figures").

A referral that ended (closed, declined or withdrawn) more than
``settings.CIRS_RETENTION_DAYS`` days ago has every free-text and contact field blanked
— on the referral, its incident (once no referral of that incident still needs it),
its sessions, information requests, reviews, extension requests, reallocation
reasons, key dates, closure summary, transition notes, in-app notices, the summary
e-mails kept in the outbox and the evaluation questionnaire's free comment — and its
links to the staff member's account (on the referral and on their questionnaire
answers) removed. States, dates, counts, categories, teams, exit pathways, the
questionnaire's ratings and the transition log's who-and-when survive, so the
monitoring figures do not change. ``personal_data_erased_at`` is set and an
``erase`` audit row written. Running it again changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import AuditEvent
from referrals.models import (
    Allocation,
    ClosureSummary,
    CriticalIncident,
    ExtensionRequest,
    InformationRequest,
    KeyDate,
    Notification,
    OutboundEmail,
    Referral,
    Review,
    TherapySession,
    TransitionLog,
)
from referrals.signals import personal_data_erased

S = Referral.State

# Blanked on the referral itself.
REFERRAL_FIELDS = (
    "staff_name",
    "staff_phone",
    "staff_email",
    "line_manager_name",
    "line_manager_phone",
    "line_manager_email",
    "event_details",
    "team_input_details",
    "decline_reason",
    "signposting",
    "withdrawal_reason",
)


def expired(*, now=None):
    """Referrals that ended more than the retention period ago and still hold personal data."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CIRS_RETENTION_DAYS)
    return Referral.objects.filter(
        Q(state=S.CLOSED, closed_at__lt=cutoff)
        | Q(state=S.DECLINED, decided_at__lt=cutoff)
        | Q(state=S.WITHDRAWN, withdrawn_at__lt=cutoff),
        personal_data_erased_at__isnull=True,
    )


@transaction.atomic
def erase_expired_personal_data(*, now=None) -> int:
    """Blank the personal fields of every expired referral; returns how many."""
    now = now or timezone.now()
    ids = list(
        expired(now=now).select_for_update().order_by("pk").values_list("pk", flat=True)
    )  # in one order, so two runs queue instead of deadlocking
    if not ids:
        return 0
    Referral.objects.filter(pk__in=ids).update(
        **dict.fromkeys(REFERRAL_FIELDS, ""), staff_user=None, personal_data_erased_at=now
    )
    TherapySession.objects.filter(referral_id__in=ids).update(
        therapist_notes="", cancellation_reason=""
    )
    InformationRequest.objects.filter(referral_id__in=ids).update(question="", answer="")
    Review.objects.filter(referral_id__in=ids).update(reason="")
    ExtensionRequest.objects.filter(referral_id__in=ids).update(reason="", decision_note="")
    Allocation.objects.filter(referral_id__in=ids).update(reason="")
    # Other apps blank what they hold (the questionnaire's free comment, reporting).
    personal_data_erased.send(sender=Referral, referral_ids=ids, now=now)
    KeyDate.objects.filter(referral_id__in=ids).update(label="")
    ClosureSummary.objects.filter(referral_id__in=ids).update(comments="", text="")
    TransitionLog.objects.filter(referral_id__in=ids).update(note="")
    Notification.objects.filter(referral_id__in=ids).update(body="")
    summary_mail = Q()
    for pk in ids:
        summary_mail |= Q(dedupe_key__startswith=f"summary:{pk}:")
    OutboundEmail.objects.filter(summary_mail).update(body_text="", body_html="")
    # An incident is described once for everyone referred after it: blank it when no
    # referral of that incident still holds personal data.
    CriticalIncident.objects.filter(referrals__pk__in=ids).exclude(
        referrals__personal_data_erased_at__isnull=True
    ).update(description="")
    # One by one, through the model: each row is also streamed to the audit log
    # (``AuditEvent.save``), which bulk_create would skip.
    for pk in ids:
        AuditEvent.objects.create(
            at=now,
            action=AuditEvent.Action.ERASE,
            object_type="referral",
            object_id=str(pk),
            detail="personal data erased after the retention period",
        )
    return len(ids)
