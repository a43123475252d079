"""Erasing personal data after the retention period (docs/service.md, "Data": "erase personal
fields after a configurable retention period after closure while keeping the anonymous
figures").

A referral that ended (closed, declined or withdrawn) more than
``settings.CIRS_RETENTION_DAYS`` days ago has every free-text and contact field blanked
— on the referral, its incident (once no referral of that incident still needs it),
its sessions, sessions booked ahead (place and link), information requests, reviews,
extension requests, reallocation reasons, key dates, closure summary (with who
follows up the key dates), transition notes and the evaluation questionnaire's free
comment — and its links to the staff member's account (on the referral and on their
questionnaire answers) removed. The in-app notices and the outbox e-mails about it are
deleted, those undelivered and the calendar invitations included: they say who was
told what about which referral. So are the notices that name it only in their text
(the Monday digest lists several referrals and has no link to any one): found by the
referral's reference or a link to any of its pages. States, dates, counts,
categories, teams, exit pathways, the questionnaire's ratings and the transition
log's who-and-when survive, so the monitoring figures do not change. An erased
referral's clocks stop (nothing is chased or listed in a digest about it again).
``personal_data_erased_at`` is set and an ``erase`` audit row written. Running it
again changes nothing.

Referrals that never ended (stalled: sent but never closed, declined or withdrawn) are
erased the same way after the same period, counted from their last activity
(``Referral.last_activity_at``). Drafts never sent are deleted outright
``CIRS_DRAFT_RETENTION_DAYS`` days after their last activity (``erase_stale_drafts``):
they count in no figure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import AuditEvent
from referrals.chasing.deadlines import refresh_deadlines
from referrals.models import (
    Allocation,
    ClosureSummary,
    CriticalIncident,
    ExtensionRequest,
    InformationRequest,
    KeyDate,
    Notification,
    OutboundEmail,
    PlannedSession,
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
    stalled = Q(last_activity_at__lt=cutoff) & ~Q(
        state__in=[S.DRAFT, S.CLOSED, S.DECLINED, S.WITHDRAWN]
    )
    return Referral.objects.filter(
        Q(state=S.CLOSED, closed_at__lt=cutoff)
        | Q(state=S.DECLINED, decided_at__lt=cutoff)
        | Q(state=S.WITHDRAWN, withdrawn_at__lt=cutoff)
        | stalled,
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
    PlannedSession.objects.filter(referral_id__in=ids).update(place="", link="")
    ClosureSummary.objects.filter(referral_id__in=ids).update(
        comments="", text="", key_date_follow_up=""
    )
    TransitionLog.objects.filter(referral_id__in=ids).update(note="")
    _delete_notices(ids)
    refresh_deadlines(ids, now=now)  # erased: no clock runs on them any more
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


def _delete_notices(ids: list[int]) -> None:
    """The in-app notices and the e-mails about these referrals: each ties a person to
    a referral. E-mails queued before the outbox knew its referral are found by their
    key (``<event>:<referral id>:...``); notices that name a referral only in their text
    (the Monday digest) by its reference or a link to one of its pages."""
    Notification.objects.filter(referral_id__in=ids).delete()
    keyed = rf"^[a-z_]+:({'|'.join(str(pk) for pk in ids)}):"
    OutboundEmail.objects.filter(Q(referral_id__in=ids) | Q(dedupe_key__regex=keyed)).delete()
    for chunk in _chunks(ids, MENTION_BATCH):
        mention = mention_pattern(chunk)
        Notification.objects.filter(_any_field(("subject", "body", "url"), mention)).delete()
        OutboundEmail.objects.filter(
            _any_field(("subject", "body_text", "body_html", "attachment"), mention)
        ).delete()


# Referrals per text search: keeps each pattern short enough for the database.
MENTION_BATCH = 200


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _any_field(fields: tuple[str, ...], pattern: str) -> Q:
    query = Q()
    for field in fields:
        query |= Q(**{f"{field}__regex": pattern})
    return query


def referral_page_prefixes() -> list[str]:
    """The start of every URL of the project that names a referral by its id, up to the
    id: ``referrals/``, ``providers/cases/``, ``monitoring/evaluation/`` and so on, read
    from the URL configuration so a new page is covered without a change here."""
    found: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and "<int:referral_id>" in route:
                found.add(route.split("<int:referral_id>")[0])

    walk(get_resolver().url_patterns, "")
    return sorted(found)


def mention_pattern(ids: list[int]) -> str:
    """A pattern (the same in PostgreSQL and SQLite) for text that names one of these
    referrals: its reference not followed by another digit, or a link to one of its
    pages."""
    references = "|".join(re.escape(Referral(pk=pk).reference) for pk in ids)
    numbers = "|".join(str(pk) for pk in ids)
    pages = "|".join(re.escape(p) for p in referral_page_prefixes())
    return rf"({references})([^0-9]|$)|/({pages})({numbers})/"


def stale_drafts(*, now=None):
    """Drafts never sent whose last activity is older than ``CIRS_DRAFT_RETENTION_DAYS``."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CIRS_DRAFT_RETENTION_DAYS)
    return Referral.objects.filter(state=S.DRAFT, last_activity_at__lt=cutoff)


@transaction.atomic
def erase_stale_drafts(*, now=None) -> int:
    """Delete every stale draft with its incident (when no other referral shares it) and
    its notices; an ``erase`` audit row says so. Returns how many."""
    now = now or timezone.now()
    ids = list(
        stale_drafts(now=now).select_for_update().order_by("pk").values_list("pk", flat=True)
    )
    if not ids:
        return 0
    incident_ids = set(Referral.objects.filter(pk__in=ids).values_list("incident_id", flat=True))
    _delete_notices(ids)
    Referral.objects.filter(pk__in=ids).delete()
    CriticalIncident.objects.filter(pk__in=incident_ids, referrals__isnull=True).delete()
    for pk in ids:
        AuditEvent.objects.create(
            at=now,
            action=AuditEvent.Action.ERASE,
            object_type="referral",
            object_id=str(pk),
            detail=f"draft never sent, deleted {settings.CIRS_DRAFT_RETENTION_DAYS} days "
            "after its last change",
        )
    return len(ids)
