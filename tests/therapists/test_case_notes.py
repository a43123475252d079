"""Session notes are the allocated therapist's alone (docs/service.md "Data"): no page the
line manager, the PSW or the staff member sees ever renders them."""

import pytest
from django.urls import reverse

from referrals.models import Referral
from referrals.permissions import can_see_session_notes

pytestmark = pytest.mark.django_db

MARKER = "NOTE-MARKER-3141"


@pytest.fixture
def noted_case(flow, staff_member):
    referral = flow.referral(state=Referral.State.ACTIVE, staff_email=staff_member.email)
    flow.session(referral, notes=MARKER)
    referral.refresh_from_db()
    return referral


def test_the_allocated_therapist_sees_their_notes(client, flow, noted_case):
    client.force_login(flow.therapist.user)

    assert MARKER in client.get(reverse("therapists:case", args=[noted_case.pk])).text


def test_the_manager_and_the_psw_never_see_a_note(client, flow, noted_case):
    pages = {
        flow.manager: [
            reverse("referrals:detail", args=[noted_case.pk]),
            reverse("referrals:mine"),
            reverse("referrals:withdraw", args=[noted_case.pk]),
            reverse("therapists:case", args=[noted_case.pk]),
        ],
        flow.psw: [
            reverse("referrals:detail", args=[noted_case.pk]),
            reverse("referrals:extension_requests"),
            reverse("referrals:withdraw", args=[noted_case.pk]),
            reverse("therapists:case", args=[noted_case.pk]),
        ],
    }
    seen = 0
    for user, urls in pages.items():
        assert not can_see_session_notes(noted_case, user)
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 403)
            assert MARKER not in response.content.decode()
            seen += 1
    assert seen == 8


def test_the_staff_member_never_sees_the_therapists_notes(client, staff_member, noted_case):
    client.force_login(staff_member)

    response = client.get(reverse("referrals:own"))

    assert noted_case.reference in response.text
    assert MARKER not in response.text
