"""Issue 14 point 7, whole-database check: once a referral is erased, no row of any model
still names its staff member, holds what was written about them, or points at the
referral by its reference or a link.

The referral goes through the real services: more information asked and answered,
support with session notes, a session booked ahead and moved (calendar invitations),
an e-mail that could not be delivered, a key date, chases and a Monday digest (which
lists referrals in its text, with no foreign key), closure with a follow-up note, the
closure summary e-mails and the questionnaire. Then every text field of every model is
read back.

Kept on purpose: the staff member's own account (they are a user of CIRS), and the
audit log's paths and ids (the record of who read what is kept; it holds no names)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from smtplib import SMTPRecipientsRefused
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.mail.backends.base import BaseEmailBackend
from django.db import models

from accounts.models import AuditEvent, User
from referrals import chasing, mailer, retention, services
from referrals.models import ExitPathway, KeyDate, Notification, OutboundEmail, Referral
from reporting.evaluation import submit_evaluation
from tests.factories import UserFactory
from tests.security.conftest import all_routes

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 3, 2, 10, tzinfo=LONDON)  # a Monday
DIGEST_MONDAY = datetime(2026, 3, 23, 8, tzinfo=LONDON)
CLOSED_AT = datetime(2026, 3, 25, 10, tzinfo=LONDON)
RETENTION_DAYS = 30

NAME = "Sunniva Erasmus-Quill"
EMAIL = "sunniva.quill@example.org"
PHONE = "07700 900461"
WRITTEN = {
    "description": "MARK-DESCRIPTION-5120",
    "event_details": "MARK-EVENT-DETAILS-5121",
    "team_input_details": "MARK-TEAM-INPUT-5122",
    "question": "MARK-QUESTION-5123",
    "answer": "MARK-ANSWER-5124",
    "notes": "MARK-SESSION-NOTES-5125",
    "place": "MARK-PLACE-5126",
    "key_date": "MARK-KEY-DATE-5127",
    "comments": "MARK-CLOSURE-COMMENTS-5128",
    "follow_up": "MARK-FOLLOW-UP-5129",
    "questionnaire": "MARK-QUESTIONNAIRE-5130",
}


class RefusingBackend(BaseEmailBackend):
    """The staff member's mail server refuses every message, naming the address."""

    def send_messages(self, messages):
        raise SMTPRecipientsRefused({m.to[0]: (550, b"mailbox unavailable") for m in messages})


@pytest.fixture(autouse=True)
def retention_days(settings):
    settings.CIRS_RETENTION_DAYS = RETENTION_DAYS


@pytest.fixture
def sunniva(db):
    return UserFactory(
        username="sunniva", first_name="Sunniva", last_name="Erasmus-Quill", email=EMAIL
    )


def _text_fields(model) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField, models.JSONField))
    ]


def _referral_paths(pk: int) -> re.Pattern:
    """Every URL of the project that takes this referral's id, as a pattern."""
    prefixes = set()
    for route in all_routes():
        if "referral_id" in route.converters:
            head = route.route.split("<int:referral_id>")[0]
            prefixes.add(re.escape("/" + head) + str(pk) + "/")
    assert len(prefixes) >= 4, prefixes
    return re.compile("|".join(sorted(prefixes)))


def _leftovers(referral: Referral, *, own_account: User) -> list[str]:
    words = [NAME, EMAIL, PHONE, *WRITTEN.values()]
    reference = re.compile(re.escape(referral.reference) + r"(?![0-9])")
    links = _referral_paths(referral.pk)
    found = []
    for model in apps.get_models():
        fields = _text_fields(model)
        if not fields:
            continue
        rows = model._default_manager.all()
        if model is User:
            rows = rows.exclude(pk=own_account.pk)
        for pk, *values in rows.values_list("pk", *fields):
            for field, value in zip(fields, values, strict=True):
                text = str(value or "")
                where = f"{model._meta.label}#{pk}.{field}"
                found += [f"{where}: {w}" for w in words if w.lower() in text.lower()]
                if reference.search(text):
                    found.append(f"{where}: the reference")
                if model is not AuditEvent and links.search(text):
                    found.append(f"{where}: a link to the referral")
    return found


def _fail_for_good(email: OutboundEmail, settings) -> None:
    """Through the mailer: every attempt is refused until the e-mail is given up on."""
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    moment = START
    for _ in range(mailer.MAX_ATTEMPTS):
        moment += timedelta(hours=1)
        mailer.send_one(email.pk, now=moment)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def kept(flow):
    """Someone else's referral, still being worked on: nothing of theirs goes."""
    with time_machine.travel(START, tick=False):
        referral = flow.referral(state=Referral.State.ACCEPTED)
    with time_machine.travel(CLOSED_AT + timedelta(days=RETENTION_DAYS), tick=False):
        services.allocate_referral(
            referral_id=referral.pk, therapist=flow.therapist, by=flow.coordinator
        )
    return flow.refresh(referral)


@pytest.fixture
def erased(flow, kept, sunniva, settings, django_capture_on_commit_callbacks):
    """The referral, with everything CIRS writes about it, erased after the period."""
    with time_machine.travel(START, tick=False):
        referral = flow.referral(
            staff_name=NAME,
            staff_email=EMAIL,
            staff_phone=PHONE,
            description=WRITTEN["description"],
            event_details=WRITTEN["event_details"],
            team_input="yes",
            team_input_details=WRITTEN["team_input_details"],
        )
        services.request_more_information(
            referral_id=referral.pk, by=flow.psw, question=WRITTEN["question"]
        )
        services.answer_information_request(
            referral_id=referral.pk, by=flow.manager, answer=WRITTEN["answer"]
        )
        services.accept_referral(referral_id=referral.pk, by=flow.psw, provider=flow.provider)
        services.allocate_referral(
            referral_id=referral.pk, therapist=flow.therapist, by=flow.coordinator
        )
        flow.first_meeting(referral)
        flow.session(referral, notes=WRITTEN["notes"])
        planned = services.plan_session(
            referral_id=referral.pk,
            by=flow.therapist.user,
            starts_at=START + timedelta(days=3),
            mode="face_to_face",
            place=WRITTEN["place"],
            expected_version=flow.refresh(referral).version,
        )
        services.plan_session(  # moved: a second calendar invitation
            referral_id=referral.pk,
            by=flow.therapist.user,
            planned_id=planned.pk,
            starts_at=START + timedelta(days=4),
            mode="face_to_face",
            place=WRITTEN["place"],
            expected_version=flow.refresh(referral).version,
        )
        services.save_key_date(
            referral_id=referral.pk,
            by=flow.therapist.user,
            kind=KeyDate.Kind.INQUEST,
            date=(CLOSED_AT + timedelta(days=10)).date(),
            label=WRITTEN["key_date"],
        )
    invitation = OutboundEmail.objects.filter(user=sunniva, attachment_name="session.ics").first()
    assert invitation is not None, "the staff member is sent a calendar invitation"
    _fail_for_good(invitation, settings)

    # Nothing more for three weeks: chases, then the Monday digest listing it.
    with time_machine.travel(DIGEST_MONDAY, tick=False):
        assert chasing.sweep(now=DIGEST_MONDAY) >= 1
        assert chasing.send_weekly_digest(now=DIGEST_MONDAY) >= 1
    digest = OutboundEmail.objects.filter(dedupe_key__startswith="digest:", user=flow.psw).get()
    assert referral.reference in digest.body_text and digest.referral_id is None

    with (
        time_machine.travel(CLOSED_AT, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.close_referral(
            referral_id=referral.pk,
            by=flow.therapist.user,
            exit_pathways=ExitPathway.objects.filter(code="gp"),
            comments=f"Support came to a natural end. {WRITTEN['comments']}",
            key_date_follow_up=WRITTEN["follow_up"],
        )
    with time_machine.travel(CLOSED_AT + timedelta(days=1), tick=False):
        submit_evaluation(
            referral_id=referral.pk,
            by=sunniva,
            timely=4,
            helpful=5,
            would_recommend=True,
            comment=WRITTEN["questionnaire"],
        )
    referral = flow.refresh(referral)
    # Everything was written where this test looks for it.
    assert len(_leftovers(referral, own_account=sunniva)) > 20

    moment = CLOSED_AT + timedelta(days=RETENTION_DAYS, hours=1)
    with time_machine.travel(moment, tick=False):
        assert retention.erase_expired_personal_data(now=moment) == 1
    return flow.refresh(referral)


def test_no_row_anywhere_names_the_staff_member_or_points_at_the_referral(erased, sunniva):
    assert _leftovers(erased, own_account=sunniva) == []


def test_the_digest_goes_with_it_and_others_notices_stay(erased, kept, flow):
    """The Monday digest named the referral in its text only: it is found and removed,
    in the app and in the outbox. Notices about a referral still being worked on stay."""
    assert not OutboundEmail.objects.filter(dedupe_key__startswith="digest:").exists()
    assert not Notification.objects.filter(body__contains=erased.reference).exists()
    assert Notification.objects.filter(user=flow.therapist.user, referral=kept).exists()
    assert OutboundEmail.objects.filter(referral=kept).count() >= 3


def test_the_scan_itself_sees_a_reference_a_name_and_a_link(erased, flow, sunniva):
    """The check above would see a leftover: one of each kind, planted."""
    Notification.objects.create(user=flow.psw, subject=f"About {erased.reference}.")
    Notification.objects.create(user=flow.psw, subject=f"For {NAME}")
    Notification.objects.create(user=flow.psw, subject="x", url=f"/providers/cases/{erased.pk}/")
    Notification.objects.create(user=flow.psw, subject=f"{erased.reference}0 is someone else")

    found = _leftovers(erased, own_account=sunniva)

    assert sorted(f.split(": ", 1)[1] for f in found) == sorted(
        ["the reference", NAME, "a link to the referral"]
    )
