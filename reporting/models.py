"""The evaluation questionnaire (docs/service.md "Monitoring": "evaluation questionnaire
results"). Responses are never shown to the manager; only aggregates are reported."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class EvaluationResponse(models.Model):
    class Rating(models.IntegerChoices):
        STRONGLY_DISAGREE = 1, "Strongly disagree"
        DISAGREE = 2, "Disagree"
        NEUTRAL = 3, "Neither agree nor disagree"
        AGREE = 4, "Agree"
        STRONGLY_AGREE = 5, "Strongly agree"

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.CASCADE, related_name="evaluation"
    )
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    timely = models.PositiveSmallIntegerField(
        "The support came at the right time", choices=Rating.choices
    )
    helpful = models.PositiveSmallIntegerField("The support helped me", choices=Rating.choices)
    would_recommend = models.BooleanField("I would recommend the service to a colleague")
    comment = models.TextField("Anything else you would like to tell us", blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)


class ReportExport(models.Model):
    """A monitoring PDF too large to build while the reader waits: built by a Celery
    task (``reporting/background.py``), then downloadable only by the person who
    asked for it, and deleted after ``CIRS_REPORT_EXPORT_KEEP_HOURS``. It holds the
    same anonymous, suppressed figures as the dashboard, nothing else."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Could not be prepared"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    start = models.DateField()
    end = models.DateField()
    # Whether the period's figures are suppressed together with its months' (a reader
    # limited to whole months and quarters), decided when it was asked for.
    split_by_month = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    filename = models.CharField(max_length=100, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-requested_at"]
