"""Council accounts from the directory's claims: found by issuer + stable subject
(``ExternalIdentity``), linked by e-mail only once, created otherwise, with roles set
from the groups claim through ``CIRS_OIDC_ROLE_GROUPS`` at every sign-in, and the
sign-in method rules applied (``accounts.signin_methods``).

Anything wrong raises ``SignInRefused`` with a reason before any account is created or
changed (accounts/oidc_views.py turns it into a kind page and an audit row).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import AuditEvent, ExternalIdentity
from accounts.roles import Role, group_name
from accounts.signals import council_account_signed_in
from accounts.signin_audit import record_auth_event
from accounts.signin_methods import SSO, allowed_methods, parse_pairs, signin_keys


class Reason:
    """Why a council sign-in was refused (the audit row's event and the page shown)."""

    PROVIDER_DOWN = "provider_down"
    PROVIDER_ERROR = "provider_error"
    STATE_MISMATCH = "state_mismatch"
    CODE_REJECTED = "code_rejected"
    TOKEN_INVALID = "token_invalid"  # noqa: S105
    TOKEN_EXPIRED = "token_expired"  # noqa: S105
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    NONCE_MISMATCH = "nonce_mismatch"
    MISSING_SUBJECT = "missing_subject"
    MISSING_EMAIL = "missing_email"
    NO_GROUP = "no_group"
    LOCAL_ONLY = "local_only"
    ACCOUNT_DISABLED = "account_disabled"
    AMBIGUOUS_EMAIL = "ambiguous_email"


class SignInRefused(Exception):
    def __init__(self, reason: str, detail: str = "", *, user=None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.user = user


# --- roles from the groups claim -----------------------------------------------------------


def role_groups() -> dict[str, frozenset[str]]:
    """``CIRS_OIDC_ROLE_GROUPS`` as {role code or "staff": {group ids}}."""
    mapping: dict[str, set[str]] = {}
    for key, group in parse_pairs(settings.CIRS_OIDC_ROLE_GROUPS):
        if group:
            mapping.setdefault(key, set()).add(group)
    return {key: frozenset(groups) for key, groups in mapping.items()}


def roles_from_claims(claims: dict) -> frozenset[str]:
    """The CIRS roles the person's directory groups give them. Refused when no group
    maps to anything (not even ``staff``)."""
    raw = claims.get(settings.CIRS_OIDC_GROUPS_CLAIM)
    if isinstance(raw, str):
        raw = [raw]
    groups = {str(item) for item in raw} if isinstance(raw, list | tuple) else set()
    keys = {key for key, ids in role_groups().items() if ids & groups}
    if not keys:
        overage = settings.CIRS_OIDC_GROUPS_CLAIM in (claims.get("_claim_names") or {})
        raise SignInRefused(
            Reason.NO_GROUP,
            "the groups claim was too long to send (group overage)"
            if overage
            else "in no group named in CIRS_OIDC_ROLE_GROUPS",
        )
    return frozenset(key for key in keys if key in Role.values)


# --- the account ---------------------------------------------------------------------------


def _names(claims: dict) -> tuple[str, str]:
    first = str(claims.get("given_name") or "").strip()
    last = str(claims.get("family_name") or "").strip()
    if not first and not last:
        first, _, last = str(claims.get("name") or "").strip().partition(" ")
    return first[:150], last[:150]


def _free_username(email: str) -> str:
    user_model = get_user_model()
    base = email.lower()[:140]
    candidate, n = base, 1
    while user_model.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _account_to_link(issuer: str, email: str):
    """An existing account with this e-mail that no council identity holds yet. E-mail
    links once; after that the subject is bound, and e-mail is never read again."""
    candidates = list(
        get_user_model()
        .objects.filter(email__iexact=email)
        .exclude(external_identities__issuer=issuer)
    )
    if len(candidates) > 1:
        raise SignInRefused(Reason.AMBIGUOUS_EMAIL, f"{len(candidates)} accounts share the e-mail")
    return candidates[0] if candidates else None


def _set_roles(user, roles: frozenset[str]) -> tuple[set[str], set[str]]:
    """Make the account's role groups exactly ``roles``; other groups are left alone."""
    current = set(
        user.groups.filter(name__in=[group_name(r) for r in Role]).values_list("name", flat=True)
    )
    wanted = {group_name(Role(role)) for role in roles}
    added, removed = wanted - current, current - wanted
    if removed:
        user.groups.remove(*Group.objects.filter(name__in=removed))
    if added:
        user.groups.add(*Group.objects.filter(name__in=added))
    user.__dict__.pop("_cirs_roles", None)
    return added, removed


def _audit(request, user, event: str, message: str) -> None:
    record_auth_event(
        request, action=AuditEvent.Action.CHANGE, user=user, event=event, message=message
    )


def council_account(claims: dict, *, request=None):
    """The CIRS account for these verified claims: found, linked or created, with its
    roles following the directory. Raises ``SignInRefused`` before changing anything."""
    issuer = settings.CIRS_OIDC_ISSUER
    subject = str(claims.get(settings.CIRS_OIDC_SUBJECT_CLAIM) or "").strip()
    if not subject:
        raise SignInRefused(Reason.MISSING_SUBJECT, f"no {settings.CIRS_OIDC_SUBJECT_CLAIM} claim")
    email = str(claims.get(settings.CIRS_OIDC_EMAIL_CLAIM) or "").strip()
    if "@" not in email:
        raise SignInRefused(Reason.MISSING_EMAIL, f"no {settings.CIRS_OIDC_EMAIL_CLAIM} claim")
    roles = roles_from_claims(claims)

    with transaction.atomic():
        identity = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        user = identity.user if identity else _account_to_link(issuer, email)
        if user is not None and not user.is_active:
            raise SignInRefused(Reason.ACCOUNT_DISABLED, "account is switched off", user=user)
        keys = set(signin_keys(roles))
        if user is not None and identity is None:
            # An existing (local) account being linked: its own roles count too, so a
            # provider's local-only account is never taken over by single sign-on.
            keys |= set(user.roles)
        if SSO not in allowed_methods(keys):
            raise SignInRefused(
                Reason.LOCAL_ONLY, f"roles {', '.join(sorted(keys))} sign in locally", user=user
            )

        created = linked = False
        first, last = _names(claims)
        if user is None:
            user = get_user_model()(username=_free_username(email), email=email)
            user.set_unusable_password()
            created = True
        elif identity is None:
            linked = True
        user.email = email
        user.first_name, user.last_name = first or user.first_name, last or user.last_name
        user.save()
        if identity is None:
            ExternalIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        else:
            identity.last_signed_in_at = timezone.now()
            identity.save(update_fields=["last_signed_in_at"])
        added, removed = _set_roles(user, roles)

        if created:
            _audit(request, user, "sso_account_created", "Account made at first council sign-in")
        elif linked:
            _audit(
                request,
                user,
                "sso_account_linked",
                "Council identity bound to this existing account (matched by e-mail, once)",
            )
        if added or removed:
            _audit(
                request,
                user,
                "sso_roles_changed",
                "Roles follow the council directory: "
                f"added {', '.join(sorted(added)) or 'none'}; "
                f"removed {', '.join(sorted(removed)) or 'none'}",
            )
        council_account_signed_in.send(
            sender=get_user_model(), user=user, created=created, linked=linked
        )
    return user
