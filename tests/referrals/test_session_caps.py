"""docs/service.md step 8: "up to 3, then a review ...; an extension of up to 3 more (maximum
6 in total); only in exceptional circumstances, with approval and a recorded reason,
one session beyond 6". Each cap is checked at its exact boundary; sessions the staff
member did not attend, cancelled sessions and group sessions do not count."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from referrals import services
from referrals.clocks import earlier_today
from referrals.models import ExtensionRequest, Referral, Review, TherapySession
from referrals.services import RuleRefused
from tests.referrals.test_transitions import approve_pending, group_referral, six_sessions, snapshot

S = Referral.State
BEFORE_REVIEW = settings.CIRS_SESSIONS_BEFORE_REVIEW
MAXIMUM = settings.CIRS_MAX_SESSIONS
EXCEPTIONAL = settings.CIRS_MAX_EXCEPTIONAL_SESSIONS


def assert_session_refused(flow, referral, exception=RuleRefused):
    before = (snapshot(referral), referral.therapy_sessions.count())
    with pytest.raises(exception):
        flow.session(referral)
    assert (snapshot(referral), referral.therapy_sessions.count()) == before


def test_the_configured_caps_are_the_services():
    assert (BEFORE_REVIEW, MAXIMUM - BEFORE_REVIEW, EXCEPTIONAL) == (3, 3, 1)


def test_sessions_up_to_the_review_are_allowed_and_the_next_is_not(flow):
    referral = flow.referral(state=S.ACTIVE, sessions=BEFORE_REVIEW - 1)
    assert not referral.review_is_due()

    flow.session(referral)  # the 3rd

    assert referral.counted_sessions() == BEFORE_REVIEW
    assert referral.review_is_due()
    assert_session_refused(flow, referral)
    # The model's own condition says the same, without the service's friendly check.
    row = Referral.objects.get(pk=referral.pk)
    with pytest.raises(TransitionNotAllowed):
        row.record_attended_session(held_at=timezone.now())


def test_a_review_to_close_does_not_open_more_sessions(flow):
    referral = flow.referral(state=S.ACTIVE, sessions=BEFORE_REVIEW)
    services.record_review(
        referral_id=referral.pk, by=flow.therapist.user, outcome=Review.Outcome.CLOSE
    )

    assert_session_refused(flow, referral)


def test_no_sessions_while_the_extension_awaits_a_decision(flow):
    referral = flow.referral(state=S.EXTENSION_REQUESTED)

    assert_session_refused(flow, referral)
    with pytest.raises(RuleRefused, match="waiting for a decision"):
        flow.session(
            referral,
            attendance=TherapySession.Attendance.DID_NOT_ATTEND,
            cancellation_reason="Unwell",
        )
    # The model's own source states say the same, without the service's kind refusal.
    row = Referral.objects.get(pk=referral.pk)
    with pytest.raises(TransitionNotAllowed):
        row.record_attended_session(held_at=timezone.now())


def test_a_refused_extension_keeps_the_cap_at_three(flow):
    referral = flow.referral(state=S.EXTENSION_REQUESTED)
    services.decide_extension_request(
        request_id=referral.extension_requests.get().pk, by=flow.psw, approve=False, note="No"
    )

    assert Referral.objects.get(pk=referral.pk).state == S.ACTIVE
    assert_session_refused(flow, referral)


def test_an_approved_extension_allows_up_to_six_and_no_more(flow):
    referral = flow.referral(state=S.EXTENSION_REQUESTED)
    approve_pending(referral, flow.psw)

    for _ in range(MAXIMUM - BEFORE_REVIEW):
        flow.session(referral)

    assert referral.counted_sessions() == MAXIMUM
    assert_session_refused(flow, referral)


def test_an_exceptional_session_cannot_be_asked_for_before_six(flow):
    referral = flow.referral(state=S.EXTENSION_REQUESTED)
    approve_pending(referral, flow.psw)
    for _ in range(MAXIMUM - BEFORE_REVIEW - 1):
        flow.session(referral)
    before = snapshot(referral)

    with pytest.raises(RuleRefused):
        services.request_exceptional_session(
            referral_id=referral.pk, by=flow.therapist.user, reason="Inquest"
        )

    assert snapshot(referral) == before


def test_one_approved_exceptional_session_beyond_six_and_never_an_eighth(flow, smpe):
    referral = six_sessions(flow)
    services.request_exceptional_session(
        referral_id=referral.pk, by=flow.therapist.user, reason="Inquest next week"
    )
    approve_pending(referral, smpe)

    flow.session(referral)  # the 7th

    assert referral.counted_sessions() == MAXIMUM + EXCEPTIONAL
    assert_session_refused(flow, referral)
    before = snapshot(referral)
    with pytest.raises(RuleRefused):
        services.request_exceptional_session(
            referral_id=referral.pk, by=flow.therapist.user, reason="Once more"
        )
    assert snapshot(referral) == before


def test_a_refused_exceptional_request_keeps_the_cap_at_six(flow):
    referral = six_sessions(flow)
    services.request_exceptional_session(
        referral_id=referral.pk, by=flow.therapist.user, reason="Inquest"
    )
    pending = referral.extension_requests.get(status=ExtensionRequest.Status.PENDING)
    services.decide_extension_request(request_id=pending.pk, by=flow.psw, approve=False, note="n")

    assert Referral.objects.get(pk=referral.pk).state == S.ACTIVE
    assert_session_refused(flow, referral)


@pytest.mark.parametrize(
    "attendance", [TherapySession.Attendance.DID_NOT_ATTEND, TherapySession.Attendance.CANCELLED]
)
def test_missed_and_cancelled_sessions_do_not_count(flow, attendance):
    referral = flow.referral(state=S.ACTIVE, sessions=BEFORE_REVIEW - 1)

    for _ in range(BEFORE_REVIEW):
        flow.session(referral, attendance=attendance, cancellation_reason="Unwell")
    assert referral.counted_sessions() == BEFORE_REVIEW - 1
    assert not referral.review_is_due()

    flow.session(referral)  # still allowed: the 3rd counted session

    assert referral.counted_sessions() == BEFORE_REVIEW
    # At the cap, a missed session is still recorded, and still not counted.
    flow.session(referral, attendance=attendance, cancellation_reason="Unwell")
    assert referral.counted_sessions() == BEFORE_REVIEW
    assert referral.therapy_sessions.count() == 2 * BEFORE_REVIEW + 1


def test_group_sessions_are_counted_apart_from_individual_sessions(flow):
    referral = group_referral(flow, S.ALLOCATED)
    for hours in range(MAXIMUM + EXCEPTIONAL + 1):
        services.record_group_session(
            referral_id=referral.pk,
            by=flow.therapist.user,
            # Apart by a second each, and all today (the referral was sent today).
            held_at=earlier_today(seconds=hours + 1),
            attendees=5,
        )
    assert referral.counted_sessions() == 0

    for _ in range(BEFORE_REVIEW):
        flow.session(referral)

    assert referral.counted_sessions() == BEFORE_REVIEW
    assert_session_refused(flow, referral)
