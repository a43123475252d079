"""Each role lands on its own page after signing in; anonymous people go to sign in."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    ("persona", "landing"),
    [
        ("manager", "referrals:mine"),
        ("psw", "referrals:triage"),
        ("smpe", "referrals:triage"),
        ("coordinator", "therapists:allocation_queue"),
        ("therapist", "therapists:my_cases"),
        ("service_lead", "reporting:dashboard"),
        ("staff_member", "referrals:own"),
    ],
)
def test_each_role_lands_on_its_page(client, request, persona, landing):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)  # the therapist fixture is a Therapist
    client.force_login(user)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url == reverse(landing)
    assert client.get(response.url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name",
    [
        "home",
        "referrals:mine",
        "referrals:triage",
        "therapists:allocation_queue",
        "therapists:my_cases",
        "reporting:dashboard",
        "referrals:notifications",
    ],
)
def test_anonymous_people_are_sent_to_sign_in(client, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [
        ("manager", ["New referral", "My referrals"], ["Triage", "Allocation", "My cases"]),
        ("psw", ["Triage", "Monitoring", "Audit log"], ["Allocation", "My cases"]),
        ("coordinator", ["Allocation"], ["Triage", "New referral", "Monitoring"]),
        ("service_lead", ["Monitoring", "Group referral"], ["Triage", "Allocation", "My cases"]),
    ],
)
def test_navigation_shows_each_role_only_what_it_may_use(client, request, persona, shown, hidden):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(reverse("referrals:notifications")).content.decode()
    nav = page.split('aria-label="Main"')[1].split("</nav>")[0]

    for label in shown:
        assert f">{label}<" in nav
    for label in hidden:
        assert f">{label}<" not in nav


def test_footer_names_the_service(client, manager):
    client.force_login(manager)

    page = client.get(reverse("referrals:notifications")).content.decode()

    assert "Critical Incident Response Service" in page.split("<footer")[1]
