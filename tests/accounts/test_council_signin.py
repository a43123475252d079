"""Council sign-in through a real OpenID provider: accounts made at first sign-in,
matched by subject, roles following the directory's groups, MFA left to the directory,
and sign-out at the provider too."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from accounts.forms import COUNCIL_ACCOUNT_ONLY
from accounts.models import AuditEvent, ExternalIdentity, User
from accounts.oidc import ID_TOKEN_SESSION_KEY
from accounts.roles import Role
from accounts.signin_methods import SESSION_KEY, SSO
from tests.accounts.oidc_server import ProviderBrowser
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_first_council_sign_in_makes_the_account_with_roles_from_groups(client, council, settings):
    settings.CIRS_MFA_REQUIRED_ROLES = ["all"]

    response = council.sign_in(client, "priya")

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get(email="priya@council.example")
    assert user.roles == {Role.PSW}
    assert not user.has_usable_password()
    assert (user.first_name, user.last_name) == ("Priya", "Shah")
    identity = ExternalIdentity.objects.get(user=user)
    assert (identity.issuer, identity.subject) == (council.provider.issuer, "sub-priya")
    assert client.session[SESSION_KEY] == SSO
    # The directory did the second step: no code is asked for.
    home = client.get(reverse("home"), follow=True)
    assert home.status_code == 200
    assert [url for url, _ in home.redirect_chain] == ["/referrals/triage/"]
    events = list(AuditEvent.objects.filter(user=user).values_list("detail", flat=True))
    assert "Account made at first council sign-in" in events
    assert "Signed in with the council account" in events


def test_roles_follow_the_directory_at_every_sign_in(client, council):
    council.sign_in(client, "priya")
    user = User.objects.get(email="priya@council.example")
    assert user.roles == {Role.PSW}
    client.logout()

    # Priya moves from the PSW group to the line managers' group.
    council.change("priya", groups=[council.people["amara"].groups[0]])
    response = council.sign_in(client, "priya")

    assert response.status_code == 302
    user = User.objects.get(pk=user.pk)
    assert user.roles == {Role.LINE_MANAGER}
    assert User.objects.filter(email="priya@council.example").count() == 1
    assert AuditEvent.objects.filter(
        user=user, detail="Roles follow the council directory: added line_manager; removed psw"
    ).exists()


def test_other_groups_of_the_account_are_left_alone(client, council):
    from django.contrib.auth.models import Group

    council.sign_in(client, "amara")
    user = User.objects.get(email="amara@council.example")
    extra = Group.objects.create(name="newsletter")
    user.groups.add(extra)
    client.logout()

    council.sign_in(client, "amara")

    assert set(user.groups.values_list("name", flat=True)) == {"line_manager", "newsletter"}


def test_an_existing_account_is_linked_by_e_mail_once_then_by_subject(client, council):
    existing = UserFactory(
        username="amara.local", email="Amara@Council.example", roles=[Role.LINE_MANAGER]
    )

    council.sign_in(client, "amara")

    identity = ExternalIdentity.objects.get(subject="sub-amara")
    assert identity.user == existing
    assert AuditEvent.objects.filter(
        user=existing, detail__startswith="Council identity bound to this existing account"
    ).exists()
    client.logout()

    # The directory changes Amara's e-mail: the subject still finds the same account.
    council.change("amara", email="amara.obi@council.example")
    council.sign_in(client, "amara")
    existing.refresh_from_db()
    assert existing.email == "amara.obi@council.example"
    client.logout()

    # Someone else now carries Amara's old address: e-mail never takes over a bound
    # account, so they get an account of their own.
    council.change("robin", email="amara@council.example")
    council.sign_in(client, "robin")
    robin = ExternalIdentity.objects.get(subject="sub-robin").user
    assert robin != existing
    assert User.objects.filter(pk=existing.pk, email="amara.obi@council.example").exists()


def test_a_referred_staff_member_signs_in_and_sees_their_own_support(client, council, flow):
    referral = flow.referral(staff_email="Robin@council.example", staff_name="Robin Lee")
    assert referral.staff_user is None

    response = council.sign_in(client, "robin")

    assert response.status_code == 302
    robin = User.objects.get(email="robin@council.example")
    assert robin.roles == frozenset()
    referral.refresh_from_db()
    assert referral.staff_user == robin
    own = client.get(reverse("referrals:own"))
    assert own.status_code == 200
    assert referral.reference in own.text
    assert AuditEvent.objects.filter(
        object_type="referral", object_id=str(referral.pk), detail="staff_account_linked"
    ).exists()


def test_sign_out_also_ends_the_session_at_the_provider(client, council):
    browser = ProviderBrowser(council.provider)
    council.sign_in(client, "priya", browser)
    id_token = client.session[ID_TOKEN_SESSION_KEY]

    response = client.post(reverse("logout"))

    assert "_auth_user_id" not in client.session
    end_session = response["Location"]
    assert end_session.startswith(f"{council.provider.issuer}/session/end")
    query = parse_qs(urlsplit(end_session).query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    # The provider asks to confirm, ends its session and sends the browser back.
    assert browser.visit(end_session) == "http://testserver/accounts/login/"
    # Signing in again needs the council password again: the provider forgot them.
    assert browser.asks_to_sign_in(council.start(client))


def test_without_sign_out_the_provider_would_have_signed_them_straight_back_in(client, council):
    """The control for the test above: the provider session is what sign-out ends."""
    browser = ProviderBrowser(council.provider)
    council.sign_in(client, "priya", browser)
    client.logout()

    assert not browser.asks_to_sign_in(council.start(client))


def test_a_local_sign_out_does_not_visit_the_provider(client, council, coordinator):
    client.force_login(coordinator)

    response = client.post(reverse("logout"))

    assert response["Location"] == reverse("login")


def test_the_login_page_offers_the_council_account_beside_the_local_form(client, council):
    page = client.get(reverse("login"))

    assert "Sign in with your council account" in page.text
    assert reverse("oidc_authentication_init") in page.text
    assert 'name="password"' in page.text


def test_the_next_page_is_kept_through_the_council_sign_in(client, council):
    start = council.start(client, next_url="/referrals/own/")
    person = council.people["robin"]
    back = ProviderBrowser(council.provider).visit(
        start, login=person.login, password=person.password
    )

    response = client.get(back.removeprefix("http://testserver"))

    assert response["Location"] == "/referrals/own/"


def test_a_council_role_set_to_sso_only_is_pointed_to_the_council_button(client, council, psw):
    psw.set_password("a-long-local-password-1")
    psw.save()

    response = client.post(
        reverse("login"), {"username": psw.username, "password": "a-long-local-password-1"}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert COUNCIL_ACCOUNT_ONLY in response.text
    assert AuditEvent.objects.filter(
        user=psw, action=AuditEvent.Action.LOGIN_FAILED, detail__contains="council account"
    ).exists()


def test_provider_staff_keep_their_password_and_code(client, council, coordinator, settings):
    settings.CIRS_MFA_REQUIRED_ROLES = ["all"]
    coordinator.set_password("a-long-local-password-1")
    coordinator.save()

    response = client.post(
        reverse("login"), {"username": coordinator.username, "password": "a-long-local-password-1"}
    )

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == "local"
    # The TOTP step still applies to a password sign-in.
    assert client.get(reverse("home"))["Location"].startswith(reverse("otp_enrol"))


def test_no_password_reset_mail_for_someone_who_signs_in_with_the_council(
    client, council, psw, coordinator, mailoutbox
):
    for user in (psw, coordinator):
        user.set_password("a-long-local-password-1")
        user.save()

    client.post(reverse("password_reset"), {"email": psw.email})
    client.post(reverse("password_reset"), {"email": coordinator.email})

    assert [message.to for message in mailoutbox] == [[coordinator.email]]


def test_e_mails_tell_council_staff_to_use_their_council_account(council, psw, therapist):
    from referrals.notifications import render_email

    _, council_text, council_html = render_email(
        "evaluation_invitation", {"user": psw, "url": "u", "service_name": "S"}
    )
    _, provider_text, _ = render_email(
        "evaluation_invitation", {"user": therapist.user, "url": "u", "service_name": "S"}
    )
    _, address_text, _ = render_email(
        "support_ended_staff", {"user": None, "url": "u", "service_name": "S", "summary_text": ""}
    )

    assert "Sign in to CIRS with your council account to answer" in council_text
    assert "with your council account" in council_html
    assert "Sign in to CIRS with your CIRS username and password to answer" in provider_text
    assert "Sign in to CIRS with your council account to see the summary" in address_text
    assert "password" not in council_text


def test_discovery_is_fetched_once_and_cached(client, council, monkeypatch):
    import requests

    fetched = []
    real_get = requests.get

    def counting_get(url, *args, **kwargs):
        if url.endswith("/.well-known/openid-configuration"):
            fetched.append(url)
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(requests, "get", counting_get)

    council.start(client)
    council.start(client)
    council.sign_in(client, "priya")

    assert fetched == [f"{council.provider.issuer}/.well-known/openid-configuration"]


def _form_action(response) -> str:
    directives = dict(
        part.strip().split(" ", 1)
        for part in response["Content-Security-Policy"].split(";")
        if " " in part.strip()
    )
    return directives["form-action"]


def test_pages_of_a_council_session_let_sign_out_reach_the_provider(client, council, coordinator):
    council.sign_in(client, "priya")
    assert council.provider.issuer in _form_action(client.get(reverse("referrals:notifications")))

    client.logout()
    client.force_login(coordinator)
    assert council.provider.issuer not in _form_action(
        client.get(reverse("referrals:notifications"))
    )


def test_the_admin_shows_the_bound_council_identity(client, council, settings):
    council.sign_in(client, "priya")
    user = User.objects.get(email="priya@council.example")
    client.logout()
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    client.force_login(admin)

    page = client.get(reverse("admin:accounts_user_change", args=[user.pk]))

    assert page.status_code == 200
    assert "sub-priya" in page.text
    assert council.provider.issuer in page.text


def test_linking_a_staff_member_twice_links_once_and_never_moves_a_link(flow, staff_member):
    from referrals import services

    theirs = flow.referral(staff_email="robin.new@council.example")
    someone_elses = flow.referral(staff_email=staff_member.email)
    robin = UserFactory(username="robin.new", email="Robin.New@council.example")

    assert services.link_staff_member_account(robin) == 1
    assert services.link_staff_member_account(robin) == 0

    theirs.refresh_from_db()
    someone_elses.refresh_from_db()
    assert theirs.staff_user == robin
    assert someone_elses.staff_user == staff_member
    assert (
        AuditEvent.objects.filter(object_id=str(theirs.pk), detail="staff_account_linked").count()
        == 1
    )
