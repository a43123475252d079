"""What a line manager sends: the team, the incident, the group part of a group
referral, and triage's questions with their answers (docs/service.md, steps 1-4 and 10)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Team(models.Model):
    """A team or department of the council's children's social care workforce."""

    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CriticalIncident(models.Model):
    """The event itself. Several people (or a group) may be referred after one incident."""

    class Category(models.TextChoices):
        CHILD_DEATH_OR_INJURY = (
            "child_death_or_injury",
            "A child or young person died or was severely injured in unexpected, "
            "distressing circumstances",
        )
        PRACTITIONER_HARMED = (
            "practitioner_harmed",
            "The practitioner was seriously harmed or threatened at work",
        )
        SUICIDE_ATTEMPT = (
            "suicide_attempt",
            "A young person attempted to take their own life, with significant impact "
            "on the practitioner",
        )
        ABUSE_NETWORK = (
            "abuse_network",
            "Work with a large abuse or exploitation network",
        )
        OTHER = "other", "Another critical incident"

    occurred_on = models.DateField("date of the incident")
    category = models.CharField(max_length=32, choices=Category.choices)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, verbose_name="team or department")
    description = models.TextField("brief details of the critical event", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Incident {self.pk} on {self.occurred_on:%d/%m/%Y}"


class GroupReferral(models.Model):
    """docs/service.md step 10: the group part of a referral with ``kind=GROUP``."""

    class ReferrerRole(models.TextChoices):
        LINE_MANAGER = "line_manager", "Line manager"
        SERVICE_MANAGER = "service_manager", "Service manager"
        HEAD_OF_SERVICE = "head_of_service", "Head of Service"

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.CASCADE, related_name="group", primary_key=True
    )
    referrer_role = models.CharField(max_length=20, choices=ReferrerRole.choices)
    number_of_staff = models.PositiveIntegerField("number of staff in the group")
    group_consulted = models.BooleanField(
        "I have discussed this with the staff concerned", default=False
    )
    group_wishes_to_take_part = models.BooleanField(
        "They have confirmed they wish to take up group support", default=False
    )


class InformationRequest(models.Model):
    """Triage asked the referrer for more information (docs/service.md step 4)."""

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="information_requests"
    )
    question = models.TextField()
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at"]
