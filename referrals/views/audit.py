"""The audit log, for the PSW and SMPE (docs/service.md "Who uses it")."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from accounts.models import AuditEvent
from referrals import permissions as perms


@login_required
@require_safe
def audit_log(request: HttpRequest) -> HttpResponse:
    perms.require(request.user, perms.can_see_audit_log)
    events = AuditEvent.objects.select_related("user")[:200]
    return render(request, "referrals/audit_log.html", {"events": events})


urlpatterns = [path("audit/", audit_log, name="audit_log")]
