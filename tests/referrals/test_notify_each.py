"""``notify_each``: the sweep's way to tell many people at once. It says the same as
``notify`` one call at a time, in a fixed number of statements."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals import notifications
from referrals.models import Notification, OutboundEmail
from referrals.notifications import Notice, notify_each
from tests.factories import UserFactory


def _notice(referral, people, key, **extra):
    return Notice(
        recipients=tuple(people),
        template="chase_triage",
        key=key,
        referral=referral,
        context={"level": 1, "target_at": timezone.now(), "limit_at": timezone.now()},
        url=f"/referrals/{referral.pk}/",
        **extra,
    )


@pytest.mark.django_db
def test_many_notices_cost_the_same_statements_as_one(flow):
    referral = flow.referral()
    few = [_notice(referral, [flow.psw], "few:1")]
    many = [_notice(referral, [flow.psw, flow.coordinator], f"many:{n}") for n in range(20)]

    def statements(notices):
        with CaptureQueriesContext(connection) as captured:
            notify_each(notices)
        return len(captured.captured_queries)

    assert statements(many) == statements(few)
    assert OutboundEmail.objects.filter(dedupe_key__startswith="many:").count() == 40


@pytest.mark.django_db
def test_it_writes_what_notify_writes(flow):
    referral = flow.referral()
    later = timezone.now() + timedelta(days=2)
    notify_each([_notice(referral, [flow.psw], "each:1", not_before=later)])
    notifications.notify(
        [flow.psw],
        template="chase_triage",
        key="one:1",
        referral=referral,
        context={"level": 1, "target_at": timezone.now(), "limit_at": timezone.now()},
        url=f"/referrals/{referral.pk}/",
        not_before=later,
    )

    each, one = (
        OutboundEmail.objects.get(dedupe_key=f"{k}:{flow.psw.pk}") for k in ("each:1", "one:1")
    )
    fields = [
        "to",
        "user_id",
        "referral_id",
        "subject",
        "body_text",
        "body_html",
        "status",
        "not_before",
    ]
    assert {f: getattr(each, f) for f in fields} == {f: getattr(one, f) for f in fields}
    in_app = Notification.objects.filter(user=flow.psw, subject=each.subject).order_by("pk")
    assert [(n.body, n.url) for n in in_app][-2:] == [
        (each.body_text.strip(), f"/referrals/{referral.pk}/")
    ] * 2


@pytest.mark.django_db
def test_someone_told_before_under_the_key_is_not_told_again(flow):
    referral = flow.referral()
    notify_each([_notice(referral, [flow.psw], "again:1")])
    notices = Notification.objects.filter(user=flow.psw).count()

    told = notify_each(
        [
            _notice(referral, [flow.psw, flow.coordinator], "again:1"),
            _notice(referral, [flow.coordinator], "again:1"),  # the same key twice in one call
        ]
    )

    assert told == [1, 0]
    assert Notification.objects.filter(user=flow.psw).count() == notices
    assert OutboundEmail.objects.filter(dedupe_key__startswith="again:1:").count() == 2


@pytest.mark.django_db
def test_inactive_people_are_skipped_and_an_address_gets_an_e_mail_only(flow):
    referral = flow.referral()
    gone = UserFactory(username="gone", is_active=False)

    told = notify_each([_notice(referral, [gone, "robin@example.org", None], "address:1")])

    assert told == [1]
    assert list(
        OutboundEmail.objects.filter(dedupe_key__startswith="address:1:").values_list(
            "to", flat=True
        )
    ) == ["robin@example.org"]
    assert not Notification.objects.filter(user=gone).exists()


@pytest.mark.django_db
def test_an_e_mail_due_now_goes_to_a_worker_after_commit_and_a_held_one_waits(
    flow, django_capture_on_commit_callbacks
):
    referral = flow.referral()
    mail.outbox.clear()
    held = timezone.now() + timedelta(days=1)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        notify_each(
            [
                _notice(referral, [flow.psw], "now:1"),
                _notice(referral, [flow.coordinator], "later:1", not_before=held),
            ]
        )
        assert mail.outbox == []  # nothing leaves before the commit

    assert len(queued) == 1
    assert [m.to for m in mail.outbox] == [[flow.psw.email]]
    assert (
        OutboundEmail.objects.get(dedupe_key=f"later:1:{flow.coordinator.pk}").status == "pending"
    )


@pytest.mark.django_db
def test_with_council_sign_in_each_persons_roles_are_read_in_one_query(flow, settings):
    """With single sign-on on, each e-mail says how its reader signs in, which depends on
    their roles: read for everyone at once, not once a person."""
    settings.CIRS_OIDC_ISSUER = "https://login.example.org"
    settings.CIRS_OIDC_CLIENT_ID = "cirs"
    referral = flow.referral()
    coordinators = [
        UserFactory(username=f"coordinator{n}", roles=["coordinator"]) for n in range(8)
    ]

    def statements(people, key):
        fresh = [type(p).objects.get(pk=p.pk) for p in people]  # no roles read yet
        with CaptureQueriesContext(connection) as captured:
            notify_each(
                [_notice(referral, [person], f"{key}:{n}") for n, person in enumerate(fresh)]
            )
        return len(captured.captured_queries)

    assert statements(coordinators, "many") == statements(coordinators[:1], "one")
    body = OutboundEmail.objects.get(dedupe_key=f"many:3:{coordinators[3].pk}").body_html
    assert notifications.how_to_sign_in(coordinators[3]) in body
