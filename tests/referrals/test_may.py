"""``permissions.may`` asks the state machine: source state, conditions and role."""

from referrals import permissions as perms
from referrals.models import Referral


def test_may_follows_the_source_state(flow):
    allocated = flow.referral(state=Referral.State.ALLOCATED)
    active = flow.referral(state=Referral.State.ACTIVE)
    therapist = flow.therapist.user

    assert perms.may(allocated, "record_first_meeting", therapist)
    assert not perms.may(active, "record_first_meeting", therapist)


def test_may_follows_the_conditions(flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    therapist = flow.therapist.user
    assert perms.may(referral, "record_manager_contact", therapist)
    assert not perms.may(referral, "record_review", therapist)  # no 3rd session yet

    from django.utils import timezone

    from referrals import services

    services.record_manager_contact(
        referral_id=referral.pk, by=therapist, contacted_at=timezone.now()
    )
    referral.refresh_from_db()

    assert not perms.may(referral, "record_manager_contact", therapist)


def test_may_follows_the_role(flow, other_therapist, manager, staff_member):
    referral = flow.referral(state=Referral.State.ACTIVE, staff_email=staff_member.email)

    assert perms.may(referral, "change_key_dates", flow.therapist.user)
    assert not perms.may(referral, "change_key_dates", other_therapist.user)
    assert not perms.may(referral, "change_key_dates", manager)
    assert perms.may(referral, "withdraw", staff_member)
    assert perms.may(referral, "withdraw", manager)
    assert not perms.may(referral, "withdraw", other_therapist.user)


def test_nothing_may_be_done_to_a_closed_referral(flow):
    referral = flow.referral(state=Referral.State.CLOSED)

    assert not perms.may(referral, "withdraw", flow.manager)
    assert not perms.may(referral, "change_key_dates", flow.therapist.user)


def test_unwrapped_takes_off_every_lazy_layer_of_the_signed_in_person(
    client, flow, manager, monkeypatch
):
    """``request.user`` is the code step's lazy proxy around the sign-in's: a list asks
    the predicates about each row of the account itself, not through two proxies."""
    from django.urls import reverse
    from django.utils.functional import LazyObject, SimpleLazyObject

    from accounts.backends import unwrapped

    assert unwrapped(SimpleLazyObject(lambda: SimpleLazyObject(lambda: manager))) is manager
    assert unwrapped(manager) is manager

    flow.referral()
    asked = []
    real = perms.can_see_session_activity

    def spy(referral, user):
        asked.append(user)
        return real(referral, user)

    monkeypatch.setattr(perms, "can_see_session_activity", spy)
    client.force_login(manager)

    assert client.get(reverse("referrals:mine")).status_code == 200
    assert asked and all(not isinstance(u, LazyObject) and u.pk == manager.pk for u in asked)
