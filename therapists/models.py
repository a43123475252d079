"""The external provider (Reed) and its pool of therapists and consultants."""

from datetime import date

from django.conf import settings
from django.db import models


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
    def available_on(self, day: date):
        """Therapists who may be offered a new case on ``day``: active, not on leave and
        not marked unavailable until a later date."""
        return self.filter(is_active=True, on_leave=False).exclude(unavailable_until__gt=day)


class Therapist(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="therapist"
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="therapists")
    capacity = models.PositiveSmallIntegerField(
        default=6, help_text="How many open cases this therapist can hold at once."
    )
    is_active = models.BooleanField(default=True)
    on_leave = models.BooleanField(default=False)
    unavailable_until = models.DateField(null=True, blank=True)
    availability_note = models.CharField(max_length=200, blank=True)

    objects = TherapistQuerySet.as_manager()

    class Meta:
        ordering = ["user__first_name", "user__last_name"]

    def __str__(self) -> str:
        return str(self.user)
