"""The URL x role table, for every route of the project (docs/security-checklist.md
rows 11 and 13).

Routes with an object id have their cells in test_url_matrix.py. Here: every route
without one has a row in ``PAGE_ROLES`` (tests/security/routes.py) naming every persona
who may use it. Each persona asks for each page: those named get it, everyone else
gets 403, and a page shows no reference of a referral that persona may not see (a list
open to everyone shows each person only their own). Signed out, every page but the
sign-in ones sends you to sign in. The admin site lets in staff accounts only: no
persona of the service, whatever their roles, reaches any of its pages.

A route added anywhere in the URL configuration, admin aside, fails
``test_every_route_of_the_project_has_its_cells`` until its cells are written.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.conftest import PERSONAS, World, all_routes
from tests.security.routes import (
    GET,
    NOT_OBJECT_ROUTES,
    OTHER_ROUTES,
    PAGE_ROLES,
    ROWS,
)

# The pages issue 13 added: each must have its cells (here, or in ROWS with an id).
ISSUE_13_PAGES = {
    "referrals:board",
    "referrals:board_csv",
    "referrals:undelivered_emails",
    "referrals:retry_email",
    "therapists:pool",
    "therapists:therapist_add",
    "therapists:therapist_edit",
    "therapists:leave_add",
    "therapists:leave_remove",
    "therapists:plan_session",
    "therapists:planned_session_edit",
    "therapists:planned_session_record",
    "therapists:closure_preview",
    "therapists:key_date_ics",
}


def _signed_in_routes() -> set[str]:
    return {name for name, use in OTHER_ROUTES.items() if use.persona is not None}


def test_every_route_of_the_project_has_its_cells():
    routes = all_routes()
    without_id = {r.name for r in routes if not r.converters}
    with_id = {r.name for r in routes if r.converters}

    assert without_id == set(OTHER_ROUTES) - set(NOT_OBJECT_ROUTES), (
        "add the route to OTHER_ROUTES and PAGE_ROLES in tests/security/routes.py"
    )
    assert with_id == set(ROWS) | set(NOT_OBJECT_ROUTES), "add the route to ROWS"
    assert set(PAGE_ROLES) == _signed_in_routes(), "give each signed-in page its cells"
    assert all(roles <= set(PERSONAS) and roles for roles in PAGE_ROLES.values())
    assert set(PAGE_ROLES) | set(ROWS) >= ISSUE_13_PAGES


def _request(client: Client, name: str):
    use = OTHER_ROUTES[name]
    url = reverse(name, kwargs=use.kwargs)
    method = use.methods[0]
    return url, (client.get(url) if method == GET else client.post(url, {}))


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def test_each_persona_reaches_exactly_the_pages_of_its_role(world: World):
    problems = []
    shown = 0
    for persona in PERSONAS:
        client = Client()
        hidden = [t.referral.reference for t in world.targets if persona not in t.visible]
        for name, roles in PAGE_ROLES.items():
            client.force_login(world.users[persona])  # "logout" is one of the pages
            url, response = _request(client, name)
            status = response.status_code
            if persona in roles:
                if status >= 400:
                    problems.append(f"{persona} {url}: {status} for someone who may use it")
                    continue
                text = _text(response)
                leaks = [ref for ref in hidden if re.search(re.escape(ref) + r"(?![0-9])", text)]
                if leaks:
                    problems.append(f"{persona} {url}: shows {leaks}, not theirs to see")
                shown += 1
            elif status != 403:
                problems.append(f"{persona} {url}: {status}, expected 403")

    assert problems == []
    assert shown >= len(PERSONAS) * 8


def test_signed_out_every_page_but_signing_in_sends_you_to_sign_in(world: World):
    client = Client()
    sign_in = resolve_url(settings.LOGIN_URL)
    for name in _signed_in_routes():
        url, response = _request(client, name)
        if name == "logout":  # signing out again is harmless: it lands on the sign-in page
            assert urlsplit(response["Location"]).path == sign_in
            continue
        assert response.status_code == 302, (name, response.status_code)
        assert response["Location"] == f"{sign_in}?next={url}", name
    for name, row in ROWS.items():
        url = reverse(name, kwargs=row.kwargs(world.ours))
        for method in row.methods:
            response = client.get(url) if method == GET else client.post(url, {})
            assert response.status_code == 302, (name, method, response.status_code)
            assert urlsplit(response["Location"]).path == sign_in, name


def _admin_urls() -> list[tuple[str, str]]:
    """Every pattern of the admin site, as a URL (ids and names filled with samples)."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("admin/"):
                url = re.sub(r"<(?:\w+:)?\w+>", "1", route)
                url = re.sub(r"\(\?P<app_label>[^)]*\)", "referrals", url)
                found.append((str(pattern.name), "/" + url.replace("^", "").replace("$", "")))

    walk(get_resolver().url_patterns, "")
    return found


def test_no_persona_of_the_service_reaches_the_admin_site(world: World):
    """The admin site asks for a staff account (and its own sign-in); the roles of the
    service give none. Its sign-in page refuses a signed-in non-staff person; its
    sign-out page only sends them back."""
    urls = _admin_urls()
    assert len(urls) >= 80
    admin_sign_in = reverse("admin:login")
    checked = 0
    for label, persona in (("signed out", None), *((p, p) for p in ("psw", "service_lead"))):
        client = Client()
        if persona is not None:
            client.force_login(world.users[persona])
        for name, url in urls:
            response = client.get(url)
            status = response.status_code
            location = urlsplit(response.get("Location", "")).path
            if name == "login":
                assert status in (302, 403), (label, url, status)
            elif name == "logout":
                assert status == 302 and location == reverse("admin:index"), (label, url)
            else:
                assert (status, location) == (302, admin_sign_in), (label, url, status)
            checked += 1
    # Every persona, on the admin's front page.
    for persona in PERSONAS:
        client = Client()
        client.force_login(world.users[persona])
        response = client.get(reverse("admin:index"))
        assert urlsplit(response["Location"]).path == admin_sign_in, persona
    assert checked == len(urls) * 3
