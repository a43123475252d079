"""docs/security-checklist.md row 18: pages for signed-in people are ``Cache-Control: no-store``,
and no personal data travels in a URL (no route or query parameter named like a
name, e-mail, phone number or date of birth)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from django.test import Client
from django.urls import reverse

from tests.security.conftest import World, all_routes
from tests.security.routes import GET, OBJECT_ROUTE_USERS, OTHER_ROUTES, ROWS

PERSONAL = re.compile(
    r"(^|_)(name|first_name|last_name|full_name|email|e_mail|phone|telephone|mobile|"
    r"dob|date_of_birth|birth_date|staff)($|_)",
    re.IGNORECASE,
)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return "no-store" in directives


class _GetFormFields(HTMLParser):
    """The names of the fields inside every form that submits by GET (the default)."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.names: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "form":
            self.depth += (values.get("method") or "get").lower() == "get"
        elif self.depth and tag in ("input", "select", "textarea", "button") and values.get("name"):
            self.names.append(values["name"])

    def handle_endtag(self, tag):
        if tag == "form" and self.depth:
            self.depth -= 1


def get_form_fields(html: str) -> list[str]:
    parser = _GetFormFields()
    parser.feed(html)
    return parser.names


def test_the_lint_knows_a_personal_parameter_when_it_sees_one():
    html = (
        '<form><input name="staff_name"><select name="team"></select></form>'
        '<form method="post"><input name="email"></form>'
        '<form method="GET"><input name="DOB"><input name="start"></form>'
    )

    names = get_form_fields(html)

    assert names == ["staff_name", "team", "DOB", "start"]
    assert [n for n in names if PERSONAL.search(n)] == ["staff_name", "DOB"]
    assert not PERSONAL.search("username_hint") and not PERSONAL.search("category")


def test_no_route_carries_a_personal_parameter():
    routes = all_routes()
    offending = [
        (route.name, converter)
        for route in routes
        for converter in route.converters
        if PERSONAL.search(converter)
    ]

    assert offending == []
    assert sum(1 for r in routes if r.converters) >= 20


def test_no_template_has_a_get_form_with_a_personal_field():
    checked = 0
    for path in TEMPLATES.rglob("*.html"):
        names = get_form_fields(path.read_text(encoding="utf-8"))
        assert [n for n in names if PERSONAL.search(n)] == [], path
        checked += 1
    assert checked >= 20


def _signed_in_uses(world: World):
    for name, use in OTHER_ROUTES.items():
        if use.persona is not None:
            yield name, use.persona, use.methods[0], None
    for name, row in ROWS.items():
        yield name, OBJECT_ROUTE_USERS[name], row.methods[0], row.kwargs(world.ours)


def test_every_signed_in_page_is_no_store_and_its_get_forms_hold_no_personal_field(
    world: World,
):
    seen = []
    for name, persona, method, kwargs in _signed_in_uses(world):
        client = Client()
        client.force_login(world.users[persona])
        url = reverse(name, kwargs=kwargs)
        response = client.get(url) if method == GET else client.post(url, {})

        assert response.status_code < 500, name
        assert response.status_code != 404, name
        assert no_store(response), (name, response.status_code, response["Cache-Control"])
        if response.get("Content-Type", "").startswith("text/html"):
            fields = get_form_fields(response.content.decode())
            assert [f for f in fields if PERSONAL.search(f)] == [], name
        seen.append(name)

    assert set(seen) >= set(ROWS)
    assert len(seen) >= 40


def test_a_signed_in_download_is_no_store_too(world: World):
    client = Client()
    client.force_login(world.users["therapist"])

    response = client.get(
        reverse(
            "therapists:key_date_ics", kwargs=ROWS["therapists:key_date_ics"].kwargs(world.ours)
        )
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert no_store(response)
