"""The clock sweep (referrals/chasing/): each clock chased at the right moment, on both
sides of each deadline, across weekends and bank holidays; escalation order; once only;
working hours; a constant number of queries."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals import chasing, clocks, mailer, notifications, services
from referrals.models import (
    ChaseRecord,
    ClockDeadline,
    Notification,
    OutboundEmail,
    Referral,
    Review,
)
from tests.factories import UserFactory

LONDON = ZoneInfo("Europe/London")
SECOND = timedelta(seconds=1)


def london(y, m, d, h=0, mi=0, s=0):
    return datetime(y, m, d, h, mi, s, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def service_clocks(settings):
    """docs/service.md's table, pinned so these tests do not follow a deployment's environment."""
    settings.CIRS_CLOCKS = {
        "triage": {"target": {"working_days": 1}, "limit": {"working_days": 2}},
        "allocation": {"target": {"working_days": 1}, "limit": {"working_days": 2}},
        "first_meeting": {"target": {"working_hours": 48}, "limit": {"working_days": 5}},
        "manager_contact": {"target": None, "limit": {"working_days": 5}},
        "review": {"target": None, "limit": {"working_days": 5}},
        "closure_summary": {"target": None, "limit": {"working_days": 10}},
    }
    settings.CIRS_CLOCK_NEAR_FRACTION = 0.25
    settings.CIRS_KEY_DATE_REMINDER_DAYS = 7
    settings.CIRS_WORKING_HOURS = (8, 18)
    settings.CIRS_HOLD_CHASES_OUT_OF_HOURS = True
    settings.CIRS_FIRST_MEETING_PSW_AFTER_LIMIT_DAYS = 1


def made_at(moment, flow, **kwargs) -> Referral:
    with time_machine.travel(moment, tick=False):
        return flow.referral(**kwargs)


def sweep_at(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return chasing.sweep(now=moment)


def levels(referral, clock) -> list[int]:
    return sorted(
        ChaseRecord.objects.filter(referral=referral, clock=clock).values_list("level", flat=True)
    )


def chased(referral, clock, level) -> set[int]:
    """Who received the e-mail for this chase."""
    prefix = f"chase:{referral.pk}:{clock}:{level}:"
    return set(
        OutboundEmail.objects.filter(dedupe_key__startswith=prefix).values_list(
            "user_id", flat=True
        )
    )


def assert_fires_just_after(referral, clock, level, moment):
    """Nothing new at ``moment``; the chase one second later."""
    before = levels(referral, clock)
    sweep_at(moment)
    assert levels(referral, clock) == before
    sweep_at(moment + SECOND)
    assert levels(referral, clock) == sorted([*before, level])


# --- triage ---------------------------------------------------------------------------------


def test_triage_near_target_then_past_limit_across_a_weekend(flow, smpe):
    # Submitted Friday 10:00. Target Monday 10:00; "near" once less than a quarter of the
    # working day is left: Monday 04:00 (the weekend does not count). Limit Tuesday 10:00.
    referral = made_at(london(2026, 3, 6, 10), flow)
    sweep_at(london(2026, 3, 8, 23))  # Sunday night: the clock has not moved since Friday
    assert levels(referral, "triage") == []

    assert_fires_just_after(referral, "triage", 1, london(2026, 3, 9, 4))
    assert chased(referral, "triage", 1) == {flow.psw.pk, smpe.pk}

    assert_fires_just_after(referral, "triage", 2, london(2026, 3, 10, 10))
    assert chased(referral, "triage", 2) == {flow.psw.pk, smpe.pk}


def test_triage_over_easter_bank_holidays(flow):
    # Thursday 2 April 2026 15:00: Good Friday and Easter Monday do not count, so the
    # target is Tuesday 15:00 ("near" from Tuesday 09:00) and the limit Wednesday 15:00.
    referral = made_at(london(2026, 4, 2, 15), flow)
    sweep_at(london(2026, 4, 6, 17))  # Easter Monday afternoon
    assert levels(referral, "triage") == []
    assert_fires_just_after(referral, "triage", 1, london(2026, 4, 7, 9))
    assert_fires_just_after(referral, "triage", 2, london(2026, 4, 8, 15))


def test_resubmission_restarts_triage_and_it_is_chased_afresh(flow):
    referral = made_at(london(2026, 3, 2, 10), flow)
    sweep_at(london(2026, 3, 4, 10) + SECOND)
    assert levels(referral, "triage") == [2]
    with time_machine.travel(london(2026, 3, 5, 10), tick=False):
        services.request_more_information(referral_id=referral.pk, by=flow.psw, question="Q?")
        sweep_at(london(2026, 3, 9, 10))  # paused while the manager answers
        assert levels(referral, "triage") == [2]
    with time_machine.travel(london(2026, 3, 10, 10), tick=False):
        services.answer_information_request(referral_id=referral.pk, by=flow.manager, answer="A")
    assert_fires_just_after(referral, "triage", 1, london(2026, 3, 11, 4))
    assert levels(referral, "triage") == [1, 2]


def test_a_decision_stops_the_triage_clock(flow):
    referral = made_at(london(2026, 3, 2, 10), flow)
    with time_machine.travel(london(2026, 3, 3, 5), tick=False):
        services.accept_referral(referral_id=referral.pk, by=flow.psw, provider=flow.provider)
    sweep_at(london(2026, 3, 20, 10))
    assert levels(referral, "triage") == []


# --- allocation -----------------------------------------------------------------------------


def test_allocation_chases_the_coordinator_then_the_psw(flow, smpe):
    referral = made_at(london(2026, 3, 6, 10), flow, state=Referral.State.ACCEPTED)
    assert_fires_just_after(referral, "allocation", 1, london(2026, 3, 9, 4))
    assert chased(referral, "allocation", 1) == {flow.coordinator.pk}
    assert_fires_just_after(referral, "allocation", 2, london(2026, 3, 10, 10))
    assert chased(referral, "allocation", 2) == {flow.psw.pk}  # the PSW, not the SMPE


# --- first meeting --------------------------------------------------------------------------


def test_first_meeting_escalates_therapist_coordinator_psw(flow):
    # Friday 10:00; 48 working hours is Tuesday 10:00; 5 working days Friday 13 March
    # 10:00; the PSW one working day later, Monday 16 March 10:00.
    referral = made_at(london(2026, 3, 6, 10), flow, state=Referral.State.ALLOCATED)
    with time_machine.travel(london(2026, 3, 9, 12), tick=False):
        services.plan_first_meeting(
            referral_id=referral.pk, by=flow.therapist.user, planned_at=london(2026, 3, 12, 10)
        )
    assert_fires_just_after(referral, "first_meeting", 1, london(2026, 3, 10, 10))
    assert chased(referral, "first_meeting", 1) == {flow.therapist.user.pk}
    assert_fires_just_after(referral, "first_meeting", 2, london(2026, 3, 13, 10))
    assert chased(referral, "first_meeting", 2) == {flow.coordinator.pk}
    assert_fires_just_after(referral, "first_meeting", 3, london(2026, 3, 16, 10))
    assert chased(referral, "first_meeting", 3) == {flow.psw.pk}


def test_first_meeting_psw_delay_is_configurable(flow, settings):
    settings.CIRS_FIRST_MEETING_PSW_AFTER_LIMIT_DAYS = 2
    referral = made_at(london(2026, 3, 6, 10), flow, state=Referral.State.ALLOCATED)
    sweep_at(london(2026, 3, 13, 10) + SECOND)
    assert levels(referral, "first_meeting") == [2]
    assert_fires_just_after(referral, "first_meeting", 3, london(2026, 3, 17, 10))


def test_a_held_first_meeting_stops_the_clock(flow):
    referral = made_at(london(2026, 3, 6, 10), flow, state=Referral.State.ALLOCATED)
    with time_machine.travel(london(2026, 3, 9, 12), tick=False):
        flow.first_meeting(referral)
    sweep_at(london(2026, 3, 20, 10))
    assert levels(referral, "first_meeting") == []


def test_a_clock_found_past_its_limit_sends_only_the_escalation(flow):
    referral = made_at(london(2026, 3, 6, 10), flow, state=Referral.State.ALLOCATED)
    sweep_at(london(2026, 3, 20, 10))
    assert levels(referral, "first_meeting") == [3]
    sweep_at(london(2026, 3, 20, 11))
    assert levels(referral, "first_meeting") == [3]


# --- manager contact, review, closure summary --------------------------------------------------


def test_manager_contact_chases_the_therapist_then_the_psw(flow):
    # 5 working days from Friday 10:00 is Friday 13 March 10:00; "near" with a quarter
    # left is after 3.75 working days: Thursday 12 March 04:00.
    referral = made_at(london(2026, 3, 6, 10), flow, state=Referral.State.ALLOCATED)
    assert_fires_just_after(referral, "manager_contact", 1, london(2026, 3, 12, 4))
    assert chased(referral, "manager_contact", 1) == {flow.therapist.user.pk}
    assert_fires_just_after(referral, "manager_contact", 2, london(2026, 3, 13, 10))
    assert chased(referral, "manager_contact", 2) == {flow.psw.pk}


def test_recorded_manager_contact_stops_the_clock(flow):
    referral = made_at(london(2026, 3, 6, 10), flow, state=Referral.State.ALLOCATED)
    with time_machine.travel(london(2026, 3, 9, 12), tick=False):
        services.record_manager_contact(
            referral_id=referral.pk, by=flow.therapist.user, contacted_at=london(2026, 3, 9, 11)
        )
    sweep_at(london(2026, 3, 20, 10))
    assert levels(referral, "manager_contact") == []


def active_with_three_sessions(flow) -> Referral:
    # First meeting 09:55 and two sessions at 10:00 on Monday 2 March: the third
    # counted session, which starts the review clock, is at 10:00.
    return made_at(london(2026, 3, 2, 10, 1), flow, state=Referral.State.ACTIVE, sessions=3)


def test_review_chases_the_therapist_twice(flow):
    referral = active_with_three_sessions(flow)
    assert referral.third_session_at == london(2026, 3, 2, 10)
    assert_fires_just_after(referral, "review", 1, london(2026, 3, 6, 4))
    assert_fires_just_after(referral, "review", 2, london(2026, 3, 9, 10))
    assert chased(referral, "review", 2) == {flow.therapist.user.pk}


def test_closure_summary_chases_the_therapist_then_the_psw(flow):
    referral = active_with_three_sessions(flow)
    with time_machine.travel(london(2026, 3, 2, 11), tick=False):
        services.record_review(
            referral_id=referral.pk, by=flow.therapist.user, outcome=Review.Outcome.CLOSE
        )
    # Last session Monday 10:00; limit 10 working days, Monday 16 March 10:00.
    assert_fires_just_after(referral, "closure_summary", 1, london(2026, 3, 11, 22))
    assert chased(referral, "closure_summary", 1) == {flow.therapist.user.pk}
    assert_fires_just_after(referral, "closure_summary", 2, london(2026, 3, 16, 10))
    assert chased(referral, "closure_summary", 2) == {flow.psw.pk}


def test_a_key_date_still_to_come_holds_the_closure_clock(flow):
    referral = active_with_three_sessions(flow)
    with time_machine.travel(london(2026, 3, 2, 11), tick=False):
        services.record_review(
            referral_id=referral.pk, by=flow.therapist.user, outcome=Review.Outcome.CLOSE
        )
        services.save_key_date(
            referral_id=referral.pk, by=flow.therapist.user, kind="inquest", date=date(2026, 5, 1)
        )
    sweep_at(london(2026, 3, 20, 10))
    assert levels(referral, "closure_summary") == []


# --- key dates ------------------------------------------------------------------------------


def test_key_date_reminder_seven_days_before_and_again_after_a_change(flow):
    referral = made_at(london(2026, 3, 2, 10), flow, state=Referral.State.ACTIVE)
    with time_machine.travel(london(2026, 3, 2, 11), tick=False):
        key_date = services.save_key_date(
            referral_id=referral.pk, by=flow.therapist.user, kind="funeral", date=date(2026, 3, 20)
        )
    sweep_at(london(2026, 3, 12, 23, 59, 59))
    assert levels(referral, "key_date") == []
    sweep_at(london(2026, 3, 13, 0, 0, 1))
    assert levels(referral, "key_date") == [1]
    email = OutboundEmail.objects.get(dedupe_key__startswith=f"chase:{referral.pk}:key_date:")
    assert email.user == flow.therapist.user
    assert email.not_before == london(2026, 3, 13, 8)  # found at night, sent in the morning
    sweep_at(london(2026, 3, 13, 9))
    assert levels(referral, "key_date") == [1]

    with time_machine.travel(london(2026, 3, 13, 10), tick=False):
        services.save_key_date(
            referral_id=referral.pk,
            by=flow.therapist.user,
            kind="funeral",
            date=date(2026, 3, 27),
            key_date_id=key_date.pk,
        )
    sweep_at(london(2026, 3, 19, 12))
    assert levels(referral, "key_date") == [1]
    sweep_at(london(2026, 3, 20, 12))
    assert levels(referral, "key_date") == [1, 1]


# --- exactly once; working hours --------------------------------------------------------------


def test_a_repeated_sweep_sends_nothing_twice(flow):
    referral = made_at(london(2026, 3, 6, 10), flow)
    moment = london(2026, 3, 10, 10) + SECOND
    assert sweep_at(moment) == 1
    counts = (
        ChaseRecord.objects.count(),
        OutboundEmail.objects.count(),
        Notification.objects.count(),
    )
    assert sweep_at(moment) == 0
    assert sweep_at(moment + timedelta(hours=1)) == 0
    after = (
        ChaseRecord.objects.count(),
        OutboundEmail.objects.count(),
        Notification.objects.count(),
    )
    assert after == counts
    assert levels(referral, "triage") == [2]


def test_each_chase_is_also_an_in_app_notice(flow):
    referral = made_at(london(2026, 3, 6, 10), flow)
    sweep_at(london(2026, 3, 10, 12))
    email = OutboundEmail.objects.get(
        dedupe_key__startswith=f"chase:{referral.pk}:triage:2:", user=flow.psw
    )
    notice = Notification.objects.get(user=flow.psw, referral=referral, subject=email.subject)
    assert notice.body == email.body_text.strip()
    assert notice.url == f"/referrals/{referral.pk}/"


def test_chase_e_mails_hold_no_event_details(flow):
    referral = made_at(london(2026, 3, 6, 10), flow, state=Referral.State.ALLOCATED)
    sweep_at(london(2026, 3, 20, 12))
    emails = OutboundEmail.objects.filter(dedupe_key__startswith=f"chase:{referral.pk}:")
    assert emails.count() == ChaseRecord.objects.filter(referral=referral).count() > 1
    for email in emails:
        for text in (email.subject, email.body_text, email.body_html):
            assert referral.staff_name not in text
            assert referral.event_details not in text
            assert referral.incident.description not in text
        assert referral.reference in email.body_text
        assert f"/referrals/{referral.pk}/" in email.body_text


@pytest.mark.parametrize(
    ("found", "sent"),
    [
        (london(2026, 3, 4, 7, 59), london(2026, 3, 4, 8)),  # Wednesday, before work
        (london(2026, 3, 4, 12), london(2026, 3, 4, 12)),  # Wednesday, working hours
        (london(2026, 3, 4, 18), london(2026, 3, 5, 8)),  # Wednesday, after work
        (london(2026, 3, 6, 19), london(2026, 3, 9, 8)),  # Friday evening
        (london(2026, 3, 7, 12), london(2026, 3, 9, 8)),  # Saturday
        (london(2026, 4, 2, 18, 30), london(2026, 4, 7, 8)),  # before Easter
        (london(2026, 12, 24, 20), london(2026, 12, 29, 8)),  # Christmas
    ],
)
def test_chases_go_out_in_working_hours_only(found, sent):
    assert chasing.send_at(found) == sent


def test_a_chase_found_at_night_waits_in_the_outbox_until_morning(flow):
    referral = made_at(london(2026, 3, 6, 10), flow)
    sweep_at(london(2026, 3, 9, 4) + SECOND)
    email = OutboundEmail.objects.get(dedupe_key__startswith=f"chase:{referral.pk}:triage:1:")
    assert email.not_before == london(2026, 3, 9, 8)
    mailer.flush(now=london(2026, 3, 9, 4) + SECOND)  # the submission notices, sent at once
    mail.outbox.clear()
    assert mailer.flush(now=london(2026, 3, 9, 7, 59)) == 0
    assert mailer.flush(now=london(2026, 3, 9, 8)) >= 1
    assert email.subject in [m.subject for m in mail.outbox]


def test_event_notices_are_not_held_until_morning(flow):
    moment = london(2026, 3, 8, 3)  # a Sunday night submission
    made_at(moment, flow)
    submitted = OutboundEmail.objects.filter(dedupe_key__startswith="submitted:")
    assert submitted.exists()
    assert {e.not_before for e in submitted} == {moment}


def test_no_recipient_yet_means_no_record_and_a_later_chase(flow):
    # Accepted but not allocated: the therapist's first-meeting chase waits for a therapist.
    referral = made_at(london(2026, 3, 6, 10), flow, state=Referral.State.ACCEPTED)
    sweep_at(london(2026, 3, 10, 11))
    assert levels(referral, "first_meeting") == []
    with time_machine.travel(london(2026, 3, 10, 12), tick=False):
        services.allocate_referral(
            referral_id=referral.pk, therapist=flow.therapist, by=flow.coordinator
        )
    sweep_at(london(2026, 3, 10, 13))
    assert levels(referral, "first_meeting") == [1]


def test_clock_deadlines_agree_with_clocks_module(flow):
    referral = made_at(london(2026, 3, 6, 10), flow)
    due = clocks.deadline("triage", referral.submitted_at)
    rule = next(r for r in chasing.CHASE_RULES if r.clock == "triage")
    assert chasing.due_at(rule.levels[-1], due) == due.limit_at


@pytest.mark.parametrize(
    ("rule", "level"),
    [(rule, level) for rule in chasing.CHASE_RULES for level in rule.levels],
    ids=lambda v: getattr(v, "clock", None) or f"level{getattr(v, 'level', '')}",
)
def test_each_level_fires_when_the_badges_say_so(rule, level):
    """A chase and the badge on the queue agree to the second: "near" chases go when the
    clock turns NEAR, "target" ones when it is past the target, "limit" ones when it is
    past the limit (plus any configured working days)."""
    started = london(2026, 4, 1, 15, 30)  # a Wednesday before Easter, to cross it
    due = clocks.deadline(rule.clock, started)
    moment = chasing.due_at(level, due)
    status = {
        chasing.When.NEAR: clocks.ClockStatus.NEAR,
        chasing.When.TARGET: clocks.ClockStatus.TARGET_MISSED,
        chasing.When.LIMIT: clocks.ClockStatus.BREACHED,
    }[level.when]
    if level.after_limit_days():
        assert moment == clocks.add_working_days(due.limit_at, level.after_limit_days())
        return
    assert clocks.clock_status(rule.clock, started_at=started, now=moment) != status
    assert clocks.clock_status(rule.clock, started_at=started, now=moment + SECOND) == status
    # The stored deadline row gives the sweep the same moment.
    row = ClockDeadline(
        clock=rule.clock,
        started_at=started,
        near_at=chasing.near_moment(due),
        target_at=due.target_at,
        limit_at=due.limit_at,
    )
    assert chasing.level_moment(level, row) == moment


# --- set-based ------------------------------------------------------------------------------


def _many(flow, n, moment):
    with time_machine.travel(moment, tick=False):
        return [flow.referral() for _ in range(n)]


@pytest.mark.parametrize("count", [5, 100])
def test_sweep_queries_do_not_grow_with_open_referrals(
    flow, smpe, count, django_assert_max_num_queries
):
    # Every referral already chased at its highest level: the sweep only selects.
    _many(flow, count, london(2026, 3, 2, 10))
    sweep_at(london(2026, 3, 6, 10))
    with django_assert_max_num_queries(len(chasing.CHASE_RULES) * 3 + 1):
        assert sweep_at(london(2026, 3, 6, 11)) == 0


def _selects(moment) -> int:
    with CaptureQueriesContext(connection) as queries, time_machine.travel(moment, tick=False):
        chasing.sweep(now=moment)
    return sum(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)


def test_selection_queries_do_not_grow_with_due_chases(flow, smpe):
    _many(flow, 5, london(2026, 3, 2, 10))
    few = _selects(london(2026, 3, 4, 11))
    assert ChaseRecord.objects.count() == 5
    _many(flow, 40, london(2026, 3, 9, 10))
    many = _selects(london(2026, 3, 11, 11))
    assert ChaseRecord.objects.count() == 45
    assert many == few


def test_a_new_person_in_a_role_is_chased_without_extra_queries_per_referral(flow):
    UserFactory(username="sam2", roles=["smpe"])
    _many(flow, 3, london(2026, 3, 2, 10))
    sweep_at(london(2026, 3, 4, 11))
    assert ChaseRecord.objects.filter(clock="triage", level=2).count() == 3
    assert OutboundEmail.objects.filter(dedupe_key__contains=":triage:2:").count() == 6


def test_a_sweep_that_crashes_midway_leaves_nothing_and_the_next_sweep_sends_the_chase(
    flow, smpe, monkeypatch
):
    """docs/service.md: "never twice, even when the job ... crashes midway": the record, the
    notices and the e-mails of one chase commit together or not at all."""
    referral = made_at(london(2026, 3, 2, 10), flow)
    moment = london(2026, 3, 4, 10) + SECOND  # past the triage limit: PSW and SMPE
    real_insert_rows = notifications.insert_rows
    queued = []

    def crash_before_the_in_app_notices(model, rows, **kwargs):
        if model is Notification:
            queued.extend(
                OutboundEmail.objects.filter(
                    dedupe_key__startswith=f"chase:{referral.pk}:"
                ).values_list("to", flat=True)
            )
            raise ConnectionError("worker lost")
        return real_insert_rows(model, rows, **kwargs)

    notices_before = Notification.objects.count()
    monkeypatch.setattr(notifications, "insert_rows", crash_before_the_in_app_notices)
    with pytest.raises(ConnectionError):
        sweep_at(moment)
    # Both e-mails were in the outbox before the crash ...
    assert sorted(queued) == sorted([flow.psw.email, smpe.email])
    assert levels(referral, "triage") == []  # ... and rolled back with the record
    assert not OutboundEmail.objects.filter(dedupe_key__startswith=f"chase:{referral.pk}:")
    assert Notification.objects.count() == notices_before

    monkeypatch.setattr(notifications, "insert_rows", real_insert_rows)
    assert sweep_at(moment) == 1
    assert levels(referral, "triage") == [2]
    assert chased(referral, "triage", 2) == {flow.psw.pk, smpe.pk}
