"""E-mails that could not be delivered, for the PSW and SMPE, with "try again"
(until now only the admin's "Stuck messages" list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.audit import record_list_view
from accounts.roles import Role
from referrals import mailer, services
from referrals import permissions as perms
from referrals.models import OutboundEmail
from referrals.paging import paginate

NOT_IN_LIST = "That e-mail is no longer in the list. Here is the latest list."
ROLE_LABELS = dict(Role.choices)


@dataclass(frozen=True)
class UndeliveredRow:
    pk: int
    subject: str
    recipient: str
    role: str
    queued_at: datetime
    attempts: int
    failed: bool
    problem: str


def _recipient(email: OutboundEmail) -> tuple[str, str]:
    """Who it was for: the person and their role, or the address of someone with no
    CIRS account (a line manager or staff member named on Appendix 1)."""
    if email.user is None:
        return email.to, "No CIRS account"
    roles = [ROLE_LABELS[g.name] for g in email.user.groups.all() if g.name in ROLE_LABELS]
    return str(email.user), ", ".join(sorted(roles)) or "Staff member"


def _row(email: OutboundEmail) -> UndeliveredRow:
    recipient, role = _recipient(email)
    return UndeliveredRow(
        pk=email.pk,
        subject=email.subject,
        recipient=recipient,
        role=role,
        queued_at=email.created_at,
        attempts=email.attempts,
        failed=email.status == OutboundEmail.Status.FAILED,
        problem=mailer.plain_error(email),
    )


def undelivered_emails_query():
    """Failed first, then the oldest: the ones waiting longest matter most."""
    failed_first = Case(
        When(status=OutboundEmail.Status.FAILED, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        mailer.stuck()
        .select_related("user")
        .prefetch_related(Prefetch("user__groups"))
        .order_by(failed_first, "created_at", "pk")
    )


@login_required
@require_safe
def undelivered_emails(request: HttpRequest) -> HttpResponse:
    perms.require(request.user, perms.is_triager)
    page = paginate(request, undelivered_emails_query())
    rows = [_row(email) for email in page.rows]
    record_list_view(
        request,
        object_type="outbound_email",
        ids=[email.pk for email in page.rows],
        also={
            "referral": sorted({e.referral_id for e in page.rows if e.referral_id}),
            "user": sorted({e.user_id for e in page.rows if e.user_id}),
        },
        detail="undelivered e-mails",
    )
    return render(request, "referrals/undelivered_emails.html", {"page": page, "rows": rows})


@login_required
@require_POST
def retry_email(request: HttpRequest) -> HttpResponse:
    perms.require(request.user, perms.is_triager)
    try:
        email_id = int(request.POST.get("email", ""))
        email = services.retry_undelivered_email(email_id=email_id, by=request.user)
    except (ValueError, OutboundEmail.DoesNotExist):
        messages.info(request, NOT_IN_LIST)
    except services.RuleRefused as exc:
        messages.info(request, str(exc))
    else:
        messages.success(
            request,
            f"“{email.subject}” will be sent again now. If it still cannot go, it will come "
            "back to this list.",
        )
    page = request.POST.get("page", "")
    url = reverse("referrals:undelivered_emails")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


urlpatterns = [
    path("undelivered-emails/", undelivered_emails, name="undelivered_emails"),
    path("undelivered-emails/try-again/", retry_email, name="retry_email"),
]
