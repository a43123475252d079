"""Council sign-in: OpenID Connect single sign-on, with accounts and roles from the
council's directory.

mozilla-django-oidc runs the authorization code flow with PKCE (S256), state and
nonce; this module adds what it leaves to us:

- the endpoints, from the issuer's discovery document, fetched with a timeout and
  cached (``provider_metadata``);
- a full check of the ID token: signature against the provider's keys (JWKS), an
  asymmetric algorithm the provider announces, ``iss`` (the library does not check
  it), ``aud`` (the library switches it off) and ``azp``, ``exp`` and ``iat`` (both
  required), and the ``nonce``;
- the account: found by issuer + stable subject (``ExternalIdentity``), linked by
  e-mail only once, created otherwise; roles set from the groups claim through
  ``CIRS_OIDC_ROLE_GROUPS`` at every sign-in;
- the sign-in method rules (``accounts.signin_methods``).

Anything wrong raises ``SignInRefused`` with a reason before any account is created or
changed; the callback view turns it into a kind page and an audit row.
"""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.utils import timezone
from django.utils.http import urlencode
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts.models import AuditEvent, ExternalIdentity
from accounts.roles import Role, group_name
from accounts.signals import council_account_signed_in
from accounts.signin_methods import (
    SESSION_KEY,
    SSO,
    allowed_methods,
    parse_pairs,
    signin_keys,
    sso_enabled,
)

log = logging.getLogger("cirs.auth")

DISCOVERY_PATH = "/.well-known/openid-configuration"
# Only asymmetric signatures: "none" and HS* (signed with our own secret) are refused.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
# Clocks on two machines differ a little; a token is still refused once well past expiry.
CLOCK_SKEW_SECONDS = 60
# Where the ID token is kept for the sign-out at the provider (id_token_hint).
ID_TOKEN_SESSION_KEY = "oidc_id_token"  # noqa: S105 (a session key, not a secret)


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


# --- discovery ---------------------------------------------------------------------------


def _cache_key(issuer: str) -> str:
    return "cirs:oidc:discovery:" + hashlib.sha256(issuer.encode()).hexdigest()


def cached_provider_metadata() -> dict | None:
    """The discovery document if it is already known; never goes to the network."""
    return cache.get(_cache_key(settings.CIRS_OIDC_ISSUER))


def provider_metadata() -> dict:
    """The issuer's discovery document: fetched once (with the provider timeout), then
    cached for ``CIRS_OIDC_DISCOVERY_CACHE_SECONDS``. Failures are not cached."""
    issuer = settings.CIRS_OIDC_ISSUER
    metadata = cache.get(_cache_key(issuer))
    if metadata is not None:
        return metadata
    url = issuer.rstrip("/") + DISCOVERY_PATH
    try:
        response = requests.get(url, timeout=settings.CIRS_OIDC_TIMEOUT)
        response.raise_for_status()
        metadata = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SignInRefused(
            Reason.PROVIDER_DOWN, f"discovery failed ({exc.__class__.__name__})"
        ) from exc
    if not isinstance(metadata, dict) or metadata.get("issuer") != issuer:
        # OpenID Connect Discovery 4.3: the document must name the issuer we asked.
        raise SignInRefused(Reason.WRONG_ISSUER, "discovery document names another issuer")
    missing = [
        name
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
        if not metadata.get(name)
    ]
    if missing:
        raise SignInRefused(Reason.PROVIDER_DOWN, f"discovery lacks {', '.join(missing)}")
    cache.set(_cache_key(issuer), metadata, settings.CIRS_OIDC_DISCOVERY_CACHE_SECONDS)
    return metadata


def end_session_url(id_token: str, post_logout_redirect_uri: str) -> str | None:
    """Where to send the browser to end the session at the provider too, when its
    discovery document offers an ``end_session_endpoint`` (RP-initiated logout)."""
    try:
        endpoint = provider_metadata().get("end_session_endpoint")
    except SignInRefused:
        return None
    if not endpoint:
        return None
    query = {
        "post_logout_redirect_uri": post_logout_redirect_uri,
        "client_id": settings.CIRS_OIDC_CLIENT_ID,
    }
    if id_token:
        query["id_token_hint"] = id_token
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class ProviderFormActionMiddleware:
    """The sign-out button posts to CIRS, which redirects to the provider's sign-out
    page; browsers hold that redirect to the page's CSP ``form-action``. So pages for
    someone signed in through the council allow the provider's origin there too.
    Listed after ``CSPMiddleware``, so its response step runs first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not sso_enabled() or session.get(SESSION_KEY) != SSO:
            return response
        metadata = cached_provider_metadata() or {}
        origins = {
            _origin(settings.CIRS_OIDC_ISSUER),
            _origin(metadata.get("end_session_endpoint", "")),
        } - {""}
        update = dict(getattr(response, "_csp_update", None) or {})
        update["form-action"] = [*update.get("form-action", []), *sorted(origins)]
        response._csp_update = update
        return response


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
    from accounts.signin_audit import record_auth_event

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


# --- the authentication backend ----------------------------------------------------------


class CouncilSignInBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, configured from discovery and with the ID token
    checks the library leaves out. Only answers the council sign-in callback (which
    passes ``nonce``); a password sign-in passes it by."""

    def __init__(self, *args, **kwargs):
        # Django builds every backend for every sign-in, password ones included: no
        # settings lookups or network here, only when a council sign-in arrives.
        self.UserModel = get_user_model()

    def _configure(self) -> None:
        metadata = provider_metadata()
        self.OIDC_OP_TOKEN_ENDPOINT = metadata["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = metadata.get("userinfo_endpoint")
        self.OIDC_OP_JWKS_ENDPOINT = metadata["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = settings.CIRS_OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.CIRS_OIDC_CLIENT_SECRET
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.OIDC_RP_SIGN_ALGO = "RS256"
        announced = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        self.accepted_algorithms = ASYMMETRIC_ALGORITHMS.intersection(announced)

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not sso_enabled():
            return None
        self._configure()
        return super().authenticate(request, **kwargs)

    def get_token(self, payload):
        try:
            return super().get_token(payload)
        except requests.HTTPError as exc:
            response = exc.response
            status = response.status_code if response is not None else 0
            error = ""
            if response is not None:
                try:
                    error = str(response.json().get("error", ""))[:60]
                except ValueError:
                    error = ""
            if 400 <= status < 500:
                # invalid_grant: the code was used already, has expired, or its PKCE
                # verifier does not match.
                raise SignInRefused(
                    Reason.CODE_REJECTED, f"token endpoint answered {status} {error}".strip()
                ) from exc
            raise SignInRefused(Reason.PROVIDER_DOWN, f"token endpoint answered {status}") from exc
        except (requests.RequestException, ValueError) as exc:
            raise SignInRefused(
                Reason.PROVIDER_DOWN, f"token endpoint unreachable ({exc.__class__.__name__})"
            ) from exc

    def verify_token(self, token, **kwargs):
        """Signature (JWKS), algorithm, issuer, audience (and azp), expiry, issued-at
        and nonce. Also used for a userinfo answer sent as a JWT, which carries no nonce."""
        nonce = kwargs.get("nonce")
        if not token:
            raise SignInRefused(Reason.TOKEN_INVALID, "no ID token in the token response")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise SignInRefused(Reason.TOKEN_INVALID, "ID token unreadable") from exc
        algorithm = header.get("alg")
        if algorithm not in self.accepted_algorithms:
            raise SignInRefused(Reason.TOKEN_INVALID, f"algorithm {algorithm!r} not accepted")
        self.OIDC_RP_SIGN_ALGO = algorithm
        try:
            key = self.retrieve_matching_jwk(token)
        except requests.RequestException as exc:
            raise SignInRefused(Reason.PROVIDER_DOWN, "signing keys unreachable") from exc
        except (SuspiciousOperation, KeyError, ValueError, jwt.PyJWTError) as exc:
            raise SignInRefused(Reason.TOKEN_INVALID, "no matching signing key") from exc
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=settings.CIRS_OIDC_CLIENT_ID,
                issuer=settings.CIRS_OIDC_ISSUER,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise SignInRefused(Reason.TOKEN_EXPIRED, "ID token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise SignInRefused(Reason.WRONG_AUDIENCE, "ID token is for another client") from exc
        except jwt.InvalidIssuerError as exc:
            raise SignInRefused(Reason.WRONG_ISSUER, "ID token from another issuer") from exc
        except jwt.PyJWTError as exc:
            raise SignInRefused(
                Reason.TOKEN_INVALID, f"ID token refused ({exc.__class__.__name__})"
            ) from exc
        audience = payload["aud"]
        several = isinstance(audience, list) and len(audience) > 1
        if several and payload.get("azp") != settings.CIRS_OIDC_CLIENT_ID:
            raise SignInRefused(Reason.WRONG_AUDIENCE, "azp names another client")
        if "nonce" in kwargs and (not nonce or payload.get("nonce") != nonce):
            raise SignInRefused(Reason.NONCE_MISMATCH, "nonce does not match this sign-in")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims (Entra ID sends groups only there), completed by the
        userinfo endpoint when the provider has one, which must be about the same person."""
        if not payload.get("sub"):
            raise SignInRefused(Reason.MISSING_SUBJECT, "no sub claim in the ID token")
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT and access_token:
            try:
                info = super().get_userinfo(access_token, id_token, payload)
            except requests.RequestException as exc:
                raise SignInRefused(Reason.PROVIDER_DOWN, "userinfo unreachable") from exc
            if info.get("sub") != payload["sub"]:
                raise SignInRefused(Reason.TOKEN_INVALID, "userinfo is about someone else")
            for name, value in info.items():
                claims.setdefault(name, value)
        return claims

    def store_tokens(self, access_token, id_token):
        # Kept on the request and written to the session after login(), which may
        # start a fresh session.
        self.request.cirs_oidc_id_token = id_token

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        return council_account(claims, request=self.request)
