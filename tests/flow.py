"""Drive a referral to any state through the real services."""

from __future__ import annotations

from referrals import services
from referrals.clocks import earlier_today
from referrals.models import ExitPathway, Referral, Review
from tests.factories import referral_data

ORDER = [
    Referral.State.DRAFT,
    Referral.State.SUBMITTED,
    Referral.State.ACCEPTED,
    Referral.State.ALLOCATED,
    Referral.State.ACTIVE,
]


class Flow:
    """Personas plus one method per step: ``flow.referral(state="active")``."""

    def __init__(self, *, manager, psw, coordinator, therapist, provider, team):
        self.manager = manager
        self.psw = psw
        self.coordinator = coordinator
        self.therapist = therapist  # a Therapist, not a User
        self.provider = provider
        self.team = team

    def refresh(self, referral: Referral) -> Referral:
        referral.refresh_from_db()
        return referral

    def draft(self, *, by=None, **overrides) -> Referral:
        return services.save_referral_draft(
            by=by or self.manager, data=referral_data(self.team, **overrides)
        )

    def referral(
        self, state: str = Referral.State.SUBMITTED, *, sessions: int = 0, **overrides
    ) -> Referral:
        referral = self.draft(**overrides)
        if state == Referral.State.DRAFT:
            return referral
        services.submit_referral(referral_id=referral.pk, by=self.manager)
        if state == Referral.State.MORE_INFO:
            services.request_more_information(
                referral_id=referral.pk, by=self.psw, question="Who else?"
            )
            return self.refresh(referral)
        if state == Referral.State.DECLINED:
            services.decline_referral(
                referral_id=referral.pk, by=self.psw, reason="r", signposting="s"
            )
            return self.refresh(referral)
        if state == Referral.State.SUBMITTED:
            return self.refresh(referral)
        services.accept_referral(referral_id=referral.pk, by=self.psw, provider=self.provider)
        if state == Referral.State.WITHDRAWN:
            services.withdraw_referral(
                referral_id=referral.pk, by=self.manager, reason="changed mind"
            )
            return self.refresh(referral)
        if state == Referral.State.ACCEPTED:
            return self.refresh(referral)
        services.allocate_referral(
            referral_id=referral.pk, therapist=self.therapist, by=self.coordinator
        )
        if state == Referral.State.ALLOCATED:
            return self.refresh(referral)
        self.first_meeting(referral)
        for _ in range(max(0, sessions - 1)):
            self.session(referral)
        if state == Referral.State.ACTIVE:
            return self.refresh(referral)
        if state == Referral.State.EXTENSION_REQUESTED:
            while referral.counted_sessions() < 3:
                self.session(referral)
            services.record_review(
                referral_id=referral.pk,
                by=self.therapist.user,
                outcome=Review.Outcome.EXTEND,
                reason="more",
            )
            return self.refresh(referral)
        if state == Referral.State.CLOSED:
            self.close(referral)
            return self.refresh(referral)
        raise ValueError(state)

    def first_meeting(self, referral: Referral, *, held_at=None) -> None:
        services.record_first_meeting(
            referral_id=referral.pk,
            by=self.therapist.user,
            held_at=held_at or earlier_today(minutes=5),
        )

    def session(self, referral: Referral, **kwargs):
        kwargs.setdefault("held_at", earlier_today(minutes=1))
        return services.record_therapy_session(
            referral_id=referral.pk, by=self.therapist.user, **kwargs
        )

    def close(
        self, referral: Referral, *, comments: str = "Support came to a natural end."
    ) -> Referral:
        return services.close_referral(
            referral_id=referral.pk,
            by=self.therapist.user,
            exit_pathways=ExitPathway.objects.filter(code="no_further_support"),
            comments=comments,
        )
