"""Roles are found by their stable code, never by the label people read."""

import pytest
from django.contrib.auth.models import Group

from accounts.roles import Role, group_name
from referrals import permissions as perms
from tests.factories import UserFactory


@pytest.mark.django_db
def test_each_role_has_a_group_named_by_its_code():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
    assert group_name(Role.PSW) == "psw"


@pytest.mark.django_db
def test_a_group_named_after_a_label_grants_nothing():
    user = UserFactory()
    label_group, _ = Group.objects.get_or_create(name=Role.PSW.label)
    user.groups.add(label_group)
    assert user.roles == frozenset()
    assert not perms.is_triager(user)


@pytest.mark.django_db
def test_the_code_group_grants_the_role():
    user = UserFactory()
    user.groups.add(Group.objects.get(name="psw"))
    assert user.roles == frozenset({Role.PSW})
    assert perms.is_triager(user)
