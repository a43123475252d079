"""The outbox sender (referrals/mailer.py): SMTP failures retried with backoff, then
marked failed with an alert (docs/security-checklist.md row 27); the admin's stuck list and
"Retry now"."""

import logging
import smtplib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse

from referrals import mailer, tasks
from referrals.models import OutboundEmail

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2026, 3, 4, 10, tzinfo=LONDON)


class FlakyBackend(EmailBackend):
    """Refuses the first ``failures`` sends, then delivers to mail.outbox."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.referrals.test_mailer.FlakyBackend"
    yield FlakyBackend
    FlakyBackend.failures = 0


@pytest.fixture
def email(db):
    return OutboundEmail.objects.create(
        dedupe_key="test:1", to="person@example.org", subject="Hello", body_text="Hi", not_before=T0
    )


def test_smtp_fails_twice_then_the_e_mail_goes(email, flaky):
    flaky.failures = 2
    assert mailer.send_one(email.pk, now=T0) is False
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundEmail.Status.PENDING, 1)
    assert email.not_before == T0 + mailer.backoff(1)
    assert "SMTPServerDisconnected" in email.last_error

    # Not due yet: nothing is tried.
    assert mailer.send_one(email.pk, now=email.not_before - timedelta(seconds=1)) is False
    email.refresh_from_db()
    assert email.attempts == 1

    second = email.not_before
    assert mailer.send_one(email.pk, now=second) is False
    email.refresh_from_db()
    assert email.not_before == second + mailer.backoff(2)
    assert mailer.backoff(2) > mailer.backoff(1)

    assert mailer.send_one(email.pk, now=email.not_before) is True
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (OutboundEmail.Status.SENT, 3, "")
    assert [m.subject for m in mail.outbox] == ["Hello"]


def test_after_max_attempts_the_row_is_failed_and_an_alert_logged(email, flaky, caplog):
    flaky.failures = mailer.MAX_ATTEMPTS + 1
    now = T0
    with caplog.at_level(logging.WARNING, logger="cirs.mailer"):
        for _ in range(mailer.MAX_ATTEMPTS):
            mailer.send_one(email.pk, now=now)
            email.refresh_from_db()
            now = email.not_before
    assert email.status == OutboundEmail.Status.FAILED
    assert email.attempts == mailer.MAX_ATTEMPTS
    assert mail.outbox == []
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].outbox_id == email.pk
    assert "person@example.org" not in caplog.text  # no address in the logs
    # A failed row is not retried by the sweep.
    assert mailer.flush(now=now + timedelta(days=1)) == 0


def test_backoff_is_capped(settings):
    settings.CELERY_RETRY_BACKOFF_MAX = 120
    assert mailer.backoff(20) == timedelta(seconds=120)


def test_the_task_retries_smtp_errors_on_the_mailer_schedule():
    task = tasks.send_outbound_email
    assert smtplib.SMTPException in task.autoretry_for
    assert task.retry_backoff == mailer.BACKOFF_BASE_SECONDS
    assert task.retry_backoff_max == django_settings.CELERY_RETRY_BACKOFF_MAX
    assert task.max_retries == mailer.MAX_ATTEMPTS - 1
    assert task.acks_late is True


def test_the_task_records_a_failure_and_flush_outbox_sends_it_later(email, flaky):
    flaky.failures = 1
    with time_machine.travel(T0, tick=False):
        # Eagerly the retry runs at once, finds the row not yet due and stops.
        tasks.send_outbound_email.apply(args=[email.pk], throw=False)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundEmail.Status.PENDING, 1)
    with time_machine.travel(email.not_before, tick=False):
        assert tasks.flush_outbox.apply().get() == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1


def test_two_workers_never_send_one_row_twice(email):
    assert mailer.send_one(email.pk, now=T0) is True
    assert mailer.send_one(email.pk, now=T0) is False
    assert len(mail.outbox) == 1


def test_stuck_list_and_retry_now_in_the_admin(admin_client, email, flaky):
    sent = OutboundEmail.objects.create(
        dedupe_key="test:2", to="b@example.org", subject="Sent", body_text="x"
    )
    mailer.send_one(sent.pk)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.FAILED, attempts=mailer.MAX_ATTEMPTS, last_error="SMTPError"
    )
    url = reverse("admin:referrals_outboundemail_changelist")
    page = admin_client.get(url, {"delivery": "stuck"})
    assert page.status_code == 200
    rows = list(page.context["cl"].result_list)
    assert rows == [email]

    response = admin_client.post(
        url, {"action": "retry_now", "_selected_action": [email.pk, sent.pk]}, follow=True
    )
    assert response.status_code == 200
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundEmail.Status.PENDING, 0)
    assert mailer.send_one(email.pk) is True
    sent.refresh_from_db()
    assert sent.status == OutboundEmail.Status.SENT
