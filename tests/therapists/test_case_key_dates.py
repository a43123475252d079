"""Key dates on a case: add, change, remove; a case may wait open for a distant one."""

import html
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.models import KeyDate, Referral

pytestmark = pytest.mark.django_db


def in_days(n: int) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def add(client, referral, **overrides):
    referral.refresh_from_db()
    data = {"version": referral.version, "kind": "inquest", "date": in_days(90), "label": ""}
    data.update(overrides)
    return client.post(reverse("therapists:key_date_add", args=[referral.pk]), data)


def test_a_therapist_adds_a_future_key_date(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)

    response = add(client, referral, label="to be confirmed")

    assert response.status_code == 302
    key_date = referral.key_dates.get()
    assert key_date.kind == KeyDate.Kind.INQUEST
    assert key_date.label == "to be confirmed"
    page = client.get(reverse("therapists:case", args=[referral.pk])).text
    assert "Key date: Inquest" in page
    assert reverse("therapists:key_date_ics", args=[referral.pk, key_date.pk]) in page


def test_a_key_date_in_the_past_is_refused_next_to_the_date(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)

    response = add(client, referral, date=in_days(-1), label="kept")

    assert response.status_code == 200
    assert "Key dates are dates still to come" in html.unescape(response.text)
    assert 'value="kept"' in response.text
    assert not referral.key_dates.exists()


def test_a_key_date_can_be_changed(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    key_date = services.save_key_date(
        referral_id=referral.pk,
        by=flow.therapist.user,
        kind="funeral",
        date=timezone.localdate() + timedelta(days=5),
    )
    referral.refresh_from_db()
    client.force_login(flow.therapist.user)
    url = reverse("therapists:key_date_edit", args=[referral.pk, key_date.pk])

    form_page = client.get(url)
    response = client.post(
        url, {"version": referral.version, "kind": "police", "date": in_days(9), "label": ""}
    )

    assert form_page.status_code == 200
    assert response.status_code == 302
    key_date.refresh_from_db()
    assert key_date.kind == KeyDate.Kind.POLICE
    assert key_date.date == timezone.localdate() + timedelta(days=9)


def test_a_key_date_can_be_removed(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    key_date = services.save_key_date(
        referral_id=referral.pk,
        by=flow.therapist.user,
        kind="funeral",
        date=timezone.localdate() + timedelta(days=5),
    )
    referral.refresh_from_db()
    client.force_login(flow.therapist.user)

    response = client.post(
        reverse("therapists:key_date_remove", args=[referral.pk, key_date.pk]),
        {"version": referral.version},
    )

    assert response.status_code == 302
    assert not referral.key_dates.exists()
    assert referral.transitions.filter(event="key_date_removed").exists()


def test_another_cases_key_date_is_not_found(client, flow):
    mine = flow.referral(state=Referral.State.ACTIVE)
    other = flow.referral(state=Referral.State.ACTIVE)
    key_date = services.save_key_date(
        referral_id=other.pk,
        by=flow.therapist.user,
        kind="funeral",
        date=timezone.localdate() + timedelta(days=5),
    )
    mine.refresh_from_db()
    client.force_login(flow.therapist.user)

    response = client.post(
        reverse("therapists:key_date_remove", args=[mine.pk, key_date.pk]),
        {"version": mine.version},
    )

    assert response.status_code == 404
    assert KeyDate.objects.filter(pk=key_date.pk).exists()


def test_a_case_waits_open_and_quiet_for_a_distant_key_date(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=3)
    services.record_review(referral_id=referral.pk, by=flow.therapist.user, outcome="close")
    client.force_login(flow.therapist.user)
    add(client, referral, date=in_days(200))
    referral.refresh_from_db()

    from referrals.sla import running_clocks

    running = {reading.clock for reading in running_clocks(referral)}
    assert referral.state == Referral.State.ACTIVE
    # While a key date is still to come, the closure clock does not chase the therapist.
    assert "closure_summary" not in running
    assert referral.reference in client.get(reverse("therapists:my_cases")).text
