"""The Monday digest: everything near or past its deadline, once per person per week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.roles import TRIAGE_ROLES, Role
from referrals import clocks, sla
from referrals.chasing.sweep import role_holders
from referrals.chasing.timing import send_at
from referrals.models import Referral
from referrals.notifications import notify

S = Referral.State


# --- the Monday digest -------------------------------------------------------------------

_DIGEST_STATUS = {
    clocks.ClockStatus.NEAR: "close to its deadline",
    clocks.ClockStatus.TARGET_MISSED: "past its target",
    clocks.ClockStatus.BREACHED: "past its limit",
}


@dataclass(frozen=True)
class DigestItem:
    reference: str
    clock_label: str
    status: str
    due_at: datetime | None
    url: str
    provider_id: int | None


def digest_items(*, now: datetime) -> list[DigestItem]:
    """Every running clock near or past its deadline, on every open referral."""
    referrals = (
        Referral.objects.open()
        .filter(submitted_at__isnull=False)
        .exclude(state__in=[S.DRAFT, S.MORE_INFO])
        .prefetch_related("reviews", "key_dates")
        .order_by("submitted_at", "pk")
    )
    items = []
    for referral in referrals:
        for reading in sla.running_clocks(referral, now=now):
            if reading.status not in _DIGEST_STATUS:
                continue
            items.append(
                DigestItem(
                    reference=referral.reference,
                    clock_label=reading.label,
                    status=_DIGEST_STATUS[reading.status],
                    due_at=reading.deadline.limit_at or reading.deadline.target_at,
                    url=f"{settings.SITE_URL}{reverse('referrals:detail', args=[referral.pk])}",
                    provider_id=referral.provider_id
                    if referral.state in Referral.PROVIDER_STATES
                    else None,
                )
            )
    return items


def send_weekly_digest(*, now: datetime | None = None) -> int:
    """Monday morning: the PSW and SMPE hear of everything near or past its limit; each
    provider coordinator of their provider's cases. Nothing is sent to someone with
    nothing to hear about. Once per person per ISO week."""
    now = now or timezone.now()
    items = digest_items(now=now)
    if not items:
        return 0
    year, week, _ = timezone.localdate(now, clocks.WORKING_TIME_ZONE).isocalendar()
    week_key = f"{year}-W{week:02d}"
    not_before = send_at(now)
    sent = 0
    for user in role_holders(*TRIAGE_ROLES):
        sent += _send_digest(user, items, week_key, not_before, template="digest_triage")
    coordinators = role_holders(Role.COORDINATOR).prefetch_related("coordinated_providers")
    for user in coordinators:
        providers = {p.pk for p in user.coordinated_providers.all()}
        own = [i for i in items if i.provider_id in providers]
        if own:
            sent += _send_digest(user, own, week_key, not_before, template="digest_provider")
    return sent


def _send_digest(user, items, week_key: str, not_before, *, template: str) -> int:
    with transaction.atomic():
        told = notify(
            [user],
            template=template,
            context={"items": items, "week": week_key},
            url=reverse("referrals:notifications"),
            key=f"digest:{template}:{week_key}",
            not_before=not_before,
        )
    return int(told)
