"""Reads. ``referrals_visible_to`` is the only way a view fetches referrals."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest

from accounts.audit import record_access
from accounts.models import AuditEvent
from referrals.models import ClosureSummary, ExtensionRequest, Referral, TransitionLog


def referrals_visible_to(user):
    return Referral.objects.visible_to(user)


def providers() -> QuerySet:
    """The providers a referral may be sent to. ``referrals`` knows a provider only as
    the target of ``Referral.provider``: the ``therapists`` app, which owns the model,
    sits above ``referrals`` (docs/architecture.md), so the model is read from the field."""
    return Referral._meta.get_field("provider").related_model.objects.all()


def extension_requests_visible_to(user) -> QuerySet[ExtensionRequest]:
    """Extension requests on referrals ``user`` may see (``referrals_visible_to``): the
    PSW and SMPE "approve extensions and exceptional sessions"."""
    return ExtensionRequest.objects.filter(referral__in=referrals_visible_to(user))


def closure_summary_for(referral: Referral) -> ClosureSummary | None:
    """The closure summary of a referral already fetched with ``get_referral_for_user``,
    or None while the therapist has not written one."""
    return ClosureSummary.objects.filter(referral=referral).first()


def transitions_prefetch() -> Prefetch:
    """A referral's transitions in order, for a queryset built on ``referrals_visible_to``
    ("every transition records who did it and when")."""
    return Prefetch(
        "transitions", queryset=TransitionLog.objects.select_related("by").order_by("at", "pk")
    )


def get_referral_for_user(
    request: HttpRequest, referral_id: int, *, queryset=None, audit=True
) -> Referral:
    """Fetch one referral the user may see, and record the read. Someone else's
    referral is a 404 (never a 403, which would say it exists), and is audited as
    a refused access."""
    qs = queryset if queryset is not None else referrals_visible_to(request.user)
    try:
        referral = qs.select_related(
            "incident", "incident__team", "provider", "therapist__user"
        ).get(pk=referral_id)
    except Referral.DoesNotExist:
        record_access(
            request, action=AuditEvent.Action.DENIED, object_type="referral", object_id=referral_id
        )
        raise Http404("No referral here") from None
    if audit:
        record_access(
            request, action=AuditEvent.Action.VIEW, object_type="referral", object_id=referral.pk
        )
    return referral
