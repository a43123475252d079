"""The referral's state machine (docs/service.md, "The flow, as a state machine on the
referral"). Each ``@transition`` only says what is legal: the role via ``permission=``
(``referrals/permissions.py``), the rules via ``conditions=`` (``referrals/rules.py``,
``referrals/eligibility.py``). Everything around a transition — locking, logging,
telling people — lives in ``referrals/services/``.

The transitions are a mixin of ``Referral`` (``field="state"`` names its ``FSMField``),
so the model module holds the fields and this one the lifecycle.
"""

from __future__ import annotations

from django.db import models
from django_fsm import transition

from referrals import permissions as perms
from referrals import rules
from referrals.eligibility import referral_eligibility_errors
from referrals.models.support import ExtensionRequest, PlannedSession, Review, TherapySession


class ReferralState(models.TextChoices):
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


class ReferralLifecycle:
    """The conditions and transitions of ``Referral``."""

    State = ReferralState

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

    # --- rules the transitions check (each one asks referrals/rules.py) ----------------

    def eligibility_errors(self, *, today=None) -> dict[str, str]:
        return referral_eligibility_errors(self, today=today)

    def is_eligible(self) -> bool:
        return not self.eligibility_errors()

    def has_open_information_request(self) -> bool:
        return self.information_requests.filter(answered_at__isnull=True).exists()

    def has_answered_information_request(self) -> bool:
        return not self.has_open_information_request()

    def counted_sessions(self) -> int:
        """Sessions that count toward the allowance (``rules.counts_toward_allowance``)."""
        return self.therapy_sessions.filter(TherapySession.counted()).count()

    def _approved(self) -> set[str]:
        return set(
            self.extension_requests.filter(status=ExtensionRequest.Status.APPROVED).values_list(
                "kind", flat=True
            )
        )

    def session_cap_refusal(self) -> str | None:
        """Why another attended session may not be recorded, or None if it may."""
        approved = self._approved()
        return rules.session_refusal(
            held=self.counted_sessions(),
            reviewed=self.reviews.exists(),
            extension_approved=ExtensionRequest.Kind.EXTENSION in approved,
            exceptional_approved=ExtensionRequest.Kind.EXCEPTIONAL in approved,
        )

    def planning_refusal(self, *, excluding: int | None = None) -> str | None:
        """Why another session may not be planned, or None if it may: the same rule as
        recording one, with the sessions planned and not yet held counted too."""
        approved = self._approved()
        planned = (
            self.planned_sessions.filter(status=PlannedSession.Status.PLANNED)
            .exclude(pk=excluding)
            .count()
        )
        return rules.session_refusal(
            held=self.counted_sessions(),
            planned=planned,
            reviewed=self.reviews.exists(),
            extension_approved=ExtensionRequest.Kind.EXTENSION in approved,
            exceptional_approved=ExtensionRequest.Kind.EXCEPTIONAL in approved,
        )

    def may_record_session(self) -> bool:
        return self.session_cap_refusal() is None

    def review_is_due(self) -> bool:
        return rules.review_is_due(held=self.counted_sessions(), reviewed=self.reviews.exists())

    def _requested(self, kind: str) -> bool:
        return (
            self.extension_requests.filter(kind=kind)
            .exclude(status=ExtensionRequest.Status.REFUSED)
            .exists()
        )

    def may_request_extension(self) -> bool:
        return self.reviews.filter(outcome=Review.Outcome.EXTEND).exists() and not self._requested(
            ExtensionRequest.Kind.EXTENSION
        )

    def may_request_exceptional_session(self) -> bool:
        return rules.may_request_exceptional_session(
            held=self.counted_sessions(),
            already_requested=self._requested(ExtensionRequest.Kind.EXCEPTIONAL),
        )

    def has_closure_summary(self) -> bool:
        summary = getattr(self, "closure_summary", None)
        return bool(summary and summary.comments.strip() and summary.exit_pathways.exists())

    def manager_contact_not_recorded(self) -> bool:
        return self.manager_contacted_at is None

    # --- the state machine ------------------------------------------------------------
    # Each method only changes fields on this row; services do the rest.

    @transition(
        field="state",
        source=State.DRAFT,
        target=State.SUBMITTED,
        permission=perms.can_submit,
        conditions=[is_eligible],
    )
    def submit(self, *, at):
        self.first_submitted_at = self.first_submitted_at or at
        self.submitted_at = at

    @transition(
        field="state",
        source=State.SUBMITTED,
        target=State.MORE_INFO,
        permission=perms.can_triage,
    )
    def request_more_information(self):
        pass

    @transition(
        field="state",
        source=State.MORE_INFO,
        target=State.SUBMITTED,
        permission=perms.can_answer_information_request,
        conditions=[has_answered_information_request, is_eligible],
    )
    def resubmit(self, *, at):
        self.submitted_at = at

    @transition(
        field="state",
        source=State.SUBMITTED,
        target=State.ACCEPTED,
        permission=perms.can_triage,
    )
    def accept(self, *, provider, at):
        self.provider = provider
        self.decided_at = at

    @transition(
        field="state",
        source=State.SUBMITTED,
        target=State.DECLINED,
        permission=perms.can_triage,
    )
    def decline(self, *, reason, signposting, at):
        self.decline_reason = reason
        self.signposting = signposting
        self.decided_at = at

    @transition(
        field="state",
        source=State.ACCEPTED,
        target=State.ALLOCATED,
        permission=perms.can_allocate,
    )
    def allocate(self, *, therapist, at):
        self.therapist = therapist
        self.allocated_at = at

    @transition(
        field="state",
        source=list(SUPPORT_STATES),
        target=None,
        permission=perms.can_allocate,
    )
    def reallocate(self, *, therapist):
        self.therapist = therapist

    @transition(
        field="state",
        source=State.ALLOCATED,
        target=None,
        permission=perms.can_act_as_therapist,
    )
    def plan_first_meeting(self, *, planned_at):
        self.first_meeting_planned_at = planned_at

    @transition(
        field="state",
        source=State.ALLOCATED,
        target=State.ACTIVE,
        permission=perms.can_act_as_therapist,
    )
    def record_first_meeting(self, *, held_at):
        self.first_meeting_at = held_at
        self.last_session_at = held_at

    @transition(
        field="state",
        source=list(SUPPORT_STATES),
        target=None,
        permission=perms.can_act_as_therapist,
        conditions=[manager_contact_not_recorded],
    )
    def record_manager_contact(self, *, contacted_at):
        self.manager_contacted_at = contacted_at

    @transition(
        field="state",
        source=State.ACTIVE,
        target=None,
        permission=perms.can_act_as_therapist,
        conditions=[may_record_session],
    )
    def record_attended_session(self, *, held_at):
        self.last_session_at = max(filter(None, [self.last_session_at, held_at]))

    @transition(
        field="state",
        # A first meeting the staff member missed is recorded too; it is not held,
        # so the referral stays allocated and the first-meeting clock keeps running.
        source=[State.ALLOCATED, State.ACTIVE],
        target=None,
        permission=perms.can_act_as_therapist,
    )
    def record_missed_session(self):
        """A did-not-attend or cancelled session: recorded, not counted."""

    @transition(
        field="state",
        source=[State.ALLOCATED, State.ACTIVE],
        target=State.ACTIVE,
        permission=perms.can_act_as_therapist,
    )
    def record_group_session(self, *, held_at):
        self.first_meeting_at = self.first_meeting_at or held_at
        self.last_session_at = max(filter(None, [self.last_session_at, held_at]))

    @transition(
        field="state",
        source=[State.ACTIVE, State.EXTENSION_REQUESTED],
        target=None,
        permission=perms.can_act_as_therapist,
    )
    def change_planned_sessions(self):
        """Book, move or cancel a session ahead (the allowance is checked by the
        service, ``planning_refusal``)."""

    @transition(
        field="state",
        source=State.ACTIVE,
        target=None,
        permission=perms.can_act_as_therapist,
        conditions=[review_is_due],
    )
    def record_review(self):
        pass

    @transition(
        field="state",
        source=State.ACTIVE,
        target=State.EXTENSION_REQUESTED,
        permission=perms.can_act_as_therapist,
        conditions=[may_request_extension],
    )
    def request_extension(self):
        pass

    @transition(
        field="state",
        source=State.ACTIVE,
        target=State.EXTENSION_REQUESTED,
        permission=perms.can_act_as_therapist,
        conditions=[may_request_exceptional_session],
    )
    def request_exceptional_session(self):
        pass

    @transition(
        field="state",
        source=State.EXTENSION_REQUESTED,
        target=State.ACTIVE,
        permission=perms.can_decide_extension,
    )
    def decide_extension(self):
        pass

    @transition(
        field="state",
        source=[State.ALLOCATED, State.ACTIVE, State.EXTENSION_REQUESTED],
        target=None,
        permission=perms.can_act_as_therapist,
    )
    def change_key_dates(self):
        pass

    @transition(
        field="state",
        source=State.ACTIVE,
        target=State.CLOSED,
        permission=perms.can_act_as_therapist,
        conditions=[has_closure_summary],
    )
    def close(self, *, at):
        self.closed_at = at

    @transition(
        field="state",
        source=list(WITHDRAWABLE_STATES),
        target=State.WITHDRAWN,
        permission=perms.can_withdraw,
    )
    def withdraw(self, *, reason, at):
        self.withdrawal_reason = reason
        self.withdrawn_at = at

    @transition(
        field="state",
        source=State.DRAFT,
        target=None,
        permission=perms.can_edit_draft,
    )
    def edit_draft(self):
        pass

    @transition(
        field="state",
        source=State.MORE_INFO,
        target=None,
        permission=perms.can_answer_information_request,
    )
    def edit_after_information_request(self):
        pass
