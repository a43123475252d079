"""The coordinator's pool of therapists (issue 13): add, edit, capacity, leave as date
ranges, caseload, and open cases whose therapist has leave coming."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import Role
from referrals.models import TransitionLog
from referrals.services import RuleRefused
from tests.factories import ProviderFactory, TherapistFactory, UserFactory
from therapists import selectors, services
from therapists.models import Therapist, TherapistLeave


def _leave(therapist, first: int, last: int) -> TherapistLeave:
    today = timezone.localdate()
    return TherapistLeave.objects.create(
        therapist=therapist,
        starts_on=today + timedelta(days=first),
        ends_on=today + timedelta(days=last),
    )


# --- the rule: on leave on a day ---------------------------------------------------------


def test_leave_covers_its_first_and_last_day_only(therapist):
    today = timezone.localdate()
    _leave(therapist, 2, 4)
    fetched = Therapist.objects.prefetch_related(
        Prefetch(
            "leaves",
            queryset=TherapistLeave.objects.filter(ends_on__gte=today),
            to_attr="leave_to_come",
        )
    ).get(pk=therapist.pk)

    for reader in (therapist, fetched):  # read now, or from the leave a page fetched
        on_leave = {
            offset: reader.leave_on(today + timedelta(days=offset)) is not None
            for offset in range(1, 6)
        }
        assert on_leave == {1: False, 2: True, 3: True, 4: True, 5: False}


def test_leave_within_the_notice_horizon_is_found_and_later_leave_is_not(therapist, settings):
    settings.CIRS_LEAVE_NOTICE_DAYS = 14
    today = timezone.localdate()
    later = _leave(therapist, 15, 20)
    assert therapist.leave_from(today, days=selectors.leave_notice_days()) is None
    soon = _leave(therapist, 14, 14)
    assert therapist.leave_from(today, days=selectors.leave_notice_days()) == soon
    assert later != soon


# --- services ---------------------------------------------------------------------------


def test_leave_ending_before_it_starts_is_refused_next_to_the_last_day(coordinator, therapist):
    today = timezone.localdate()
    with pytest.raises(RuleRefused) as refused:
        services.add_leave(
            by=coordinator,
            therapist_id=therapist.pk,
            starts_on=today + timedelta(days=3),
            ends_on=today,
        )
    assert refused.value.field == "ends_on"
    assert not TherapistLeave.objects.exists()


def test_overlapping_leave_is_refused(coordinator, therapist):
    _leave(therapist, 1, 5)
    today = timezone.localdate()
    with pytest.raises(RuleRefused, match="overlaps"):
        services.add_leave(
            by=coordinator,
            therapist_id=therapist.pk,
            starts_on=today + timedelta(days=5),
            ends_on=today + timedelta(days=8),
        )


def test_another_providers_coordinator_may_not_change_the_therapist(other_coordinator, therapist):
    with pytest.raises(PermissionDenied):
        services.update_therapist(
            by=other_coordinator, therapist_id=therapist.pk, capacity=2, is_active=True
        )
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.add_leave(
            by=other_coordinator, therapist_id=therapist.pk, starts_on=today, ends_on=today
        )
    therapist.refresh_from_db()
    assert therapist.capacity == 6


def test_only_therapist_accounts_not_in_a_pool_may_join(coordinator, provider, therapist):
    newcomer = UserFactory(first_name="Nia", roles=[Role.THERAPIST])
    manager = UserFactory(first_name="Mo", roles=[Role.LINE_MANAGER])
    assert set(services.users_who_may_join()) == {newcomer}
    with pytest.raises(RuleRefused):
        services.add_therapist(by=coordinator, provider=provider, user=manager, capacity=3)
    with pytest.raises(RuleRefused):
        services.add_therapist(by=coordinator, provider=provider, user=therapist.user, capacity=3)

    added = services.add_therapist(by=coordinator, provider=provider, user=newcomer, capacity=3)

    assert (added.provider, added.capacity) == (provider, 3)
    assert AuditEvent.objects.filter(object_type="therapist", object_id=str(added.pk)).exists()


def test_a_coordinator_may_not_add_to_another_providers_pool(coordinator, other_provider):
    newcomer = UserFactory(first_name="Nia", roles=[Role.THERAPIST])
    with pytest.raises(PermissionDenied):
        services.add_therapist(by=coordinator, provider=other_provider, user=newcomer, capacity=3)


# --- pages ------------------------------------------------------------------------------


def test_pool_page_lists_only_this_coordinators_therapists(client, coordinator, therapist):
    stranger = TherapistFactory(provider=ProviderFactory(name="Elsewhere"))
    _leave(therapist, 3, 6)
    client.force_login(coordinator)

    response = client.get(reverse("therapists:pool"))

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["page"].rows == [therapist]
    assert str(stranger) not in html
    today = timezone.localdate()
    assert f"Leave from {today + timedelta(days=3):%-d %b %Y}" in html
    assert "1 therapist." in html


@pytest.mark.parametrize("persona", ["therapist", "psw", "manager"])
def test_pool_pages_refuse_other_roles(client, request, persona, therapist):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    assert client.get(reverse("therapists:pool")).status_code == 403
    assert client.get(reverse("therapists:therapist_add")).status_code == 403
    # A therapist's page is not found for anyone but their coordinator (the URL matrix).
    edit = reverse("therapists:therapist_edit", args=[therapist.pk])
    assert client.get(edit).status_code == 404


def test_another_providers_therapist_is_not_found(client, other_coordinator, therapist):
    client.force_login(other_coordinator)
    edit = reverse("therapists:therapist_edit", args=[therapist.pk])
    assert client.get(edit).status_code == 404
    leave = reverse("therapists:leave_add", args=[therapist.pk])
    assert client.post(leave, {"starts_on": "2027-01-01", "ends_on": "2027-01-02"}).status_code == (
        404
    )
    assert not TherapistLeave.objects.exists()


def test_add_a_therapist_from_the_page(client, coordinator, provider):
    newcomer = UserFactory(first_name="Nia", roles=[Role.THERAPIST])
    client.force_login(coordinator)

    response = client.post(
        reverse("therapists:therapist_add"),
        {"user": newcomer.pk, "provider": provider.pk, "capacity": 4},
    )

    added = Therapist.objects.get(user=newcomer)
    assert response.status_code == 302
    assert response.url == reverse("therapists:therapist_edit", args=[added.pk])
    assert added.capacity == 4


def test_edit_capacity_and_record_leave_from_the_page(client, coordinator, therapist):
    client.force_login(coordinator)
    edit = reverse("therapists:therapist_edit", args=[therapist.pk])

    response = client.post(edit, {"capacity": 2, "is_active": "on", "availability_note": ""})
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.capacity == 2

    response = client.post(
        reverse("therapists:leave_add", args=[therapist.pk]),
        {"starts_on": "2030-02-10", "ends_on": "2030-02-01", "note": "annual leave"},
    )
    assert response.status_code == 400
    assert "before the first day" in response.content.decode()
    assert response.context["leave_form"]["note"].value() == "annual leave"

    response = client.post(
        reverse("therapists:leave_add", args=[therapist.pk]),
        {"starts_on": "2030-02-01", "ends_on": "2030-02-10", "note": "annual leave"},
    )
    assert response.status_code == 302
    leave = TherapistLeave.objects.get(therapist=therapist)
    assert (leave.starts_on.isoformat(), leave.ends_on.isoformat()) == ("2030-02-01", "2030-02-10")

    response = client.post(reverse("therapists:leave_remove", args=[therapist.pk, leave.pk]))
    assert response.status_code == 302
    assert not TherapistLeave.objects.exists()


def test_leave_coming_shows_on_each_open_case_and_offers_a_reallocation(
    client, flow, coordinator, therapist, other_therapist, settings
):
    settings.CIRS_LEAVE_NOTICE_DAYS = 14
    referral = flow.referral(state="active")
    leave = _leave(therapist, 5, 9)
    client.force_login(coordinator)
    dates = f"on leave from {leave.starts_on:%-d %b %Y} to {leave.ends_on:%-d %b %Y}"

    pool_html = client.get(reverse("therapists:pool")).content.decode()
    edit_html = client.get(
        reverse("therapists:therapist_edit", args=[therapist.pk])
    ).content.decode()
    allocate = client.get(reverse("therapists:allocate", args=[referral.pk]) + "?because=leave")

    assert dates in pool_html
    assert dates in edit_html.replace("On leave", "on leave")
    assert referral.reference in edit_html
    reason = allocate.context["form"]["reason"].value()
    assert f"on leave from {leave.starts_on:%-d %B %Y}" in reason

    response = client.post(
        reverse("therapists:allocate", args=[referral.pk]),
        {"therapist": other_therapist.pk, "reason": reason, "version": referral.version},
    )
    assert response.status_code == 302
    log = TransitionLog.objects.get(referral=referral, event="reallocated")
    assert log.note == reason


def test_leave_beyond_the_horizon_shows_nothing_on_the_cases(
    client, flow, coordinator, therapist, settings
):
    settings.CIRS_LEAVE_NOTICE_DAYS = 14
    flow.referral(state="active")
    _leave(therapist, 15, 20)
    client.force_login(coordinator)

    response = client.get(reverse("therapists:pool"))

    assert response.context["leave_coming"] == []
