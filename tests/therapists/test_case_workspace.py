"""The case page (/providers/cases/<id>/): who may open it, first meeting, manager
contact, and the 403/404 rules for every action on it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from referrals import services
from referrals.clocks import earlier_today
from referrals.models import Referral, TherapySession

pytestmark = pytest.mark.django_db


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def an_hour_ago() -> str:
    return local(earlier_today(hours=1))


def case_url(referral, name="case", *extra):
    return reverse(f"therapists:{name}", args=[referral.pk, *extra])


def test_the_allocated_therapist_opens_their_case_and_the_read_is_audited(client, flow):
    referral = flow.referral(state=Referral.State.ALLOCATED)
    client.force_login(flow.therapist.user)

    response = client.get(case_url(referral))

    assert response.status_code == 200
    assert referral.reference in response.text
    assert referral.staff_name in response.text
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, object_id=str(referral.pk), user=flow.therapist.user
    ).exists()


def test_another_therapists_case_is_not_found_and_the_attempt_is_audited(
    client, flow, other_therapist
):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(other_therapist.user)

    response = client.get(case_url(referral))

    assert response.status_code == 404
    assert referral.staff_name not in response.text
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DENIED, object_id=str(referral.pk), user=other_therapist.user
    ).exists()


def test_the_psw_sees_the_referral_but_may_not_work_the_case(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.psw)

    assert client.get(case_url(referral)).status_code == 403


def test_a_therapist_can_plan_then_record_the_first_meeting(client, flow):
    referral = flow.referral(state=Referral.State.ALLOCATED)
    client.force_login(flow.therapist.user)
    planned = timezone.now() + timedelta(days=1)

    response = client.post(
        case_url(referral, "plan_first_meeting"),
        {"version": referral.version, "planned_at": local(planned)},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.first_meeting_planned_at is not None

    response = client.post(
        case_url(referral, "first_meeting"),
        {
            "version": referral.version,
            "held_at": an_hour_ago(),
            "mode": TherapySession.Mode.FACE_TO_FACE,
            "notes": "",
        },
    )

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACTIVE
    first = referral.therapy_sessions.get()
    assert first.is_first_meeting
    assert first.mode == TherapySession.Mode.FACE_TO_FACE
    assert referral.transitions.filter(event="first_meeting_held").exists()


def test_a_first_meeting_in_the_future_is_refused_next_to_the_field_and_keeps_the_input(
    client, flow
):
    referral = flow.referral(state=Referral.State.ALLOCATED)
    client.force_login(flow.therapist.user)
    tomorrow = local(timezone.now() + timedelta(days=1))

    response = client.post(
        case_url(referral, "first_meeting"),
        {"version": referral.version, "held_at": tomorrow, "mode": "virtual", "notes": "kept"},
    )

    assert response.status_code == 200
    assert "in the future" in response.text
    assert tomorrow in response.text
    assert "kept" in response.text
    referral.refresh_from_db()
    assert referral.state == Referral.State.ALLOCATED


def test_a_stale_form_is_a_conflict_that_keeps_what_was_typed(client, flow):
    referral = flow.referral(state=Referral.State.ALLOCATED)
    stale_version = referral.version
    flow.first_meeting(referral)  # someone (another tab) records it first
    client.force_login(flow.therapist.user)

    response = client.post(
        case_url(referral, "manager_contact"),
        {"version": stale_version, "contacted_at": "2020-01-01T10:00"},
    )

    assert response.status_code == 409
    assert "just updated by someone else" in response.text
    assert "2020-01-01T10:00" in response.text
    referral.refresh_from_db()
    assert referral.manager_contacted_at is None
    # The form now carries the latest version, so trying again works.
    assert f'value="{referral.version}"' in response.text


def test_the_manager_contact_is_recorded_once(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)

    response = client.post(
        case_url(referral, "manager_contact"),
        {"version": referral.version, "contacted_at": an_hour_ago()},
    )

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.manager_contacted_at is not None
    page = client.get(case_url(referral)).text
    assert "Record the contact" not in page


def test_bad_input_is_shown_next_to_the_field(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)

    response = client.post(
        case_url(referral, "manager_contact"), {"version": referral.version, "contacted_at": ""}
    )

    assert response.status_code == 200
    assert "This field is required" in response.text
    referral.refresh_from_db()
    assert referral.manager_contacted_at is None


# Every action on the case page: (url name, needs a key date id).
ACTIONS = [
    ("plan_first_meeting", False),
    ("first_meeting", False),
    ("manager_contact", False),
    ("session", False),
    ("group_session", False),
    ("review", False),
    ("exceptional_session", False),
    ("key_date_add", False),
    ("key_date_edit", True),
    ("key_date_remove", True),
    ("closure", False),
    ("closure_confirm", False),
]


def _action_url(referral, name, needs_key_date, by):
    if not needs_key_date:
        return case_url(referral, name)
    key_date = services.save_key_date(
        referral_id=referral.pk,
        by=by,
        kind="inquest",
        date=timezone.localdate() + timedelta(days=30),
    )
    return case_url(referral, name, key_date.pk)


def _post_everything(referral):
    return {
        "version": referral.version,
        "held_at": an_hour_ago(),
        "planned_at": an_hour_ago(),
        "contacted_at": an_hour_ago(),
        "mode": "virtual",
        "attendance": "attended",
        "attendees": 4,
        "duration_minutes": 60,
        "outcome": "close",
        "reason": "r",
        "held_on": timezone.localdate().isoformat(),
        "kind": "funeral",
        "date": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "comments": "General comments.",
        "exit_pathways": [],
    }


@pytest.mark.parametrize(("name", "needs_key_date"), ACTIONS)
def test_every_case_action_is_forbidden_to_a_role_that_sees_the_referral(
    client, flow, name, needs_key_date
):
    referral = flow.referral(state=Referral.State.ACTIVE)
    url = _action_url(referral, name, needs_key_date, flow.therapist.user)
    referral.refresh_from_db()
    before = (referral.version, referral.therapy_sessions.count(), referral.key_dates.count())
    client.force_login(flow.manager)

    response = client.post(url, _post_everything(referral))

    assert response.status_code == 403
    referral.refresh_from_db()
    assert before == (
        referral.version,
        referral.therapy_sessions.count(),
        referral.key_dates.count(),
    )


@pytest.mark.parametrize(("name", "needs_key_date"), ACTIONS)
def test_every_case_action_is_not_found_for_another_therapist(
    client, flow, other_therapist, name, needs_key_date
):
    referral = flow.referral(state=Referral.State.ACTIVE)
    url = _action_url(referral, name, needs_key_date, flow.therapist.user)
    referral.refresh_from_db()
    before = (referral.version, referral.therapy_sessions.count(), referral.key_dates.count())
    client.force_login(other_therapist.user)

    response = client.post(url, _post_everything(referral))

    assert response.status_code == 404
    referral.refresh_from_db()
    assert before == (
        referral.version,
        referral.therapy_sessions.count(),
        referral.key_dates.count(),
    )
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DENIED, user=other_therapist.user
    ).exists()


@pytest.mark.parametrize("state", [Referral.State.WITHDRAWN, Referral.State.CLOSED])
def test_an_ended_case_is_shown_quietly_with_nothing_left_to_do(
    client, flow, state, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = flow.referral(state=Referral.State.ACTIVE)
        if state == Referral.State.WITHDRAWN:
            services.withdraw_referral(referral_id=referral.pk, by=flow.manager)
        else:
            flow.close(referral)
    client.force_login(flow.therapist.user)

    response = client.get(case_url(referral))

    assert response.status_code == 200
    for action in ("session", "manager_contact", "key_date_add", "closure"):
        assert f'action="{case_url(referral, action)}"' not in response.text
    assert reverse("referrals:withdraw", args=[referral.pk]) not in response.text


def test_the_withdraw_link_is_offered_on_an_open_case(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)

    response = client.get(case_url(referral))

    assert reverse("referrals:withdraw", args=[referral.pk]) in response.text
