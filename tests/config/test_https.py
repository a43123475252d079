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


def test_proxy_forwarded_https_is_trusted_only_through_the_configured_header(
    client, apply_prod_settings
):
    response = client.get(reverse("login"), headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 200
    assert "Strict-Transport-Security" in response
