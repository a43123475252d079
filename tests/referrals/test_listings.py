"""The working lists whose SQL is written once (``referrals.paging.Listing``) show what
the ORM shows: the same rows, values and order, page by page, for each person, at
different moments (the urgency order and the badges depend on the moment), and with
the person's own visibility (docs/performance.md, "Statements written once")."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from config.prepared import MOMENT, Prepared
from referrals import paging
from referrals.models import Referral
from referrals.selectors import board_referrals, board_rows, most_urgent_first
from referrals.views import board, intake, triage
from tests.factories import UserFactory
from therapists.selectors import cases_for_therapist, my_case_rows
from therapists.views import allocation, cases

S = Referral.State
pytestmark = pytest.mark.django_db


@pytest.fixture
def referrals(flow):
    made = [
        flow.referral(S.SUBMITTED),
        flow.referral(S.MORE_INFO),
        flow.referral(S.SUBMITTED),
        flow.referral(S.ACCEPTED),
        flow.referral(S.ACCEPTED),
        flow.referral(S.ALLOCATED),
        flow.referral(S.ACTIVE, sessions=2),
        flow.referral(S.ACTIVE, sessions=3),
        flow.referral(S.CLOSED),
    ]
    return made


def _orm(name, user, now):
    """The same list through the ORM, as a filtered list is read."""
    return {
        "triage": (triage.QUEUE.items(user, now), lambda ids: triage.QUEUE.rows(user, ids, now)),
        "allocation": (
            allocation.QUEUE.items(user, now),
            lambda ids: allocation.QUEUE.rows(user, ids, now),
        ),
        "my cases": (
            cases_for_therapist(user, now=now),
            lambda ids: my_case_rows(user, ids, now=now),
        ),
        "board": (
            most_urgent_first(board_referrals(user, now=now)),
            lambda ids: board_rows(user, ids, now=now),
        ),
        "mine": (intake._mine(user), lambda ids: intake._mine_rows(user, ids)),
    }[name]


LISTINGS = {
    "triage": (triage.QUEUE, True),
    "allocation": (allocation.QUEUE, True),
    "my cases": (cases.MY_CASES, True),
    "board": (board.BOARD, True),
    "mine": (intake.MINE, False),
}


def _pages(name, user, now, per_page=2):
    listing, with_moment = LISTINGS[name]
    call = listing.for_person(user, now) if with_moment else listing.for_person(user)
    items, rows_for = _orm(name, user, now)
    written_once, orm = [], []
    for number in (1, 2, 3, 9):
        written_once.append(paging._page_of_listing(call, number, per_page))
        orm.append(paging._page_of_queryset(items, number, per_page, rows_for))
    return written_once, orm


@pytest.mark.parametrize(
    ("name", "who"),
    [
        ("triage", "psw"),
        ("allocation", "coordinator"),
        ("my cases", "therapist"),
        ("board", "psw"),
        ("mine", "manager"),
    ],
)
@pytest.mark.parametrize("later", [timedelta(0), timedelta(days=3), timedelta(days=12)])
def test_each_list_reads_what_the_orm_reads(flow, referrals, name, who, later):
    user = {
        "psw": flow.psw,
        "coordinator": flow.coordinator,
        "therapist": flow.therapist.user,
        "manager": flow.manager,
    }[who]
    with time_machine.travel(timezone.now() + later, tick=False):
        now = timezone.now()
        written_once, orm = _pages(name, user, now)
    assert written_once == orm
    first_rows, total, _number = written_once[0]
    assert total >= 2 and len(first_rows) == 2  # more than one page, so paging is tested
    assert written_once[-1][2] == orm[-1][2]  # past the end: the last page, both ways


def test_someone_else_sees_only_their_own(flow, referrals):
    other = UserFactory(roles=[])
    now = timezone.now()
    for name in ("triage", "board", "mine", "allocation", "my cases"):
        written_once, orm = _pages(name, other, now)
        assert written_once == orm
        assert written_once[0][1] == 0


def test_a_moment_s_own_day_is_found_and_a_worked_out_value_is_refused():
    from accounts.models import User

    today_read = Prepared(
        lambda now: (
            User.objects.filter(date_joined__date__lte=timezone.localdate(now))
            .filter(last_login__lt=now)
            .values_list("pk")
        ),
        kinds=(MOMENT,),
    )
    UserFactory(last_login=timezone.now() - timedelta(days=1))
    assert len(today_read(timezone.now())) == 1
    assert today_read(timezone.now() - timedelta(days=30)) == []

    days_before = Prepared(
        lambda now: User.objects.filter(last_login__lt=now - timedelta(days=3)).values_list("pk"),
        kinds=(MOMENT,),
    )
    with pytest.raises(ValueError, match="worked out from an argument"):
        days_before(timezone.now())
    by_name = Prepared(
        lambda name: User.objects.filter(username__icontains=name).values_list("pk"),
        kinds=(str,),
    )
    with pytest.raises(ValueError, match="worked out from an argument"):
        by_name("ann")
    first_few = Prepared(lambda n: User.objects.values_list("pk")[: abs(n)], kinds=(int,))
    with pytest.raises(ValueError, match="written into the SQL itself"):
        first_few(3)
