"""docs/security-checklist.md row 16, CSRF on all state-changing requests.

For every route: a POST without a CSRF token, from a persona who may use the route,
is refused with 403. For a route that changes something, the same empty post with the
check off is not refused (so the 403 was the token's doing, not the role's). A route
that only shows a page answers a POST with 405, whoever sends it.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.conftest import World, all_routes
from tests.security.routes import (
    GET,
    OBJECT_ROUTE_USERS,
    OTHER_ROUTES,
    POST,
    ROWS,
    Use,
)


def route_uses(world: World) -> dict[str, Use]:
    """Every route, as the persona who may use it would call it."""
    uses = dict(OTHER_ROUTES)
    for name, row in ROWS.items():
        uses[name] = Use(row.methods, OBJECT_ROUTE_USERS[name], row.kwargs(world.ours))
    return uses


def test_every_route_is_listed():
    names = {r.name for r in all_routes()}
    listed = set(OTHER_ROUTES) | set(ROWS)

    assert names - listed == set(), "add the new route(s) to tests/security/routes.py"
    assert listed - names == set(), "routes listed that no longer exist"
    assert set(OBJECT_ROUTE_USERS) == set(ROWS)


def _client(world: World, persona: str | None, *, enforce: bool) -> Client:
    client = Client(enforce_csrf_checks=enforce)
    if persona is not None:
        client.force_login(world.users[persona])
    return client


def test_a_post_without_the_token_is_refused_everywhere(world: World, caplog):
    uses = route_uses(world)
    posting = []
    for name, use in uses.items():
        url = reverse(name, kwargs=use.kwargs)
        caplog.clear()

        response = _client(world, use.persona, enforce=True).post(url, {})

        assert response.status_code == 403, (name, response.status_code)
        assert any(r.name == "django.security.csrf" for r in caplog.records), name
        if POST in use.methods:
            posting.append(name)
    assert len(posting) >= 20


@pytest.mark.parametrize("kind", ["posting", "read-only"])
def test_with_the_check_off_the_role_may_post_or_gets_405(world: World, kind):
    """The 403 above is the token's doing; and a page that only shows something says
    so with 405 rather than quietly doing a GET."""
    checked = []
    for name, use in route_uses(world).items():
        accepts_post = POST in use.methods
        if accepts_post != (kind == "posting"):
            continue
        response = _client(world, use.persona, enforce=False).post(
            reverse(name, kwargs=use.kwargs), {}
        )
        if accepts_post:
            assert response.status_code not in (403, 404, 405), (name, response.status_code)
        else:
            assert GET in use.methods
            assert response.status_code == 405, (name, response.status_code)
        checked.append(name)
    assert len(checked) >= 10
