"""A request that is too large comes back to the same form with what was typed, never a
bare "Bad Request (400)" (``config.middleware.OversizePostMiddleware``).

Real oversize posts: Django's own limits (``DATA_UPLOAD_MAX_MEMORY_SIZE``,
``DATA_UPLOAD_MAX_NUMBER_FIELDS``) refuse them; the middleware reads them back and the
form view shows them again with a kind message."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from referrals.forms.common import LONG_TEXT_MAX
from referrals.models import Referral

URLENCODED = "application/x-www-form-urlencoded"
BANNER = 'data-testid="oversize"'


def appendix_1(team, **extra) -> dict:
    today = timezone.localdate()
    return {
        "form_token": uuid.uuid4().hex,
        "incident_date": (today - timedelta(days=3)).isoformat(),
        "category": "practitioner_harmed",
        "team": team.pk,
        "staff_name": "Kept Name-4471",
        "staff_email": "kept@example.org",
        "team_input": "no",
        "discussion_date": (today - timedelta(days=1)).isoformat(),
        "practitioner_agrees": "on",
        "action": "submit",
        **extra,
    }


def test_a_post_over_djangos_size_limit_comes_back_to_the_form_with_the_text(client, manager, team):
    huge = "A long account of the day. " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 26 + 10)
    body = urlencode(appendix_1(team, event_details=huge))
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    client.force_login(manager)

    response = client.post(reverse("referrals:create"), body, content_type=URLENCODED)

    page = response.content.decode()
    assert response.status_code == 400
    assert b"Bad Request" not in response.content
    assert BANNER in page
    assert "Kept Name-4471" in page  # every other answer is kept
    assert "A long account of the day." in page
    assert f"longer than the {LONG_TEXT_MAX} characters" in page
    assert not Referral.objects.exists()


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=12)
def test_a_post_with_too_many_fields_comes_back_to_the_form(client, manager, team):
    data = appendix_1(team, event_details="What happened, briefly.")
    extra = {f"stray_{n}": "x" for n in range(10)}
    client.force_login(manager)

    response = client.post(
        reverse("referrals:create"), urlencode({**data, **extra}), content_type=URLENCODED
    )

    assert response.status_code in (200, 302)
    # The form was valid: it went through, as if the stray fields were never there.
    assert Referral.objects.filter(staff_name="Kept Name-4471").exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_the_csrf_check_still_applies_to_an_oversize_post(manager, team):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)

    response = client.post(
        reverse("referrals:create"),
        urlencode(appendix_1(team, event_details="x" * 2000)),
        content_type=URLENCODED,
    )

    assert response.status_code == 403
    assert not Referral.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_post_far_too_large_to_keep_gets_a_kind_page(client, manager, team):
    client.force_login(manager)

    response = client.post(
        reverse("referrals:create"),
        urlencode(appendix_1(team, event_details="x" * 50_000)),
        content_type=URLENCODED,
    )

    page = response.content.decode()
    assert response.status_code == 413
    assert "too much to send at once" in page
    assert reverse("referrals:create") in page  # a way back to the form
    assert "Bad Request" not in page


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversize_file_style_post_gets_the_kind_page(client, manager, team):
    client.force_login(manager)

    response = client.post(reverse("referrals:create"), appendix_1(team, event_details="x" * 5000))

    assert response.status_code == 413
    assert b"too much to send at once" in response.content


@pytest.mark.parametrize("size", [10, 400])
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_ordinary_post_is_untouched(client, manager, team, size):
    body = urlencode(appendix_1(team, event_details="y" * size))
    assert len(body) < 1000
    client.force_login(manager)

    response = client.post(reverse("referrals:create"), body, content_type=URLENCODED)

    assert response.status_code == 302
    assert BANNER.encode() not in client.get(response["Location"]).content
