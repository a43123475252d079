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
