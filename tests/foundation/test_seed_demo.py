"""seed_demo: fictional users for every role, referrals in every state, idempotent."""

from collections import Counter

import pytest
from django.core.management import call_command

from accounts.models import User
from accounts.roles import Role, group_name
from referrals.models import Referral


@pytest.mark.django_db
def test_seed_demo_fills_every_state_and_role_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = Counter(Referral.objects.values_list("state", flat=True))
    users = User.objects.count()

    call_command("seed_demo")

    assert Counter(Referral.objects.values_list("state", flat=True)) == first
    assert User.objects.count() == users
    assert set(first) == {s.value for s in Referral.State}
    assert Referral.objects.filter(kind=Referral.Kind.GROUP).exists()
    for role in Role:
        assert User.objects.filter(groups__name=group_name(role)).exists(), role
    printed = capsys.readouterr().out
    assert "cirs-demo-2026" in printed
    assert "psw" in printed and "therapist" in printed
