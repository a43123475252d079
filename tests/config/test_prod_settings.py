"""docs/security-checklist.md row 1: production settings pass ``check --deploy`` with no warnings,
and refuse to start without a real secret key."""

from tests.config.conftest import prod_env, run_python

CHECK = (
    "import sys\n"
    "from django.core.management import execute_from_command_line\n"
    "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])\n"
)


def test_check_deploy_passes_with_no_warnings():
    result = run_python(CHECK, prod_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_an_unknown_mfa_role():
    result = run_python(CHECK, prod_env(MFA_REQUIRED_ROLES="psw,nobody"))

    assert result.returncode != 0
    assert "cirs.E001" in result.stderr


def test_prod_settings_without_secret_key_refuse_to_load():
    env = prod_env()
    del env["SECRET_KEY"]

    result = run_python("import config.settings.prod", env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_prod_settings_refuse_a_short_secret_key():
    result = run_python("import config.settings.prod", prod_env(SECRET_KEY="too-short"))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_prod_requires_the_second_step_for_everyone_by_default(prod_settings):
    assert prod_settings["CIRS_MFA_REQUIRED_ROLES"] == ["all"]
