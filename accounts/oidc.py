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
- the account and its roles from the claims (``accounts.council_accounts``).

Anything wrong raises ``SignInRefused`` with a reason before any account is created or
changed; the callback view turns it into a kind page and an audit row.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.utils.http import urlencode
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts.backends import user_with_roles
from accounts.council_accounts import Reason, SignInRefused, council_account
from accounts.signin_methods import SESSION_KEY, SSO, sso_enabled

__all__ = ["CouncilSignInBackend", "Reason", "SignInRefused", "provider_metadata"]

DISCOVERY_PATH = "/.well-known/openid-configuration"
# Only asymmetric signatures: "none" and HS* (signed with our own secret) are refused.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
# Clocks on two machines differ a little; a token is still refused once well past expiry.
CLOCK_SKEW_SECONDS = 60
# Where the ID token is kept for the sign-out at the provider (id_token_hint).
ID_TOKEN_SESSION_KEY = "oidc_id_token"  # noqa: S105 (a session key, not a secret)


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

    def get_user(self, user_id):
        """The signed-in person with their roles, in one query (``user_with_roles``)."""
        return user_with_roles(user_id)

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
