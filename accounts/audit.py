"""Read-audit: every view or download of a referral leaves a row (docs/service.md "Data":
"log who read or changed each referral")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from django.db.models import Q
from django.http import HttpRequest

from accounts.models import AuditEvent
from config.middleware import defer_write


def _write(request: HttpRequest, event: AuditEvent) -> AuditEvent:
    """A page that is read writes its row with the session, in one commit, on the way
    out (``config.middleware.SessionMiddleware``); anything else writes it now."""
    if not defer_write(request, event):
        event.save()
    return event


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: behind a proxy, gunicorn is told which header to trust.
    return request.META.get("REMOTE_ADDR") or None


def record_access(
    request: HttpRequest,
    *,
    action: str,
    object_type: str,
    object_id,
    detail: str = "",
) -> AuditEvent:
    user = request.user if request.user.is_authenticated else None
    event = AuditEvent(
        user=user,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        path=request.path[:300],
        ip=client_ip(request),
        request_id=getattr(request, "id", ""),
        detail=detail[:300],
    )
    return _write(request, event)


def record_list_view(
    request: HttpRequest,
    *,
    object_type: str,
    ids: Iterable,
    detail: str = "",
    action: str = AuditEvent.Action.VIEW,
    also: Mapping[str, Iterable] | None = None,
) -> AuditEvent:
    """One row for a list page, naming every object it showed (issue 14 point 5): a
    page of 50 names is one insert, whatever the number of rows.

    ``object_type`` and ``ids`` are what the page lists. A page that also shows objects
    of another kind (the pool's therapists and the cases whose therapist has leave
    coming) names those in ``also``; they are written as ``kind:id`` after the bare ids
    of the main kind, so ``showed`` finds a referral on any page that showed it."""
    tokens = [str(pk) for pk in ids]
    shown = len(tokens)
    for kind, more in (also or {}).items():
        extra = [f"{kind}:{pk}" for pk in more]
        tokens += extra
        shown += len(extra)
    user = request.user if request.user.is_authenticated else None
    event = AuditEvent(
        user=user,
        action=action,
        object_type=object_type,
        object_id=f"list of {shown}",
        object_ids=",".join(tokens),
        path=request.path[:300],
        ip=client_ip(request),
        request_id=getattr(request, "id", ""),
        detail=(detail or "list")[:300],
    )
    return _write(request, event)


def showed(object_type: str, pk) -> Q:
    """The audit rows of every page or download that showed this object: its own page
    (``object_id``), a list of its kind (a bare id in ``object_ids``) or a list of
    another kind that also showed it (``kind:id``). For "who has seen this referral"."""
    pk = str(pk)
    token = rf"(^|,){re.escape(pk)}(,|$)"
    typed = rf"(^|,){re.escape(object_type)}:{re.escape(pk)}(,|$)"
    shown = Q(action__in=[AuditEvent.Action.VIEW, AuditEvent.Action.DOWNLOAD])
    return shown & (
        Q(object_type=object_type, object_id=pk)
        | Q(object_type=object_type, object_ids__regex=token)
        | Q(object_ids__regex=typed)
    )
