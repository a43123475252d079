"""Nothing typed is lost to the idle sign-out: a line manager who types part of a
referral and then leaves the page quiet finds it saved as a draft, in a real browser
whose clock is moved on (static/cirs/keepalive.js)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals.models import Referral

PASSWORD = "a-long-test-passphrase"  # tests/factories.py UserFactory
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_quiet_unsaved_referral_is_saved_as_a_draft_before_sign_out(
    live_server, open_tab, settings, manager, team
):
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    tab = open_tab()
    page = tab.page
    problems = tab.sign_in(manager.username, PASSWORD)
    page.clock.install()
    page.goto(reverse("referrals:create"))
    page.get_by_label("Date of the incident").fill(
        (timezone.localdate() - timedelta(days=3)).isoformat()
    )
    page.get_by_label("What kind of incident was it?").select_option(index=1)
    page.get_by_label("Team or department").select_option(str(team.pk))
    page.get_by_label("Name of staff member").fill("Robin Achebe")
    page.get_by_label("Brief details of the critical event and staff members involvement").fill(
        "Typed slowly, then a long phone call."
    )

    # Typing pings the server once, at the first tick after a quiet minute. Wait for
    # the reply and for the page to have noted it before moving the clock on: the
    # idle countdown starts from that reply, wherever the fake clock then stands.
    keepalive = reverse("still_here")
    with page.expect_response(lambda r: r.url.endswith(keepalive)) as reply:
        page.clock.run_for("01:20")
    assert reply.value.ok
    noted = page.locator('meta[name="cirs-session"][data-last-contact]')
    noted.wait_for(state="attached")
    # Then the page stays quiet until just before the 30-minute idle limit, when the
    # draft is saved for them: at the first tick 27 minutes after that reply.
    with page.expect_navigation():
        page.clock.run_for("28:00")

    draft = Referral.objects.get(created_by=manager)
    assert draft.state == Referral.State.DRAFT
    assert draft.staff_name == "Robin Achebe"
    assert draft.event_details == "Typed slowly, then a long phone call."
    page.wait_for_url(f"**{reverse('referrals:detail', args=[draft.pk])}")
    assert "Robin Achebe" in page.content()
    problems += tab.problems()
    assert problems == []


def test_a_quiet_page_with_nothing_typed_saves_nothing(live_server, open_tab, settings, manager):
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    tab = open_tab()
    tab.sign_in(manager.username, PASSWORD)
    tab.page.clock.install()
    tab.page.goto(reverse("referrals:create"))

    tab.page.clock.run_for("29:00")

    assert not Referral.objects.filter(created_by=manager).exists()
    assert tab.page.url.endswith(reverse("referrals:create"))
