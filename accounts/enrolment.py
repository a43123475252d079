"""Setting up and replacing the authenticator app, bound to its owner
(docs/security-checklist.md row 29).

- The first set-up needs a one-time link (``EnrolmentLink``): e-mailed to the account's own
  address on request, or issued by an administrator. Redeeming it marks only the session
  that opened it as allowed to set up.
- The secret is made for the session that shows it and kept in that session, never in
  the database until a code from it is entered; each visit makes a new one. A second
  browser signed in with the same password sees a different secret, or none at all.
- A confirmed device is replaced only within ``CIRS_MFA_FRESH_MINUTES`` of a sign-in
  completed with a code, or after an administrator's reset (which also sends a link).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, EnrolmentLink

SESSION_ALLOWED = "cirs_mfa_enrol_user"
SESSION_KEY = "cirs_mfa_enrol_key"
SESSION_VERIFIED_AT = "cirs_mfa_verified_at"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(user, *, by=None) -> str:
    """A new one-time set-up link for ``user``; returns its path. Older unused links of
    the same account stop working, so only the newest one counts."""
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        EnrolmentLink.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        EnrolmentLink.objects.create(
            user=user,
            token_hash=_hash(token),
            issued_by=by,
            expires_at=now + timedelta(hours=settings.CIRS_MFA_ENROLMENT_LINK_HOURS),
        )
        AuditEvent.objects.create(
            user=by or user,
            action=AuditEvent.Action.CHANGE,
            object_type="account",
            object_id=str(user.pk),
            detail="authenticator set-up link issued" + (" by an administrator" if by else ""),
        )
    return reverse("otp_enrol_link", args=[token])


def recently_sent(user) -> bool:
    """A link went out in the last few minutes: asking again sends nothing more."""
    since = timezone.now() - timedelta(minutes=settings.CIRS_MFA_ENROLMENT_RESEND_MINUTES)
    return EnrolmentLink.objects.filter(
        user=user, issued_by__isnull=True, created_at__gte=since
    ).exists()


def send_link(user, *, by=None) -> bool:
    """E-mail a set-up link to the account's own address. Returns False when the
    account has no address (an administrator must then hand the link over)."""
    if not user.email:
        return False
    path = issue_link(user, by=by)
    context = {
        "user": user,
        "url": f"{settings.SITE_URL}{path}",
        "hours": settings.CIRS_MFA_ENROLMENT_LINK_HOURS,
        "service_name": settings.CIRS_SERVICE_NAME,
    }
    subject = render_to_string("registration/otp_enrol_link_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        " ".join(subject.split()),
        render_to_string("registration/otp_enrol_link_email.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("registration/otp_enrol_link_email.html", context), "text/html"
    )
    message.send()
    return True


def redeem(token: str, *, user, session: SessionBase) -> bool:
    """Use a link once, for its own account, before it expires; the session that opened
    it may then set up. Returns whether it worked."""
    now = timezone.now()
    with transaction.atomic():
        updated = EnrolmentLink.objects.filter(
            token_hash=_hash(token), user=user, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
    if updated:
        session[SESSION_ALLOWED] = user.pk
    return bool(updated)


def reset_devices(user, *, by) -> None:
    """An administrator's reset: every device goes, and the person needs a new link."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        AuditEvent.objects.create(
            user=by,
            action=AuditEvent.Action.CHANGE,
            object_type="account",
            object_id=str(user.pk),
            detail="authenticator reset by an administrator",
        )


def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def mark_verified(session: SessionBase) -> None:
    session[SESSION_VERIFIED_AT] = int(time.time())


def freshly_verified(user, session: SessionBase) -> bool:
    at = session.get(SESSION_VERIFIED_AT)
    return (
        user.is_verified()
        and at is not None
        and time.time() - at <= settings.CIRS_MFA_FRESH_MINUTES * 60
    )


def may_set_up(user, session: SessionBase) -> bool:
    """First set-up: this session redeemed a link for this account. Replacing a
    confirmed device: this session signed in with a code a few minutes ago."""
    if has_confirmed_device(user):
        return freshly_verified(user, session)
    return session.get(SESSION_ALLOWED) == user.pk


def new_secret(user, session: SessionBase) -> TOTPDevice:
    """A fresh secret for this session, shown once: an unsaved device to draw it."""
    device = TOTPDevice(user=user, name="Authenticator app", confirmed=False)
    session[SESSION_KEY] = device.key
    return device


def confirm(user, session: SessionBase, token: str) -> TOTPDevice | None:
    """Check a code against this session's secret; on success the device is saved,
    confirmed, replacing any earlier one, and the session's permission is spent."""
    key = session.get(SESSION_KEY)
    if not key or not token.isdigit():
        return None
    device = TOTPDevice(user=user, name="Authenticator app", key=key, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not totp.verify(int(token), device.tolerance):
        return None
    device.last_t = totp.t()
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        device.save()
    session.pop(SESSION_KEY, None)
    session.pop(SESSION_ALLOWED, None)
    return device
