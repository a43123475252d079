"""Who signs in and what they did: the custom user (roles as groups found by a stable
code) and the append-only audit of sign-ins, reads and changes (docs/service.md, "Data")."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from accounts.roles import Role
from accounts.validators import validate_name
from config.writes import insert_new

audit_stream = logging.getLogger("cirs.audit")


class User(AbstractUser):
    """Everyone who signs in. Roles are groups named by the role's stable code
    (``accounts.roles.Role``), never by its display label."""

    first_name = models.CharField(
        "first name", max_length=150, blank=True, validators=[validate_name]
    )
    last_name = models.CharField(
        "last name", max_length=150, blank=True, validators=[validate_name]
    )
    phone = models.CharField("telephone", max_length=40, blank=True)

    class Meta:
        ordering = ["first_name", "last_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def roles(self) -> frozenset[str]:
        """The user's roles, read once per request (the groups are cached on the object)."""
        cached = getattr(self, "_cirs_roles", None)
        if cached is None:
            names = self.groups.values_list("name", flat=True) if self.pk else []
            cached = frozenset(Role(name) for name in names if name in Role.values)
            self._cirs_roles = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @classmethod
    def load_roles(cls, users) -> None:
        """Read the roles of many users in one query (``roles`` then asks nothing)."""
        waiting: dict[int, list] = {}
        for user in users:
            if user.pk and getattr(user, "_cirs_roles", None) is None:
                waiting.setdefault(user.pk, []).append(user)
        if not waiting:
            return
        names: dict[int, set[str]] = {pk: set() for pk in waiting}
        for user_id, name in cls.groups.through.objects.filter(
            user_id__in=list(waiting)
        ).values_list("user_id", "group__name"):
            names[user_id].add(name)
        for pk, same_person in waiting.items():
            roles = frozenset(Role(n) for n in names[pk] if n in Role.values)
            for user in same_person:
                user._cirs_roles = roles


class AuditEvent(models.Model):
    """Append-only record of who read or changed what (docs/service.md "Data": "log who read
    or changed each referral"). Updates and deletes are refused here and, on
    PostgreSQL, by a trigger."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        DOWNLOAD = "download", "Downloaded"
        CHANGE = "change", "Changed"
        DENIED = "denied", "Refused access"
        LOGIN = "login", "Signed in"
        LOGIN_FAILED = "login_failed", "Sign-in failed"
        LOGOUT = "logout", "Signed out"
        ERASE = "erase", "Personal data erased"
        PASSWORD_RESET = "password_reset", "Password reset asked for"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    path = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    # A list page: the ids of every object it showed, comma-separated (one row per view).
    object_ids = models.TextField(blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        if args or kwargs:
            super().save(*args, **kwargs)
        else:
            # Every page that shows referrals writes one: its INSERT is written once
            # (config/writes.py), not built again by the ORM for each page.
            insert_new(self)
        # The same row, streamed: logger "cirs.audit" goes to the JSON console log and,
        # with LOG_SYSLOG_ADDRESS set, to syslog, so a copy lives outside the database.
        audit_stream.info(
            "audit",
            extra={
                "audit_id": self.pk,
                "at": self.at.isoformat(),
                "user_id": self.user_id,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "path": self.path,
                "ip": self.ip,
                "audit_request_id": self.request_id,
                "detail": self.detail,
                "object_ids": self.object_ids,
            },
        )

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")


class EnrolmentLink(models.Model):
    """A one-time link to set up the authenticator app (docs/security-checklist.md row 29).

    Knowing an account's password is not enough to bind the second step to a device:
    the first set-up needs this link, e-mailed to the account's own address or issued
    by an administrator. Only a hash of the token is stored; the link works once, for
    ``CIRS_MFA_ENROLMENT_LINK_HOURS`` hours, and only for the account it was made for."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Set-up link for {self.user}"


class ExternalIdentity(models.Model):
    """A person's identity in the council's directory, bound to one CIRS account.

    Matched by the directory's stable subject (``sub``, or the claim named in
    ``CIRS_OIDC_SUBJECT_CLAIM``, e.g. Entra ID's ``oid``) with its issuer, never by
    e-mail: an e-mail address links an existing account once, then this row holds."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    last_signed_in_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_unique"),
            # One council identity per account and issuer: a second subject never
            # takes over an account that is already bound.
            models.UniqueConstraint(
                fields=["issuer", "user"], name="external_identity_one_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
