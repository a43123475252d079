"""The external provider (Reed) and its pool of therapists and consultants."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone

from referrals.models import Referral


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


class TherapistQuerySet(models.QuerySet):
    def with_open_cases(self):
        """Each therapist's ``open_cases``: the referrals they hold now, in support
        (allocated, active, or waiting for an extension decision). The one count of a
        caseload: the pool page, the allocation page and the allocation service all read
        it, and ``Therapist.places_left`` compares it with the capacity."""
        return self.annotate(
            open_cases=Count(
                "referrals", filter=Q(referrals__state__in=Referral.SUPPORT_STATES), distinct=True
            )
        )


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

    @property
    def places_left(self) -> int:
        """How many more cases they can take: their capacity less their open cases
        (``open_cases`` from ``with_open_cases``). None left means no new case."""
        return max(self.capacity - self.open_cases, 0)

    def _leaves_from(self, day: date) -> list[TherapistLeave]:
        """Their leave ending on or after ``day``: the leave fetched as ``leave_to_come``
        when a page prefetched it (from today, so for ``day`` today or later), else read."""
        leaves = getattr(self, "leave_to_come", None)
        if leaves is None:
            leaves = self.leaves.filter(ends_on__gte=day)
        return [leave for leave in leaves if leave.ends_on >= day]

    def leave_on(self, day: date) -> TherapistLeave | None:
        """The leave they are on that day, if any: they are not offered a new case then."""
        return next((leave for leave in self._leaves_from(day) if leave.covers(day)), None)

    def leave_from(self, day: date, *, days: int) -> TherapistLeave | None:
        """The first leave that covers a day from ``day`` to ``days`` days later (reads
        the leave fetched as ``leave_to_come`` when a page prefetched it)."""
        last = day + timedelta(days=days)
        coming = [leave for leave in self._leaves_from(day) if leave.starts_on <= last]
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

    def covers(self, day: date) -> bool:
        """The one rule for "on leave that day": the first and last day both count."""
        return self.starts_on <= day <= self.ends_on
