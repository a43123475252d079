"""Loading the signed-in person on each request: the account and its roles in one
query (docs/performance.md, "Fewer queries a page"), whose SQL is written once
(config/prepared.py)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from accounts.roles import Role
from config.prepared import Prepared


def _columns() -> list[str]:
    return [f.attname for f in get_user_model()._meta.concrete_fields]


def _account_and_groups(user_id):
    """One row per group the account is in (one row with no group when it has none)."""
    return (
        get_user_model()
        ._default_manager.filter(pk=user_id)
        .order_by()
        .values_list(*_columns(), "groups__name")
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
    model = get_user_model()
    user = model.from_db(using, _columns(), rows[0][:-1])
    user._cirs_roles = frozenset(Role(row[-1]) for row in rows if row[-1] in Role.values)
    return user


class RolesModelBackend(ModelBackend):
    """Django's password backend; the signed-in person comes with their roles."""

    def get_user(self, user_id):
        user = user_with_roles(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
