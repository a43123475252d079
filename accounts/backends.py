"""Loading the signed-in person on each request: the account and its roles in one
query (docs/performance.md, "Fewer queries a page"), whose SQL is written once
(config/prepared.py)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import F
from django.utils.functional import LazyObject, empty

from accounts.roles import Role
from config.prepared import Prepared


def _account_and_groups(user_id):
    """The account once per group it is in (once with no group when it has none)."""
    return (
        get_user_model()
        ._default_manager.filter(pk=user_id)
        .annotate(_cirs_group=F("groups__name"))
        .order_by()
    )


_read = Prepared(_account_and_groups)


def user_with_roles(user_id, using: str = "default"):
    """The user with ``user_id`` and its roles (``User.roles``), read in one query.
    None when there is no such account."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    rows = _read(user_id, using=using)
    if not rows:
        return None
    user = rows[0]
    user._cirs_roles = frozenset(
        Role(row._cirs_group) for row in rows if row._cirs_group in Role.values
    )
    return user


def unwrapped(user):
    """The account behind ``request.user``, which Django hands out in a lazy proxy
    (django-otp's middleware wraps the sign-in's in another): every attribute read
    through a proxy costs a call more, and a list asks the permission predicates about
    each of its 50 rows. Every layer is taken off."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


class RolesModelBackend(ModelBackend):
    """Django's password backend; the signed-in person comes with their roles."""

    def get_user(self, user_id):
        user = user_with_roles(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
