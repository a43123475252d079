"""The audit log, for the PSW and SMPE (docs/service.md "Who uses it")."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from accounts.audit import record_list_view
from accounts.models import AuditEvent
from referrals import permissions as perms
from referrals.paging import paginate


@login_required
@require_safe
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every audited event, newest first, 50 to a page; the kind of event is a filter
    kept in the page links."""
    perms.require(request.user, perms.can_see_audit_log)
    events = AuditEvent.objects.select_related("user").order_by("-at", "-pk")
    action = request.GET.get("action", "")
    if action in AuditEvent.Action.values:
        events = events.filter(action=action)
    else:
        action = ""
    page = paginate(request, events)
    # It names who looked at what: reading it is audited too (this row shows on the next
    # page load, not on this one).
    record_list_view(
        request,
        object_type="audit_event",
        ids=[e.pk for e in page.rows],
        also={"user": sorted({e.user_id for e in page.rows if e.user_id})},
        detail=f"audit log; kind: {action or 'all'}",
    )
    return render(
        request,
        "referrals/audit_log.html",
        {"events": page.rows, "page": page, "actions": AuditEvent.Action.choices, "action": action},
    )


urlpatterns = [path("audit/", audit_log, name="audit_log")]
