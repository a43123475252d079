"""Issue 14 point 5: every list page that shows names, and every admin page, writes one
audit row per view naming the ids it showed, in a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.audit import showed
from accounts.models import AuditEvent
from referrals import services
from referrals.models import OutboundEmail, Referral
from tests.factories import UserFactory
from tests.security.routes import GET, OTHER_ROUTES
from therapists.models import TherapistLeave

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


# --- the pages issue 13 added, and the other lists that name people ---------------------


def _one_row(user, path) -> AuditEvent:
    [row] = AuditEvent.objects.filter(user=user, path=path)
    return row


def _tokens(row: AuditEvent) -> set[str]:
    return set(row.object_ids.split(",")) - {""}


def test_the_oversight_board_names_what_it_showed(client, flow):
    first, second = flow.referral(), flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.psw)

    client.get(reverse("referrals:board"))

    row = _one_row(flow.psw, reverse("referrals:board"))
    assert (row.action, row.object_type) == (AuditEvent.Action.VIEW, "referral")
    assert _tokens(row) == {str(first.pk), str(second.pk)}


def test_the_board_export_names_every_referral_it_held(client, flow):
    first, second = flow.referral(), flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.psw)

    client.get(reverse("referrals:board_csv"))

    row = _one_row(flow.psw, reverse("referrals:board_csv"))
    assert (row.action, row.object_type) == (AuditEvent.Action.DOWNLOAD, "referral")
    assert _tokens(row) == {str(first.pk), str(second.pk)}


def test_the_notifications_page_names_the_notices_and_their_referrals(client, flow):
    referral = flow.referral(state=Referral.State.ACCEPTED)  # the manager is told
    notices = list(flow.manager.notifications.all())
    assert notices
    client.force_login(flow.manager)

    client.get(reverse("referrals:notifications"))

    row = _one_row(flow.manager, reverse("referrals:notifications"))
    assert row.object_type == "notification"
    assert _tokens(row) == {str(n.pk) for n in notices} | {f"referral:{referral.pk}"}


def test_the_undelivered_e_mails_page_names_the_e_mails_and_whom_they_were_for(client, flow):
    referral = flow.referral()  # the PSW is told, by e-mail
    stuck = OutboundEmail.objects.filter(referral=referral, user=flow.psw).get()
    OutboundEmail.objects.filter(pk=stuck.pk).update(status=OutboundEmail.Status.FAILED, attempts=5)
    client.force_login(flow.psw)

    client.get(reverse("referrals:undelivered_emails"))

    row = _one_row(flow.psw, reverse("referrals:undelivered_emails"))
    assert row.object_type == "outbound_email"
    assert _tokens(row) == {str(stuck.pk), f"referral:{referral.pk}", f"user:{flow.psw.pk}"}


def test_the_pool_names_its_therapists_and_the_cases_with_leave_coming(client, flow):
    case = flow.referral(state=Referral.State.ACTIVE)
    soon = timezone.localdate() + timedelta(days=1)
    TherapistLeave.objects.create(therapist=flow.therapist, starts_on=soon, ends_on=soon)
    client.force_login(flow.coordinator)

    client.get(reverse("therapists:pool"))

    row = _one_row(flow.coordinator, reverse("therapists:pool"))
    assert row.object_type == "therapist"
    assert _tokens(row) == {str(flow.therapist.pk), f"referral:{case.pk}"}


def test_a_therapist_s_page_names_their_caseload(client, flow):
    case = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.coordinator)
    path = reverse("therapists:therapist_edit", args=[flow.therapist.pk])

    assert client.get(path).status_code == 200

    row = _one_row(flow.coordinator, path)
    assert row.object_type == "therapist"
    assert _tokens(row) == {str(flow.therapist.pk), f"referral:{case.pk}"}


def test_the_audit_log_names_the_rows_and_people_it_showed(client, flow):
    flow.referral()
    client.force_login(flow.psw)
    shown = list(AuditEvent.objects.all())
    people = {str(e.user_id) for e in shown if e.user_id}

    client.get(reverse("referrals:audit_log"))

    row = _one_row(flow.psw, reverse("referrals:audit_log"))
    assert row.object_type == "audit_event"
    assert _tokens(row) == {str(e.pk) for e in shown} | {f"user:{pk}" for pk in people}


def test_my_support_names_the_sessions_booked_ahead_it_showed(client, flow, staff_member):
    own = flow.referral(state=Referral.State.ACTIVE, staff_email=staff_member.email)
    planned = services.plan_session(
        referral_id=own.pk,
        by=flow.therapist.user,
        starts_at=timezone.now() + timedelta(days=3),
        mode="virtual",
        link="https://meet.example.org/x",
        expected_version=flow.refresh(own).version,
    )
    client.force_login(staff_member)

    client.get(reverse("referrals:own"))

    row = _one_row(staff_member, reverse("referrals:own"))
    assert _tokens(row) == {str(own.pk), f"planned_session:{planned.pk}"}


def test_showed_finds_every_page_that_showed_a_referral(client, flow):
    """Who has seen this referral: its own page, a list of referrals, and a list of
    something else that also showed it; not a list that only showed a longer id."""
    case = flow.referral(state=Referral.State.ACTIVE)
    soon = timezone.localdate() + timedelta(days=1)
    TherapistLeave.objects.create(therapist=flow.therapist, starts_on=soon, ends_on=soon)
    client.force_login(flow.coordinator)
    client.get(reverse("therapists:pool"))
    client.get(reverse("therapists:allocation_queue"))
    client.get(reverse("referrals:detail", args=[case.pk]))
    AuditEvent.objects.create(
        action=AuditEvent.Action.VIEW, object_type="referral", object_ids=f"{case.pk}0,9{case.pk}"
    )

    paths = set(
        AuditEvent.objects.filter(showed("referral", case.pk)).values_list("path", flat=True)
    )

    assert paths == {reverse("therapists:pool"), reverse("referrals:detail", args=[case.pk])}


# --- every page without an id: audited, or said why not ---------------------------------

# The signed-in pages without an object id that show no list of people or referrals.
# Every other one must write exactly one read-audit row per view.
NOT_A_LIST = {
    "home": "a redirect to the person's own landing page",
    "otp_verify": "the sign-in code step",
    "otp_enrol": "setting up the authenticator",
    "otp_enrol_link": "setting up the authenticator from its e-mailed link",
    "password_change": "the person's own password",
    "password_change_done": "the person's own password",
    "referrals:create": "an empty referral form",
    "referrals:create_group": "an empty group referral form",
    "reporting:report_status": (
        "whether the reader's own PDF is ready: a status word, no figures and no names"
    ),
    "therapists:therapist_add": (
        "a form; its choice of colleagues with a therapist account is a staff directory, "
        "like the names in every filter's drop-down, not a record about them"
    ),
}


def test_every_page_without_an_id_writes_one_read_audit_row_or_says_why_not(client, world):
    """A new list page fails here until it audits what it showed (or is listed above)."""
    audited = []
    for name, use in OTHER_ROUTES.items():
        if use.persona is None or GET not in use.methods:
            continue
        user = world.users[use.persona]
        client.force_login(user)
        url = reverse(name, kwargs=use.kwargs)
        since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

        response = client.get(url)

        reads = AuditEvent.objects.filter(
            pk__gt=since,
            user=user,
            path=url,
            action__in=[AuditEvent.Action.VIEW, AuditEvent.Action.DOWNLOAD],
        )
        if name in NOT_A_LIST:
            continue
        assert response.status_code == 200, (name, response.status_code)
        assert reads.count() == 1, (name, list(reads.values("object_type", "detail")))
        audited.append(name)
    assert set(NOT_A_LIST) <= set(OTHER_ROUTES)
    assert len(audited) >= 15, audited
