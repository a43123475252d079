"""docs/security-checklist.md row 25, the real-worker half: with ``acks_late`` and
``task_reject_on_worker_lost``, a worker process killed in the middle of sending an
e-mail gives the task back to the broker, a fresh process sends the e-mail, and the
person gets it exactly once. While the sender is alive, its claim holds."""

import os
import signal
import threading
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, transaction

from referrals import mailer, notifications
from referrals.models import OutboundEmail
from tests.referrals.celery_worker_helpers import (
    mail_files,
    publishing_to,
    start_worker,
    stop_worker,
    wait_for,
    worker_env,
)

DELIVERY_SECONDS = 30


def parent_of(pid: int) -> int:
    # /proc/<pid>/stat: "pid (name) state ppid ..."; the name may hold spaces.
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def senders(control: Path) -> list[int]:
    return sorted(int(p.name.removeprefix("started-")) for p in control.glob("started-*"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_send_still_delivers_the_e_mail_once(
    requires_postgres, redis_url, tmp_path, monkeypatch
):
    mail_dir = tmp_path / "mail"
    control = tmp_path / "control"
    control.mkdir()
    hold = control / "hold"
    hold.touch()
    env = worker_env(
        redis_url=redis_url,
        tmp_path=tmp_path,
        mail_dir=mail_dir,
        EMAIL_BACKEND="tests.referrals.slow_email_backend.SlowEmailBackend",
        CIRS_TEST_MAIL_CONTROL_DIR=str(control),
    )
    worker = start_worker(env, "--pool=prefork", "--concurrency=1")
    killed = None
    try:
        with publishing_to(redis_url) as producer:
            # The real path: the outbox row and its send task, handed over on commit.
            monkeypatch.setattr(
                mailer,
                "_enqueue",
                lambda task, *args: task.apply_async(args=args, producer=producer),
            )
            with transaction.atomic():
                email = notifications.queue_email(
                    to="colleague@example.org",
                    subject="Your support session is booked",
                    text="We will see you on Tuesday.",
                    dedupe_key=f"kill-test:{tmp_path.name}",
                )

        started = wait_for(lambda: senders(control), DELIVERY_SECONDS, every=0.1)
        assert started, "no worker process began sending"
        killed = started[0]
        # Kill the pool process that is sending, never the worker that supervises it.
        assert killed != worker.pid
        assert parent_of(killed) == worker.pid
        os.kill(killed, signal.SIGKILL)
        hold.unlink()

        def delivered():
            return [t for t in mail_files(mail_dir) if "colleague@example.org" in t]

        first = wait_for(delivered, DELIVERY_SECONDS, every=0.2)
        sent = wait_for(
            lambda: OutboundEmail.objects.filter(
                pk=email.pk, status=OutboundEmail.Status.SENT
            ).first(),
            DELIVERY_SECONDS,
            every=0.2,
        )
        # No wait for a late copy: a row is marked sent only after its e-mail went,
        # and a sent row is never claimed again, so once it is sent every copy is in.
        arrived = delivered()
    finally:
        if hold.exists():
            hold.unlink()
        output = stop_worker(worker)

    assert first, f"no e-mail within {DELIVERY_SECONDS}s; worker said:\n{output}"
    assert len(arrived) == 1, f"{len(arrived)} copies arrived; worker said:\n{output}"
    assert "Your support session is booked" in arrived[0]
    # A new pool process sent it: the killed one never got as far as the mail files.
    assert [pid for pid in senders(control) if pid != killed], output
    assert sent is not None, output
    # The send that went out is counted; the killed one left nothing half-written.
    assert sent.attempts == 1
    assert sent.last_error == ""
    assert sent.sent_at is not None


class BlockingBackend(locmem.EmailBackend):
    """Holds the send until the test lets it go, so a second sender can try meanwhile."""

    sending = threading.Event()
    release = threading.Event()

    def send_messages(self, messages):
        BlockingBackend.sending.set()
        BlockingBackend.release.wait(timeout=DELIVERY_SECONDS)
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_live_sender_keeps_its_claim(requires_postgres, settings):
    settings.EMAIL_BACKEND = "tests.referrals.test_celery_worker_killed.BlockingBackend"
    BlockingBackend.sending.clear()
    BlockingBackend.release.clear()
    email = OutboundEmail.objects.create(
        dedupe_key="live-claim", to="colleague@example.org", subject="Booked", body_text="x"
    )
    results = []

    def first_sender():
        try:
            results.append(mailer.send_one(email.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=first_sender)
    thread.start()
    try:
        assert BlockingBackend.sending.wait(timeout=DELIVERY_SECONDS)
        # A second worker neither waits for the first (waiting on the row lock would
        # raise here) nor sends the same e-mail.
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '1s'")
        assert mailer.send_one(email.pk) is False
        assert mailer.flush() == 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
        BlockingBackend.release.set()
        thread.join()

    assert results == [True]
    assert [m.subject for m in mail.outbox] == ["Booked"]
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundEmail.Status.SENT, 1)
