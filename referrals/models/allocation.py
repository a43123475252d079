"""Who was allocated to a referral, and when (docs/service.md, step 5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Allocation(models.Model):
    """Who was allocated and when; a reallocation ends one and starts the next."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="allocations"
    )
    therapist = models.ForeignKey(
        "therapists.Therapist", on_delete=models.PROTECT, related_name="allocations"
    )
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    allocated_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField("reason for reallocation", blank=True)

    class Meta:
        ordering = ["allocated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(ended_at__isnull=True),
                name="one_current_allocation_per_referral",
            )
        ]
