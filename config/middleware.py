"""Cross-cutting request handling: a request id for every log line and audit row,
session time-outs, and no caching of anything a signed-in person sees."""

import contextvars
import re
import time
import uuid

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9\-]{8,64}$")


class RequestIdMiddleware:
    """Tag each request with an id (a trusted proxy's X-Request-ID if well formed)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.id
        return response


class SessionTimeoutMiddleware:
    """30 minutes idle is Django's cookie age refreshed on every request; this adds the
    12-hour absolute limit, which holds even while someone is active."""

    KEY = "cirs_session_started"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(self.KEY)
            if started is None:
                request.session[self.KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}&expired=1")
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages for signed-in people hold personal data: never let a browser or proxy keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response
