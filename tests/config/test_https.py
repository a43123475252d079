"""docs/security-checklist.md row 2: HTTPS only — SSL redirect, HSTS for at least a year."""

import re

from django.urls import reverse

ONE_YEAR = 365 * 24 * 60 * 60


def test_plain_http_is_redirected_to_https(client, apply_prod_settings):
    response = client.get(reverse("login"), secure=False)

    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{reverse('login')}"


def test_secure_response_carries_hsts_for_at_least_a_year(client, apply_prod_settings):
    response = client.get(reverse("login"), secure=True)

    assert response.status_code == 200
    header = response["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", header).group(1))
    assert max_age >= ONE_YEAR
    assert "includeSubDomains" in header


def test_forwarded_https_is_trusted_from_a_configured_proxy(client, apply_prod_settings):
    apply_prod_settings.CIRS_TRUSTED_PROXIES = ["10.0.0.0/8"]

    response = client.get(
        reverse("login"), headers={"X-Forwarded-Proto": "https"}, REMOTE_ADDR="10.1.2.3"
    )

    assert response.status_code == 200
    assert "Strict-Transport-Security" in response


def test_forwarded_https_from_anyone_else_is_ignored(client, apply_prod_settings):
    apply_prod_settings.CIRS_TRUSTED_PROXIES = ["10.0.0.0/8"]

    response = client.get(
        reverse("login"), headers={"X-Forwarded-Proto": "https"}, REMOTE_ADDR="203.0.113.7"
    )

    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_production_does_not_use_django_s_blind_proxy_header(prod_settings):
    assert prod_settings["SECURE_PROXY_SSL_HEADER"] is None


def test_every_response_carries_a_permissions_policy(client, db):
    response = client.get(reverse("login"))

    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy
