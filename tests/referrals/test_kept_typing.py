"""Nothing typed is lost when the session runs out mid-form: the refused POST is kept
for that person and page, and the form comes back filled in after they sign in."""

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from referrals.kept import KEPT_MESSAGE
from referrals.selectors import referrals_visible_to
from tests.factories import referral_data

IDLE_PLUS = timedelta(minutes=31)


def _typed(team) -> dict:
    data = referral_data(team)
    return {
        "incident_date": data["occurred_on"].isoformat(),
        "category": data["category"],
        "team": str(team.pk),
        "staff_name": "Robin Kept-Words",
        "staff_phone": "07700 900123",
        "staff_email": "robin@example.org",
        "event_details": "A long account typed over forty minutes.",
        "team_input": "no",
        "action": "draft",
    }


def test_a_form_sent_after_the_idle_limit_comes_back_filled_in(client, manager, team):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(manager)
        client.get(reverse("referrals:create"))
    with time_machine.travel(start + IDLE_PLUS, tick=False):
        refused = client.post(
            reverse("referrals:create"),
            _typed(team),
            HTTP_REFERER=f"http://testserver{reverse('referrals:create')}",
        )

        assert refused.status_code == 302
        assert refused.url.startswith(reverse("login"))
        assert "next=%2Freferrals%2Fnew%2F" in refused.url
        assert not referrals_visible_to(manager).exists()

        client.force_login(manager)
        page = client.get(reverse("referrals:create"))

    body = page.content.decode()
    assert "Robin Kept-Words" in body
    assert "A long account typed over forty minutes." in body
    assert KEPT_MESSAGE.split(",")[0] in body
    # Given back once, not on every visit.
    with time_machine.travel(start + IDLE_PLUS, tick=False):
        assert "Robin Kept-Words" not in client.get(reverse("referrals:create")).content.decode()


def test_what_was_kept_is_never_shown_to_someone_else(client, manager, other_manager, team):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(manager)
    with time_machine.travel(start + IDLE_PLUS, tick=False):
        client.post(reverse("referrals:create"), _typed(team))
        client.force_login(other_manager)
        page = client.get(reverse("referrals:create"))

    assert "Robin Kept-Words" not in page.content.decode()


def test_a_post_only_address_sends_them_back_to_the_page_they_were_on(client, manager, team):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(manager)
    with time_machine.travel(start + IDLE_PLUS, tick=False):
        refused = client.post(
            reverse("referrals:notifications_read_all"),
            HTTP_REFERER=f"http://testserver{reverse('referrals:notifications')}",
        )

    assert "next=%2Freferrals%2Fnotifications%2F" in refused.url


def test_a_referer_from_elsewhere_is_not_followed(client, manager):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(manager)
    with time_machine.travel(start + IDLE_PLUS, tick=False):
        refused = client.post(
            reverse("referrals:notifications_read_all"),
            HTTP_REFERER="https://evil.example.com/phish/",
        )

    assert "evil" not in refused.url
    assert "next=%2Freferrals%2Fnotifications%2Fread-all%2F" in refused.url


def test_the_keepalive_counts_as_activity(client, manager):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(manager)
    with time_machine.travel(start + timedelta(minutes=25), tick=False):
        assert client.post(reverse("still_here")).status_code == 204
    with time_machine.travel(start + timedelta(minutes=50), tick=False):
        assert client.get(reverse("referrals:mine")).status_code == 200


def test_the_keepalive_needs_a_signed_in_post(client, manager):
    assert client.post(reverse("still_here")).status_code == 302
    client.force_login(manager)
    assert client.get(reverse("still_here")).status_code == 405


def test_pages_tell_the_browser_the_idle_limit_and_the_form_can_autosave(client, manager, settings):
    client.force_login(manager)

    page = client.get(reverse("referrals:create")).content.decode()

    assert 'name="cirs-session"' in page
    assert f'data-idle-seconds="{settings.SESSION_IDLE_SECONDS}"' in page
    assert "data-autosave" in page
    assert "cirs/keepalive.js" in page
