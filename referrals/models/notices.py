"""What the service tells people: in-app notices, the e-mail outbox, and the record
that makes each chase go out once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    """A notice in the app, the twin of each e-mail (issue: "each user also sees the
    same notices in the app")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The unread badge in the navigation reads this on every page.
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            )
        ]


class OutboundEmail(models.Model):
    """The outbox: an e-mail is written here in the same transaction as the change that
    caused it, then sent (and retried) by a task. Nothing is lost if SMTP or the broker
    is down; ``dedupe_key`` makes a second attempt to queue the same message a no-op."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed: needs attention"

    dedupe_key = models.CharField(max_length=200, unique=True)
    to = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Which referral the e-mail was about, so erasure can remove it with the referral.
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # One attachment at most, as text (a calendar invitation).
    attachment_name = models.CharField(max_length=100, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    not_before = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # flush_outbox reads only what is still waiting.
            models.Index(
                fields=["not_before"], condition=Q(status="pending"), name="outbox_pending"
            )
        ]


class ChaseRecord(models.Model):
    """One row per (referral, clock, level) chase, inserted before anything is sent:
    the unique constraint is what makes a chase go out once, never twice."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="chases"
    )
    clock = models.CharField(max_length=32)
    level = models.PositiveSmallIntegerField()
    # For clocks that recur on one referral (key dates), which occurrence.
    window = models.CharField(max_length=40, default="", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "clock", "level", "window"], name="chase_once"
            )
        ]
