"""Accessibility: axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA) on every page each
role can reach, the admin and the signed-out pages included.

axe-core comes from the npm registry, pinned in package.json and package-lock.json
(``npm ci --omit=dev`` in ``make test``). It is put into each page with
``page.evaluate``, which the page's Content-Security-Policy does not block, so the
pages are checked exactly as they are served.

Which pages: the walk of tests/browser/test_csp_walkthrough.py (each role's navigation
and the links from it, over seed_demo's referrals in every state), then the pages that
no link reaches (``EXTRA_PAGES``, ``SIGNED_OUT_PAGES``), then the admin. At the end,
every page route in tests/security/routes.py must have been checked: a new page is
added there anyway, and then either a link reaches it or it goes in ``EXTRA_PAGES``.

With ``CIRS_TOUR_SCREENSHOTS=docs/tour`` the test also saves a screenshot of each
role's main page, for the README's tour.
"""

from __future__ import annotations

import os
from collections import Counter, deque
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from referrals.models import PlannedSession, Referral
from referrals.navigation import landing_url_name, navigation_for
from tests.browser.axe import Checker
from tests.browser.test_csp_walkthrough import (  # noqa: F401 (demo_data is a fixture)
    NOT_PAGES,
    WALKERS,
    _links,
    _view_name,
    demo_data,
)
from tests.security.routes import GET, OTHER_ROUTES, ROWS
from therapists.management.commands.seed_demo import DEMO_PASSWORD
from therapists.models import Therapist

# How far from the navigation to follow links, and how many pages of one kind to check
# (referrals in different states show different parts of the same page).
DEPTH = 2
PER_KIND = 2


def _referral_in(state: str) -> Callable[[], int]:
    return lambda: (
        Referral.objects.filter(state=state).order_by("pk").values_list("pk", flat=True)[0]
    )


def _booked_session_page(username: str) -> str:
    planned = PlannedSession.objects.select_related("referral__therapist__user").get()
    if planned.referral.therapist.user.username != username:  # the other one's case
        Referral.objects.filter(pk=planned.referral_id).update(
            therapist=Therapist.objects.get(user__username=username)
        )
    return reverse(
        "therapists:planned_session_edit",
        kwargs={"referral_id": planned.referral_id, "planned_id": planned.pk},
    )


# Pages no link in the walk reaches, per walker: a URL name (no arguments) or a callable
# giving a path, run once the demo data exists.
EXTRA_PAGES: dict[str, list[str | Callable[[], str]]] = {
    "line manager": [
        "password_change_done",
        lambda: reverse("referrals:edit", kwargs={"referral_id": _referral_in("draft")()}),
        lambda: reverse("referrals:answer", kwargs={"referral_id": _referral_in("more_info")()}),
    ],
    "therapist": [
        lambda: reverse(
            "therapists:closure_preview", kwargs={"referral_id": _referral_in("closed")()}
        ),
    ],
    # The demo's one booked session, changed by whichever therapist holds it.
    "second therapist": [lambda: _booked_session_page("therapist2")],
    "staff member": [
        "otp_enrol",
        lambda: reverse("reporting:evaluation", kwargs={"referral_id": _referral_in("active")()}),
    ],
}
# The pages of someone signed out. The reset link is one that has expired.
SIGNED_OUT_PAGES = [
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_complete",
    lambda: reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "set-password"}),
    lambda: "/no-such-page/",
]
# The admin's own pages that are not pages (or end the session).
ADMIN_NOT_PAGES = {"admin:logout", "admin:view_on_site", "admin:jsi18n", "admin:autocomplete"}
ADMIN_PER_KIND = 1
# Page routes the walk does not open, and why.
NOT_WALKED = {
    "home": "sends each person on to their own first page, which is walked",
    "otp_enrol_link": "a one-time link that only redirects to otp_enrol, which is walked",
}


def _path(page: str | Callable[[], str]) -> str:
    return page() if callable(page) else reverse(page)


def _walk(checker: Checker, tab, who: str, origin: str, start: list[str]) -> Counter:
    """Check the pages reachable from ``start`` by following links, breadth first."""
    opened: Counter = Counter()
    seen: set[str] = set()
    queue = deque((path, 0) for path in start)
    while queue:
        path, depth = queue.popleft()
        name = _view_name(urlsplit(path).path)
        if path in seen or name is None or name in NOT_PAGES or opened[name] >= PER_KIND:
            continue
        if name.startswith("admin:"):
            continue
        seen.add(path)
        opened[name] += 1
        checker.visit(tab, who, path)
        if depth < DEPTH:
            queue.extend((link, depth + 1) for link in _links(tab.page, origin))
    return opened


def _walk_admin(checker: Checker, tab, who: str, origin: str) -> Counter:
    """The admin: its index, every app and model list, and a form of each kind."""
    opened: Counter = Counter()
    seen: set[str] = set()
    queue = deque([(reverse("admin:index"), 0)])
    while queue:
        path, depth = queue.popleft()
        name = _view_name(urlsplit(path).path)
        if (
            path in seen
            or name is None
            or not name.startswith("admin:")
            or name in ADMIN_NOT_PAGES
            or opened[name] >= ADMIN_PER_KIND
        ):
            continue
        seen.add(path)
        opened[name] += 1
        checker.visit(tab, who, path)
        if depth < 3:
            hrefs = tab.page.eval_on_selector_all("#content a[href]", "els => els.map(a => a.href)")
            for href in hrefs:
                parts = urlsplit(href)
                if f"{parts.scheme}://{parts.netloc}" == origin:
                    queue.append((parts.path, depth + 1))
    return opened


# The README's tour shows one person per role (the second therapist's page is the first's).
NOT_IN_TOUR = {"second therapist"}


def _tour_screenshot(tab, role: str) -> None:
    """With CIRS_TOUR_SCREENSHOTS=docs/tour, save this role's main page for the README."""
    folder = os.environ.get("CIRS_TOUR_SCREENSHOTS")
    if not folder or role in NOT_IN_TOUR:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    shot = path / f"{role.lower().replace(' ', '-')}.png"
    tab.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 0


def _page_routes() -> set[str]:
    """The routes that show a page on GET (routes.py), less downloads and sign-out."""
    names = {name for name, row in ROWS.items() if GET in row.methods}
    names |= {name for name, use in OTHER_ROUTES.items() if GET in use.methods}
    return names - NOT_PAGES


@pytest.mark.browser
@pytest.mark.timeout(600)  # every page of every role: minutes on a busy 2-core machine
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("demo_data")
def test_every_page_of_every_role_has_no_axe_violation(live_server, open_tab, axe_source):
    checker = Checker(axe_source)
    origin = live_server.url
    reached: set[str] = set()
    User = get_user_model()

    # Signed out, including a sign-in that went wrong.
    tab = open_tab()
    tab.page.set_viewport_size({"width": 1280, "height": 800})
    for page in SIGNED_OUT_PAGES:
        checker.visit(tab, "signed out", _path(page))
    tab.page.goto(reverse("login"))
    tab.page.locator("#id_username").fill("manager")
    tab.page.locator("#id_password").fill("not the password")
    tab.page.get_by_role("button", name="Sign in").click()
    tab.page.wait_for_load_state("load")
    checker.check(tab, "signed out, wrong password")

    for role, username in WALKERS.items():
        user = User.objects.get(username=username)
        tab = open_tab()
        tab.page.set_viewport_size({"width": 1280, "height": 800})
        tab.sign_in(username, DEMO_PASSWORD)
        _tour_screenshot(tab, role)
        landing = reverse(landing_url_name(user))
        nav = [item.url for item in navigation_for(user)] + [reverse("referrals:notifications")]
        reached |= set(_walk(checker, tab, role, origin, [landing, *nav]))
        for page in EXTRA_PAGES.get(role, []):
            checker.visit(tab, role, _path(page))

    # A staff member whose support has ended: the evaluation questionnaire.
    closed = Referral.objects.get(pk=_referral_in("closed")())
    drew = User.objects.create_user("drew", "drew@example.org", DEMO_PASSWORD, first_name="Drew")
    Referral.objects.filter(pk=closed.pk).update(staff_user=drew)
    tab = open_tab()
    tab.page.set_viewport_size({"width": 1280, "height": 800})
    tab.sign_in("drew", DEMO_PASSWORD)
    checker.check(tab, "staff member after support")
    checker.visit(
        tab,
        "staff member after support",
        reverse("reporting:evaluation", kwargs={"referral_id": closed.pk}),
    )

    # The administrator: the admin site, and the code step (they have an app set up).
    admin = User.objects.create_superuser("admin", "admin@example.org", DEMO_PASSWORD)
    TOTPDevice.objects.create(user=admin, name="Authenticator app", confirmed=True)
    tab = open_tab()
    tab.page.set_viewport_size({"width": 1280, "height": 800})
    tab.sign_in("admin", DEMO_PASSWORD)
    checker.visit(tab, "administrator", reverse("otp_verify"))
    admin_pages = _walk_admin(checker, tab, "administrator", origin)
    tab.page.goto(reverse("admin:index"))
    _tour_screenshot(tab, "administrator")

    print(f"axe-core checked {checker.pages} pages ({len(checker.checked)} kinds)")
    assert checker.violations == [], "\n".join(checker.violations)
    # Every page route was checked at least once, and the admin was walked.
    missing = _page_routes() - set(checker.checked) - set(NOT_WALKED)
    assert missing == set(), f"pages no walker reached: {sorted(missing)}"
    assert {"admin:index", "admin:referrals_referral_changelist"} <= set(admin_pages)
    assert sum(1 for name in admin_pages if name.endswith("_change")) >= 3
