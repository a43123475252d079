"""E-mails go out only after the change that caused them commits (docs/security-checklist.md
#24): a rolled-back submission tells no one."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from referrals import services
from referrals.models import Notification, OutboundEmail, Referral

S = Referral.State


class Boom(Exception):
    pass


def test_a_rolled_back_submission_sends_no_email(flow, smpe, django_capture_on_commit_callbacks):
    referral = flow.referral(state=S.DRAFT)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        services.submit_referral(referral_id=referral.pk, by=flow.manager)
        raise Boom

    assert callbacks == []
    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()
    assert not Notification.objects.exists()
    assert Referral.objects.get(pk=referral.pk).state == S.DRAFT


def test_a_committed_submission_tells_the_psw_and_smpe_after_commit(
    flow, smpe, django_capture_on_commit_callbacks
):
    referral = flow.referral(state=S.DRAFT)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.submit_referral(referral_id=referral.pk, by=flow.manager)
        # Inside the transaction nothing has been sent yet.
        assert mail.outbox == []

    assert callbacks
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([flow.psw.email, smpe.email])
