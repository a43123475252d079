"""Helpers for the sign-in and session tests: the second step switched on, TOTP devices,
and the production settings read from config/settings/prod.py itself."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PASSWORD = "a-long-test-passphrase"  # tests/factories.py UserFactory

# The settings that make production HTTPS-only and its cookies safe.
PROD_SECURITY_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CIRS_MFA_REQUIRED_ROLES",
]


def prod_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "MFA_REQUIRED_ROLES", "DEBUG", "SECURE_SSL_REDIRECT"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="cirs.example.org",
    )
    env.update(extra)
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="session")
def prod_settings() -> dict:
    """The security settings exactly as production loads them (a separate process, so
    these tests prove prod.py, not a copy of its values)."""
    code = (
        "import json, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        f"print(json.dumps({{name: getattr(settings, name) for name in {PROD_SECURITY_SETTINGS!r}}}))"
    )
    result = run_python(code, prod_env())
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def apply_prod_settings(settings, prod_settings):
    for name, value in prod_settings.items():
        setattr(
            settings,
            name,
            tuple(value) if isinstance(value, list) and name.endswith("HEADER") else value,
        )
    return settings


@pytest.fixture
def mfa_on(settings):
    settings.CIRS_MFA_REQUIRED_ROLES = ["all"]
    return settings


@pytest.fixture
def mfa_off(settings):
    settings.CIRS_MFA_REQUIRED_ROLES = ["none"]
    return settings


def add_totp_device(user, *, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=confirmed)


def code_for(device: TOTPDevice) -> str:
    """The code the person's app shows right now."""
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{value:0{device.digits}d}"
