"""docs/security-checklist.md row 11 (IDOR matrix), #14 (the service lead reaches no per-referral
page) and #19 (read-audit).

Every route with an object id has a row in tests/security/routes.py saying how to point it at an object and
which methods it answers. For each row, every role persona asks for ours and for the
others' objects: a persona who may not see the object gets 404, never 403 (which would
say it exists), and a "denied" audit row; a persona who may see it gets something else,
and a read that shows them the referral leaves a "view" or "download" audit row with
who, what, the request id and the address. A route added without a row fails the suite.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from referrals.models import ExtensionRequest, KeyDate
from tests.security.conftest import PERSONAS, Target, World, all_routes
from tests.security.routes import GET, NOT_OBJECT_ROUTES, POST, ROWS, Row


def object_routes():
    return [r for r in all_routes() if r.converters]


def test_every_route_with_an_id_has_a_matrix_row():
    names = {r.name for r in object_routes()}

    missing = names - set(ROWS) - set(NOT_OBJECT_ROUTES)
    stale = (set(ROWS) | set(NOT_OBJECT_ROUTES)) - names

    assert not missing, f"add a row to ROWS for the new route(s): {sorted(missing)}"
    assert not stale, f"these rows name routes that no longer exist: {sorted(stale)}"
    assert len(ROWS) >= 20


def test_rows_fill_exactly_the_parameters_their_routes_take(world: World):
    routes = {r.name: r for r in object_routes()}
    for name, row in ROWS.items():
        assert set(row.kwargs(world.ours)) == routes[name].converters, name


def _request(client, method: str, url: str):
    return client.get(url) if method == GET else client.post(url, {})


def _new_audit_rows(since: int):
    return list(AuditEvent.objects.filter(pk__gt=since).order_by("pk"))


def _last_audit_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _check_audit(row: Row, target: Target, user, method, url, response, rows) -> str | None:
    """#19: what the request must have written to the audit log, or a problem."""
    if row.read_action is None:
        return None
    mine = [
        e
        for e in rows
        if e.user_id == user.pk
        and e.object_type == "referral"
        and e.object_id == str(target.referral.pk)
        and e.path == url
    ]
    if response.status_code == 404:
        wanted = {AuditEvent.Action.DENIED}
    elif method == GET and response.status_code == 200:
        wanted = {row.read_action}
    else:
        return None
    hits = [e for e in mine if e.action in wanted]
    if not hits:
        return f"no {sorted(wanted)} audit row (got {[e.action for e in mine]})"
    event = hits[-1]
    if event.request_id != response["X-Request-ID"] or event.ip != "127.0.0.1" or not event.at:
        return f"audit row without request id / address / time: {event.__dict__}"
    return None


@pytest.mark.parametrize("name", sorted(ROWS))
def test_each_role_sees_only_its_own_objects(client, world: World, name):
    row = ROWS[name]
    versions = {t.label: t.referral.version for t in world.targets}
    problems = []
    checked = {"hidden": 0, "shown": 0}
    for persona in PERSONAS:
        user = world.users[persona]
        client.force_login(user)
        for target in world.targets:
            kwargs = row.kwargs(target)
            if kwargs is None:
                continue
            url = reverse(name, kwargs=kwargs)
            visible = persona in row.visible(target)
            # Someone who may see the object: one request proves it is not hidden.
            methods = row.methods[:1] if visible else row.methods
            for method in methods:
                since = _last_audit_pk()
                response = _request(client, method, url)
                where = f"{persona} {method} {target.label} {url}"
                status = response.status_code
                if visible and status == 404:
                    problems.append(f"{where}: 404 for someone who may see it")
                elif not visible and status != 404:
                    problems.append(f"{where}: {status}, expected 404")
                trouble = _check_audit(
                    row, target, user, method, url, response, _new_audit_rows(since)
                )
                if trouble:
                    problems.append(f"{where}: {trouble}")
                checked["shown" if visible else "hidden"] += 1

    assert problems == []
    assert checked["hidden"] >= len(PERSONAS), checked
    assert checked["shown"] >= 1, checked
    # An empty post changes nothing, for anyone.
    for target in world.targets:
        target.referral.refresh_from_db()
        assert target.referral.version == versions[target.label], (name, target.label)


def test_the_service_lead_gets_404_on_every_per_referral_route(client, world: World):
    """#14: aggregate figures only: every per-referral route is a 404, even for a
    referral they could only have heard of."""
    client.force_login(world.users["service_lead"])
    seen = 0
    for name, row in ROWS.items():
        for target in world.targets:
            kwargs = row.kwargs(target)
            if kwargs is None:
                continue
            for method in row.methods:
                response = _request(client, method, reverse(name, kwargs=kwargs))
                assert response.status_code == 404, (name, method, target.label)
                seen += 1
    assert seen >= len(ROWS) * 2


def test_a_part_of_one_referral_is_not_reached_through_another(client, world: World):
    """The ids must belong together: our therapist asking for the others' key date
    under our referral, or triage deciding the others' request under ours, is a 404."""
    ours, theirs = world.ours, world.theirs
    mixed_key_date = {"referral_id": ours.referral.pk, "key_date_id": theirs.key_date.pk}
    mixed_request = {"referral_id": ours.referral.pk, "request_id": theirs.extension_request.pk}

    client.force_login(world.users["therapist"])
    for name, method in (
        ("therapists:key_date_edit", GET),
        ("therapists:key_date_edit", POST),
        ("therapists:key_date_remove", POST),
        ("therapists:key_date_ics", GET),
    ):
        url = reverse(name, kwargs=mixed_key_date)
        assert _request(client, method, url).status_code == 404, name
    client.force_login(world.users["psw"])
    response = client.post(
        reverse("referrals:decide_extension", kwargs=mixed_request),
        {"version": ours.referral.version, "decision": "approve", "note": ""},
    )

    assert response.status_code == 404
    assert KeyDate.objects.filter(pk=theirs.key_date.pk).exists()
    theirs.extension_request.refresh_from_db()
    assert theirs.extension_request.status == ExtensionRequest.Status.PENDING
