"""The council's test directory, served by a real oidc-provider, and CIRS configured
to use it (tests/accounts/oidc_server.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.accounts.oidc_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    GROUP_ALL_STAFF,
    GROUP_LINE_MANAGERS,
    GROUP_PROVIDER,
    GROUP_PSW,
    GROUP_UNRELATED,
    ROLE_GROUPS,
    DirectoryUser,
    ProviderBrowser,
    RunningProvider,
    require_node,
)

TEST_SERVER = "http://testserver"


def directory() -> dict[str, DirectoryUser]:
    people = [
        DirectoryUser(
            "priya",
            "sub-priya",
            "priya@council.example",
            "Priya Shah",
            [GROUP_PSW, GROUP_ALL_STAFF],
        ),
        DirectoryUser(
            "amara",
            "sub-amara",
            "amara@council.example",
            "Amara Obi",
            [GROUP_LINE_MANAGERS, GROUP_ALL_STAFF],
        ),
        DirectoryUser(
            "robin", "sub-robin", "robin@council.example", "Robin Lee", [GROUP_ALL_STAFF]
        ),
        DirectoryUser("nomail", "sub-nomail", None, "Nell Nomail", [GROUP_ALL_STAFF]),
        DirectoryUser(
            "visitor", "sub-visitor", "visitor@council.example", "Vic Visitor", [GROUP_UNRELATED]
        ),
        DirectoryUser("chris", "sub-chris", "chris@reed.example", "Chris Reed", [GROUP_PROVIDER]),
    ]
    return {person.login: person for person in people}


@pytest.fixture(scope="module")
def oidc_provider():
    require_node()
    provider = RunningProvider(
        redirect_uris=[f"{TEST_SERVER}/accounts/oidc/callback/"],
        post_logout_redirect_uris=[f"{TEST_SERVER}/accounts/login/"],
        users=list(directory().values()),
    )
    try:
        yield provider
    finally:
        provider.stop()


@dataclass
class Council:
    """CIRS set up for the test directory, plus ways to walk through a sign-in."""

    provider: RunningProvider
    people: dict[str, DirectoryUser]

    def start(self, client, next_url: str = "") -> str:
        """Press "Sign in with your council account": the provider address CIRS sends to."""
        url = reverse("oidc_authentication_init") + (f"?next={next_url}" if next_url else "")
        response = client.get(url)
        assert response.status_code == 302, response.content
        return response["Location"]

    def callback_url(self, client, login: str, browser: ProviderBrowser | None = None) -> str:
        """Through the provider's own sign-in page, up to the address it sends back."""
        browser = browser or ProviderBrowser(self.provider)
        person = self.people[login]
        back = browser.visit(self.start(client), login=person.login, password=person.password)
        assert back.startswith(f"{TEST_SERVER}/accounts/oidc/callback/"), back
        return back.removeprefix(TEST_SERVER)

    def sign_in(self, client, login: str, browser: ProviderBrowser | None = None):
        return client.get(self.callback_url(client, login, browser))

    def change(self, login: str, **changes) -> None:
        for name, value in changes.items():
            setattr(self.people[login], name, value)
        self.provider.set_users(list(self.people.values()))


@pytest.fixture
def council(settings, oidc_provider) -> Council:
    settings.CIRS_OIDC_ISSUER = oidc_provider.issuer
    settings.CIRS_OIDC_CLIENT_ID = CLIENT_ID
    settings.CIRS_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.CIRS_OIDC_ROLE_GROUPS = ROLE_GROUPS
    settings.CIRS_OIDC_TIMEOUT = 5
    settings.OIDC_TIMEOUT = 5
    cache.clear()
    people = directory()
    oidc_provider.set_users(list(people.values()))
    oidc_provider.shift_clock(0)
    yield Council(provider=oidc_provider, people=people)
    cache.clear()
