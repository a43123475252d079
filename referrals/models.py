"""The referral and everything that happens to it, named in the service's own words.

SERVICE.md "The flow (Appendix 2), as a state machine on the referral" is the
``Referral.State`` below; each ``@transition`` says only what is legal (role via
``permission=``, rules via ``conditions=``). Everything around a transition —
locking, logging, notifying — lives in ``referrals/services.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.roles import Role
from referrals import permissions as perms


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


class ReferralQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(state__in=Referral.CLOSED_STATES)

    def visible_to(self, user):
        """The only way a view reaches referrals (SECURITY-CHECKLIST #10).

        SERVICE.md "Who uses it": a line manager sees referrals they made or that name
        them; PSW/SMPE see every referral; a coordinator sees those sent to their
        provider; a therapist only cases allocated to them; a staff member only their
        own; a service lead no individual referral at all.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        roles = user.roles
        if roles & {Role.PSW, Role.SMPE}:
            return self.exclude(state=Referral.State.DRAFT) | self.filter(created_by=user)
        scope = Q(created_by=user) | Q(line_manager=user) | Q(staff_user=user)
        if Role.COORDINATOR in roles:
            scope |= Q(
                provider__coordinators=user,
                state__in=Referral.PROVIDER_STATES,
            )
        if Role.THERAPIST in roles:
            scope |= Q(therapist__user=user)
        # Only the referrer sees a draft; a staff member sees theirs once submitted.
        scope &= ~Q(state=Referral.State.DRAFT) | Q(created_by=user)
        return self.filter(scope).distinct()


class Referral(ConcurrentTransitionMixin, models.Model):
    """An Appendix 1 referral of one staff member (or, with ``kind=GROUP``, a team)."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Awaiting triage"
        MORE_INFO = "more_info", "More information requested"
        DECLINED = "declined", "Declined with signposting"
        ACCEPTED = "accepted", "Accepted, awaiting a therapist"
        ALLOCATED = "allocated", "Therapist allocated"
        ACTIVE = "active", "In support"
        EXTENSION_REQUESTED = "extension_requested", "Extension awaiting approval"
        CLOSED = "closed", "Support ended"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        GROUP = "group", "Group"

    class TeamInput(models.TextChoices):
        NO = "no", "No"
        YES = "yes", "Yes"
        UNSURE = "unsure", "Not sure yet"

    CLOSED_STATES = (State.DECLINED, State.CLOSED, State.WITHDRAWN)
    PROVIDER_STATES = (
        State.ACCEPTED,
        State.ALLOCATED,
        State.ACTIVE,
        State.EXTENSION_REQUESTED,
        State.CLOSED,
        State.WITHDRAWN,
    )
    SUPPORT_STATES = (State.ALLOCATED, State.ACTIVE, State.EXTENSION_REQUESTED)
    WITHDRAWABLE_STATES = (
        State.SUBMITTED,
        State.MORE_INFO,
        State.ACCEPTED,
        State.ALLOCATED,
        State.ACTIVE,
        State.EXTENSION_REQUESTED,
    )

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INDIVIDUAL)
    state = FSMField(choices=State.choices, default=State.DRAFT, protected=True)
    # Bumped by every service call: a form posted against an older version is refused
    # with "this referral was just updated by someone else", never silently applied.
    version = models.PositiveIntegerField(default=0)

    incident = models.ForeignKey(
        CriticalIncident, on_delete=models.PROTECT, related_name="referrals"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made"
    )

    # Appendix 1
    staff_name = models.CharField("Name of staff member", max_length=150, blank=True)
    staff_phone = models.CharField("Staff member's telephone", max_length=40, blank=True)
    staff_email = models.EmailField("Staff member's e-mail", blank=True)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="own_referrals",
        help_text="The staff member's own account, when they have one.",
    )
    line_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="managed_referrals",
        null=True,
        blank=True,
    )
    line_manager_name = models.CharField("Name of Line Manager", max_length=150, blank=True)
    line_manager_phone = models.CharField("Line manager's telephone", max_length=40, blank=True)
    line_manager_email = models.EmailField("Line manager's e-mail", blank=True)
    event_details = models.TextField(
        "Brief details of the critical event and staff members involvement", blank=True
    )
    team_input = models.CharField(
        "Is in-put to be considered for other members of the team / team as a whole?",
        max_length=8,
        choices=TeamInput.choices,
        default=TeamInput.NO,
    )
    team_input_details = models.TextField("Who else may need support", blank=True)
    discussion_date = models.DateField(
        "Date you discussed this referral with the staff member", null=True, blank=True
    )
    practitioner_agrees = models.BooleanField(
        "The staff member agrees to be referred", default=False
    )

    # Where it is in the flow
    provider = models.ForeignKey(
        "therapists.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    therapist = models.ForeignKey(
        "therapists.Therapist",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        help_text="The therapist currently allocated (history in Allocation).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    # Clocks start here: the latest submission (a resubmission after a request for
    # more information restarts triage; the pause shows in the transition log).
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    signposting = models.TextField(blank=True)
    allocated_at = models.DateTimeField(null=True, blank=True)
    first_meeting_planned_at = models.DateTimeField(null=True, blank=True)
    first_meeting_at = models.DateTimeField(null=True, blank=True)
    manager_contacted_at = models.DateTimeField(null=True, blank=True)
    third_session_at = models.DateTimeField(null=True, blank=True)
    last_session_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    personal_data_erased_at = models.DateTimeField(null=True, blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The triage queue and the clock sweep read open referrals by state and age.
            models.Index(fields=["state", "submitted_at"], name="referral_state_submitted"),
        ]

    def __str__(self) -> str:
        return f"Referral {self.reference}"

    @property
    def reference(self) -> str:
        return f"CIRS-{self.pk:05d}" if self.pk else "CIRS-new"

    @property
    def is_group(self) -> bool:
        return self.kind == self.Kind.GROUP

    @property
    def is_open(self) -> bool:
        return self.state not in self.CLOSED_STATES

    # --- rules the transitions check -----------------------------------------------

    def eligibility_errors(self, *, today=None) -> dict[str, str]:
        """SERVICE.md step 3: the incident happened no more than 3 months before the
        referral, not in the future, and not before the service's go-live date."""
        from referrals.eligibility import incident_date_errors

        if today is None and self.first_submitted_at:
            # The referral was made when first submitted; a later answer to a
            # question from triage does not make it late.
            today = timezone.localdate(self.first_submitted_at)
        errors: dict[str, str] = {}
        errors.update(incident_date_errors(self.incident.occurred_on, today=today))
        if not self.is_group:
            if not self.practitioner_agrees:
                errors["practitioner_agrees"] = (
                    "Please confirm the staff member agrees to be referred. The service "
                    "is only offered with their agreement."
                )
            if not self.discussion_date:
                errors["discussion_date"] = (
                    "Please give the date you talked this through with the staff member."
                )
            for field in ("staff_name", "event_details"):
                if not getattr(self, field):
                    label = self._meta.get_field(field).verbose_name
                    errors[field] = f"Please fill in “{label}”."
            if not (self.staff_phone or self.staff_email):
                errors["staff_email"] = (
                    "Please give a telephone number or an e-mail address so the "
                    "therapist can reach the staff member."
                )
        return errors

    def is_eligible(self) -> bool:
        return not self.eligibility_errors()

    def has_open_information_request(self) -> bool:
        return self.information_requests.filter(answered_at__isnull=True).exists()

    def has_answered_information_request(self) -> bool:
        return not self.has_open_information_request()

    def counted_sessions(self) -> int:
        """Sessions that count toward the 3 + 3 (+1) cap: attended individual sessions.

        The service pays for sessions held; a session the staff member did not attend,
        or one cancelled, is recorded but does not use up their allowance.
        """
        return self.therapy_sessions.filter(
            kind=TherapySession.Kind.INDIVIDUAL,
            attendance=TherapySession.Attendance.ATTENDED,
        ).count()

    def session_cap_refusal(self) -> str | None:
        """Why another attended session may not be recorded, or None if it may.

        SERVICE.md step 8: up to 3, then a review; an extension of up to 3 more (6 in
        total); one session beyond 6 only with an approved exceptional request; never
        more.
        """
        before_review = settings.CIRS_SESSIONS_BEFORE_REVIEW
        maximum = settings.CIRS_MAX_SESSIONS
        exceptional = settings.CIRS_MAX_EXCEPTIONAL_SESSIONS
        held = self.counted_sessions()
        if held < before_review:
            return None
        approved = set(
            self.extension_requests.filter(status=ExtensionRequest.Status.APPROVED).values_list(
                "kind", flat=True
            )
        )
        if held < maximum:
            if not self.reviews.exists():
                return (
                    f"{held} sessions have been held. Please record the review of "
                    "whether more support is needed before adding another session."
                )
            if ExtensionRequest.Kind.EXTENSION not in approved:
                return (
                    f"{held} sessions have been held. Sessions {before_review + 1} to "
                    f"{maximum} need an approved extension from the Principal Social "
                    "Worker or Service Manager."
                )
            return None
        if held < maximum + exceptional:
            if ExtensionRequest.Kind.EXCEPTIONAL not in approved:
                return (
                    f"{held} sessions have been held, the most the service offers. One "
                    "further session is possible only in exceptional circumstances, with "
                    "an approved request that records the reason."
                )
            return None
        return (
            f"{held} sessions have been held. This is the most the service can offer; "
            "please plan the ending of support and the exit pathway."
        )

    def may_record_session(self) -> bool:
        return self.session_cap_refusal() is None

    def review_is_due(self) -> bool:
        return (
            self.counted_sessions() >= settings.CIRS_SESSIONS_BEFORE_REVIEW
            and not self.reviews.exists()
        )

    def may_request_extension(self) -> bool:
        return (
            self.reviews.filter(outcome=Review.Outcome.EXTEND).exists()
            and not self.extension_requests.filter(kind=ExtensionRequest.Kind.EXTENSION)
            .exclude(status=ExtensionRequest.Status.REFUSED)
            .exists()
        )

    def may_request_exceptional_session(self) -> bool:
        return (
            self.counted_sessions() >= settings.CIRS_MAX_SESSIONS
            and not self.extension_requests.filter(kind=ExtensionRequest.Kind.EXCEPTIONAL)
            .exclude(status=ExtensionRequest.Status.REFUSED)
            .exists()
        )

    def has_pending_extension(self) -> bool:
        return self.extension_requests.filter(status=ExtensionRequest.Status.PENDING).exists()

    def has_closure_summary(self) -> bool:
        summary = getattr(self, "closure_summary", None)
        return bool(summary and summary.comments.strip() and summary.exit_pathways.exists())

    def first_meeting_recorded(self) -> bool:
        return self.first_meeting_at is not None

    def manager_contact_not_recorded(self) -> bool:
        return self.manager_contacted_at is None

    # --- the state machine ------------------------------------------------------------
    # Each method only changes fields on this row; services do the rest.

    @transition(
        field=state,
        source=State.DRAFT,
        target=State.SUBMITTED,
        permission=perms.can_submit,
        conditions=[is_eligible],
    )
    def submit(self, *, at):
        self.first_submitted_at = self.first_submitted_at or at
        self.submitted_at = at

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.MORE_INFO,
        permission=perms.can_triage,
    )
    def request_more_information(self):
        pass

    @transition(
        field=state,
        source=State.MORE_INFO,
        target=State.SUBMITTED,
        permission=perms.can_answer_information_request,
        conditions=[has_answered_information_request, is_eligible],
    )
    def resubmit(self, *, at):
        self.submitted_at = at

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.ACCEPTED,
        permission=perms.can_triage,
    )
    def accept(self, *, provider, at):
        self.provider = provider
        self.decided_at = at

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.DECLINED,
        permission=perms.can_triage,
    )
    def decline(self, *, reason, signposting, at):
        self.decline_reason = reason
        self.signposting = signposting
        self.decided_at = at

    @transition(
        field=state,
        source=State.ACCEPTED,
        target=State.ALLOCATED,
        permission=perms.can_allocate,
    )
    def allocate(self, *, therapist, at):
        self.therapist = therapist
        self.allocated_at = at

    @transition(
        field=state,
        source=list(SUPPORT_STATES),
        target=None,
        permission=perms.can_allocate,
    )
    def reallocate(self, *, therapist):
        self.therapist = therapist

    @transition(
        field=state,
        source=State.ALLOCATED,
        target=None,
        permission=perms.can_act_as_therapist,
    )
    def plan_first_meeting(self, *, planned_at):
        self.first_meeting_planned_at = planned_at

    @transition(
        field=state,
        source=State.ALLOCATED,
        target=State.ACTIVE,
        permission=perms.can_act_as_therapist,
    )
    def record_first_meeting(self, *, held_at):
        self.first_meeting_at = held_at
        self.last_session_at = held_at

    @transition(
        field=state,
        source=list(SUPPORT_STATES),
        target=None,
        permission=perms.can_act_as_therapist,
        conditions=[manager_contact_not_recorded],
    )
    def record_manager_contact(self, *, contacted_at):
        self.manager_contacted_at = contacted_at

    @transition(
        field=state,
        source=State.ACTIVE,
        target=None,
        permission=perms.can_act_as_therapist,
        conditions=[may_record_session],
    )
    def record_attended_session(self, *, held_at):
        self.last_session_at = max(filter(None, [self.last_session_at, held_at]))

    @transition(
        field=state,
        # A first meeting the staff member missed is recorded too; it is not held,
        # so the referral stays allocated and the first-meeting clock keeps running.
        source=[State.ALLOCATED, State.ACTIVE],
        target=None,
        permission=perms.can_act_as_therapist,
    )
    def record_missed_session(self):
        """A did-not-attend or cancelled session: recorded, not counted."""

    @transition(
        field=state,
        source=[State.ALLOCATED, State.ACTIVE],
        target=State.ACTIVE,
        permission=perms.can_act_as_therapist,
    )
    def record_group_session(self, *, held_at):
        self.first_meeting_at = self.first_meeting_at or held_at
        self.last_session_at = max(filter(None, [self.last_session_at, held_at]))

    @transition(
        field=state,
        source=State.ACTIVE,
        target=None,
        permission=perms.can_act_as_therapist,
        conditions=[review_is_due],
    )
    def record_review(self):
        pass

    @transition(
        field=state,
        source=State.ACTIVE,
        target=State.EXTENSION_REQUESTED,
        permission=perms.can_act_as_therapist,
        conditions=[may_request_extension],
    )
    def request_extension(self):
        pass

    @transition(
        field=state,
        source=State.ACTIVE,
        target=State.EXTENSION_REQUESTED,
        permission=perms.can_act_as_therapist,
        conditions=[may_request_exceptional_session],
    )
    def request_exceptional_session(self):
        pass

    @transition(
        field=state,
        source=State.EXTENSION_REQUESTED,
        target=State.ACTIVE,
        permission=perms.can_decide_extension,
    )
    def decide_extension(self):
        pass

    @transition(
        field=state,
        source=[State.ALLOCATED, State.ACTIVE, State.EXTENSION_REQUESTED],
        target=None,
        permission=perms.can_act_as_therapist,
    )
    def change_key_dates(self):
        pass

    @transition(
        field=state,
        source=State.ACTIVE,
        target=State.CLOSED,
        permission=perms.can_act_as_therapist,
        conditions=[has_closure_summary],
    )
    def close(self, *, at):
        self.closed_at = at

    @transition(
        field=state,
        source=list(WITHDRAWABLE_STATES),
        target=State.WITHDRAWN,
        permission=perms.can_withdraw,
    )
    def withdraw(self, *, reason, at):
        self.withdrawal_reason = reason
        self.withdrawn_at = at

    @transition(
        field=state,
        source=State.DRAFT,
        target=None,
        permission=perms.can_edit_draft,
    )
    def edit_draft(self):
        pass

    @transition(
        field=state,
        source=State.MORE_INFO,
        target=None,
        permission=perms.can_answer_information_request,
    )
    def edit_after_information_request(self):
        pass


class GroupReferral(models.Model):
    """SERVICE.md step 10: the group part of a referral with ``kind=GROUP``."""

    class ReferrerRole(models.TextChoices):
        LINE_MANAGER = "line_manager", "Line manager"
        SERVICE_MANAGER = "service_manager", "Service manager"
        HEAD_OF_SERVICE = "head_of_service", "Head of Service"

    referral = models.OneToOneField(
        Referral, on_delete=models.CASCADE, related_name="group", primary_key=True
    )
    referrer_role = models.CharField(max_length=20, choices=ReferrerRole.choices)
    number_of_staff = models.PositiveIntegerField("number of staff in the group")
    group_consulted = models.BooleanField(
        "I have discussed this with the staff concerned", default=False
    )
    group_wishes_to_take_part = models.BooleanField(
        "They have confirmed they wish to take up group support", default=False
    )

    def clean(self):
        if not (self.group_consulted and self.group_wishes_to_take_part):
            raise ValidationError(
                "A group referral needs the staff concerned to have been consulted and to "
                "have said they wish to take part."
            )


class InformationRequest(models.Model):
    """Triage asked the referrer for more information (SERVICE.md step 4)."""

    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="information_requests"
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


class Allocation(models.Model):
    """Who was allocated and when; a reallocation ends one and starts the next."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="allocations")
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


class TherapySession(models.Model):
    """An hourly session (SERVICE.md step 8), individual or group."""

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
        Referral, on_delete=models.CASCADE, related_name="therapy_sessions"
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
    # Seen by the therapist who wrote them and no one else (SERVICE.md "Data").
    therapist_notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_at"]

    @property
    def counts_toward_cap(self) -> bool:
        return self.kind == self.Kind.INDIVIDUAL and self.attendance == self.Attendance.ATTENDED


class KeyDate(models.Model):
    """A future date where follow-up may be needed (SERVICE.md step 9)."""

    class Kind(models.TextChoices):
        FUNERAL = "funeral", "Funeral"
        INQUEST = "inquest", "Inquest"
        MEDIA = "media", "Media response"
        POLICE = "police", "Police response"
        IMR = "imr", "Completion of an Individual Management Review (IMR)"
        SCR = "scr", "Publication of a Serious Case Review (SCR)"
        OTHER = "other", "Other"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="key_dates")
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

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="reviews")
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reason = models.TextField(blank=True)
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
        Referral, on_delete=models.CASCADE, related_name="extension_requests"
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


class ExitPathway(models.Model):
    """Where support leads at the end (SERVICE.md step 11). Reference data."""

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
        Referral, on_delete=models.CASCADE, related_name="closure_summary"
    )
    exit_pathways = models.ManyToManyField(ExitPathway, related_name="summaries")
    comments = models.TextField("general comments for the line manager")
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(default=timezone.now)
    # The exact text sent, frozen when support ends.
    text = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)


class TransitionLog(models.Model):
    """Every change of state: who, when, from, to, and a note (SERVICE.md: "Every
    transition records who did it and when")."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transitions")
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
        return Referral.State(self.from_state).label

    @property
    def to_label(self) -> str:
        return Referral.State(self.to_state).label


class Notification(models.Model):
    """A notice in the app, the twin of each e-mail (issue: "each user also sees the
    same notices in the app")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The unread badge in the navigation reads this on every page.
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            )
        ]


class OutboundEmail(models.Model):
    """The outbox: an e-mail is written here in the same transaction as the change that
    caused it, then sent (and retried) by a task. Nothing is lost if SMTP or the broker
    is down; ``dedupe_key`` makes a second attempt to queue the same message a no-op."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed: needs attention"

    dedupe_key = models.CharField(max_length=200, unique=True)
    to = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    not_before = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # flush_outbox reads only what is still waiting.
            models.Index(
                fields=["not_before"], condition=Q(status="pending"), name="outbox_pending"
            )
        ]


class ChaseRecord(models.Model):
    """One row per (referral, clock, level) chase, inserted before anything is sent:
    the unique constraint is what makes a chase go out once, never twice."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="chases")
    clock = models.CharField(max_length=32)
    level = models.PositiveSmallIntegerField()
    # For clocks that recur on one referral (key dates), which occurrence.
    window = models.CharField(max_length=40, default="", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "clock", "level", "window"], name="chase_once"
            )
        ]
