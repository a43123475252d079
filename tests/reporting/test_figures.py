"""The monitoring figures against the hand-built quarter in ``conftest.py``. Every
expected number below was worked out by hand from that story."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from referrals import services
from referrals.models import ExitPathway, Referral, Review
from reporting.figures import monitoring_figures, pseudonym
from reporting.periods import Period
from reporting.sections import protect
from tests.reporting.conftest import london, travel

Q1 = Period(start=date(2026, 4, 1), end=date(2026, 6, 30))


@pytest.fixture
def figures(quarter):
    return monitoring_figures(Q1)


def test_referrals_are_counted_by_first_submission_in_london_time(figures):
    # B (1 April 00:30 BST) is in; A (31 March 23:30 BST) and E (February) are not.
    assert figures.referrals == {"individual": 5, "group": 1}
    assert figures.referrals_total == 6


def test_the_quarter_before_holds_the_31_march_referral(quarter):
    q4 = monitoring_figures(Period(start=date(2026, 1, 1), end=date(2026, 3, 31)))

    assert q4.referrals == {"individual": 2, "group": 0}  # A and E


def test_referrals_by_team_are_counted_by_kind(figures):
    assert figures.by_team == {
        "Child Protection North": {"individual": 3, "group": 0},
        "Youth Justice": {"individual": 2, "group": 1},
    }


def test_team_breakdown_hides_small_counts_and_the_total_that_would_reveal_one(figures):
    cells = protect(figures, threshold=4)["referrals_by_team"]
    rows = [[cell.display for cell in row] for row in cells]

    assert rows == [
        ["<5", "0", "<5"],  # Child Protection North: 3, 0, 3
        ["<5", "<5", "<5"],  # Youth Justice: 2, 1, 3
        # All teams: 5 individual would give the group total of 1 (6 - 5): hidden too.
        ["*", "<5", "6"],
    ]


def test_a_quarter_split_into_months_has_the_same_figures_as_the_quarter(quarter):
    months = Q1.months()
    now = london(2026, 7, 1, 9, 0)
    whole = monitoring_figures(Q1, now=now)
    split = monitoring_figures(Q1, parts=months, now=now)

    assert replace(split, parts=[]) == whole
    assert [p.period for p in split.parts] == months
    for part in split.parts:
        assert part == monitoring_figures(part.period, now=split.generated_at)
    # Additive figures add up; the per-therapist ones are distinct people, so they need not.
    assert sum(p.referrals_total for p in split.parts) == whole.referrals_total
    assert sum(p.evaluation.responses for p in split.parts) == whole.evaluation.responses


def test_staff_and_incidents_supported_per_therapist_use_pseudonyms(figures):
    # Therapist one: A, B, D and E had a session in the quarter; incidents A, B (= E), D.
    # Therapist two: C and H one to one, and the group F; incidents C, H, F.
    assert figures.staff_supported == {"Therapist A": 4, "Therapist B": 2}
    assert figures.incidents_supported == {"Therapist A": 3, "Therapist B": 3}


def test_group_sessions(figures):
    assert (figures.group_sessions, figures.group_attendees) == (2, 9)


def test_length_of_support_for_cases_closed_in_the_period(figures):
    # B closed after 3 attended sessions, H after its first meeting; E closes in July.
    assert figures.length_of_support == {0: 0, 1: 1, 2: 0, 3: 1, 4: 0, 5: 0, 6: 0, 7: 0}


def test_first_meetings_within_48_hours(figures):
    # A, B, C (exactly 48 working-clock hours over a weekend: in time) and H; D is late.
    assert figures.first_meetings == 5
    assert figures.first_meetings_within_target == 4


def test_active_cases_at_quarter_end(figures):
    # A, C, E (closed in July) and the group F; H closed at 23:30 on 30 June.
    assert figures.active_at == [(date(2026, 6, 30), 4)]


def test_active_cases_at_each_quarter_end_of_a_longer_period(quarter):
    figures = monitoring_figures(Period(start=date(2026, 1, 1), end=date(2026, 6, 30)))

    # At the end of 31 March: A (allocated at 23:30 that day) and E; B came at 00:30.
    assert figures.active_at == [(date(2026, 3, 31), 2), (date(2026, 6, 30), 4)]


def test_exit_pathways(figures):
    assert dict(figures.exit_pathways) == {
        "No further support needed": 1,
        "LCC wellbeing service": 1,
        "GP": 0,
        "NHS mental health services": 0,
        "Out of scope of this service (advised to see GP)": 0,
    }


def test_evaluation_results(figures):
    ev = figures.evaluation

    assert ev.responses == 2
    assert ev.timely == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}
    assert ev.helpful == {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}
    assert ev.would_recommend == 1


def test_sla_performance_for_clocks_stopped_in_the_period(figures):
    rows = {row.clock: (row.met, row.breached, row.target_met) for row in figures.sla}

    assert rows == {
        # B, C, D, F and H were accepted at once; G was declined five working days on.
        "triage": (5, 1, 5),
        "allocation": (5, 0, 5),
        # A, B, C, D, H held first meetings; D's came after the 48-hour target.
        "first_meeting": (5, 0, 4),
        "manager_contact": (0, 0, None),
        "review": (0, 0, None),
        "closure_summary": (0, 0, None),
    }


def test_a_withdrawn_case_is_not_active_and_not_in_length_of_support(quarter):
    withdrawn = quarter.cases["D"]
    assert withdrawn.state == Referral.State.WITHDRAWN
    with travel(london(2026, 6, 30, 12, 0)):
        figures = monitoring_figures(Period(start=date(2026, 6, 9), end=date(2026, 6, 9)))

    # On 9 June D was still in support, with A, C, E, F and H (allocated 15 June: not yet).
    assert figures.active_at == [(date(2026, 6, 9), 5)]
    assert sum(figures.length_of_support.values()) == 0


def test_pseudonyms_run_past_z():
    assert [pseudonym(i) for i in (0, 25, 26, 27)] == [
        "Therapist A",
        "Therapist Z",
        "Therapist AA",
        "Therapist AB",
    ]


def _build(flow, n):
    for _ in range(n):
        referral = flow.referral(state=Referral.State.ACTIVE, sessions=2)
        flow.close(referral)


def test_figures_take_the_same_number_of_queries_for_5_and_50_referrals(
    flow, django_assert_num_queries
):
    period = Period.current_quarter()
    _build(flow, 5)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        small = monitoring_figures(period)
    _build(flow, 45)
    with django_assert_num_queries(len(few.captured_queries)):
        large = monitoring_figures(period)

    assert small.referrals_total == 5
    assert large.referrals_total == 50


def _reviewed(flow, *, key_date=None, contact_at=None, close_at):
    """An individual case started Monday 5 October 2026 with three sessions that day,
    reviewed ("close") on 6 October, closed at ``close_at``."""
    with travel(london(2026, 10, 5, 10, 0)):
        referral = flow.referral(Referral.State.ACTIVE, sessions=3)
    with travel(london(2026, 10, 6, 10, 0)):
        services.record_review(
            referral_id=referral.pk, by=flow.therapist.user, outcome=Review.Outcome.CLOSE
        )
        if key_date is not None:
            services.save_key_date(
                referral_id=referral.pk, by=flow.therapist.user, kind="inquest", date=key_date
            )
    if contact_at is not None:
        with travel(contact_at):
            services.record_manager_contact(
                referral_id=referral.pk, by=flow.therapist.user, contacted_at=contact_at
            )
    with travel(close_at):
        services.close_referral(
            referral_id=referral.pk,
            by=flow.therapist.user,
            exit_pathways=ExitPathway.objects.filter(code="no_further_support"),
            comments="Support came to a natural end.",
            key_date_follow_up="The team manager" if key_date else "",
        )
    return referral


def test_review_contact_and_closure_clocks_and_a_closure_held_by_a_key_date(flow):
    # X: manager contacted 7 working days on (past the 5-day limit); closed on 2 November,
    # 20 working days after its last session, with an inquest still to come on 10 January.
    _reviewed(
        flow,
        key_date=date(2027, 1, 10),
        contact_at=london(2026, 10, 14, 10, 0),
        close_at=london(2026, 11, 2, 10, 0),
    )
    # Y: closed two working days after its last session.
    _reviewed(flow, close_at=london(2026, 10, 7, 10, 0))
    q3 = Period(start=date(2026, 10, 1), end=date(2026, 12, 31))

    def sla(period, parts=None):
        figures = monitoring_figures(period, parts=parts)
        return figures, {row.clock: (row.met, row.breached, row.target_met) for row in figures.sla}

    figures, rows = sla(q3)
    assert rows["review"] == (2, 0, None)  # both recorded a working day on
    assert rows["manager_contact"] == (0, 1, None)  # only X's was recorded: late
    # X's closure clock waited for the inquest, still to come at the end of December.
    assert rows["closure_summary"] == (1, 0, None)
    # A period that ends after the inquest counts it: late.
    _, rows = sla(Period(start=date(2026, 11, 1), end=date(2027, 1, 31)))
    assert rows["closure_summary"] == (0, 1, None)
    # Split into months, each month leaves X out too (November ends before 10 January).
    split, _ = sla(q3, q3.months())
    by_month = [{r.clock: (r.met, r.breached) for r in part.sla} for part in split.parts]
    assert [m["closure_summary"] for m in by_month] == [(1, 0), (0, 0), (0, 0)]
    assert replace(split, parts=[]) == replace(figures, generated_at=split.generated_at)
