"""Sign-in events, to the ``cirs.auth`` log and the audit table (docs/security-checklist.md row 20).

Never written: passwords, codes, session ids. Only the username someone typed, which
the JSON log formatter escapes, so a CR/LF in it cannot forge a second line.
"""

from __future__ import annotations

import logging

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.audit import client_ip
from accounts.models import AuditEvent
from accounts.signin_methods import LOCAL, SESSION_KEY
from config.middleware import SessionTimeoutMiddleware

logger = logging.getLogger("cirs.auth")

# Long enough for any real username; stops the audit table filling with pasted text.
_USERNAME_LIMIT = 150


def record_auth_event(
    request: HttpRequest | None,
    *,
    action: str,
    user=None,
    event: str,
    message: str,
    level: int = logging.INFO,
    username: str = "",
) -> None:
    """One log record and one audit row for a sign-in event."""
    ip = client_ip(request) if request is not None else None
    request_id = getattr(request, "id", "") if request is not None else ""
    path = getattr(request, "path", "") if request is not None else ""
    username = username[:_USERNAME_LIMIT]
    logger.log(
        level,
        message,
        extra={
            "event": event,
            "user_id": getattr(user, "pk", None) or "",
            "username": username or (user.get_username() if user is not None else ""),
            "ip": ip or "",
        },
    )
    AuditEvent.objects.create(
        user=user,
        action=action,
        object_type="account",
        object_id=str(getattr(user, "pk", "") or ""),
        path=path[:300],
        ip=ip,
        request_id=request_id[:64],
        detail=message[:300],
    )


@receiver(user_logged_in, dispatch_uid="cirs_user_logged_in")
def on_logged_in(sender, request, user, **kwargs) -> None:
    method = getattr(request, "cirs_signin_method", LOCAL) if request is not None else LOCAL
    if request is not None and hasattr(request, "session"):
        SessionTimeoutMiddleware.start(request.session)
        # How this session began: single sign-on leaves the second step to the directory.
        request.session[SESSION_KEY] = method
    record_auth_event(
        request,
        action=AuditEvent.Action.LOGIN,
        user=user,
        event="login" if method == LOCAL else f"login_{method}",
        message="Signed in" if method == LOCAL else "Signed in with the council account",
    )


@receiver(user_logged_out, dispatch_uid="cirs_user_logged_out")
def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is None:
        return
    record_auth_event(
        request, action=AuditEvent.Action.LOGOUT, user=user, event="logout", message="Signed out"
    )


@receiver(user_login_failed, dispatch_uid="cirs_user_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked anything that looks like a password in ``credentials``;
    # only the username is read from it, never the rest.
    username = str(credentials.get(get_user_model().USERNAME_FIELD, "") or "")
    user = get_user_model().objects.filter(username=username).first() if username else None
    record_auth_event(
        request,
        action=AuditEvent.Action.LOGIN_FAILED,
        user=user,
        event="login_failed",
        message="Sign-in failed: username or password not accepted",
        level=logging.WARNING,
        username=username,
    )


@receiver(user_locked_out, dispatch_uid="cirs_user_locked_out")
def on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    username = str(username or "")
    user = get_user_model().objects.filter(username=username).first() if username else None
    record_auth_event(
        request,
        action=AuditEvent.Action.LOGIN_FAILED,
        user=user,
        event="locked_out",
        message="Sign-in paused after repeated failures",
        level=logging.WARNING,
        username=username,
    )


def record_otp_failure(request: HttpRequest, user) -> None:
    record_auth_event(
        request,
        action=AuditEvent.Action.LOGIN_FAILED,
        user=user,
        event="otp_failed",
        message="Second step failed: code not accepted",
        level=logging.WARNING,
    )


def record_otp_success(request: HttpRequest, user, *, enrolled: bool) -> None:
    record_auth_event(
        request,
        action=AuditEvent.Action.LOGIN,
        user=user,
        event="otp_enrolled" if enrolled else "otp_verified",
        message="Authenticator app set up and code accepted"
        if enrolled
        else "Second step passed: code accepted",
    )
