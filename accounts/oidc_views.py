"""The council sign-in pages: start (to the provider), callback (back from it) and the
kind page shown when a council sign-in cannot finish."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import View
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from accounts.models import AuditEvent
from accounts.oidc import ID_TOKEN_SESSION_KEY, Reason, SignInRefused, provider_metadata
from accounts.signin_audit import record_auth_event
from accounts.signin_methods import SSO, sso_enabled

START_AGAIN = (
    "Please go back to the sign-in page and choose “Sign in with your council account” again."
)


def _contact() -> str:
    return settings.CIRS_SIGNIN_HELP_CONTACT


# reason: (HTTP status, heading, what happened, what to do next)
PAGES = {
    Reason.PROVIDER_DOWN: (
        503,
        "The council sign-in isn't answering just now",
        "CIRS couldn't reach the council's sign-in service. This isn't something you did.",
        "Please try again in a few minutes. If it keeps happening, please contact {contact}.",
    ),
    Reason.PROVIDER_ERROR: (
        400,
        "Signing in with your council account didn't finish",
        "The council's sign-in service stopped before you were signed in to CIRS. "
        "This can happen if the sign-in was cancelled.",
        START_AGAIN,
    ),
    Reason.STATE_MISMATCH: (
        400,
        "This sign-in link has already been used or has run out",
        "This can happen after using the browser's back button, opening the sign-in in "
        "another tab, or leaving the page open for a while.",
        START_AGAIN,
    ),
    Reason.CODE_REJECTED: (
        400,
        "This sign-in link has already been used or has run out",
        "The council's sign-in service said this sign-in had already been used or had "
        "taken too long.",
        START_AGAIN,
    ),
    Reason.TOKEN_INVALID: (
        400,
        "We couldn't confirm your council sign-in",
        "The details sent back by the council's sign-in service didn't pass CIRS's "
        "safety checks, so we haven't signed you in. This isn't something you did.",
        START_AGAIN + " If it happens again, please contact {contact} and tell them the time.",
    ),
    Reason.MISSING_SUBJECT: (
        403,
        "Your council account is missing some details CIRS needs",
        "The council's directory didn't send the identifier CIRS uses to recognise you.",
        "Please contact {contact}; they can put this right in the directory.",
    ),
    Reason.MISSING_EMAIL: (
        403,
        "Your council account is missing an e-mail address",
        "CIRS needs your work e-mail address to send you updates, and the council's "
        "directory didn't send one.",
        "Please contact {contact} and ask them to add your e-mail address to your council account.",
    ),
    Reason.NO_GROUP: (
        403,
        "Your council account isn't set up for CIRS yet",
        "Access to CIRS is given through groups in the council's directory, and your "
        "account isn't in any of them yet.",
        "Please ask your line manager or {contact} to add you to the right group, then "
        "sign in again.",
    ),
    Reason.LOCAL_ONLY: (
        403,
        "Please sign in with your CIRS username and password",
        "Your role in CIRS uses a CIRS account rather than a council account.",
        "Please go back to the sign-in page and use the username and password form. "
        "If you're not sure which to use, please contact {contact}.",
    ),
    Reason.ACCOUNT_DISABLED: (
        403,
        "Your CIRS account is switched off",
        "Your council sign-in worked, but your CIRS account has been switched off.",
        "If you think you still need CIRS, please contact {contact}.",
    ),
    Reason.AMBIGUOUS_EMAIL: (
        403,
        "We found more than one CIRS account with your e-mail address",
        "To keep people's information safe, CIRS won't guess which one is yours.",
        "Please contact {contact}, who can sort out the accounts for you.",
    ),
}
# Wrong issuer or audience, an expired token or a nonce from another sign-in: the same
# words for the person; the audit row says which.
for _reason in (Reason.WRONG_ISSUER, Reason.WRONG_AUDIENCE, Reason.TOKEN_EXPIRED):
    PAGES[_reason] = PAGES[Reason.TOKEN_INVALID]
PAGES[Reason.NONCE_MISMATCH] = PAGES[Reason.STATE_MISMATCH]


def refusal_page(request: HttpRequest, refused: SignInRefused) -> HttpResponse:
    """A kind page, one audit row and one log line. Nothing else changes."""
    status, heading, what, next_step = PAGES[refused.reason]
    record_auth_event(
        request,
        action=AuditEvent.Action.LOGIN_FAILED,
        user=refused.user,
        event=f"sso_{refused.reason}",
        message=f"Council sign-in refused ({refused.reason}): {refused.detail}".strip(),
        level=logging.WARNING,
    )
    return render(
        request,
        "registration/council_signin_error.html",
        {
            "heading": heading,
            "what_happened": what,
            "next_step": next_step.format(contact=_contact()),
            "reason": refused.reason,
        },
        status=status,
    )


class CouncilSignInStart(OIDCAuthenticationRequestView):
    """To the provider, with state, nonce and a PKCE (S256) challenge."""

    def __init__(self, **kwargs):
        # The library reads the endpoints from settings here; ours come from discovery.
        View.__init__(self, **kwargs)

    @staticmethod
    def get_settings(attr, *args):
        if attr == "OIDC_RP_SCOPES":
            return settings.CIRS_OIDC_SCOPES
        return import_from_settings(attr, *args)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404
        try:
            metadata = provider_metadata()
        except SignInRefused as refused:
            return refusal_page(request, refused)
        self.OIDC_OP_AUTH_ENDPOINT = metadata["authorization_endpoint"]
        self.OIDC_RP_CLIENT_ID = settings.CIRS_OIDC_CLIENT_ID
        return super().get(request)


class CouncilSignInCallback(OIDCAuthenticationCallbackView):
    """Back from the provider: state checked here, then the library exchanges the code
    (with the PKCE verifier) and our backend checks the token and finds the account."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404
        try:
            return self._finish(request)
        except SignInRefused as refused:
            return refusal_page(request, refused)

    def _finish(self, request: HttpRequest) -> HttpResponse:
        states = request.session.get("oidc_states")
        state = request.GET.get("state", "")
        known = isinstance(states, dict) and state in states
        if request.GET.get("error"):
            if known:
                del states[state]
                request.session.modified = True
            raise SignInRefused(Reason.PROVIDER_ERROR, f"provider said {request.GET['error'][:60]}")
        if not request.GET.get("code") or not known:
            raise SignInRefused(Reason.STATE_MISMATCH, "state not started in this browser")
        return super().get(request)

    def login_failure(self) -> HttpResponse:
        # Reached only if no backend answered at all: say so kindly, never a bare redirect.
        return refusal_page(
            self.request, SignInRefused(Reason.TOKEN_INVALID, "no account for this sign-in")
        )

    def login_success(self) -> HttpResponse:
        self.request.cirs_signin_method = SSO
        response = super().login_success()
        id_token = getattr(self.request, "cirs_oidc_id_token", "")
        if id_token:
            self.request.session[ID_TOKEN_SESSION_KEY] = id_token
        return response
