"""The support itself: sessions, key dates, the review and requests for more sessions
(docs/service.md, steps 6-9)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals import rules


class TherapySession(models.Model):
    """An hourly session (docs/service.md step 8), individual or group."""

    class Mode(models.TextChoices):
        VIRTUAL = "virtual", "Virtual"
        FACE_TO_FACE = "face_to_face", "Face to face"

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        GROUP = "group", "Group"

    class Attendance(models.TextChoices):
        ATTENDED = "attended", "Attended"
        DID_NOT_ATTEND = "did_not_attend", "Did not attend"
        CANCELLED = "cancelled", "Cancelled"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="therapy_sessions"
    )
    held_at = models.DateTimeField("date and time")
    duration_minutes = models.PositiveIntegerField(default=60)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.VIRTUAL)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INDIVIDUAL)
    attendance = models.CharField(
        max_length=16, choices=Attendance.choices, default=Attendance.ATTENDED
    )
    cancellation_reason = models.CharField(max_length=300, blank=True)
    is_first_meeting = models.BooleanField(default=False)
    attendees = models.PositiveIntegerField(
        "number of attendees", null=True, blank=True, help_text="Group sessions only."
    )
    facilitator = models.ForeignKey(
        "therapists.Therapist", on_delete=models.PROTECT, related_name="+", null=True
    )
    # Seen by the therapist who wrote them and no one else (docs/service.md "Data").
    therapist_notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_at"]
        # The monitoring figures read a period's sessions by when they were held.
        indexes = [models.Index(fields=["held_at"], name="session_held_at")]

    @property
    def counts_toward_cap(self) -> bool:
        return rules.counts_toward_allowance(
            individual=self.kind == self.Kind.INDIVIDUAL,
            attended=self.attendance == self.Attendance.ATTENDED,
        )

    @classmethod
    def counted(cls, prefix: str = "") -> Q:
        """``counts_toward_cap`` as a filter (``prefix`` e.g. ``"therapy_sessions__"``
        from a referral): the same rule, for queries that count in the database."""
        return Q(
            **{
                f"{prefix}kind": cls.Kind.INDIVIDUAL,
                f"{prefix}attendance": cls.Attendance.ATTENDED,
            }
        )


class PlannedSession(models.Model):
    """A session booked ahead (issue 13). The staff member and the therapist get a
    calendar invitation; its UID comes from this row, so a change updates the same
    calendar entry (``sequence`` counts the changes). Once the day has come it is
    recorded as held, not attended or cancelled, which makes a ``TherapySession``."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        HELD = "held", "Held"
        NOT_ATTENDED = "not_attended", "Not attended"
        CANCELLED = "cancelled", "Cancelled"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="planned_sessions"
    )
    starts_at = models.DateTimeField("date and start time")
    duration_minutes = models.PositiveIntegerField("length in minutes", default=60)
    mode = models.CharField(max_length=16, choices=TherapySession.Mode.choices)
    place = models.CharField(max_length=200, blank=True)
    link = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.PLANNED)
    sequence = models.PositiveIntegerField(default=0)
    session = models.OneToOneField(
        TherapySession, on_delete=models.SET_NULL, null=True, blank=True, related_name="planned"
    )
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    planned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            # The reminder in the clock sweep reads planned sessions coming up.
            models.Index(
                fields=["starts_at"], condition=Q(status="planned"), name="planned_upcoming"
            )
        ]

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def where(self) -> str:
        return self.link if self.mode == TherapySession.Mode.VIRTUAL else self.place


class KeyDate(models.Model):
    """A future date where follow-up may be needed (docs/service.md step 9)."""

    class Kind(models.TextChoices):
        FUNERAL = "funeral", "Funeral"
        INQUEST = "inquest", "Inquest"
        MEDIA = "media", "Media response"
        POLICE = "police", "Police response"
        IMR = "imr", "Completion of an Individual Management Review (IMR)"
        SCR = "scr", "Publication of a Serious Case Review (SCR)"
        OTHER = "other", "Other"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="key_dates"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    date = models.DateField()
    label = models.CharField(
        "short note", max_length=120, blank=True, help_text="Optional, e.g. 'to be confirmed'."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["date"]
        indexes = [
            # The key-date reminder in the clock sweep reads dates coming up soon.
            models.Index(fields=["date"], name="keydate_date"),
        ]


class Review(models.Model):
    """The review after the 3rd session: end support, or ask for an extension."""

    class Outcome(models.TextChoices):
        CLOSE = "close", "No more sessions needed: plan the ending"
        EXTEND = "extend", "More support needed: request an extension"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="reviews"
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    held_on = models.DateField("date of the review", default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)


class ExtensionRequest(models.Model):
    """Up to 3 more sessions after the review, or (exceptionally) one beyond 6."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", "Extension (sessions 4 to 6)"
        EXCEPTIONAL = "exceptional", "Exceptional session (beyond 6)"

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting a decision"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Not approved"

    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="extension_requests"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(status="pending"),
                name="one_pending_extension_per_referral",
            )
        ]
