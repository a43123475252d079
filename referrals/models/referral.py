"""The referral: an Appendix 1 referral of one staff member, or of a group. Its state
machine is ``referrals/models/lifecycle.py``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField

from accounts.roles import Role
from accounts.validators import validate_name
from referrals.models.intake import CriticalIncident
from referrals.models.lifecycle import ReferralLifecycle, ReferralState
from referrals.permissions import is_active_account


class ReferralQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(state__in=Referral.CLOSED_STATES)

    def visible_to(self, user):
        """The only way a view reaches referrals (docs/security-checklist.md row 10).

        docs/service.md "Who uses it": a line manager sees referrals they made or that name
        them; PSW/SMPE see every referral; a coordinator sees those sent to their
        provider; a therapist only cases allocated to them; a staff member only their
        own; a service lead no individual referral at all.
        """
        if not is_active_account(user):
            return self.none()
        roles = user.roles
        if roles & {Role.PSW, Role.SMPE}:
            return self.filter(~Q(state=Referral.State.DRAFT) | Q(created_by=user))
        scope = Q(created_by=user) | Q(line_manager=user) | Q(staff_user=user)
        if Role.COORDINATOR in roles:
            # A subquery, not a join through the coordinators table: no row twice, so
            # no DISTINCT, and a page's total can ride along with its rows.
            scope |= Q(
                provider__in=user.coordinated_providers.values("pk"),
                state__in=Referral.PROVIDER_STATES,
            )
        if Role.THERAPIST in roles:
            scope |= Q(therapist__user=user)
        # Only the referrer sees a draft; a staff member sees theirs once submitted.
        scope &= ~Q(state=Referral.State.DRAFT) | Q(created_by=user)
        return self.filter(scope)


class Referral(ReferralLifecycle, ConcurrentTransitionMixin, models.Model):
    """An Appendix 1 referral of one staff member (or, with ``kind=GROUP``, a team)."""

    State = ReferralState

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        GROUP = "group", "Group"

    class TeamInput(models.TextChoices):
        NO = "no", "No"
        YES = "yes", "Yes"
        UNSURE = "unsure", "Not sure yet"

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
    staff_name = models.CharField(
        "Name of staff member", max_length=150, blank=True, validators=[validate_name]
    )
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
    line_manager_name = models.CharField(
        "Name of Line Manager", max_length=150, blank=True, validators=[validate_name]
    )
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
    # Chosen by the staff member at the first meeting: a reminder the working day
    # before each planned session.
    staff_wants_reminders = models.BooleanField(default=False)
    last_session_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    personal_data_erased_at = models.DateTimeField(null=True, blank=True)
    # Set by every change made through the services: retention of drafts never sent
    # and of referrals that never ended is counted from here (referrals/retention.py).
    last_activity_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The running clocks' stored deadlines (``ClockDeadline``) in brief, kept by
    # ``chasing.deadlines.refresh_deadlines`` so lists sort by urgency without reading
    # every clock of every referral (``selectors.next_due``): the soonest limit, the
    # soonest target, the soonest first deadline (the target, or the limit of a clock
    # without one), over the clocks running when they were stored; and the day after
    # which a held closure-summary clock starts (None: none is held).
    clocks_limit_at = models.DateTimeField(null=True, blank=True, editable=False)
    clocks_target_at = models.DateTimeField(null=True, blank=True, editable=False)
    clocks_first_at = models.DateTimeField(null=True, blank=True, editable=False)
    clocks_held_until = models.DateField(null=True, blank=True, editable=False)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The triage queue and the clock sweep read open referrals by state and age.
            models.Index(fields=["state", "submitted_at"], name="referral_state_submitted"),
            # The monitoring figures read a period's referrals by these dates.
            models.Index(fields=["first_submitted_at"], name="referral_first_submitted"),
            models.Index(fields=["closed_at"], name="referral_closed_at"),
            # The oversight board sorts every open referral by urgency, and the triage
            # queue those waiting for triage: this index holds the open ones only, by
            # state, with what the sort reads (``selectors.next_due``), so PostgreSQL
            # reads them from the index alone, and the triage queue only its states.
            models.Index(
                fields=["state", "id"],
                include=[
                    "clocks_limit_at",
                    "clocks_target_at",
                    "clocks_first_at",
                    "clocks_held_until",
                    "submitted_at",
                    "created_by_id",
                ],
                condition=~Q(state__in=ReferralLifecycle.CLOSED_STATES)
                & ~Q(state=ReferralState.DRAFT),
                name="referral_open_urgency",
            ),
            # "My cases" reads a therapist's open cases: this index holds only cases in
            # support, so the read grows with the therapist's open cases, not with every
            # case they ever had or every case in support.
            models.Index(
                fields=["therapist"],
                condition=Q(state__in=ReferralLifecycle.SUPPORT_STATES),
                name="referral_therapist_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.reference}"

    @property
    def reference(self) -> str:
        return self.reference_for(self.pk)

    @staticmethod
    def reference_for(pk: int | None) -> str:
        """The reference people quote ("CIRS-00042"), from the id alone (list rows)."""
        return f"CIRS-{pk:05d}" if pk else "CIRS-new"

    @property
    def is_group(self) -> bool:
        return self.kind == self.Kind.GROUP

    @property
    def is_open(self) -> bool:
        return self.state not in self.CLOSED_STATES
