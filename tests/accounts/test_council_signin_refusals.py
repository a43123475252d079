"""Bad input at the council sign-in: each case gets a kind page, one audit row, and no
account is created or changed.

The provider is real (tests/accounts/oidc_server.py). Where a real provider will not
produce the bad case (a token for another audience, from another issuer, without a
subject, signed with another key), the token it issued is re-signed with its own
key with one thing changed, so only that one thing is wrong.
"""

from __future__ import annotations

import base64
import html
import json
import socket

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse

from accounts.models import AuditEvent, ExternalIdentity, User
from accounts.oidc import CouncilSignInBackend
from accounts.roles import Role
from tests.accounts.conftest import TEST_SERVER
from tests.accounts.oidc_server import KEY_ID, ProviderBrowser, RunningProvider
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def accounts_state() -> tuple:
    """Everything a sign-in could create or change."""
    return (
        sorted(User.objects.values_list("pk", "username", "email", "first_name", "is_active")),
        sorted(ExternalIdentity.objects.values_list("user_id", "issuer", "subject")),
        sorted(User.groups.through.objects.values_list("user_id", "group_id")),
    )


def assert_refused(response, reason: str, *, status: int, words: str, before: tuple) -> None:
    assert response.status_code == status
    page = html.unescape(response.text)
    assert words in page
    assert "Go to the sign-in page" in page
    assert "_auth_user_id" not in response.wsgi_request.session
    rows = AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGIN_FAILED,
        detail__startswith=f"Council sign-in refused ({reason})",
    )
    assert rows.count() == 1
    assert accounts_state() == before


def id_token_changed(monkeypatch, change) -> None:
    """The provider's real token response, with its ID token passed through ``change``."""
    real = CouncilSignInBackend.get_token

    def changed(self, payload):
        tokens = real(self, payload)
        tokens["id_token"] = change(tokens["id_token"])
        return tokens

    monkeypatch.setattr(CouncilSignInBackend, "get_token", changed)


def resigned(provider, **changes):
    """Re-sign the real ID token with the provider's own key, claims changed (None drops)."""

    def change(token: str) -> str:
        claims = jwt.decode(token, options={"verify_signature": False})
        for name, value in changes.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return provider.sign(claims)

    return change


# --- wrong issuer or audience ------------------------------------------------------------


def test_a_token_for_another_application_is_refused(client, council, monkeypatch):
    before = accounts_state()
    id_token_changed(monkeypatch, resigned(council.provider, aud="another-council-app"))

    response = council.sign_in(client, "priya")

    assert_refused(
        response,
        "wrong_audience",
        status=400,
        words="couldn't confirm your council sign-in",
        before=before,
    )


def test_a_token_naming_two_audiences_must_be_authorised_for_us(client, council, monkeypatch):
    before = accounts_state()
    id_token_changed(
        monkeypatch,
        resigned(council.provider, aud=["cirs-test", "another-app"], azp="another-app"),
    )

    response = council.sign_in(client, "priya")

    assert_refused(response, "wrong_audience", status=400, words="couldn't confirm", before=before)


def test_a_token_from_another_issuer_is_refused(client, council, monkeypatch):
    before = accounts_state()
    id_token_changed(monkeypatch, resigned(council.provider, iss="https://login.example.net/other"))

    response = council.sign_in(client, "priya")

    assert_refused(response, "wrong_issuer", status=400, words="couldn't confirm", before=before)


def test_a_discovery_document_naming_another_issuer_is_refused(client, council, settings):
    before = accounts_state()
    # The same provider, reached by another name: its document names 127.0.0.1, not localhost.
    settings.CIRS_OIDC_ISSUER = council.provider.issuer.replace("127.0.0.1", "localhost")

    response = client.get(reverse("oidc_authentication_init"))

    assert_refused(response, "wrong_issuer", status=400, words="couldn't confirm", before=before)


# --- expired or tampered token, replayed or stale code, state mismatch -------------------


def test_an_expired_token_is_refused(client, council):
    before = accounts_state()
    callback = council.callback_url(client, "priya")
    # The provider's clock runs two hours behind when it issues the ID token, so the
    # token it signs expired an hour ago.
    council.provider.shift_clock(-2 * 60 * 60)

    response = client.get(callback)

    assert_refused(response, "token_expired", status=400, words="couldn't confirm", before=before)


def test_a_tampered_token_is_refused(client, council, monkeypatch):
    before = accounts_state()

    def add_psw_group(token: str) -> str:
        header, payload, signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["groups"] = [*claims["groups"], "3f1c0a52-0000-4000-8000-00000000a001"]
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{forged}.{signature}"

    id_token_changed(monkeypatch, add_psw_group)

    response = council.sign_in(client, "robin")

    assert_refused(response, "token_invalid", status=400, words="safety checks", before=before)


def test_a_token_signed_with_a_key_the_provider_does_not_publish_is_refused(
    client, council, monkeypatch
):
    before = accounts_state()
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def signed_by_stranger(token: str) -> str:
        claims = jwt.decode(token, options={"verify_signature": False})
        return jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": KEY_ID})

    id_token_changed(monkeypatch, signed_by_stranger)

    response = council.sign_in(client, "priya")

    assert_refused(response, "token_invalid", status=400, words="safety checks", before=before)


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_an_unsigned_or_shared_secret_token_is_refused(client, council, monkeypatch, algorithm):
    before = accounts_state()

    def weak(token: str) -> str:
        claims = jwt.decode(token, options={"verify_signature": False})
        if algorithm == "none":
            return jwt.encode(claims, None, algorithm="none")
        return jwt.encode(claims, "cirs-test-secret-0123456789abcdef0123456789", algorithm="HS256")

    id_token_changed(monkeypatch, weak)

    response = council.sign_in(client, "priya")

    assert_refused(response, "token_invalid", status=400, words="safety checks", before=before)


def test_a_token_from_another_sign_in_is_refused_by_its_nonce(client, council, monkeypatch):
    before = accounts_state()
    id_token_changed(monkeypatch, resigned(council.provider, nonce="a-nonce-from-another-sign-in"))

    response = council.sign_in(client, "priya")

    assert_refused(response, "nonce_mismatch", status=400, words="already been used", before=before)


def test_a_replayed_code_is_refused_by_the_provider(client, council):
    callback = council.callback_url(client, "priya")
    assert client.get(callback).status_code == 302
    client.logout()
    before = accounts_state()
    # An attacker with the old address starts their own sign-in (so the state is one
    # this browser knows) and hands in the used code.
    council.start(client)
    fresh_state = next(iter(client.session["oidc_states"]))
    used_code = callback.split("code=")[1].split("&")[0]

    response = client.get(
        f"{reverse('oidc_authentication_callback')}?code={used_code}&state={fresh_state}"
    )

    assert_refused(response, "code_rejected", status=400, words="already been used", before=before)


def test_a_stale_code_is_refused_by_the_provider(client, council):
    before = accounts_state()
    callback = council.callback_url(client, "priya")
    # Codes live a minute at the provider; two minutes pass before it is handed in.
    council.provider.shift_clock(120)

    response = client.get(callback)

    assert_refused(response, "code_rejected", status=400, words="already been used", before=before)


def test_a_state_this_browser_did_not_start_is_refused(client, council):
    from django.test import Client

    callback = council.callback_url(Client(), "priya")  # started in another browser
    before = accounts_state()

    response = client.get(callback)

    assert_refused(response, "state_mismatch", status=400, words="already been used", before=before)


def test_a_changed_state_is_refused(client, council):
    callback = council.callback_url(client, "priya")
    before = accounts_state()

    response = client.get(callback.replace("state=", "state=x"))

    assert_refused(response, "state_mismatch", status=400, words="already been used", before=before)


def test_a_sign_in_cancelled_at_the_provider_is_explained(client, council):
    council.start(client)
    state = next(iter(client.session["oidc_states"]))
    before = accounts_state()

    response = client.get(
        f"{reverse('oidc_authentication_callback')}?error=access_denied&state={state}"
    )

    assert_refused(response, "provider_error", status=400, words="didn't finish", before=before)
    assert state not in client.session["oidc_states"]


# --- missing claims, no mapped group, sign-in method ---------------------------------------


def test_no_e_mail_claim_is_refused(client, council):
    before = accounts_state()

    response = council.sign_in(client, "nomail")

    assert_refused(
        response, "missing_email", status=403, words="missing an e-mail address", before=before
    )


def test_no_subject_claim_is_refused(client, council, monkeypatch):
    before = accounts_state()
    id_token_changed(monkeypatch, resigned(council.provider, sub=None))

    response = council.sign_in(client, "priya")

    assert_refused(
        response, "missing_subject", status=403, words="missing some details", before=before
    )


def test_someone_in_no_mapped_group_is_refused(client, council):
    before = accounts_state()

    response = council.sign_in(client, "visitor")

    assert_refused(
        response, "no_group", status=403, words="isn't set up for CIRS yet", before=before
    )


def test_someone_removed_from_every_group_keeps_their_account_unchanged(client, council):
    council.sign_in(client, "priya")
    client.logout()
    council.change("priya", groups=[])
    before = accounts_state()

    response = council.sign_in(client, "priya")

    assert_refused(
        response, "no_group", status=403, words="isn't set up for CIRS yet", before=before
    )


def test_a_provider_role_set_to_local_only_cannot_use_the_council_sign_in(client, council):
    before = accounts_state()

    response = council.sign_in(client, "chris")  # in the group mapped to coordinator

    assert_refused(
        response, "local_only", status=403, words="sign in with your CIRS username", before=before
    )


def test_a_local_provider_account_is_never_taken_over_by_e_mail(client, council, settings):
    UserFactory(username="chris.local", email="chris@reed.example", roles=[Role.COORDINATOR])
    # Even if the directory's group gave only a council role:
    council.change("chris", groups=[council.people["robin"].groups[0]])
    before = accounts_state()

    response = council.sign_in(client, "chris")

    assert_refused(response, "local_only", status=403, words="CIRS username", before=before)


def test_a_switched_off_account_stays_switched_off(client, council):
    council.sign_in(client, "priya")
    client.logout()
    User.objects.filter(email="priya@council.example").update(is_active=False)
    before = accounts_state()

    response = council.sign_in(client, "priya")

    assert_refused(response, "account_disabled", status=403, words="switched off", before=before)


def test_two_accounts_with_the_same_e_mail_are_not_guessed_between(client, council):
    UserFactory(username="amara1", email="amara@council.example")
    UserFactory(username="amara2", email="AMARA@council.example")
    before = accounts_state()

    response = council.sign_in(client, "amara")

    assert_refused(response, "ambiguous_email", status=403, words="more than one", before=before)


# --- the provider down --------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_provider_that_is_not_there_gets_a_kind_page(client, council, settings):
    settings.CIRS_OIDC_ISSUER = f"http://127.0.0.1:{_closed_port()}"
    before = accounts_state()

    response = client.get(reverse("oidc_authentication_init"))

    assert_refused(response, "provider_down", status=503, words="isn't answering", before=before)


def test_a_provider_that_does_not_answer_within_the_timeout(client, council, settings):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts connections, never answers
        settings.CIRS_OIDC_ISSUER = f"http://127.0.0.1:{silent.getsockname()[1]}"
        settings.CIRS_OIDC_TIMEOUT = 0.2
        before = accounts_state()

        response = client.get(reverse("oidc_authentication_init"))

    assert_refused(response, "provider_down", status=503, words="isn't answering", before=before)


def test_a_provider_that_goes_down_during_the_sign_in(client, council, settings):
    provider = RunningProvider(
        redirect_uris=[f"{TEST_SERVER}/accounts/oidc/callback/"],
        post_logout_redirect_uris=[f"{TEST_SERVER}/accounts/login/"],
        users=list(council.people.values()),
    )
    try:
        settings.CIRS_OIDC_ISSUER = provider.issuer
        cache.clear()
        person = council.people["priya"]
        start = client.get(reverse("oidc_authentication_init"))["Location"]
        callback = ProviderBrowser(provider).visit(
            start, login=person.login, password=person.password
        )
    finally:
        provider.stop()  # before the code is exchanged
    before = accounts_state()

    response = client.get(callback.removeprefix(TEST_SERVER))

    assert_refused(response, "provider_down", status=503, words="isn't answering", before=before)


def test_nothing_about_the_council_sign_in_when_it_is_not_configured(client, settings):
    settings.CIRS_OIDC_ISSUER = ""

    page = client.get(reverse("login"))

    assert "council account" not in page.text
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback")).status_code == 404
    assert Group.objects.filter(name=Role.PSW).exists()
