"""Two people acting on one referral at once lose nothing (docs/security-checklist.md row 28).

docs/service.md: "Illegal transitions are impossible". Services lock the row
(``select_for_update`` inside ``atomic``), so the second caller waits, then sees the
first one's result and is refused with TransitionNotAllowed, or with ReferralChanged
when the form it posted carried an older ``version``. The threaded races need
PostgreSQL: SQLite serialises every writer, so it would prove nothing.
"""

from __future__ import annotations

from functools import partial

import pytest
from django.db import transaction
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from accounts.roles import Role
from referrals import services
from referrals.models import Allocation, Referral, TransitionLog
from referrals.services import ReferralChanged
from tests.concurrency import race as prove_overlap
from tests.factories import UserFactory

S = Referral.State
REFUSALS = (TransitionNotAllowed, ReferralChanged)
ROUNDS = 3
transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def race(*calls) -> list:
    """The calls at the same instant, proven to overlap (tests/concurrency.py); each
    result is the return value or the exception raised."""
    return prove_overlap(*calls).results


def winners_and_losers(results) -> tuple[list, list]:
    losers = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, REFUSALS) for r in losers), losers
    return [r for r in results if not isinstance(r, Exception)], losers


@transactional
def test_two_coordinators_allocating_at_once_give_one_allocation(
    requires_postgres, flow, provider, other_therapist
):
    second = UserFactory(username="cora", roles=[Role.COORDINATOR])
    provider.coordinators.add(second)
    for _ in range(ROUNDS):
        referral = flow.referral(state=S.ACCEPTED)

        results = race(
            partial(
                services.allocate_referral,
                referral_id=referral.pk,
                therapist=flow.therapist,
                by=flow.coordinator,
            ),
            partial(
                services.allocate_referral,
                referral_id=referral.pk,
                therapist=other_therapist,
                by=second,
            ),
        )

        winners, losers = winners_and_losers(results)
        assert (len(winners), len(losers)) == (1, 1)
        row = Referral.objects.get(pk=referral.pk)
        assert row.state == S.ALLOCATED
        assert row.therapist == winners[0].therapist
        assert list(
            Allocation.objects.filter(referral=row).values_list("therapist", flat=True)
        ) == [row.therapist_id]
        assert TransitionLog.objects.filter(referral=row, event="allocated").count() == 1


@transactional
def test_two_allocations_for_a_therapists_last_place_give_one(
    requires_postgres, flow, provider, other_therapist
):
    """Two coordinators each allocate their own referral to the therapist with one place
    left. The referrals differ, so only the therapist's row (locked after the referral,
    its open cases counted again under the lock) stands between them: one is allocated,
    the other is refused beside the therapist field, never both."""
    second = UserFactory(username="cora", roles=[Role.COORDINATOR])
    provider.coordinators.add(second)
    for round_ in range(ROUNDS):
        first, other = flow.referral(state=S.ACCEPTED), flow.referral(state=S.ACCEPTED)
        # One place left: the therapist holds capacity - 1 open cases.
        assert Referral.objects.filter(therapist=other_therapist).count() == round_
        other_therapist.capacity = round_ + 1
        other_therapist.save()

        # Each call stops just after it locks the therapist's row, until the other is
        # seen waiting for that lock: run one after the other, this raises NeverOverlapped.
        run = prove_overlap(
            partial(
                services.allocate_referral,
                referral_id=first.pk,
                therapist=other_therapist,
                by=flow.coordinator,
            ),
            partial(
                services.allocate_referral,
                referral_id=other.pk,
                therapist=other_therapist,
                by=second,
            ),
            gate=r'FROM "therapists_therapist" .*FOR NO KEY UPDATE',
        )

        assert sorted(run.seen) == ["gate", "waited"]
        refused = [r for r in run.results if isinstance(r, Exception)]
        assert len(refused) == 1, run.results
        assert isinstance(refused[0], services.RuleRefused), refused
        assert refused[0].field == "therapist"
        assert "no places left" in refused[0].message
        held = Referral.objects.filter(therapist=other_therapist, state__in=Referral.SUPPORT_STATES)
        assert held.count() == round_ + 1
        assert Referral.objects.filter(pk__in=[first.pk, other.pk], state=S.ACCEPTED).count() == 1


@transactional
def test_triage_accept_against_withdraw_one_wins_and_the_log_shows_only_it(requires_postgres, flow):
    for _ in range(ROUNDS):
        referral = flow.referral(state=S.SUBMITTED)
        version = referral.version  # both forms were loaded at this version

        results = race(
            partial(
                services.accept_referral,
                referral_id=referral.pk,
                by=flow.psw,
                provider=flow.provider,
                expected_version=version,
            ),
            partial(
                services.withdraw_referral,
                referral_id=referral.pk,
                by=flow.manager,
                reason="",
                expected_version=version,
            ),
        )

        winners, losers = winners_and_losers(results)
        assert (len(winners), len(losers)) == (1, 1)
        row = Referral.objects.get(pk=referral.pk)
        assert row.version == version + 1
        events = set(
            TransitionLog.objects.filter(
                referral=row, event__in=["accepted", "withdrawn"]
            ).values_list("event", flat=True)
        )
        assert events == ({"accepted"} if row.state == S.ACCEPTED else {"withdrawn"})
        assert row.state in {S.ACCEPTED, S.WITHDRAWN}


@transactional
def test_two_triage_leads_accepting_at_once_accept_once(requires_postgres, flow, smpe):
    referral = flow.referral(state=S.SUBMITTED)

    results = race(
        lambda: services.accept_referral(
            referral_id=referral.pk, by=flow.psw, provider=flow.provider
        ),
        lambda: services.accept_referral(referral_id=referral.pk, by=smpe, provider=flow.provider),
    )

    winners, losers = winners_and_losers(results)
    assert (len(winners), len(losers)) == (1, 1)
    # Without a version, the second sees the state already moved on.
    assert isinstance(losers[0], TransitionNotAllowed)
    assert TransitionLog.objects.filter(referral=referral, event="accepted").count() == 1


# --- no threads needed: these hold on SQLite too -------------------------------------------


def test_a_stale_expected_version_is_refused_and_nothing_changes(flow):
    referral = flow.referral(state=S.SUBMITTED)
    stale = referral.version
    services.request_more_information(referral_id=referral.pk, by=flow.psw, question="Who?")
    services.answer_information_request(referral_id=referral.pk, by=flow.manager, answer="Two")
    row = Referral.objects.get(pk=referral.pk)
    logs = row.transitions.count()

    with pytest.raises(ReferralChanged) as excinfo:
        services.accept_referral(
            referral_id=referral.pk, by=flow.psw, provider=flow.provider, expected_version=stale
        )

    assert "just updated by someone else" in str(excinfo.value)
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, after.version, after.transitions.count()) == (
        S.SUBMITTED,
        row.version,
        logs,
    )


def test_a_stale_copy_cannot_overwrite_a_newer_state(flow):
    """The optimistic check of ConcurrentTransitionMixin, underneath the lock: a copy
    loaded before someone else's change cannot be saved over it."""
    referral = flow.referral(state=S.SUBMITTED)
    stale = Referral.objects.get(pk=referral.pk)
    services.decline_referral(referral_id=referral.pk, by=flow.psw, reason="r", signposting="s")

    stale.accept(provider=flow.provider, at=stale.submitted_at)
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()

    assert Referral.objects.get(pk=referral.pk).state == S.DECLINED
