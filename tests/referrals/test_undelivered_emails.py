"""E-mails that could not be delivered, listed in CIRS for the PSW and SMPE with
"try again" (until now only the admin's "Stuck messages" filter)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from referrals import mailer, services
from referrals.models import OutboundEmail
from referrals.paging import PER_PAGE

LIST = "referrals:undelivered_emails"
RETRY = "referrals:retry_email"


def email(n: int = 0, *, user=None, status=OutboundEmail.Status.FAILED, attempts=5, error=""):
    return OutboundEmail.objects.create(
        dedupe_key=f"test:{n}:{status}:{attempts}:{error}",
        to=user.email if user else f"person{n}@example.net",
        user=user,
        subject=f"Referral CIRS-{n:05d} is waiting for a triage decision",
        body_text="MARK-BODY-TEXT-7781",
        status=status,
        attempts=attempts,
        last_error=error,
        created_at=timezone.now() - timedelta(hours=2),
        not_before=timezone.now() - timedelta(hours=1),
    )


# --- the plain words for an error ------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ("SMTPRecipientsRefused: {'x@y': (550, b'no such user')}", "would not take this address"),
        ("SMTPAuthenticationError: (535, b'bad credentials')", "could not sign in to the mail"),
        ("ConnectionRefusedError: [Errno 111] Connection refused", "could not reach the mail"),
        ("SMTPServerDisconnected: Connection unexpectedly closed", "could not reach the mail"),
        ("SMTPDataError: (554, b'rejected')", "turned the message away"),
        ("ValueError: something odd", "does not know"),
        ("", "has not gone out yet"),
    ],
)
def test_each_error_is_put_in_plain_words_without_the_servers_text(db, error, words):
    row = email(error=error)

    said = mailer.plain_error(row)

    assert words in said
    assert "550" not in said and "b'" not in said and "Errno" not in said


# --- the service -----------------------------------------------------------------------


def test_try_again_resets_the_row_audits_it_and_sends_after_commit(
    psw, django_capture_on_commit_callbacks, monkeypatch
):
    row = email(error="ConnectionRefusedError: refused")
    queued = []
    monkeypatch.setattr(mailer, "_enqueue", lambda task, *args: queued.append(args))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.retry_undelivered_email(email_id=row.pk, by=psw)
        assert queued == []  # nothing leaves before the commit

    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.PENDING
    assert row.attempts == 0
    assert row.not_before <= timezone.now()
    audit = AuditEvent.objects.get(object_type="outbound_email", object_id=str(row.pk))
    assert audit.user == psw and audit.action == AuditEvent.Action.CHANGE
    for callback in callbacks:
        callback()
    assert queued == [(row.pk,)]


@pytest.mark.parametrize("persona", ["manager", "coordinator", "service_lead", "outsider"])
def test_only_triage_may_try_again(request, persona):
    row = email()
    user = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        services.retry_undelivered_email(email_id=row.pk, by=user)

    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.FAILED


def test_an_e_mail_sent_meanwhile_is_not_tried_again(psw):
    row = email(status=OutboundEmail.Status.SENT, attempts=1)

    with pytest.raises(services.RuleRefused):
        services.retry_undelivered_email(email_id=row.pk, by=psw)

    assert not AuditEvent.objects.filter(object_type="outbound_email").exists()


# --- the page --------------------------------------------------------------------------


def test_the_page_lists_what_to_whom_when_and_why_failed_first(client, psw, manager):
    waiting = email(1, status=OutboundEmail.Status.PENDING, attempts=2, error="TimeoutError: x")
    failed = email(2, user=manager, error="SMTPRecipientsRefused: {}")
    email(3, status=OutboundEmail.Status.SENT, attempts=1)
    client.force_login(psw)

    response = client.get(reverse(LIST))

    page = response.content.decode()
    rows = response.context["rows"]
    assert response.status_code == 200
    assert [r.pk for r in rows] == [failed.pk, waiting.pk]
    assert rows[0].recipient == str(manager) and rows[0].role == "Line manager"
    assert rows[1].recipient == "person1@example.net" and rows[1].role == "No CIRS account"
    assert failed.subject in page and waiting.subject in page
    assert "would not take this address" in page
    assert "CIRS-00003" not in page  # sent: nothing to do
    assert "MARK-BODY-TEXT-7781" not in page  # what it says is not shown
    assert "2 e-mails are waiting." in page


def test_the_list_is_paginated_by_50_with_the_total(client, psw, django_assert_max_num_queries):
    for n in range(PER_PAGE + 3):
        email(n)
    client.force_login(psw)

    with django_assert_max_num_queries(20):
        first = client.get(reverse(LIST))
    second = client.get(reverse(LIST), {"page": 2})

    assert len(first.context["rows"]) == PER_PAGE == 50
    assert len(second.context["rows"]) == 3
    assert f"{PER_PAGE + 3} e-mails are waiting." in first.content.decode()
    assert "Page 1 of 2" in first.content.decode()


def test_try_again_from_the_page(client, psw, monkeypatch):
    monkeypatch.setattr(mailer, "_enqueue", lambda task, *args: None)
    row = email(error="SMTPServerDisconnected: gone")
    client.force_login(psw)

    response = client.post(reverse(RETRY), {"email": row.pk, "page": "1"}, follow=True)

    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.PENDING
    assert response.redirect_chain[-1][0] == reverse(LIST) + "?page=1"
    assert "will be sent again now" in response.content.decode()
    assert response.context["rows"] == []


def test_try_again_on_something_gone_says_so_kindly(client, psw):
    client.force_login(psw)

    response = client.post(reverse(RETRY), {"email": 99999}, follow=True)

    assert response.status_code == 200
    assert "no longer in the list" in response.content.decode()


@pytest.mark.parametrize("persona", ["manager", "coordinator", "service_lead", "staff_member"])
def test_others_cannot_see_the_page_or_try_again(client, request, persona):
    row = email()
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse(LIST)).status_code == 403
    assert client.post(reverse(RETRY), {"email": row.pk}).status_code == 403
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.FAILED


def test_the_page_is_in_the_navigation_for_triage_only(client, psw, smpe, manager):
    for user, shown in ((psw, True), (smpe, True), (manager, False)):
        client.force_login(user)
        page = client.get(reverse("referrals:notifications")).content.decode()
        assert (reverse(LIST) in page) is shown, user
