"""Which way each role signs in is configuration (CIRS_SIGNIN_METHODS), and the
council's groups map to roles through CIRS_OIDC_ROLE_GROUPS."""

from __future__ import annotations

import pytest

from accounts.council_accounts import Reason, SignInRefused, role_groups, roles_from_claims
from accounts.roles import Role
from accounts.signin_methods import (
    LOCAL,
    SSO,
    STAFF,
    allowed_methods,
    check_signin_methods,
    how_to_sign_in,
    may_sign_in_locally,
)
from tests.factories import UserFactory


@pytest.fixture
def sso_on(settings):
    settings.CIRS_OIDC_ISSUER = "https://login.example.org/tenant/v2.0"
    settings.CIRS_OIDC_CLIENT_ID = "cirs"
    settings.CIRS_SIGNIN_METHODS = "psw=sso,staff=sso,coordinator=local,therapist=local,smpe=any"


def test_without_single_sign_on_everyone_signs_in_locally(settings):
    settings.CIRS_OIDC_ISSUER = ""
    assert allowed_methods({Role.PSW}) == {LOCAL}
    assert how_to_sign_in(None) == "Sign in to CIRS"


def test_each_role_gets_what_the_table_says(sso_on):
    assert allowed_methods({Role.PSW}) == {SSO}
    assert allowed_methods({STAFF}) == {SSO}
    assert allowed_methods({Role.COORDINATOR}) == {LOCAL}
    assert allowed_methods({Role.SMPE}) == {SSO, LOCAL}
    # Not in the table: either way.
    assert allowed_methods({Role.SERVICE_LEAD}) == {SSO, LOCAL}
    # Several roles: only what all of them allow.
    assert allowed_methods({Role.PSW, Role.SMPE}) == {SSO}
    assert allowed_methods({Role.PSW, Role.THERAPIST}) == frozenset()


@pytest.mark.django_db
def test_people_with_no_role_are_staff_members_except_admins(sso_on):
    staff_member = UserFactory(username="robin")
    admin = UserFactory(username="root", is_staff=True)

    assert not may_sign_in_locally(staff_member)
    assert may_sign_in_locally(admin)


def test_unknown_table_entries_fail_the_system_check(settings):
    settings.CIRS_SIGNIN_METHODS = "psw=sso,wizard=local,therapist=sometimes"

    errors = check_signin_methods(None)

    assert [error.id for error in errors] == ["cirs.E002", "cirs.E002"]
    assert "wizard=local" in errors[0].msg
    assert "therapist=sometimes" in errors[1].msg


def test_the_shipped_defaults_pass_the_system_check():
    assert check_signin_methods(None) == []


def test_groups_map_to_roles_and_a_role_may_have_several_groups(settings):
    settings.CIRS_OIDC_ROLE_GROUPS = "psw=g-psw,psw=g-psw-deputies,staff=g-all,line_manager=g-lm"

    assert role_groups()["psw"] == {"g-psw", "g-psw-deputies"}
    assert roles_from_claims({"groups": ["g-psw-deputies", "g-other"]}) == {Role.PSW}
    assert roles_from_claims({"groups": ["g-all"]}) == frozenset()
    assert roles_from_claims({"groups": ["g-lm", "g-psw"]}) == {Role.PSW, Role.LINE_MANAGER}


def test_a_group_overage_is_refused_and_says_why(settings):
    settings.CIRS_OIDC_ROLE_GROUPS = "psw=g-psw"

    with pytest.raises(SignInRefused) as refused:
        roles_from_claims({"_claim_names": {"groups": "src1"}, "_claim_sources": {}})

    assert refused.value.reason == Reason.NO_GROUP
    assert "overage" in refused.value.detail
