"""Templates own their <form> tags; a crispy form that drew its own would nest one form
inside another, and browsers then send neither (the buttons silently do nothing)."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse


class FormNesting(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = 0
        self.deepest = 0
        self.forms = 0

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.depth += 1
            self.forms += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag):
        if tag == "form":
            self.depth -= 1


def _nesting(html: str) -> FormNesting:
    parser = FormNesting()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    ("persona", "url_name", "state"),
    [
        ("psw", "referrals:triage_decide", "submitted"),
        ("manager", "referrals:edit", "draft"),
        ("manager", "referrals:answer", "more_info"),
        ("coordinator", "therapists:allocate", "accepted"),
        ("therapist", "therapists:case", "active"),
        ("manager", "referrals:detail", "submitted"),
    ],
)
def test_every_form_on_the_page_stands_alone(client, request, flow, persona, url_name, state):
    referral = flow.referral(state=state)
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))

    page = client.get(reverse(url_name, args=[referral.pk]))

    assert page.status_code == 200
    nesting = _nesting(page.content.decode())
    assert nesting.forms >= 1
    assert nesting.deepest == 1, f"a form is nested inside another on {url_name}"


@pytest.mark.parametrize("url_name", ["referrals:create", "referrals:create_group"])
def test_new_referral_forms_stand_alone(client, manager, url_name):
    client.force_login(manager)

    nesting = _nesting(client.get(reverse(url_name)).content.decode())

    assert nesting.deepest == 1
