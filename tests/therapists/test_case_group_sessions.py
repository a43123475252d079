"""Group sessions on a group referral (docs/service.md step 10): date, length, number of
attendees, the allocated therapist as facilitator; counted apart from individual ones."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.clocks import earlier_today
from referrals.models import Referral, TherapySession

pytestmark = pytest.mark.django_db


@pytest.fixture
def group_case(flow):
    referral = services.create_group_referral(
        by=flow.manager,
        data={
            "occurred_on": timezone.localdate() - timedelta(days=5),
            "category": "child_death_or_injury",
            "team": flow.team,
            "description": "",
            "referrer_role": "line_manager",
            "number_of_staff": 8,
            "group_consulted": True,
            "group_wishes_to_take_part": True,
        },
    )
    services.accept_referral(referral_id=referral.pk, by=flow.psw, provider=flow.provider)
    services.allocate_referral(
        referral_id=referral.pk, therapist=flow.therapist, by=flow.coordinator
    )
    referral.refresh_from_db()
    return referral


def post_group(client, referral, **overrides):
    referral.refresh_from_db()
    data = {
        "version": referral.version,
        "held_at": earlier_today(hours=2).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": 90,
        "attendees": 6,
        "mode": TherapySession.Mode.FACE_TO_FACE,
    }
    data.update(overrides)
    return client.post(reverse("therapists:group_session", args=[referral.pk]), data)


def test_a_group_session_is_recorded_with_its_facilitator_and_count(client, flow, group_case):
    client.force_login(flow.therapist.user)

    response = post_group(client, group_case)

    assert response.status_code == 302
    session = group_case.therapy_sessions.get()
    assert session.kind == TherapySession.Kind.GROUP
    assert session.attendees == 6
    assert session.duration_minutes == 90
    assert session.facilitator == flow.therapist
    group_case.refresh_from_db()
    assert group_case.state == Referral.State.ACTIVE


def test_group_sessions_are_counted_apart_from_individual_sessions(client, flow, group_case):
    client.force_login(flow.therapist.user)
    post_group(client, group_case)
    post_group(client, group_case, attendees=4)

    page = client.get(reverse("therapists:case", args=[group_case.pk])).text

    assert group_case.counted_sessions() == 0
    assert "2 group sessions held" in page
    assert "2 group sessions" in client.get(reverse("therapists:my_cases")).text


def test_the_number_of_attendees_is_needed(client, flow, group_case):
    client.force_login(flow.therapist.user)

    response = post_group(client, group_case, attendees=0)

    assert response.status_code == 200
    assert "greater than or equal to 1" in response.text
    assert not group_case.therapy_sessions.exists()


def test_an_individual_referral_takes_no_group_sessions(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)

    response = post_group(client, referral)

    assert response.status_code == 200
    assert "Group sessions are recorded on a group referral" in response.text
    assert not referral.therapy_sessions.filter(kind=TherapySession.Kind.GROUP).exists()


def test_another_therapist_cannot_record_a_group_session(client, other_therapist, group_case):
    client.force_login(other_therapist.user)

    assert post_group(client, group_case).status_code == 404
    assert not group_case.therapy_sessions.exists()
