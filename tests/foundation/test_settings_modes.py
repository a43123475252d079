"""Settings load in both modes: embedded defaults, and real PostgreSQL + Redis."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, json; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'broker': settings.CELERY_BROKER_URL, "
    "'options': settings.CELERY_BROKER_TRANSPORT_OPTIONS, "
    "'sqlite_mode': settings.DATABASES['default'].get('OPTIONS', {}).get('transaction_mode'), 'tz': settings.TIME_ZONE, 'debug': settings.DEBUG}))"
)


def _settings_with(env: dict) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings.dev", **env})
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_embedded_defaults_need_nothing_installed(tmp_path):
    loaded = _settings_with({"CIRS_VAR_DIR": str(tmp_path)})

    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["broker"] == "filesystem://"
    # web, worker and beat share one SQLite file: writers queue instead of failing
    assert loaded["sqlite_mode"] == "IMMEDIATE"
    assert loaded["tz"] == "Europe/London"
    assert loaded["debug"] is True
    assert (tmp_path / "celery" / "queue").is_dir()
    # The broker's exchange tables live under var/ too, not in ./control of the checkout.
    assert loaded["options"]["control_folder"] == str(tmp_path / "celery" / "control")
    assert (tmp_path / "celery" / "control").is_dir()


def test_postgres_and_redis_from_the_environment(tmp_path):
    loaded = _settings_with(
        {
            "CIRS_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/cirs",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "DEBUG": "false",
        }
    )

    # Django's backend with psycopg's own timestamp loader (config/postgresql/base.py).
    assert loaded["engine"] == "config.postgresql"
    assert loaded["broker"] == "redis://127.0.0.1:6379/0"
    assert loaded["debug"] is False


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.prod"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
