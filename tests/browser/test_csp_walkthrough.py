"""docs/security-checklist.md row 17: the Content-Security-Policy is enforced with a nonce and
no 'unsafe-inline', and a walk through every role's pages in a real browser meets no
CSP violation and no console error."""

from __future__ import annotations

import io
import re
from collections import Counter, deque
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve, reverse

from accounts.models import User
from referrals.navigation import landing_url_name, navigation_for
from therapists.management.commands.seed_demo import DEMO_PASSWORD

# --- the header (no browser) -------------------------------------------------------------


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def test_csp_header_has_a_script_nonce_and_no_unsafe_inline(client, manager):
    client.force_login(manager)

    response = client.get(reverse("referrals:mine"))

    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    nonces = [source for source in policy["script-src"] if source.startswith("'nonce-")]
    assert len(nonces) == 1
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert "'unsafe-inline'" not in policy.get("default-src", [])
    # The nonce in the header is the one the page's own script tags carry.
    nonce = nonces[0].removeprefix("'nonce-").removesuffix("'")
    scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)


def test_each_response_gets_its_own_nonce(client):
    first = client.get(reverse("login"))
    second = client.get(reverse("login"))

    def nonce(response) -> str:
        return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]

    assert nonce(first) != nonce(second)


# --- the walk-through --------------------------------------------------------------------

# The demo users, one per role (seed_demo's usernames). Two therapists, because the
# demo gives the newly allocated case (first-meeting forms) to the second one.
WALKERS = {
    "line manager": "manager",
    "PSW": "psw",
    "coordinator": "coordinator",
    "therapist": "therapist",
    "second therapist": "therapist2",
    "service lead": "lead",
    "staff member": "staff",
}
# Links that are not pages (downloads, calendar files) or that end the session.
NOT_PAGES = {
    "logout",
    "reporting:report_pdf",
    "reporting:report_csv",
    "reporting:report_xlsx",
    # A status word (JSON) the "being prepared" page's script asks for, not a page.
    "reporting:report_status",
    "referrals:board_csv",
    "therapists:key_date_ics",
    # Council sign-in: a redirect to the provider and back (a 404 while single sign-on
    # is off, as in these walks); tests/browser/test_council_signin.py checks its pages.
    "oidc_authentication_init",
    "oidc_authentication_callback",
}
# The main pages the walk-through must reach between all the roles.
MAIN_PAGES = {
    "referrals:detail",
    "therapists:case",
    "referrals:triage_decide",
    "therapists:allocate",
    "referrals:create",
    "reporting:dashboard",
    "referrals:board",
}
# How far from the navigation to follow links, and how many pages of one kind to open
# (different referrals in different states show different parts of the same page).
DEPTH = 2
PER_KIND = 3


def _view_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def _links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("nav a[href], main a[href]", "els => els.map(a => a.href)")
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def _walk(tab, origin: str, start: list[str]) -> tuple[list[str], Counter]:
    """Open the pages reachable from ``start``; return what went wrong on each and how
    many pages of each kind were opened."""
    problems: list[str] = []
    opened: Counter = Counter()
    seen: set[str] = set()
    queue = deque((path, 0) for path in start)
    while queue:
        path, depth = queue.popleft()
        name = _view_name(urlsplit(path).path)
        if path in seen or name is None or name in NOT_PAGES or opened[name] >= PER_KIND:
            continue
        seen.add(path)
        opened[name] += 1
        response = tab.page.goto(path)
        tab.page.wait_for_load_state("load")
        if response is None or response.status >= 400:
            problems.append(f"{path}: HTTP {response.status if response else 'no response'}")
        problems += [f"{path}: {problem}" for problem in tab.problems()]
        if depth < DEPTH:
            queue.extend((link, depth + 1) for link in _links(tab.page, origin))
    return problems, opened


def _looks_styled(page) -> bool:
    """Bootstrap's CSS gives the container a max width and its JS defines
    ``window.bootstrap``: both were allowed in by the policy."""
    return page.evaluate(
        "() => typeof window.bootstrap === 'object'"
        " && getComputedStyle(document.querySelector('main.container')).maxWidth !== 'none'"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_listeners_catch_an_inline_style_and_an_inline_script(live_server, open_tab):
    """The walk-through's zero means something: content the policy blocks is reported."""
    tab = open_tab()
    tab.page.goto(reverse("login"))
    assert tab.problems() == []

    tab.page.evaluate(
        """() => {
          document.body.insertAdjacentHTML("beforeend", '<p style="color: red">inline</p>');
          const script = document.createElement("script");
          script.textContent = "window.__ranInline = true";
          document.body.appendChild(script);
        }"""
    )

    violations = tab.csp_violations()
    assert {v["directive"] for v in violations} >= {"style-src-attr", "script-src-elem"}
    assert tab.page.evaluate("() => window.__ranInline") is None
    assert any("Content Security Policy" in error for error in tab.console_errors)


@pytest.fixture
def demo_data(transactional_db, settings):
    """seed_demo's users and referrals in every state, made before the browser starts."""
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    call_command("seed_demo", stdout=io.StringIO())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_role_walks_its_pages_with_no_csp_violation_or_console_error(
    live_server, demo_data, open_tab, screenshot_dir
):
    problems: list[str] = []
    reached: set[str] = set()

    for role, username in WALKERS.items():
        user = User.objects.get(username=username)
        tab = open_tab()
        problems += [f"{role} sign-in page: {p}" for p in tab.sign_in(username, DEMO_PASSWORD)]
        landing = reverse(landing_url_name(user))
        assert urlsplit(tab.page.url).path == landing, role
        assert _looks_styled(tab.page), role
        shot = screenshot_dir / f"{role.replace(' ', '_')}.png"
        tab.page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 0

        nav = [item.url for item in navigation_for(user)] + [reverse("referrals:notifications")]
        found, opened = _walk(tab, live_server.url, [landing, *nav])
        problems += [f"{role} {problem}" for problem in found]
        # Every page in this person's navigation was opened.
        assert {_view_name(url) for url in nav} <= set(opened), role
        reached |= set(opened)

    assert problems == []
    assert reached >= MAIN_PAGES
