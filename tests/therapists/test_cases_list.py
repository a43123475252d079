"""'My cases': only my cases, each with what is due next and a badge near or past it."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from referrals import clocks, services
from referrals.models import Referral
from therapists.selectors import cases_for_therapist, next_due_for

pytestmark = pytest.mark.django_db

# A Tuesday morning, well away from bank holidays, so working-day sums are plain.
TUESDAY = datetime(2026, 3, 10, 9, 0, tzinfo=clocks.WORKING_TIME_ZONE)


def test_only_cases_allocated_to_me_are_listed(client, flow, other_therapist):
    mine = flow.referral(state=Referral.State.ACTIVE)
    theirs = flow.referral(state=Referral.State.ACCEPTED)
    services.allocate_referral(
        referral_id=theirs.pk, therapist=other_therapist, by=flow.coordinator
    )
    flow.referral(state=Referral.State.SUBMITTED)
    client.force_login(flow.therapist.user)

    response = client.get(reverse("therapists:my_cases"))

    assert response.status_code == 200
    assert mine.reference in response.text
    assert theirs.reference not in response.text
    assert list(cases_for_therapist(flow.therapist.user)) == [mine]


def test_my_cases_is_for_therapists_only(client, flow):
    client.force_login(flow.manager)

    assert client.get(reverse("therapists:my_cases")).status_code == 403


def test_the_first_meeting_is_the_next_thing_due_with_its_deadline(client, flow):
    with time_machine.travel(TUESDAY, tick=False):
        referral = flow.referral(state=Referral.State.ALLOCATED)
        client.force_login(flow.therapist.user)

        reading = next_due_for(referral)
        due_at = reading.due_at
        response = client.get(reverse("therapists:my_cases"))

    assert reading.clock == "first_meeting"
    # 48 working hours from Tuesday 09:00 is Thursday 09:00.
    assert due_at == TUESDAY + timedelta(days=2)
    assert "First meeting held: due by 09:00 on Thu 12 Mar" in response.text


def test_the_badge_turns_near_then_past_the_limit(client, flow):
    with time_machine.travel(TUESDAY, tick=False):
        referral = flow.referral(state=Referral.State.ALLOCATED)

    # The 48-hour target is Thursday 09:00; near once less than a quarter remains.
    with time_machine.travel(TUESDAY + timedelta(days=1, hours=13), tick=False):
        client.force_login(flow.therapist.user)
        near = client.get(reverse("therapists:my_cases")).text
    # The limit is five working days: the next Tuesday 09:00; one minute later is past it.
    with time_machine.travel(TUESDAY + timedelta(days=7, minutes=1), tick=False):
        client.force_login(flow.therapist.user)
        past = client.get(reverse("therapists:my_cases")).text
    with time_machine.travel(TUESDAY + timedelta(days=7), tick=False):
        on_the_limit = next_due_for(referral)

    assert "badge-near" in near
    assert "badge-breached" in past
    assert on_the_limit.badge != "breached"


def test_a_sooner_key_date_becomes_the_next_thing_due(flow):
    with time_machine.travel(TUESDAY, tick=False):
        referral = flow.referral(state=Referral.State.ACTIVE)
        flow.session(referral)
        flow.session(referral)  # the review clock now runs for 5 working days
        services.save_key_date(
            referral_id=referral.pk,
            by=flow.therapist.user,
            kind="funeral",
            date=timezone.localdate() + timedelta(days=2),
        )
        services.record_manager_contact(
            referral_id=referral.pk, by=flow.therapist.user, contacted_at=timezone.now()
        )
        case = cases_for_therapist(flow.therapist.user).get()

        reading = next_due_for(case)

    assert reading.clock == "key_date"
    assert reading.key_date.kind == "funeral"
    assert reading.badge == "near"  # within the 7-day reminder


def test_a_distant_key_date_is_not_next_while_a_clock_is_sooner(flow):
    with time_machine.travel(TUESDAY, tick=False):
        referral = flow.referral(state=Referral.State.ALLOCATED)
        services.save_key_date(
            referral_id=referral.pk,
            by=flow.therapist.user,
            kind="inquest",
            date=timezone.localdate() + timedelta(days=120),
        )

        reading = next_due_for(cases_for_therapist(flow.therapist.user).get())

    assert reading.clock == "first_meeting"


def _make_cases(flow, n):
    for _ in range(n):
        referral = flow.referral(state=Referral.State.ACTIVE)
        services.save_key_date(
            referral_id=referral.pk,
            by=flow.therapist.user,
            kind="funeral",
            date=timezone.localdate() + timedelta(days=10),
        )


def _queries(client, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(reverse("therapists:my_cases"))
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_list_costs_the_same_for_5_cases_as_for_50(client, flow, django_assert_max_num_queries):
    flow.therapist.capacity = 60
    flow.therapist.save()
    client.force_login(flow.therapist.user)
    _make_cases(flow, 5)
    few = _queries(client, django_assert_max_num_queries, 20)

    _make_cases(flow, 45)
    many = _queries(client, django_assert_max_num_queries, few)

    assert many == few
    assert cases_for_therapist(flow.therapist.user).count() == 50
