"""seed_demo: fictional users for every role, referrals in every state, idempotent."""

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
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


@pytest.mark.django_db
@pytest.mark.parametrize("minute", [0, 5, 50])
def test_seed_demo_works_just_after_midnight(minute):
    """``make run`` seeds the demo whenever it is started: a meeting or session held
    "three hours ago" must not fall on the day before the referral was sent."""
    just_after = datetime(2026, 12, 8, 0, minute, 0, tzinfo=ZoneInfo("Europe/London"))
    with time_machine.travel(just_after, tick=True):
        call_command("seed_demo")
    assert set(Referral.objects.values_list("state", flat=True)) == {
        s.value for s in Referral.State
    }
