"""Read-audit: every view or download of a referral leaves a row (docs/service.md "Data":
"log who read or changed each referral")."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import AuditEvent


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
    return AuditEvent.objects.create(
        user=user,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        path=request.path[:300],
        ip=client_ip(request),
        request_id=getattr(request, "id", ""),
        detail=detail[:300],
    )
