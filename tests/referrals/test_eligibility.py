"""docs/service.md step 3: "the incident happened no more than 3 months before the referral,
not in the future, and not before the service's go-live date (configurable). A
referral that fails eligibility gets a clear, kind explanation and the alternatives
(supervision, wellbeing service, GP) — never a silent refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import override_settings

from referrals import services
from referrals.eligibility import add_months, incident_date_errors
from referrals.models import Referral
from tests.referrals.test_transitions import group_data, snapshot

S = Referral.State
INCIDENT = date(2026, 1, 31)  # + 3 calendar months = 30 April 2026 (clamped)


def london_noon(day: date) -> datetime:
    """Midday in London, as UTC (British Summer Time from 29 March 2026)."""
    offset = 1 if day >= date(2026, 3, 29) else 0
    return datetime(day.year, day.month, day.day, 12 - offset, tzinfo=UTC)


def assert_kind_refusal(errors: dict) -> None:
    assert list(errors) == ["incident_date"]
    message = errors["incident_date"]
    for alternative in ("supervision", "wellbeing service", "GP"):
        assert alternative in message


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
        (date(2026, 10, 15), 3, date(2027, 1, 15)),
    ],
)
def test_calendar_months_clamp_to_the_end_of_the_month(day, months, expected):
    assert add_months(day, months) == expected


def test_three_months_boundary_31_january_to_30_april():
    assert incident_date_errors(INCIDENT, today=date(2026, 4, 30)) == {}
    assert_kind_refusal(incident_date_errors(INCIDENT, today=date(2026, 5, 1)))


def test_today_is_eligible_and_tomorrow_is_in_the_future():
    today = date(2026, 3, 10)
    assert incident_date_errors(today, today=today) == {}
    errors = incident_date_errors(today + timedelta(days=1), today=today)
    assert "in the future" in errors["incident_date"]
    assert_kind_refusal(errors)


@override_settings(CIRS_GO_LIVE_DATE=date(2026, 3, 2))
def test_go_live_boundary_is_configurable():
    today = date(2026, 3, 10)
    assert incident_date_errors(date(2026, 3, 2), today=today) == {}
    errors = incident_date_errors(date(2026, 3, 1), today=today)
    assert "2 March 2026" in errors["incident_date"]
    assert_kind_refusal(errors)


def test_a_missing_date_is_asked_for_kindly():
    assert incident_date_errors(None, today=date(2026, 3, 10)) == {
        "incident_date": "Please give the date of the incident."
    }


@pytest.mark.parametrize(
    ("submitted_on", "eligible"), [(date(2026, 4, 30), True), (date(2026, 5, 1), False)]
)
def test_submission_at_the_three_month_boundary(flow, submitted_on, eligible):
    with time_machine.travel(london_noon(date(2026, 2, 2)), tick=False):
        referral = flow.draft(occurred_on=INCIDENT, discussion_date=date(2026, 2, 2))
    before = snapshot(referral)

    with time_machine.travel(london_noon(submitted_on), tick=False):
        if eligible:
            services.submit_referral(referral_id=referral.pk, by=flow.manager)
            assert Referral.objects.get(pk=referral.pk).state == S.SUBMITTED
        else:
            with pytest.raises(ValidationError) as excinfo:
                services.submit_referral(referral_id=referral.pk, by=flow.manager)
            assert_kind_refusal({k: v[0] for k, v in excinfo.value.message_dict.items()})
            assert snapshot(referral) == before


@pytest.mark.parametrize(
    ("utc", "eligible"),
    [
        # 23:59 on 30 April in London: still inside the window.
        (datetime(2026, 4, 30, 22, 59, tzinfo=UTC), True),
        # 00:30 on 1 May in London, though still 30 April in UTC: too late.
        (datetime(2026, 4, 30, 23, 30, tzinfo=UTC), False),
    ],
)
def test_the_boundary_is_the_london_date_not_the_utc_date(flow, utc, eligible):
    with time_machine.travel(london_noon(date(2026, 2, 2)), tick=False):
        referral = flow.draft(occurred_on=INCIDENT, discussion_date=date(2026, 2, 2))

    with time_machine.travel(utc, tick=False):
        if eligible:
            services.submit_referral(referral_id=referral.pk, by=flow.manager)
        else:
            with pytest.raises(ValidationError):
                services.submit_referral(referral_id=referral.pk, by=flow.manager)

    assert Referral.objects.get(pk=referral.pk).state == (S.SUBMITTED if eligible else S.DRAFT)


@pytest.mark.parametrize(("offset", "eligible"), [(0, True), (1, False)])
def test_submission_today_versus_tomorrow(flow, offset, eligible):
    day = date(2026, 3, 10)
    with time_machine.travel(london_noon(day), tick=False):
        referral = flow.draft(occurred_on=day + timedelta(days=offset), discussion_date=day)
        if eligible:
            services.submit_referral(referral_id=referral.pk, by=flow.manager)
        else:
            with pytest.raises(ValidationError) as excinfo:
                services.submit_referral(referral_id=referral.pk, by=flow.manager)
            assert "in the future" in excinfo.value.message_dict["incident_date"][0]

    assert Referral.objects.get(pk=referral.pk).state == (S.SUBMITTED if eligible else S.DRAFT)


@override_settings(CIRS_GO_LIVE_DATE=date(2026, 3, 2))
@pytest.mark.parametrize(
    ("occurred_on", "eligible"), [(date(2026, 3, 2), True), (date(2026, 3, 1), False)]
)
def test_submission_at_the_go_live_boundary(flow, occurred_on, eligible):
    with time_machine.travel(london_noon(date(2026, 3, 10)), tick=False):
        referral = flow.draft(occurred_on=occurred_on)
        if eligible:
            services.submit_referral(referral_id=referral.pk, by=flow.manager)
        else:
            with pytest.raises(ValidationError):
                services.submit_referral(referral_id=referral.pk, by=flow.manager)

    assert Referral.objects.get(pk=referral.pk).state == (S.SUBMITTED if eligible else S.DRAFT)


def test_answering_a_question_after_the_window_does_not_make_the_referral_late(flow):
    """The referral was made on time; triage's question must not make it ineligible."""
    with time_machine.travel(london_noon(date(2026, 4, 29)), tick=False):
        referral = flow.draft(occurred_on=INCIDENT, discussion_date=date(2026, 4, 28))
        services.submit_referral(referral_id=referral.pk, by=flow.manager)
        services.request_more_information(referral_id=referral.pk, by=flow.psw, question="Who?")

    with time_machine.travel(london_noon(date(2026, 5, 6)), tick=False):
        services.answer_information_request(
            referral_id=referral.pk, by=flow.manager, answer="Two colleagues."
        )

    assert Referral.objects.get(pk=referral.pk).state == S.SUBMITTED


def test_a_group_referral_gets_the_same_kind_refusal(flow):
    count = Referral.objects.count()
    with (
        time_machine.travel(london_noon(date(2026, 5, 1)), tick=False),
        pytest.raises(ValidationError) as excinfo,
    ):
        services.create_group_referral(
            by=flow.manager, data=group_data(flow.team, occurred_on=INCIDENT)
        )

    assert_kind_refusal({k: v[0] for k, v in excinfo.value.message_dict.items()})
    assert Referral.objects.count() == count


def test_the_other_appendix_1_answers_are_field_errors_at_submission(flow):
    referral = flow.draft(
        practitioner_agrees=False, discussion_date=None, staff_phone="", staff_email=""
    )

    with pytest.raises(ValidationError) as excinfo:
        services.submit_referral(referral_id=referral.pk, by=flow.manager)

    assert set(excinfo.value.message_dict) == {
        "practitioner_agrees",
        "discussion_date",
        "staff_email",
    }
    assert Referral.objects.get(pk=referral.pk).state == S.DRAFT
