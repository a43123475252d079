"""The external provider (Reed) and its pool of therapists and consultants."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone


class Provider(models.Model):
    name = models.CharField(max_length=120, unique=True)
    email = models.EmailField(blank=True)
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="coordinated_providers", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def covering(day: date, prefix: str = "") -> Q:
    """A leave that includes ``day`` (both ends count): the one rule for "on leave"."""
    return Q(**{f"{prefix}starts_on__lte": day, f"{prefix}ends_on__gte": day})


class TherapistQuerySet(models.QuerySet):
    def available_on(self, day: date):
        """Therapists who may be offered a new case on ``day``: active and not on leave
        that day. The allocation page and the allocation service both ask this."""
        on_leave = TherapistLeave.objects.filter(covering(day), therapist=OuterRef("pk"))
        return self.filter(is_active=True).exclude(Exists(on_leave))


class Therapist(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="therapist"
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="therapists")
    capacity = models.PositiveSmallIntegerField(
        default=6, help_text="How many open cases this therapist can hold at once."
    )
    is_active = models.BooleanField(
        "in the pool", default=True, help_text="Untick when they no longer take cases."
    )
    availability_note = models.CharField(max_length=200, blank=True)

    objects = TherapistQuerySet.as_manager()

    class Meta:
        ordering = ["user__first_name", "user__last_name"]

    def __str__(self) -> str:
        return str(self.user)

    def is_available_on(self, day: date) -> bool:
        return type(self).objects.available_on(day).filter(pk=self.pk).exists()

    def leave_on(self, day: date) -> TherapistLeave | None:
        return self.leaves.filter(covering(day)).first()

    def leave_from(self, day: date, *, days: int) -> TherapistLeave | None:
        """The first leave that covers a day from ``day`` to ``days`` days later (reads
        the leave fetched as ``leave_to_come`` when a page prefetched it)."""
        leaves = getattr(self, "leave_to_come", None)
        if leaves is None:
            leaves = self.leaves.filter(ends_on__gte=day)
        last = day + timedelta(days=days)
        coming = [leave for leave in leaves if leave.ends_on >= day and leave.starts_on <= last]
        return min(coming, key=lambda leave: leave.starts_on, default=None)


class TherapistLeave(models.Model):
    """A period when the therapist takes no cases, first and last day included."""

    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="leaves")
    starts_on = models.DateField("first day of leave")
    ends_on = models.DateField("last day of leave")
    note = models.CharField(
        max_length=200, blank=True, help_text="Optional, and general: for example 'annual leave'."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="leave_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_on:%-d %b %Y} to {self.ends_on:%-d %b %Y}"
