"""Read-audit: every view or download of a referral leaves a row (docs/service.md "Data":
"log who read or changed each referral")."""

from __future__ import annotations

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
    request: HttpRequest, *, object_type: str, ids, detail: str = ""
) -> AuditEvent:
    """One row for a list page, naming every object it showed (issue 14 point 5): a
    page of 50 names is one insert, whatever the number of rows."""
    ids = [str(pk) for pk in ids]
    user = request.user if request.user.is_authenticated else None
    event = AuditEvent(
        user=user,
        action=AuditEvent.Action.VIEW,
        object_type=object_type,
        object_id=f"list of {len(ids)}",
        object_ids=",".join(ids),
        path=request.path[:300],
        ip=client_ip(request),
        request_id=getattr(request, "id", ""),
        detail=(detail or "list")[:300],
    )
    return _write(request, event)
