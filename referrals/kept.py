"""Giving back what someone typed when their session ran out mid-form.

``config.middleware.SessionTimeoutMiddleware`` keeps the POST it had to refuse, bound
to that user and address; the form view takes it back here after they sign in again.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, QueryDict

from config.middleware import KEPT_POST

KEPT_MESSAGE = (
    "You were signed out to keep things private, and we kept what you had typed. "
    "Please check it and send it again."
)


def take_kept_post(request: HttpRequest) -> QueryDict | None:
    """The kept POST for this user and page (once), or None."""
    kept = request.session.get(KEPT_POST)
    if not kept or kept.get("user") != request.user.pk or kept.get("path") != request.path:
        return None
    del request.session[KEPT_POST]
    data = QueryDict(mutable=True)
    for key, values in kept["data"].items():
        data.setlist(key, values)
    messages.info(request, KEPT_MESSAGE)
    return data
