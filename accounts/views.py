"""Signing in and out, the second step (TOTP code), and resetting a forgotten password.

Every password sign-in goes through ``login`` (so django-axes sees it), and a reset
password never signs anyone in (``post_reset_login=False``): the code step still follows.
"""

from __future__ import annotations

import base64
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device, verify_token
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

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


@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: the device stays unconfirmed until a code from it
    has been entered, so a half-finished set-up never counts as a second step."""
    user = request.user
    if user_has_device(user, confirmed=True):
        return redirect(f"{resolve_url('otp_verify')}?{request.GET.urlencode()}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            return _complete_second_step(request, device, enrolled=True)
        record_otp_failure(request, user)
        form.add_error("token", CODE_REJECTED)
    return render(
        request,
        "registration/otp_enrol.html",
        {
            "form": form,
            "next": _next_url(request),
            "qr_data_uri": _qr_data_uri(device),
            "secret": _readable_secret(device),
            "code_help": CODE_HELP,
        },
    )


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
