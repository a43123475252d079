"""Asking for a password reset (docs/security-checklist.md row 34).

- Equal work for a known and an unknown address: the request only records the ask and
  hands the address to a background task, which looks the account up and sends the
  e-mail. The request never touches the user table, so its time says nothing about
  whether the address has an account.
- Rate-limited per address and per network address (``CIRS_PASSWORD_RESET_PER_EMAIL``,
  ``CIRS_PASSWORD_RESET_PER_IP`` per hour), counted from the audit rows the asks leave.
  Past the address limit the page looks the same and nothing is sent; past the network
  limit the form says kindly to wait.
- Every ask is logged (``cirs.auth``) and audited, with a keyed hash of the address in
  place of the address itself.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.utils import timezone

from accounts.audit import client_ip
from accounts.forms import CirsPasswordResetForm
from accounts.models import AuditEvent
from accounts.signin_audit import record_auth_event
from accounts.tasks import send_password_reset_email

RESET_EVENT = "password reset requested"
TOO_MANY = (
    "Several password resets were asked for from here in the last hour. Please wait a "
    "little and try again, or ask the CIRS administrator for help."
)


def address_key(email: str) -> str:
    """A keyed hash of the address: the audit can count asks per address without
    holding the address itself."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), email.strip().lower().encode(), hashlib.sha256
    ).hexdigest()
    return digest[:40]


def _recent(**filters) -> int:
    since = timezone.now() - timedelta(hours=1)
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.PASSWORD_RESET, at__gte=since, **filters
    ).count()


class RateLimitedPasswordResetView(auth_views.PasswordResetView):
    form_class = CirsPasswordResetForm

    def form_valid(self, form):
        request = self.request
        email = form.cleaned_data["email"]
        key = address_key(email)
        ip = client_ip(request)
        if ip and _recent(ip=ip) >= settings.CIRS_PASSWORD_RESET_PER_IP:
            record_auth_event(
                request,
                action=AuditEvent.Action.PASSWORD_RESET,
                event="password_reset_limited_ip",
                message=f"{RESET_EVENT}: refused, too many from this address",
                level=logging.WARNING,
            )
            form.add_error("email", TOO_MANY)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        limited = _recent(object_id=key) >= settings.CIRS_PASSWORD_RESET_PER_EMAIL
        _record(request, key=key, limited=limited)
        if not limited:
            send_password_reset_email.delay(email)
        # The same page either way: it never says whether the address has an account.
        return super(auth_views.PasswordResetView, self).form_valid(form)


def _record(request, *, key: str, limited: bool) -> None:
    message = f"{RESET_EVENT}: not sent, limit for this address reached" if limited else RESET_EVENT
    logging.getLogger("cirs.auth").log(
        logging.WARNING if limited else logging.INFO,
        message,
        extra={"event": "password_reset", "ip": client_ip(request) or ""},
    )
    AuditEvent.objects.create(
        action=AuditEvent.Action.PASSWORD_RESET,
        object_type="password_reset",
        object_id=key,
        path=request.path[:300],
        ip=client_ip(request),
        request_id=getattr(request, "id", ""),
        detail=message,
    )
