"""E-mails are handed to Celery only after the change that caused them commits
(docs/security-checklist.md row 24): a rolled-back submission tells no one."""

import pytest
from django.core import mail
from django.db import transaction

from referrals import services
from referrals.models import Notification, OutboundEmail


def test_a_rolled_back_submission_sends_no_e_mail(flow, django_capture_on_commit_callbacks):
    draft = flow.draft()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.submit_referral(referral_id=draft.pk, by=flow.manager)
        raise RuntimeError("the request failed after the submission")
    assert callbacks == []
    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()
    assert not Notification.objects.exists()


def test_a_committed_submission_sends_after_commit(flow, smpe, django_capture_on_commit_callbacks):
    draft = flow.draft()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.submit_referral(referral_id=draft.pk, by=flow.manager)
    assert mail.outbox == []  # nothing sent inside the transaction
    assert len(callbacks) == 2  # one send task per triage lead
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([flow.psw.email, smpe.email])
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}
