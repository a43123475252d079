"""Issue 14 point 5: every list page that shows names, and every admin page, writes one
audit row per view naming the ids it showed, in a constant number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from referrals.models import Referral
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _list_rows(user, path):
    return list(
        AuditEvent.objects.filter(user=user, action=AuditEvent.Action.VIEW, path=path).values_list(
            "object_type", "object_ids"
        )
    )


def _ids(*referrals) -> str:
    return ",".join(str(r.pk) for r in referrals)


def test_the_triage_queue_names_what_it_showed(client, flow):
    first, second = flow.referral(), flow.referral()
    client.force_login(flow.psw)

    client.get(reverse("referrals:triage"))

    assert _list_rows(flow.psw, reverse("referrals:triage")) == [("referral", _ids(first, second))]


def test_my_referrals_names_what_it_showed(client, flow):
    draft = flow.draft()
    sent = flow.referral()
    client.force_login(flow.manager)

    client.get(reverse("referrals:mine"))

    [(kind, ids)] = _list_rows(flow.manager, reverse("referrals:mine"))
    assert kind == "referral" and set(ids.split(",")) == {str(draft.pk), str(sent.pk)}


def test_allocation_names_what_it_showed(client, flow):
    accepted = flow.referral(state=Referral.State.ACCEPTED)
    client.force_login(flow.coordinator)

    client.get(reverse("therapists:allocation_queue"))

    assert _list_rows(flow.coordinator, reverse("therapists:allocation_queue")) == [
        ("referral", _ids(accepted))
    ]


def test_my_cases_names_what_it_showed(client, flow):
    case = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)

    client.get(reverse("therapists:my_cases"))

    assert _list_rows(flow.therapist.user, reverse("therapists:my_cases")) == [
        ("referral", _ids(case))
    ]


def test_my_support_names_what_it_showed(client, flow, staff_member):
    own = flow.referral(staff_email=staff_member.email)
    client.force_login(staff_member)

    client.get(reverse("referrals:own"))

    assert _list_rows(staff_member, reverse("referrals:own")) == [("referral", _ids(own))]


def test_extension_requests_name_what_they_showed(client, flow):
    waiting = flow.referral(state=Referral.State.EXTENSION_REQUESTED)
    client.force_login(flow.psw)

    client.get(reverse("referrals:extension_requests"))

    assert _list_rows(flow.psw, reverse("referrals:extension_requests")) == [
        ("referral", _ids(waiting))
    ]


def test_an_empty_list_is_audited_too(client, flow):
    client.force_login(flow.psw)

    client.get(reverse("referrals:triage"))

    assert _list_rows(flow.psw, reverse("referrals:triage")) == [("referral", "")]


def test_the_audit_costs_one_insert_whatever_the_number_of_rows(
    client, flow, django_assert_max_num_queries
):
    """The list's own query count does not grow with its rows: one audit insert."""
    client.force_login(flow.psw)
    for _ in range(2):
        flow.referral()
    with django_assert_max_num_queries(60) as few:
        client.get(reverse("referrals:triage"))
    for _ in range(6):
        flow.referral()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("referrals:triage"))


@pytest.fixture
def admin(db, settings):
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    return UserFactory(username="ada", is_staff=True, is_superuser=True)


def test_an_admin_change_page_is_audited_with_its_object(client, admin, flow):
    referral = flow.referral()
    client.force_login(admin)
    path = reverse("admin:referrals_referral_change", args=[referral.pk])

    assert client.get(path).status_code == 200

    row = AuditEvent.objects.get(user=admin, path=path)
    assert (row.action, row.object_type, row.object_id) == (
        AuditEvent.Action.VIEW,
        "admin:referrals.referral",
        str(referral.pk),
    )


def test_an_admin_list_is_audited_with_the_ids_it_showed(client, admin, flow):
    first, second = flow.referral(), flow.referral()
    client.force_login(admin)
    path = reverse("admin:referrals_referral_changelist")

    client.get(path)

    row = AuditEvent.objects.get(user=admin, path=path)
    assert set(row.object_ids.split(",")) == {str(first.pk), str(second.pk)}


def test_every_admin_change_view_is_audited(client, admin):
    """Site-wide: the user admin too, not only the referral pages."""
    client.force_login(admin)
    someone = UserFactory(username="someone")
    path = reverse("admin:accounts_user_change", args=[someone.pk])

    client.get(path)

    assert AuditEvent.objects.filter(
        user=admin, path=path, object_type="admin:accounts.user", object_id=str(someone.pk)
    ).exists()
