"""The second sign-in step (TOTP) for password logins (docs/security-checklist.md row 6).

Who needs it is configuration, ``CIRS_MFA_REQUIRED_ROLES``: ``["all"]``, ``["none"]`` or
a list of ``Role`` values. Anyone who needs it and has not entered a code in this session
is sent to the code step from every page except sign-in, sign-out and the code pages.
"""

from __future__ import annotations

from functools import wraps

from django.apps import apps
from django.conf import settings
from django.contrib.admin import AdminSite
from django.core import checks
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import user_has_device
from django_otp.admin import OTPAdminSite
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import record_access, record_list_view
from accounts.backends import unwrapped
from accounts.models import AuditEvent
from accounts.roles import Role
from accounts.signin_methods import SESSION_KEY, SSO
from config.prepared import Prepared

ALL = "all"
NONE = "none"
# The pages someone half-way through signing in must still reach. The one-time set-up
# link takes a token, so it cannot be reversed here: it lives under otp_enrol's path,
# which covers it (``_exempt_paths`` matches by prefix).
EXEMPT_URL_NAMES = (
    "login",
    "logout",
    "otp_verify",
    "otp_enrol",
    "otp_enrol_link",
    "oidc_authentication_init",
    "oidc_authentication_callback",
)
_EXEMPT_BY_PREFIX = ("otp_enrol_link",)


def required_roles() -> frozenset[str]:
    value = settings.CIRS_MFA_REQUIRED_ROLES
    if isinstance(value, str):
        value = value.split(",")
    return frozenset(item.strip().lower() for item in value if item.strip())


def mfa_required_for(user, session=None) -> bool:
    """Does this signed-in person need the second step before seeing anything? Not in
    a session begun with the council's single sign-on: there MFA is the directory's job."""
    if not user.is_authenticated:
        return False
    if session is not None and session.get(SESSION_KEY) == SSO:
        return False
    roles = required_roles()
    if NONE in roles or not roles:
        return False
    if ALL in roles:
        return True
    # Staff who reach the admin hold the keys to everyone's data: always a second step.
    return user.is_staff or user.has_role(*roles)


def is_satisfied(user, session=None) -> bool:
    return not mfa_required_for(user, session) or user.is_verified()


def second_step_url(user, next_url: str = "") -> str:
    name = "otp_verify" if user_has_device(user, confirmed=True) else "otp_enrol"
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _exempt_paths() -> tuple[str, ...]:
    names = (name for name in EXEMPT_URL_NAMES if name not in _EXEMPT_BY_PREFIX)
    return (*(reverse(name) for name in names), settings.STATIC_URL)


class MFARequiredMiddleware:
    """Sends a signed-in person who still owes the code to the code step. Runs after
    ``OTPMiddleware``, which gives ``request.user.is_verified()``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if is_satisfied(user, request.session) or request.path.startswith(_exempt_paths()):
            return self.get_response(request)
        return redirect(second_step_url(user, request.get_full_path()))


class CirsAdminSite(OTPAdminSite):
    """The admin asks for the code whenever the second step is switched on, and its only
    way in is the service's own sign-in page (one door: lockout, audit and code step).
    It is ``admin.site`` (``accounts/admin_site.py``), under the usual name "admin"."""

    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        return AdminSite.has_permission(self, request) and is_satisfied(
            request.user, request.session
        )

    def admin_view(self, view, cacheable=False):
        """Every admin page goes through here, so every read is audited here: a change
        page names its object, a list names every object it showed (issue 14 point 5)."""
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def audited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = inner(request, *args, **kwargs)
            _audit_admin_read(request, response, kwargs)
            return response

        return audited

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.user.is_authenticated:
            if self.has_permission(request):
                return redirect(f"{self.name}:index")
            raise PermissionDenied
        query = urlencode({"next": request.GET.get("next") or reverse(f"{self.name}:index")})
        return redirect(f"{resolve_url(settings.LOGIN_URL)}?{query}")


def _audit_admin_read(request: HttpRequest, response: HttpResponse, kwargs: dict) -> None:
    context = getattr(response, "context_data", None)
    if request.method != "GET" or response.status_code != 200 or not context:
        return
    opts = context.get("opts")
    if opts is None:
        return
    object_type = f"admin:{opts.app_label}.{opts.model_name}"[:40]
    changelist = context.get("cl")
    if changelist is not None:
        record_list_view(
            request,
            object_type=object_type,
            ids=[obj.pk for obj in changelist.result_list],
            detail="admin list",
        )
    elif "object_id" in kwargs:
        record_access(
            request,
            action=AuditEvent.Action.VIEW,
            object_type=object_type,
            object_id=kwargs["object_id"],
            detail="admin page",
        )


@checks.register(checks.Tags.security)
def check_mfa_roles(app_configs, **kwargs) -> list[checks.CheckMessage]:
    allowed = {ALL, NONE, *Role.values}
    unknown = sorted(required_roles() - allowed)
    if unknown:
        return [
            checks.Error(
                f"MFA_REQUIRED_ROLES has unknown values: {', '.join(unknown)}.",
                hint=f"Use 'all', 'none' or a comma list of: {', '.join(Role.values)}.",
                id="cirs.E001",
            )
        ]
    return []


# The authenticator-app device a session was verified with, read on every page.
_totp_read = Prepared(lambda pk: TOTPDevice.objects.filter(pk=pk))


class DeviceMiddleware(OTPMiddleware):
    """django-otp's middleware: each page finds the code device this session was
    verified with. The authenticator-app device is read with SQL written once
    (``config.prepared``); any other kind of device as django-otp reads it.

    ``request.user`` is left one lazy proxy deep, not two: django-otp wraps the sign-in's
    proxy in its own, so every attribute a page read of the person went through both."""

    def _verify_user_sync(self, request, user):
        return super()._verify_user_sync(request, unwrapped(user))

    def _device_from_persistent_id(self, persistent_id: str):
        persistent_id = self._normalize_persistent_id(persistent_id)
        try:
            label, pk = persistent_id.rsplit("/", 1)
            model = apps.get_model(label)
            pk = int(pk)
        except (ValueError, LookupError):
            return None
        if model is not TOTPDevice:
            return super()._device_from_persistent_id(persistent_id)
        found = _totp_read(pk)
        return found[0] if found else None
