"""Loading the signed-in person on each request: the account and its roles in one
query (docs/performance.md, "Fewer queries a page")."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import F

from accounts.roles import Role


def user_with_roles(user_id):
    """The user with ``user_id`` and its roles (``User.roles``), read in one query: one
    row per group the account is in (one row with no group when it has none). None
    when there is no such account."""
    rows = list(
        get_user_model()
        ._default_manager.filter(pk=user_id)
        .annotate(_cirs_group=F("groups__name"))
        .order_by()
    )
    if not rows:
        return None
    user = rows[0]
    user._cirs_roles = frozenset(
        Role(row._cirs_group) for row in rows if row._cirs_group in Role.values
    )
    return user


class RolesModelBackend(ModelBackend):
    """Django's password backend; the signed-in person comes with their roles."""

    def get_user(self, user_id):
        user = user_with_roles(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
