"""docs/security-checklist.md row 8: at least 12 characters, long passphrases welcome, common
passwords refused, and no composition rules."""

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

VALIDATION = "django.contrib.auth.password_validation."
# None of these demands particular kinds of character (ASVS 6.2.5).
ALLOWED_VALIDATORS = {
    VALIDATION + "UserAttributeSimilarityValidator",
    VALIDATION + "MinimumLengthValidator",
    VALIDATION + "CommonPasswordValidator",
    VALIDATION + "NumericPasswordValidator",
}
PASSPHRASE_70 = "walking the dog along the river before breakfast is my favourite hours"


def _names() -> set[str]:
    return {item["NAME"] for item in settings.AUTH_PASSWORD_VALIDATORS}


def test_minimum_length_and_common_password_checks_are_on():
    assert VALIDATION + "MinimumLengthValidator" in _names()
    assert VALIDATION + "CommonPasswordValidator" in _names()
    minimum = next(
        item["OPTIONS"]["min_length"]
        for item in settings.AUTH_PASSWORD_VALIDATORS
        if item["NAME"].endswith("MinimumLengthValidator")
    )
    assert minimum >= 12


def test_no_composition_rules():
    assert _names() <= ALLOWED_VALIDATORS


def test_a_seventy_character_passphrase_is_accepted():
    assert len(PASSPHRASE_70) == 70

    assert validate_password(PASSPHRASE_70) is None


def test_a_lower_case_phrase_needs_no_digits_or_symbols():
    assert validate_password("quiet orchard lanterns") is None


@pytest.mark.parametrize(
    ("password", "reason"),
    [("password1234", "too common"), ("Tq8#mZp2vLx", "too short")],
)
def test_weak_passwords_are_refused(password, reason):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)

    assert reason in " ".join(refused.value.messages)


@pytest.mark.django_db
def test_a_long_passphrase_signs_in(client, manager):
    long_passphrase = PASSPHRASE_70 + " and then a cup of tea by the open window"
    manager.set_password(long_passphrase)
    manager.save()

    response = client.post(
        reverse("login"), {"username": manager.username, "password": long_passphrase}
    )

    assert response.status_code == 302
