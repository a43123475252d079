"""A hand-built quarter of cases for the monitoring tests.

Every case is driven through the real services with the clock frozen at the moment
each step happened, so the timestamps are those of real life. The figures each test
expects are written out by hand from the story below, never computed by the code
under test.

Q1 of 2026/27 runs from Wednesday 1 April to Tuesday 30 June 2026 (London time).
Good Friday is 3 April and Easter Monday 6 April 2026.

=====  ======  =====  ==========================================================
case   team    who    story
=====  ======  =====  ==========================================================
A      CPN     T1     submitted and allocated 31 March 23:30 BST (still Q4);
                      first meeting 1 April 10:00; still in support
B      CPN     T1     submitted and allocated 1 April 00:30 BST (31 March 23:30
                      UTC, but Q1 in London); first meeting 2 April; sessions 9
                      and 16 April (3 attended); closed 15 May, no further support
C      CPN     T2     submitted Friday 8 May 15:00; first meeting Tuesday 12 May
                      15:00, exactly 48 working-clock hours later; still in support
D      YJ      T1     submitted Monday 1 June 09:00; first meeting Thursday 4 June
                      09:01 (late); withdrawn 10 June
E      CPN     T1     submitted 10 February (Q4); first meeting 11 February; a
                      session on 5 May; closed 15 July (Q2), GP: active across
                      quarters. Same incident as B
F      YJ      T2     group referral 20 April; group sessions 27 April (5 people)
                      and 11 May (4 people); still in support
G      YJ      -      submitted Wednesday 20 May 10:00, declined 27 May (triage
                      past its limit)
H      CPN     T2     submitted Monday 15 June 10:00; first meeting 16 June;
                      closed 30 June 23:30 BST, wellbeing service
=====  ======  =====  ==========================================================

Evaluation answers: B on 20 May (5, 4, would recommend); H on 30 June 23:45 BST
(3, 5, would not recommend).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from referrals import services
from referrals.models import ExitPathway, Referral
from reporting.evaluation import submit_evaluation
from tests.flow import Flow

LONDON = ZoneInfo("Europe/London")

# Marker strings that must never reach a report: if one shows up, something leaked.
MARKERS = {
    "staff_name": "Zebedee Quarterly-Marker",
    "event_details": "MARKER-EVENT-DETAILS-7731",
    "description": "MARKER-INCIDENT-DESCRIPTION-5521",
    "comment": "MARKER-EVALUATION-COMMENT-9917",
    "summary": "MARKER-CLOSURE-COMMENTS-4410",
    "therapist_first_name": "Thaddeus",
    "therapist_last_name": "Markerton",
}


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def travel(when: datetime):
    return time_machine.travel(when, tick=False)


@dataclass
class Quarter:
    cases: dict[str, Referral]
    therapist_one: object
    therapist_two: object


def _allocated(flow: Flow, at: datetime, **overrides) -> Referral:
    data = {
        "staff_name": MARKERS["staff_name"],
        "event_details": MARKERS["event_details"],
        "description": MARKERS["description"],
        **overrides,
    }
    with travel(at):
        return flow.referral(state=Referral.State.ALLOCATED, **data)


def _first_meeting(flow: Flow, referral: Referral, at: datetime) -> None:
    with travel(at):
        flow.first_meeting(referral, held_at=at)


def _session(flow: Flow, referral: Referral, at: datetime) -> None:
    with travel(at):
        flow.session(referral, held_at=at)


def _close(flow: Flow, referral: Referral, at: datetime, pathway: str) -> None:
    with travel(at):
        services.close_referral(
            referral_id=referral.pk,
            by=flow.therapist.user,
            exit_pathways=ExitPathway.objects.filter(code=pathway),
            comments=MARKERS["summary"],
        )


@pytest.fixture
def quarter(
    flow,
    manager,
    psw,
    coordinator,
    therapist,
    other_therapist,
    provider,
    team,
    other_team,
    staff_member,
) -> Quarter:
    # Names that must never appear in a report.
    for t in (therapist, other_therapist):
        t.user.first_name = MARKERS["therapist_first_name"]
        t.user.last_name = MARKERS["therapist_last_name"]
        t.user.save()

    def another_flow(*, therapist, team):
        return Flow(
            manager=manager,
            psw=psw,
            coordinator=coordinator,
            therapist=therapist,
            provider=provider,
            team=team,
        )

    flow_two = another_flow(therapist=other_therapist, team=team)
    flow_yj = another_flow(therapist=therapist, team=other_team)

    a = _allocated(flow, london(2026, 3, 31, 23, 30))
    _first_meeting(flow, a, london(2026, 4, 1, 10, 0))

    b = _allocated(flow, london(2026, 4, 1, 0, 30))
    _first_meeting(flow, b, london(2026, 4, 2, 9, 0))
    _session(flow, b, london(2026, 4, 9, 10, 0))
    _session(flow, b, london(2026, 4, 16, 10, 0))
    _close(flow, b, london(2026, 5, 15, 12, 0), "no_further_support")

    c = _allocated(flow_two, london(2026, 5, 8, 15, 0))
    _first_meeting(flow_two, c, london(2026, 5, 12, 15, 0))

    d = _allocated(flow_yj, london(2026, 6, 1, 9, 0))
    _first_meeting(flow_yj, d, london(2026, 6, 4, 9, 1))
    with travel(london(2026, 6, 10, 12, 0)):
        services.withdraw_referral(referral_id=d.pk, by=manager, reason="MARKER-WITHDRAWAL")

    e = _allocated(flow, london(2026, 2, 10, 10, 0))
    _first_meeting(flow, e, london(2026, 2, 11, 10, 0))
    _session(flow, e, london(2026, 5, 5, 10, 0))
    _close(flow, e, london(2026, 7, 15, 10, 0), "gp")
    Referral.objects.filter(pk=e.pk).update(incident_id=b.incident_id)

    with travel(london(2026, 4, 20, 10, 0)):
        f = services.create_group_referral(
            by=manager,
            data={
                "occurred_on": london(2026, 4, 14).date(),
                "category": "child_death_or_injury",
                "team": other_team,
                "description": MARKERS["description"],
                "event_details": MARKERS["event_details"],
                "referrer_role": "line_manager",
                "number_of_staff": 9,
                "group_consulted": True,
                "group_wishes_to_take_part": True,
            },
        )
        services.accept_referral(referral_id=f.pk, by=psw, provider=provider)
        services.allocate_referral(referral_id=f.pk, therapist=other_therapist, by=coordinator)
    for when, people in ((london(2026, 4, 27, 14, 0), 5), (london(2026, 5, 11, 14, 0), 4)):
        with travel(when):
            services.record_group_session(
                referral_id=f.pk, by=other_therapist.user, held_at=when, attendees=people
            )

    with travel(london(2026, 5, 20, 10, 0)):
        g = flow_yj.draft(staff_name=MARKERS["staff_name"])
        services.submit_referral(referral_id=g.pk, by=manager)
    with travel(london(2026, 5, 27, 10, 0)):
        services.decline_referral(
            referral_id=g.pk, by=psw, reason="MARKER-DECLINE", signposting="MARKER-SIGNPOST"
        )

    h = _allocated(flow_two, london(2026, 6, 15, 10, 0))
    _first_meeting(flow_two, h, london(2026, 6, 16, 10, 0))
    _close(flow_two, h, london(2026, 6, 30, 23, 30), "wellbeing_service")

    for referral, when, answers in (
        (b, london(2026, 5, 20, 10, 0), (5, 4, True)),
        (h, london(2026, 6, 30, 23, 45), (3, 5, False)),
    ):
        with travel(when):
            submit_evaluation(
                referral_id=referral.pk,
                by=staff_member,
                timely=answers[0],
                helpful=answers[1],
                would_recommend=answers[2],
                comment=MARKERS["comment"],
            )

    cases = {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g, "H": h}
    for referral in cases.values():
        referral.refresh_from_db()
    return Quarter(cases=cases, therapist_one=therapist, therapist_two=other_therapist)
