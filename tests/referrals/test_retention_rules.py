"""Issue 14 point 7: erasure takes the person-to-referral link with it (in-app notices,
outbox e-mails), drafts never sent are deleted after CIRS_DRAFT_RETENTION_DAYS, and
referrals that never ended are erased after CIRS_RETENTION_DAYS from their last activity."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import AuditEvent
from referrals import chasing, retention, services, tasks
from referrals.models import (
    ClockDeadline,
    CriticalIncident,
    KeyDate,
    Notification,
    OutboundEmail,
    Referral,
)

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 1, 5, 10, tzinfo=LONDON)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def periods(settings):
    settings.CIRS_RETENTION_DAYS = 60
    settings.CIRS_DRAFT_RETENTION_DAYS = 20
    return settings


def at(moment, fn, *args, **kwargs):
    with time_machine.travel(moment, tick=False):
        return fn(*args, **kwargs)


def test_the_staff_member_s_notices_and_e_mails_go_with_the_referral(flow, staff_member):
    with time_machine.travel(START, tick=False):
        referral = flow.referral(state=Referral.State.CLOSED, staff_email=staff_member.email)
        services.send_closure_summary(referral.pk)
    assert Notification.objects.filter(user=staff_member, referral=referral).exists()
    assert OutboundEmail.objects.filter(user=staff_member, referral=referral).exists()

    erased = at(START + timedelta(days=60) + SECOND, retention.erase_expired_personal_data)

    assert erased == 1
    assert not Notification.objects.filter(user=staff_member).exists()
    assert not OutboundEmail.objects.filter(user=staff_member).exists()
    assert not OutboundEmail.objects.filter(referral=referral).exists()


def test_older_outbox_rows_without_a_referral_are_found_by_their_key(flow):
    with time_machine.travel(START, tick=False):
        referral = flow.referral(state=Referral.State.DECLINED)
    # Rows queued before the outbox knew its referral.
    OutboundEmail.objects.filter(referral=referral).update(referral=None)
    other = OutboundEmail.objects.create(
        dedupe_key="digest:triage:2026-01",
        to="x@example.org",
        subject="s",
        body_text="b",
        status="sent",
    )

    at(START + timedelta(days=60) + SECOND, retention.erase_expired_personal_data)

    assert list(OutboundEmail.objects.all()) == [other]


def test_a_draft_never_sent_is_deleted_after_the_draft_period(flow):
    with time_machine.travel(START, tick=False):
        draft = flow.draft()
    incident = draft.incident_id

    assert at(START + timedelta(days=20), retention.erase_stale_drafts) == 0
    assert at(START + timedelta(days=20) + SECOND, retention.erase_stale_drafts) == 1

    assert not Referral.objects.filter(pk=draft.pk).exists()
    assert not CriticalIncident.objects.filter(pk=incident).exists()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.ERASE, object_id=str(draft.pk), detail__startswith="draft"
    ).exists()


def test_editing_a_draft_restarts_its_period(flow):
    with time_machine.travel(START, tick=False):
        draft = flow.draft()
    with time_machine.travel(START + timedelta(days=15), tick=False):
        services.save_referral_draft(
            by=flow.manager, referral_id=draft.pk, data={"event_details": "More words"}
        )

    assert at(START + timedelta(days=21), retention.erase_stale_drafts) == 0
    assert at(START + timedelta(days=35) + SECOND, retention.erase_stale_drafts) == 1


def test_sent_referrals_are_not_drafts(flow):
    with time_machine.travel(START, tick=False):
        flow.referral()
    assert at(START + timedelta(days=30), retention.erase_stale_drafts) == 0


def test_a_stalled_referral_is_erased_after_the_period_from_its_last_activity(flow):
    with time_machine.travel(START, tick=False):
        stalled = flow.referral(state=Referral.State.ALLOCATED)
    with time_machine.travel(START + timedelta(days=10), tick=False):
        flow.first_meeting(stalled)  # its last activity

    assert at(START + timedelta(days=70), retention.erase_expired_personal_data) == 0
    assert at(START + timedelta(days=70, minutes=1), retention.erase_expired_personal_data) == 1

    stalled.refresh_from_db()
    assert stalled.staff_name == "" and stalled.personal_data_erased_at is not None
    assert stalled.state == Referral.State.ACTIVE  # the figures keep its state


def test_the_nightly_task_runs_both_rules(flow):
    with time_machine.travel(START, tick=False):
        flow.draft()
        flow.referral(state=Referral.State.SUBMITTED)
    with time_machine.travel(START + timedelta(days=61), tick=False):
        assert tasks.erase_expired_personal_data.apply().get() == 2


def test_a_digest_that_named_the_referral_goes_and_a_near_miss_stays(flow, smpe):
    """The Monday digest lists references and links in its text, with no foreign key:
    it is found by those. A reference or link that only starts the same is not it."""
    with time_machine.travel(START, tick=False):
        referral = flow.referral()
    monday = START + timedelta(days=14)
    with time_machine.travel(monday, tick=False):
        assert chasing.send_weekly_digest(now=monday) == 2  # the PSW and the SMPE
        services.decline_referral(referral_id=referral.pk, by=flow.psw, reason="r", signposting="s")
    digests = OutboundEmail.objects.filter(dedupe_key__startswith="digest:")
    assert digests.count() == 2 and digests.filter(referral__isnull=True).count() == 2
    near_miss = Notification.objects.create(
        user=flow.psw,
        subject=f"About {referral.reference}7",
        body=f"https://cirs.example.org/referrals/{referral.pk}7/",
    )

    at(monday + timedelta(days=60) + SECOND, retention.erase_expired_personal_data)

    assert not digests.exists()
    assert not Notification.objects.filter(body__contains=referral.reference).exists()
    assert list(Notification.objects.all()) == [near_miss]


def test_an_erased_referral_that_never_ended_is_chased_no_more(flow, smpe):
    """Its clocks stop: no chase, no key-date reminder, and no Monday digest lists it
    again."""
    with time_machine.travel(START, tick=False):
        stalled = flow.referral(state=Referral.State.ALLOCATED)
        services.save_key_date(
            referral_id=stalled.pk,
            by=flow.therapist.user,
            kind=KeyDate.Kind.INQUEST,
            date=(START + timedelta(days=65)).date(),
        )
    assert ClockDeadline.objects.filter(referral=stalled).exists()

    assert at(START + timedelta(days=61), retention.erase_expired_personal_data) == 1

    assert not ClockDeadline.objects.filter(referral=stalled).exists()
    monday = START + timedelta(days=63)
    with time_machine.travel(monday, tick=False):
        assert chasing.sweep(now=monday) == 0
        assert chasing.send_weekly_digest(now=monday) == 0
        chasing.recompute_all(now=monday)
    assert not ClockDeadline.objects.filter(referral=stalled).exists()
    assert not OutboundEmail.objects.exists()
