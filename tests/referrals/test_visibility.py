"""docs/service.md "Who uses it", what each role may see, checked against an independent SQL
predicate written from that table (docs/security-checklist.md row 12): ``visible_to`` returns
exactly the expected referrals for every persona."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from referrals import services
from referrals.models import Referral
from referrals.selectors import referrals_visible_to
from tests.referrals.test_transitions import user_of

S = Referral.State

# One predicate per role, from docs/service.md's table, in plain SQL over the tables. No one
# but the referrer sees a draft.
_FROM = (
    "SELECT r.id FROM referrals_referral r"
    " WHERE (r.state <> 'draft' OR r.created_by_id = %(u)s)"
    " AND (r.created_by_id = %(u)s OR r.line_manager_id = %(u)s OR r.staff_user_id = %(u)s"
)
SQL = {
    "triage": "SELECT r.id FROM referrals_referral r"
    " WHERE r.state <> 'draft' OR r.created_by_id = %(u)s",
    "own": _FROM + ")",
    # Constant SQL, no user input: the user id is a bound parameter.
    "coordinator": _FROM + " OR (r.state IN ('accepted', 'allocated', 'active',"  # noqa: S608
    " 'extension_requested', 'closed', 'withdrawn') AND r.provider_id IN"
    " (SELECT provider_id FROM therapists_provider_coordinators WHERE user_id = %(u)s)))",
    "therapist": _FROM + " OR r.therapist_id IN"  # noqa: S608
    " (SELECT id FROM therapists_therapist WHERE user_id = %(u)s))",
}
ROLE_OF = {
    "psw": "triage",
    "smpe": "triage",
    "manager": "own",
    "other_manager": "own",
    "staff_member": "own",
    "service_lead": "own",
    "outsider": "own",
    "coordinator": "coordinator",
    "other_coordinator": "coordinator",
    "therapist": "therapist",
    "other_therapist": "therapist",
}


def expected_ids(user, persona: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(SQL[ROLE_OF[persona]], {"u": user.pk})
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def cases(request, flow, other_manager, other_therapist, other_provider, staff_member, psw):
    """Referrals in every state, from two managers, across two providers and two
    therapists, one of them reallocated, one naming the staff member."""
    made = {state: flow.referral(state=state) for state in S}
    made["other_manager_draft"] = flow.draft(by=other_manager, staff_email="x@example.org")
    other = flow.draft(by=other_manager, staff_email="y@example.org")
    services.submit_referral(referral_id=other.pk, by=other_manager)
    made["other_manager_submitted"] = other
    elsewhere = flow.draft(staff_email="z@example.org")
    services.submit_referral(referral_id=elsewhere.pk, by=flow.manager)
    services.accept_referral(referral_id=elsewhere.pk, by=psw, provider=other_provider)
    made["other_provider"] = elsewhere
    moved = flow.referral(state=S.ACTIVE, staff_email="w@example.org")
    services.reallocate_referral(
        referral_id=moved.pk, therapist=other_therapist, by=flow.coordinator, reason="Leave"
    )
    made["reallocated"] = moved
    return made


def test_visible_to_returns_exactly_the_expected_referrals_for_every_persona(request, cases):
    for persona in sorted(ROLE_OF):
        user = user_of(request, persona)

        visible = set(Referral.objects.visible_to(user).values_list("pk", flat=True))

        assert visible == expected_ids(user, persona), persona
        assert set(referrals_visible_to(user).values_list("pk", flat=True)) == visible, persona


def test_the_expectations_are_not_vacuous(request, cases):
    """Each persona's view is what docs/service.md's table says, in plain words."""
    seen = {
        p: set(Referral.objects.visible_to(user_of(request, p)).values_list("pk", flat=True))
        for p in ROLE_OF
    }
    every = set(Referral.objects.values_list("pk", flat=True))
    drafts = {cases[S.DRAFT].pk, cases["other_manager_draft"].pk}

    assert seen["psw"] == seen["smpe"] == every - drafts
    assert cases[S.DRAFT].pk in seen["manager"] and cases[S.DRAFT].pk not in seen["psw"]
    assert cases["other_manager_submitted"].pk not in seen["manager"]
    assert seen["staff_member"] == {r.pk for r in cases.values() if r.state != S.DRAFT} - {
        cases["other_manager_submitted"].pk,
        cases["other_provider"].pk,
        cases["reallocated"].pk,
    }
    assert cases["other_provider"].pk in seen["other_coordinator"]
    assert cases["other_provider"].pk not in seen["coordinator"]
    assert cases[S.SUBMITTED].pk not in seen["coordinator"]
    assert cases[S.DECLINED].pk not in seen["coordinator"]
    assert cases["reallocated"].pk in seen["other_therapist"]
    assert cases["reallocated"].pk not in seen["therapist"]
    assert seen["service_lead"] == seen["outsider"] == set()


def test_no_one_signed_out_or_inactive_sees_anything(cases, manager):
    manager.is_active = False
    manager.save()

    assert not Referral.objects.visible_to(AnonymousUser()).exists()
    assert not Referral.objects.visible_to(manager).exists()
