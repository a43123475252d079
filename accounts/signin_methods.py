"""Which way each role signs in: the council's single sign-on ("sso") or a CIRS
username, password and TOTP code ("local"). Configuration, ``CIRS_SIGNIN_METHODS``.

Council staff are in the council's directory, so their access follows it; the
provider's coordinator and therapists are not, so they keep local accounts. A person's
"keys" are their roles; someone with no role is the referred ``staff`` member. An admin
account with no role (``is_staff``) is not restricted, so the service's administrator
can always reach the admin. A person with several roles may use a way in only if every
one of their roles allows it.

Without single sign-on configured (``CIRS_OIDC_ISSUER`` unset), everyone signs in
locally and this table is not consulted.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core import checks

from accounts.roles import Role

LOCAL = "local"
SSO = "sso"
BOTH = frozenset({LOCAL, SSO})
# The referred staff member: an ordinary council employee with no CIRS role.
STAFF = "staff"
KEYS = frozenset({*Role.values, STAFF})
_VALUES = {LOCAL: frozenset({LOCAL}), SSO: frozenset({SSO}), "any": BOTH, "sso+local": BOTH}
# Stored in the session at sign-in: how this session was started.
SESSION_KEY = "cirs_signin_method"


def sso_enabled() -> bool:
    return bool(settings.CIRS_OIDC_ISSUER and settings.CIRS_OIDC_CLIENT_ID)


def parse_pairs(value) -> list[tuple[str, str]]:
    items = value.split(",") if isinstance(value, str) else list(value)
    pairs = []
    for item in items:
        key, _, val = str(item).partition("=")
        if key.strip():
            pairs.append((key.strip().lower(), val.strip()))
    return pairs


def configured_methods() -> dict[str, frozenset[str]]:
    """``CIRS_SIGNIN_METHODS`` as {key: {"sso"} | {"local"} | both}; unlisted keys: both."""
    return {
        key: _VALUES.get(value.lower(), frozenset())
        for key, value in parse_pairs(settings.CIRS_SIGNIN_METHODS)
    }


def signin_keys(roles: Iterable[str], *, is_admin: bool = False) -> frozenset[str]:
    roles = frozenset(roles)
    if roles:
        return roles
    return frozenset() if is_admin else frozenset({STAFF})


def allowed_methods(keys: Iterable[str]) -> frozenset[str]:
    """The ways in that every one of these keys allows."""
    if not sso_enabled():
        return frozenset({LOCAL})
    table = configured_methods()
    allowed = BOTH
    for key in keys:
        allowed &= table.get(key, BOTH)
    return allowed


def methods_for(user) -> frozenset[str]:
    return allowed_methods(signin_keys(user.roles, is_admin=user.is_staff))


def may_sign_in_locally(user) -> bool:
    return LOCAL in methods_for(user)


def how_to_sign_in(user=None) -> str:
    """The words an e-mail or page uses to tell someone how to sign in. ``user`` None:
    someone written to at an address (a staff member without an account yet), who is
    in the council's directory."""
    if not sso_enabled():
        return "Sign in to CIRS"
    keys = signin_keys(user.roles, is_admin=user.is_staff) if user is not None else {STAFF}
    if SSO in allowed_methods(keys):
        return "Sign in to CIRS with your council account"
    return "Sign in to CIRS with your CIRS username and password"


def can_sign_in_at_address() -> bool:
    """Whether someone written to at an address, with no account yet (a referred staff
    member), can still sign in: only with their council account, when single sign-on
    is on and staff may use it (their account is made at first sign-in)."""
    return sso_enabled() and SSO in allowed_methods({STAFF})


@checks.register(checks.Tags.security)
def check_signin_methods(app_configs, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for key, value in parse_pairs(settings.CIRS_SIGNIN_METHODS):
        if key not in KEYS or value.lower() not in _VALUES:
            errors.append(
                checks.Error(
                    f"CIRS_SIGNIN_METHODS has an unknown entry: {key}={value}.",
                    hint=f"Use key=sso|local|any with keys from: {', '.join(sorted(KEYS))}.",
                    id="cirs.E002",
                )
            )
    return errors
