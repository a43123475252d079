"""Every change of state of a referral, for the timeline and the audit."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from referrals.models.lifecycle import ReferralState


class TransitionLog(models.Model):
    """Every change of state: who, when, from, to, and a note (docs/service.md: "Every
    transition records who did it and when")."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="transitions"
    )
    event = models.CharField(max_length=40)
    from_state = models.CharField(max_length=24)
    to_state = models.CharField(max_length=24)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    @property
    def from_label(self) -> str:
        return ReferralState(self.from_state).label

    @property
    def to_label(self) -> str:
        return ReferralState(self.to_state).label
