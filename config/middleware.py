"""Cross-cutting request handling: a request id for every log line and audit row,
session time-outs, and no caching of anything a signed-in person sees."""

import contextvars
import ipaddress
import re
import time
import uuid
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, resolve_url
from django.template.loader import render_to_string
from django.utils.datastructures import MultiValueDict
from django.utils.http import url_has_allowed_host_and_scheme, urlencode


def _networks(values) -> list:
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]


class TrustedProxyMiddleware:
    """Believe ``X-Forwarded-Proto: https`` only from a configured proxy.

    Django's ``SECURE_PROXY_SSL_HEADER`` believes the header from any client, so someone
    reaching the app directly could claim HTTPS. Here the header counts only when
    REMOTE_ADDR is one of ``CIRS_TRUSTED_PROXIES``; from anyone else it is dropped."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.trusted = _networks(settings.CIRS_TRUSTED_PROXIES)

    def _from_proxy(self, request) -> bool:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def __call__(self, request):
        forwarded = request.META.pop("HTTP_X_FORWARDED_PROTO", "")
        if forwarded and self._from_proxy(request):
            scheme = forwarded.split(",")[0].strip().lower()
            if scheme in {"http", "https"}:
                request.META["wsgi.url_scheme"] = scheme
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """No camera, microphone, location or other device access for any page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.CIRS_PERMISSIONS_POLICY)
        return response


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


KEPT_POST = "cirs_kept_post"
KEPT_POST_MAX_CHARS = 100_000


def _kept_post(request) -> dict | None:
    """What someone sent just as their session ran out: kept (for them alone) so the
    form can be filled in again after they sign back in. Nothing typed is lost."""
    if request.method != "POST":
        return None
    try:
        request.POST  # noqa: B018 - parsed here so an oversize post is not kept
    except (RequestDataTooBig, TooManyFieldsSent):
        return None
    data = {
        key: request.POST.getlist(key)
        for key in request.POST
        if key not in {"csrfmiddlewaretoken", "password"}
    }
    if sum(len(v) for values in data.values() for v in values) > KEPT_POST_MAX_CHARS:
        return None
    return {"user": request.user.pk, "path": request.path, "data": data}


def _come_back_to(request) -> str:
    """After signing in again: the page they were on (a POST-only address would
    answer 405 to the browser's GET)."""
    if request.method == "GET":
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    path = urlsplit(referer).path
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return path or request.path
    return request.path


class SessionTimeoutMiddleware:
    """30 minutes idle and 12 hours absolute (ASVS 3.3.2).

    Idle is enforced here, from a last-seen stamp refreshed on every request; the stored
    session itself lives until the absolute limit, so a form that arrives after the idle
    limit still says whose it was and is kept for them before they are signed out. The
    absolute limit holds even while someone is active."""

    STARTED = "cirs_session_started"
    LAST_SEEN = "cirs_session_last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    @classmethod
    def start(cls, session) -> None:
        """Called at sign-in, so the absolute clock starts with the session itself."""
        now = time.time()
        session[cls.STARTED] = now
        session[cls.LAST_SEEN] = now

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(self.STARTED)
            last_seen = request.session.get(self.LAST_SEEN, started)
            if started is None:
                self.start(request.session)
            elif (
                now - started > settings.SESSION_ABSOLUTE_SECONDS
                or now - last_seen > settings.SESSION_IDLE_SECONDS
            ):
                kept = _kept_post(request)
                logout(request)
                if kept is not None:
                    request.session[KEPT_POST] = kept
                query = urlencode({"next": _come_back_to(request), "expired": 1})
                return redirect(f"{resolve_url(settings.LOGIN_URL)}?{query}")
            else:
                request.session[self.LAST_SEEN] = now
        return self.get_response(request)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's database sessions, with one commit per page instead of two.

    A page that is read (GET or HEAD) writes its read-audit row and then, on the way
    out, saves the session (its last-seen stamp). Each was a commit of its own, and a
    commit waits for the disk. Here the rows a page hands to ``defer_write`` are
    written in the same transaction as the session's save, on the way out, whatever
    the response (an error page too). If the session cannot be saved, the rows are
    still written and the error goes on as before. A form post writes at once."""

    def process_request(self, request):
        super().process_request(request)
        request.cirs_deferred_writes = [] if request.method in ("GET", "HEAD") else None

    def process_response(self, request, response):
        pending = getattr(request, "cirs_deferred_writes", None)
        request.cirs_deferred_writes = None  # from here on, rows are written at once
        if not pending:
            return super().process_response(request, response)
        failure = None
        with transaction.atomic():
            for row in pending:
                row.save()
            try:
                # The session's own save runs in a savepoint: its failure leaves the
                # rows above to be committed.
                response = super().process_response(request, response)
            except Exception as exc:  # noqa: BLE001 - raised again below, after the commit
                failure = exc
        if failure is not None:
            raise failure
        return response


def defer_write(request, row) -> bool:
    """Save ``row`` (a model instance) with the session at the end of this request, in
    one transaction (``SessionMiddleware``). False when the request does not defer
    writes (a form post, or no session middleware): then the caller saves it now."""
    pending = getattr(request, "cirs_deferred_writes", None)
    if pending is None:
        return False
    pending.append(row)
    return True


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


# How much of an oversize form post is read back so it can be shown again: a few
# times Django's own limit, never more (the limit is there to protect the server).
OVERSIZE_KEEP_FACTOR = 4


class OversizePostMiddleware:
    """A form post over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` or ``DATA_UPLOAD_MAX_NUMBER_FIELDS``
    comes back to the same form with what was typed, never a bare "Bad Request (400)".

    The post is parsed here, before any view or the CSRF check reads it. When Django
    refuses it as too large, what was sent is read again up to ``OVERSIZE_KEEP_FACTOR``
    times the limit and handed to the view as an ordinary post, so the CSRF check still
    applies and the form shows its own "too long" messages beside the fields, with the
    text kept. ``request.cirs_oversize`` tells the page to say what happened. A post
    that cannot be read back (a file upload, or far too large) gets a kind page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 - parse now, so a refusal is caught here
            except (RequestDataTooBig, TooManyFieldsSent):
                data = _read_back(request)
                if data is None:
                    return _too_large_page(request)
                request._post = data
                request.cirs_oversize = True
        return self.get_response(request)


def _read_back(request) -> QueryDict | None:
    """The oversize url-encoded post, read up to the cap and parsed without Django's
    limits (the cap bounds the work). None for anything else."""
    if request.content_type != "application/x-www-form-urlencoded":
        return None
    if hasattr(request, "_body"):  # too many fields: the body was read already
        body = request._body
    else:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is None or int(request.META.get("CONTENT_LENGTH") or 0) > limit * (
            OVERSIZE_KEEP_FACTOR
        ):
            return None
        body = request.read(limit * OVERSIZE_KEEP_FACTOR)
    pairs = parse_qsl(
        body.decode(request.encoding or settings.DEFAULT_CHARSET, errors="replace"),
        keep_blank_values=True,
        max_num_fields=None,
    )
    fields_cap = (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS or 1000) * OVERSIZE_KEEP_FACTOR
    data = QueryDict(mutable=True)
    for key, value in pairs[:fields_cap]:
        data.appendlist(key, value)
    data._mutable = False
    request._files = MultiValueDict()
    return data


def _too_large_page(request) -> HttpResponse:
    html = render_to_string("413.html", {"back": request.path}, request=request)
    return HttpResponse(html, status=413)
