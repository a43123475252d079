"""How support ends: the exit pathways and the closure summary (docs/service.md, step 11)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExitPathway(models.Model):
    """Where support leads at the end (docs/service.md step 11). Reference data."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    # How the pathway is described to the line manager: general terms only.
    general_wording = models.CharField(max_length=250)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.label


class ClosureSummary(models.Model):
    """The brief, anonymised summary for the line manager, copied to the staff member."""

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.CASCADE, related_name="closure_summary"
    )
    exit_pathways = models.ManyToManyField(ExitPathway, related_name="summaries")
    comments = models.TextField("general comments for the line manager")
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(default=timezone.now)
    # Who follows up the key dates still to come when support ends, in general terms
    # (for example "the team manager"); it is part of the summary.
    key_date_follow_up = models.CharField(
        "who will follow up the dates still to come", max_length=200, blank=True
    )
    # The exact text sent, frozen when support ends.
    text = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
