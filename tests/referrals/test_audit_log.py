"""docs/service.md "Data": "log who read or changed each referral". The audit log is
append-only (docs/security-checklist.md row 21): the model refuses to change or delete a row,
and on PostgreSQL a trigger refuses even a raw queryset update or delete."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction

from accounts.models import AuditEvent
from referrals import services
from referrals.models import Referral

S = Referral.State


@pytest.fixture
def event(db, outsider):
    return AuditEvent.objects.create(
        user=outsider, action=AuditEvent.Action.VIEW, object_type="referral", object_id="1"
    )


def test_saving_an_existing_audit_row_is_refused(event):
    event.detail = "rewritten"

    with pytest.raises(PermissionError):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).detail == ""


def test_deleting_an_audit_row_is_refused(event):
    with pytest.raises(PermissionError):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_raw_update_is_refused_by_the_database(requires_postgres, event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(detail="rewritten")

    assert AuditEvent.objects.get(pk=event.pk).detail == ""


def test_a_raw_delete_is_refused_by_the_database(requires_postgres, event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_every_change_to_a_referral_is_audited_with_who(flow):
    referral = flow.referral(state=S.ACCEPTED)

    changes = AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGE, object_type="referral", object_id=str(referral.pk)
    ).order_by("at", "pk")

    assert list(changes.values_list("detail", "user")) == [
        ("draft_saved", flow.manager.pk),
        ("submitted", flow.manager.pk),
        ("accepted", flow.psw.pk),
    ]


def test_a_refused_change_leaves_no_audit_row(flow, outsider):
    referral = flow.referral(state=S.SUBMITTED)
    count = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied):
        services.accept_referral(referral_id=referral.pk, by=outsider, provider=flow.provider)

    assert AuditEvent.objects.count() == count
