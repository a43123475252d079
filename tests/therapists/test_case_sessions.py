"""Sessions through the web layer: the cap of 3, review, extension to 6, one
exceptional 7th, never an 8th; only attended sessions count (docs/service.md step 8)."""

import html

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from referrals.clocks import earlier_today
from referrals.models import ExtensionRequest, Referral, TherapySession

pytestmark = pytest.mark.django_db


def an_hour_ago() -> str:
    return earlier_today(hours=1).strftime("%Y-%m-%dT%H:%M")


def post_session(client, referral, **overrides):
    referral.refresh_from_db()
    data = {
        "version": referral.version,
        "held_at": an_hour_ago(),
        "mode": TherapySession.Mode.VIRTUAL,
        "attendance": TherapySession.Attendance.ATTENDED,
        "cancellation_reason": "",
        "notes": "",
    }
    data.update(overrides)
    return client.post(reverse("therapists:session", args=[referral.pk]), data)


def post_review(client, referral, outcome, reason=""):
    referral.refresh_from_db()
    return client.post(
        reverse("therapists:review", args=[referral.pk]),
        {
            "version": referral.version,
            "outcome": outcome,
            "reason": reason,
            "held_on": timezone.localdate().isoformat(),
        },
    )


def decide(client, referral, *, approve, note=""):
    referral.refresh_from_db()
    pending = referral.extension_requests.get(status=ExtensionRequest.Status.PENDING)
    return client.post(
        reverse("referrals:decide_extension", args=[referral.pk, pending.pk]),
        {
            "version": referral.version,
            "decision": "approve" if approve else "refuse",
            "note": note,
        },
    )


def page(response) -> str:
    return html.unescape(response.text)


def test_the_page_explains_in_plain_words_that_only_attended_sessions_count(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)

    text = page(client.get(reverse("therapists:case", args=[referral.pk])))

    assert "Only sessions the staff member attended count" in text
    assert "did not attend" in text


def test_sessions_up_to_the_third_are_recorded(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=2)
    client.force_login(flow.therapist.user)

    response = post_session(client, referral)

    assert response.status_code == 302
    assert referral.counted_sessions() == settings.CIRS_SESSIONS_BEFORE_REVIEW
    referral.refresh_from_db()
    assert referral.third_session_at is not None


def test_a_fourth_session_before_the_review_is_refused_and_keeps_the_input(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=3)
    client.force_login(flow.therapist.user)

    response = post_session(client, referral, notes="marker kept as typed")

    assert response.status_code == 200
    assert "Please record the review" in page(response)
    assert "marker kept as typed" in page(response)
    assert referral.counted_sessions() == 3


def test_a_did_not_attend_is_recorded_but_does_not_count(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=3)
    client.force_login(flow.therapist.user)

    response = post_session(
        client,
        referral,
        attendance=TherapySession.Attendance.DID_NOT_ATTEND,
        cancellation_reason="unwell",
    )

    assert response.status_code == 302
    assert referral.therapy_sessions.count() == 4
    assert referral.counted_sessions() == 3


def test_a_missed_session_needs_a_short_reason(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)

    response = post_session(client, referral, attendance=TherapySession.Attendance.CANCELLED)

    assert response.status_code == 200
    assert "Please add a short reason" in page(response)
    assert referral.therapy_sessions.count() == 1


def test_a_dna_does_not_use_up_a_session_before_the_review(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=2)
    client.force_login(flow.therapist.user)
    post_session(
        client,
        referral,
        attendance=TherapySession.Attendance.DID_NOT_ATTEND,
        cancellation_reason="did not join",
    )

    response = post_session(client, referral)  # still the 3rd counted session

    assert response.status_code == 302
    assert referral.counted_sessions() == 3


def test_after_a_review_that_says_close_a_fourth_needs_an_approved_extension(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=3)
    client.force_login(flow.therapist.user)

    assert post_review(client, referral, "close").status_code == 302
    response = post_session(client, referral)

    assert response.status_code == 200
    assert "need an approved extension" in page(response)
    assert referral.counted_sessions() == 3


def test_an_extension_request_needs_a_reason(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=3)
    client.force_login(flow.therapist.user)

    response = post_review(client, referral, "extend")

    assert response.status_code == 200
    assert "Please say why more sessions would help" in page(response)
    assert not referral.reviews.exists()


def test_a_refused_extension_leaves_the_fourth_session_refused(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=3)
    client.force_login(flow.therapist.user)
    post_review(client, referral, "extend", reason="Inquest next month")
    client.force_login(flow.psw)
    assert decide(client, referral, approve=False, note="Please plan the ending").status_code == 302
    client.force_login(flow.therapist.user)

    response = post_session(client, referral)

    assert response.status_code == 200
    assert "need an approved extension" in page(response)
    assert referral.counted_sessions() == 3


def test_the_whole_ladder_4_to_6_after_approval_then_exceptional_7th_never_8th(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=3)
    therapist = flow.therapist.user
    client.force_login(therapist)
    assert post_review(client, referral, "extend", reason="Inquest next month").status_code == 302
    referral.refresh_from_db()
    assert referral.state == Referral.State.EXTENSION_REQUESTED

    waiting = post_session(client, referral)
    assert waiting.status_code == 200
    assert "Sessions can be recorded again once it is decided" in page(waiting)
    assert referral.counted_sessions() == 3

    client.force_login(flow.psw)
    assert decide(client, referral, approve=True).status_code == 302
    client.force_login(therapist)
    for expected in range(4, settings.CIRS_MAX_SESSIONS + 1):
        assert post_session(client, referral).status_code == 302
        assert referral.counted_sessions() == expected

    seventh = post_session(client, referral)
    assert seventh.status_code == 200
    assert "exceptional circumstances" in page(seventh)
    assert referral.counted_sessions() == settings.CIRS_MAX_SESSIONS

    referral.refresh_from_db()
    response = client.post(
        reverse("therapists:exceptional_session", args=[referral.pk]),
        {"version": referral.version, "reason": "The inquest was postponed"},
    )
    assert response.status_code == 302
    client.force_login(flow.psw)
    assert decide(client, referral, approve=True).status_code == 302
    client.force_login(therapist)

    assert post_session(client, referral).status_code == 302
    assert referral.counted_sessions() == settings.CIRS_MAX_SESSIONS + 1

    eighth = post_session(client, referral)
    assert eighth.status_code == 200
    assert "the most the service can offer" in page(eighth)
    assert referral.counted_sessions() == settings.CIRS_MAX_SESSIONS + 1


def test_a_seventh_session_without_an_exceptional_request_is_refused(client, flow):
    referral = flow.referral(state=Referral.State.EXTENSION_REQUESTED)
    client.force_login(flow.psw)
    decide(client, referral, approve=True)
    client.force_login(flow.therapist.user)
    for _ in range(3):
        post_session(client, referral)

    response = post_session(client, referral, notes="typed before refusal")

    assert response.status_code == 200
    assert "One further session is possible only in exceptional circumstances" in page(response)
    assert "typed before refusal" in page(response)
    assert referral.counted_sessions() == settings.CIRS_MAX_SESSIONS


def test_an_exceptional_request_needs_the_circumstances(client, flow):
    referral = flow.referral(state=Referral.State.EXTENSION_REQUESTED)
    client.force_login(flow.psw)
    decide(client, referral, approve=True)
    client.force_login(flow.therapist.user)
    for _ in range(3):
        post_session(client, referral)
    referral.refresh_from_db()

    response = client.post(
        reverse("therapists:exceptional_session", args=[referral.pk]),
        {"version": referral.version, "reason": "   "},
    )

    assert response.status_code == 200
    assert "Please record the exceptional circumstances" in page(response)
    assert not referral.extension_requests.filter(kind="exceptional").exists()


def test_session_notes_are_shown_to_the_therapist_on_their_case(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)
    post_session(client, referral, notes="NOTE-MARKER-7781")

    text = page(client.get(reverse("therapists:case", args=[referral.pk])))

    assert "NOTE-MARKER-7781" in text
