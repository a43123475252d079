"""docs/security-checklist.md row 23: a failure shows a kind, generic page with a reference to
quote, and never a stack trace."""

import pytest

from tests.config.urls_boom import SECRET_DETAIL


@pytest.fixture
def failing_site(settings, client):
    settings.ROOT_URLCONF = "tests.config.urls_boom"
    settings.DEBUG = False
    client.raise_request_exception = False
    return client


def test_server_error_page_has_the_request_id_and_no_traceback(failing_site):
    response = failing_site.get("/__boom__/")

    html = response.content.decode()
    assert response.status_code == 500
    assert response["X-Request-ID"]
    assert response["X-Request-ID"] in html
    assert "Traceback" not in html
    assert "RuntimeError" not in html
    assert SECRET_DETAIL not in html
    assert "Nothing you did caused this" in html


def test_server_error_page_quotes_a_proxy_request_id(failing_site):
    response = failing_site.get("/__boom__/", headers={"X-Request-ID": "edge-7f3a9c21"})

    assert response["X-Request-ID"] == "edge-7f3a9c21"
    assert "edge-7f3a9c21" in response.content.decode()


def test_a_malformed_request_id_is_replaced(failing_site):
    response = failing_site.get("/__boom__/", headers={"X-Request-ID": "<script>x</script>"})

    assert "<script>x" not in response.content.decode()
    assert response["X-Request-ID"] in response.content.decode()
