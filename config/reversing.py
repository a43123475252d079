"""URLs without arguments, worked out once per process (docs/performance.md, "The
parts every page draws, kept").

Every page draws the same links: the navigation, the notifications, the sign-out form,
the filters' "Clear". Django's ``reverse`` walks its resolver for each of them (about 50
µs each on a slow host, a dozen a page). A URL without arguments is the same for the
whole life of a process, given the URL configuration, the script prefix and the current
application, so ``reverse_fixed`` works it out once for each of those and keeps it.
A URL with arguments (a referral's page) is reversed as Django does, every time.

Templates get the same through ``{% url %}`` (``config.template_urls``, a built-in
library), so no template changes.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# Names are few (one per page of the site); current applications and prefixes fewer.
KEPT_URLS = 1024


@functools.lru_cache(maxsize=KEPT_URLS)
def _reverse(name: str, args: tuple, current_app: str | None, prefix: str, urlconf: str) -> str:
    return reverse(name, args=args, urlconf=urlconf, current_app=current_app)


def reverse_fixed(name: str, *, args: tuple = (), current_app: str | None = None) -> str:
    """``reverse(name, args=args)`` kept once worked out: for a URL without arguments,
    or with arguments that are themselves fixed (``rows.url_for_each``'s marker). The
    key holds everything the answer depends on: the URL configuration in force (a
    test's ``override_settings(ROOT_URLCONF=...)`` or a request's own), and the script
    prefix. A name that does not reverse raises ``NoReverseMatch`` every time, as
    Django's."""
    return _reverse(
        name, args, current_app, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
    )
