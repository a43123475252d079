"""Signing in and out, the second step (TOTP code), and resetting a forgotten password.

Every password sign-in goes through ``login`` (so django-axes sees it), and a reset
password never signs anyone in (``post_reset_login=False``): the code step still follows.
"""

from __future__ import annotations

import base64
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device, verify_token
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import enrolment
from accounts.forms import CodeForm, SignInForm
from accounts.oidc import ID_TOKEN_SESSION_KEY, end_session_url
from accounts.signin_audit import record_otp_failure, record_otp_success
from accounts.signin_methods import SESSION_KEY, SSO, sso_enabled

CODE_HELP = (
    "To keep people's information safe, please enter the 6-digit code from your authenticator app."
)
CODE_REJECTED = (
    "That code didn't work. Codes change every 30 seconds and each one can be used "
    "once, so please try the newest code your app shows."
)
CODE_WAIT = "Several codes didn't work, so please wait a few seconds before trying again."


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url("home")


def _complete_second_step(request: HttpRequest, device, *, enrolled: bool) -> HttpResponse:
    otp_login(request, device)
    # A new session id once the person is fully signed in (ASVS 3.2.1).
    request.session.cycle_key()
    enrolment.mark_verified(request.session)
    record_otp_success(request, request.user, enrolled=enrolled)
    return redirect(_next_url(request))


def _verify(user, token: str):
    """The device that accepts this code, checked one device at a time so each device's
    throttling and used-code memory (``TOTPDevice.last_t``) apply."""
    model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    for device in model.objects.devices_for_user(user, confirmed=True):
        matched = verify_token(user, device.persistent_id, token)
        if matched is not None:
            return matched
    return None


def _throttled(user) -> bool:
    devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True))
    return bool(devices) and not any(device.verify_is_allowed()[0] for device in devices)


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The code step for someone who has already set up their authenticator app."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not user_has_device(user, confirmed=True):
        return redirect(f"{resolve_url('otp_enrol')}?{request.GET.urlencode()}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _throttled(user):
            record_otp_failure(request, user, throttled=True)
            form.add_error("token", CODE_WAIT)
        else:
            device = _verify(user, form.cleaned_data["token"])
            if device is not None:
                return _complete_second_step(request, device, enrolled=False)
            record_otp_failure(request, user)
            form.add_error("token", CODE_REJECTED)
    return render(
        request,
        "registration/otp_verify.html",
        {"form": form, "next": _next_url(request), "code_help": CODE_HELP},
    )


def _qr_data_uri(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _readable_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


LINK_SENT = (
    "We have e-mailed you a link to set up your authenticator app. Please open it on "
    "this device; it works once, for {hours} hours."
)
LINK_NOT_SENT = (
    "Your account has no e-mail address, so we could not send a set-up link. Please "
    "ask the CIRS administrator for one."
)
LINK_PROBLEM = (
    "This set-up link has already been used, has expired or belongs to another "
    "account. Please ask for a new one below."
)
NEEDS_FRESH_SIGN_IN = (
    "To change your authenticator app, please sign out and sign in again with your "
    "password and a code, then come back here within {minutes} minutes."
)


def _enrol_page(request: HttpRequest, *, form=None, device=None, **extra) -> HttpResponse:
    context = {
        "form": form or CodeForm(),
        "next": _next_url(request),
        "code_help": CODE_HELP,
        "replacing": enrolment.has_confirmed_device(request.user),
        **extra,
    }
    if device is not None:
        context.update(qr_data_uri=_qr_data_uri(device), secret=_readable_secret(device))
    return render(request, "registration/otp_enrol.html", context)


@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Set up (or replace) the authenticator app. Only a session that redeemed a one-time
    link, or that signed in with a code minutes ago, is shown a secret; each visit makes a
    new one, kept in that session alone, and a device exists only once a code from it
    has been entered."""
    user = request.user
    session = request.session
    if enrolment.has_confirmed_device(user) and not user.is_verified():
        return redirect(f"{resolve_url('otp_verify')}?{request.GET.urlencode()}")
    if not enrolment.may_set_up(user, session):
        return _enrol_page_without_secret(request)
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            device = enrolment.confirm(user, session, form.cleaned_data["token"])
            if device is not None:
                return _complete_second_step(request, device, enrolled=True)
            record_otp_failure(request, user)
            form.add_error("token", CODE_REJECTED)
        # A refused code is answered with a new secret: the old one is never shown twice.
        return _enrol_page(request, form=form, device=enrolment.new_secret(user, session))
    return _enrol_page(request, device=enrolment.new_secret(user, session))


def _enrol_page_without_secret(request: HttpRequest) -> HttpResponse:
    user = request.user
    if enrolment.has_confirmed_device(user):
        minutes = settings.CIRS_MFA_FRESH_MINUTES
        return _enrol_page(request, notice=NEEDS_FRESH_SIGN_IN.format(minutes=minutes))
    notice = ""
    if request.method == "POST" and request.POST.get("send_link"):
        if enrolment.recently_sent(user) or enrolment.send_link(user):
            notice = LINK_SENT.format(hours=settings.CIRS_MFA_ENROLMENT_LINK_HOURS)
        else:
            notice = LINK_NOT_SENT
    elif request.GET.get("link") == "used":
        notice = LINK_PROBLEM
    return _enrol_page(request, notice=notice, offer_link=True)


@login_required
@require_GET
def otp_enrol_link(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time set-up link: sign in first (the sign-in page brings you back), then
    this session, and only this one, may set up the app."""
    if enrolment.has_confirmed_device(request.user) and not request.user.is_verified():
        return redirect("otp_verify")
    if enrolment.redeem(token, user=request.user, session=request.session):
        return redirect("otp_enrol")
    return redirect(f"{resolve_url('otp_enrol')}?link=used")


@login_required
@require_POST
def still_here(request: HttpRequest) -> HttpResponse:
    """Typing is activity. static/cirs/keepalive.js posts here every minute or so while
    someone writes in a form, so SessionTimeoutMiddleware (which refreshes the idle clock
    on every request) never signs them out mid-sentence. Reading alone sends nothing,
    and the 12-hour absolute limit still holds."""
    return HttpResponse(status=204)


class SignInView(auth_views.LoginView):
    """The local form, with "Sign in with your council account" beside it when single
    sign-on is configured."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["council_signin"] = sso_enabled()
        return context


class SignOutView(auth_views.LogoutView):
    """Sign out of CIRS and, for a session begun with the council account, of the
    council's sign-in too (its end_session_endpoint, when discovery offers one)."""

    def post(self, request, *args, **kwargs):
        council_session = request.session.get(SESSION_KEY) == SSO
        id_token = request.session.get(ID_TOKEN_SESSION_KEY, "")
        response = super().post(request, *args, **kwargs)
        if council_session and sso_enabled():
            back_to = request.build_absolute_uri(reverse("login"))
            url = end_session_url(id_token, back_to)
            if url:
                return HttpResponseRedirect(url)
        return response
