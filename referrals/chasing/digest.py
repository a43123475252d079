"""The Monday digest: everything near or past its deadline, once per person per week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.roles import TRIAGE_ROLES, Role
from referrals import clocks, sla
from referrals.chasing import deadlines
from referrals.chasing.sweep import role_holders
from referrals.chasing.timing import send_at
from referrals.models import ClockDeadline, Referral
from referrals.notifications import notify

S = Referral.State


# --- the Monday digest -------------------------------------------------------------------


@dataclass(frozen=True)
class DigestItem:
    reference: str
    clock_label: str
    status: str
    due_at: datetime | None
    url: str
    provider_id: int | None


def _status_words(row: ClockDeadline, now: datetime) -> str | None:
    if row.limit_at is not None and now > row.limit_at:
        return "past its limit"
    if row.target_at is not None and now > row.target_at:
        return "past its target"
    if row.near_at is not None and now > row.near_at:
        return "close to its deadline"
    return None


def digest_items(*, now: datetime) -> list[DigestItem]:
    """Every running clock near or past its deadline, on every open referral: the stored
    deadlines whose near moment (or target, or limit) has passed, in one query."""
    today = timezone.localdate(now)
    rows = (
        ClockDeadline.objects.filter(deadlines.running(today))
        .filter(Q(near_at__lt=now) | Q(target_at__lt=now) | Q(limit_at__lt=now))
        .select_related("referral")
        .order_by("referral__submitted_at", "referral_id", "pk")
    )
    items = []
    for row in rows:
        referral = row.referral
        items.append(
            DigestItem(
                reference=referral.reference,
                clock_label=sla.LABELS[row.clock],
                status=_status_words(row, now),
                due_at=row.limit_at or row.target_at,
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
        sent += _send_digest(
            user,
            items,
            week_key,
            not_before,
            template="digest_triage",
            url=f"{reverse('referrals:board')}?clock_status=due",
        )
    coordinators = role_holders(Role.COORDINATOR).prefetch_related("coordinated_providers")
    for user in coordinators:
        providers = {p.pk for p in user.coordinated_providers.all()}
        own = [i for i in items if i.provider_id in providers]
        if own:
            sent += _send_digest(
                user,
                own,
                week_key,
                not_before,
                template="digest_provider",
                url=reverse("referrals:notifications"),
            )
    return sent


def _send_digest(user, items, week_key: str, not_before, *, template: str, url: str) -> int:
    with transaction.atomic():
        told = notify(
            [user],
            template=template,
            context={"items": items, "week": week_key},
            url=url,
            key=f"digest:{template}:{week_key}",
            not_before=not_before,
        )
    return int(told)
