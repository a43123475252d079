"""Every e-mail link lands on a page that shows what the e-mail says is there.

A whole journey runs through the real services (and the chase sweep, the key-date
reminders and the Monday digest), with ``render_email`` watched so each e-mail is known
by its template, its recipient and its real context. For each one, every link in the
text and the HTML is followed as the person it was sent to, and the page must show
what that e-mail promised: the question, the summary, the request, the case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from referrals import chasing, notifications, services
from referrals.models import ExitPathway, ExtensionRequest, KeyDate, Referral, Review
from reporting.evaluation import INVITATION_TEMPLATE

LONDON = ZoneInfo("Europe/London")
LINK = re.compile(r"https?://[^\s<>\"')]+")
QUESTION = "Has the staff member been offered a debrief with their team?"
ANSWER = "Yes, a team debrief was held on the Friday after the incident."
SIGNPOSTING = "The council's wellbeing service can offer support straight away."
COMMENTS = "Engaged well with the sessions and feels ready to end support."


@dataclass
class Sent:
    template: str
    user: object
    referral: Referral | None
    context: dict
    text: str
    html: str


@pytest.fixture
def sent(monkeypatch) -> list[Sent]:
    record: list[Sent] = []
    real = notifications.render_email

    def watch(template, context, **found):
        subject, text, html = real(template, context, **found)
        record.append(
            Sent(template, context.get("user"), context.get("referral"), context, text, html)
        )
        return subject, text, html

    monkeypatch.setattr(notifications, "render_email", watch)
    return record


class Reader:
    """Follows the links of each new e-mail as it arrives, as its recipient."""

    def __init__(self, client, sent: list[Sent]):
        self.client = client
        self.sent = sent
        self.read = 0
        self.followed = 0
        self.checked: list[str] = []
        self.problems: list[str] = []

    def skip(self) -> None:
        """E-mails of the steps taken only to set up a later one (each kind is read
        where its step is taken for real)."""
        self.read = len(self.sent)

    def check(self) -> None:
        for item in self.sent[self.read :]:
            self._follow(item)
        self.read = len(self.sent)

    def _follow(self, item: Sent) -> None:
        self.checked.append(item.template)
        if item.user is None:
            self.problems.append(f"{item.template} went to someone with no account")
            return
        links = _links(item)
        if not links:
            self.problems.append(f"{item.template} has no link")
        self.client.force_login(item.user)
        for link in links:
            where = f"{item.template} to {item.user}: {link}"
            if not link.startswith(settings.SITE_URL):
                self.problems.append(f"{where} leaves CIRS")
                continue
            response = self.client.get(link.removeprefix(settings.SITE_URL), follow=True)
            if response.status_code != 200:
                self.problems.append(f"{where} answered {response.status_code}")
                continue
            page = response.content.decode()
            missing = [p for p in _promised(item, link) if p not in page and escape(p) not in page]
            if missing:
                self.problems.append(f"{where} does not show {missing}")
            self.followed += 1


def _journey(flow, psw, staff_member, reader: Reader) -> None:
    """One referral through every step, and others left where each chase applies;
    each e-mail is read as soon as it is sent."""
    main = flow.referral(state=Referral.State.SUBMITTED, staff_email=staff_member.email)
    reader.check()
    services.request_more_information(referral_id=main.pk, by=psw, question=QUESTION)
    reader.check()
    services.answer_information_request(referral_id=main.pk, by=flow.manager, answer=ANSWER)
    reader.check()
    services.accept_referral(referral_id=main.pk, by=psw, provider=flow.provider)
    reader.check()
    services.allocate_referral(referral_id=main.pk, therapist=flow.therapist, by=flow.coordinator)
    reader.check()
    flow.first_meeting(main)
    while flow.refresh(main).counted_sessions() < 3:
        flow.session(main)
    services.record_review(
        referral_id=main.pk,
        by=flow.therapist.user,
        outcome=Review.Outcome.EXTEND,
        reason="More sessions would help.",
    )
    reader.check()
    pending = main.extension_requests.get(status=ExtensionRequest.Status.PENDING)
    services.decide_extension_request(request_id=pending.pk, by=psw, approve=True)
    reader.check()
    services.close_referral(
        referral_id=main.pk,
        by=flow.therapist.user,
        exit_pathways=flow_exit_pathways(),
        comments=COMMENTS,
    )
    services.send_closure_summary(main.pk)
    reader.check()

    declined = flow.referral(state=Referral.State.SUBMITTED, staff_name="Dee Clined")
    reader.skip()
    services.decline_referral(
        referral_id=declined.pk, by=psw, reason="Not a fit this time.", signposting=SIGNPOSTING
    )
    reader.check()
    withdrawn = flow.referral(state=Referral.State.ALLOCATED, staff_name="Will Drawn")
    reader.skip()
    services.withdraw_referral(referral_id=withdrawn.pk, by=flow.manager, reason="")
    reader.check()
    flow.referral(state=Referral.State.SUBMITTED, staff_name="Wai Ting")
    flow.referral(state=Referral.State.ACCEPTED, staff_name="Acc Epted")
    flow.referral(state=Referral.State.ALLOCATED, staff_name="Al Located")
    active = flow.referral(state=Referral.State.ACTIVE, staff_name="Ac Tive")
    services.save_key_date(
        referral_id=active.pk,
        by=flow.therapist.user,
        kind=KeyDate.Kind.INQUEST,
        date=timezone.localdate() + timedelta(days=3),
    )
    reader.skip()


def flow_exit_pathways():
    return ExitPathway.objects.filter(code="no_further_support")


def _promised(item: Sent, link: str) -> list[str]:
    """What the page behind the link must show, by what the e-mail says is there."""
    referral = item.referral
    reference = [referral.reference] if referral is not None else []
    promises = {
        "more_information_requested": [QUESTION],
        "referral_resubmitted": [ANSWER],
        "referral_declined": [SIGNPOSTING],
        "referral_sent_to_provider": ["Allocate a therapist"],
        "case_allocated": ["Open the case workspace"],
        "extension_requested": ["more sessions"],
        "extension_decided": ["Extension approved"],
        "support_ended_manager": ["Support has ended", item.context.get("summary_text", "-")],
        "support_ended_staff": [item.context.get("summary_text", "-")],
        INVITATION_TEMPLATE: ["The support came at the right time"],
        "referral_withdrawn": ["Withdrawn"],
        "referral_submitted": ["Make the triage decision"],
    }
    if item.template == INVITATION_TEMPLATE:
        return promises[INVITATION_TEMPLATE]
    if item.template in ("digest_triage", "digest_provider"):
        # Each case listed links to that case; the e-mail's own link to the notices.
        listed = [i.reference for i in item.context["items"] if i.url == link]
        # The PSW's digest opens the oversight board, filtered; the provider's, the notices.
        return listed or (["Oversight board"] if "/board/" in link else ["This week"])
    return reference + promises.get(item.template, [])


def _links(item: Sent) -> set[str]:
    return set(LINK.findall(item.text)) | set(LINK.findall(item.html))


@time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=LONDON), tick=False)
def test_every_e_mail_link_shows_what_the_e_mail_promises(client, flow, psw, staff_member, sent):
    reader = Reader(client, sent)
    _journey(flow, psw, staff_member, reader)
    later = timezone.now() + timedelta(days=20)
    chasing.sweep(now=later)
    reader.check()
    chasing.send_weekly_digest(now=later)
    reader.check()
    chasing.remind_key_dates(now=timezone.now())
    reader.check()

    templates = {item.template for item in sent}
    assert {
        "referral_submitted",
        "more_information_requested",
        "referral_resubmitted",
        "referral_sent_to_provider",
        "referral_accepted",
        "referral_declined",
        "case_allocated",
        "extension_requested",
        "extension_decided",
        "support_ended_manager",
        "support_ended_staff",
        INVITATION_TEMPLATE,
        "referral_withdrawn",
        "chase_triage",
        "chase_allocation",
        "chase_first_meeting",
        "reminder_key_date",
        "digest_triage",
        "digest_provider",
    } <= templates, templates
    assert "\n".join(reader.problems) == ""
    assert reader.followed >= len(reader.checked) >= len(templates)
    assert set(reader.checked) == templates


def test_a_staff_member_without_an_account_gets_the_summary_itself_and_no_link(
    flow, sent, outsider
):
    referral = flow.referral(state=Referral.State.ACTIVE, staff_email="no-login@example.net")
    assert referral.staff_user is None
    flow.close(referral, comments=COMMENTS)

    services.send_closure_summary(referral.pk)

    (staff_copy,) = [s for s in sent if s.template == "support_ended_staff"]
    assert staff_copy.user is None
    for body in (staff_copy.text, staff_copy.html):
        assert COMMENTS in body
        assert "Next steps, in general terms" in body
        assert not LINK.search(body)
        assert "sign in" not in body.lower()
        assert "in CIRS" not in body
    assert "your copy to keep" in staff_copy.text
    # Only their own summary: nothing from the referral beyond it.
    assert referral.event_details not in staff_copy.text
    assert referral.staff_name not in staff_copy.text
    assert not [s for s in sent if s.template == INVITATION_TEMPLATE]


def test_a_staff_member_with_an_account_is_sent_to_my_support(flow, sent, staff_member):
    referral = flow.referral(state=Referral.State.ACTIVE, staff_email=staff_member.email)
    flow.close(referral, comments=COMMENTS)

    services.send_closure_summary(referral.pk)

    (staff_copy,) = [s for s in sent if s.template == "support_ended_staff"]
    assert staff_copy.user == staff_member
    assert f"{settings.SITE_URL}/referrals/my-support/" in staff_copy.text
    assert "sign in" in staff_copy.html.lower()
