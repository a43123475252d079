"""Starting and stopping one real Celery worker for the real-worker tests: it talks to
the real Redis and reads the PostgreSQL test database the test itself writes to."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from config.celery import app as celery_app


def database_url() -> str:
    """The test database, as a DATABASE_URL the worker subprocess can read."""
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def wait_for(check, seconds: float, *, every: float = 0.5):
    """Call ``check`` until it returns something truthy; None after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    return None


def worker_env(*, redis_url: str, tmp_path: Path, mail_dir: Path, **extra: str) -> dict:
    """The worker's environment: dev settings, this test's database and Redis, and a
    file e-mail backend writing into ``mail_dir`` (``extra`` may override any of it)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "CIRS_VAR_DIR": str(tmp_path / "var"),
        **extra,
    }


def start_worker(env: dict, *pool_options: str) -> subprocess.Popen:
    """``celery -A config worker`` with its output captured; ``pool_options`` default to
    the solo pool."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            *(pool_options or ("--pool=solo",)),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname=cirs-test-{os.getpid()}@%h",
            "--loglevel=WARNING",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def stop_worker(worker: subprocess.Popen) -> str:
    """Stop the worker (politely, then not) and return the tail of what it said."""
    worker.terminate()
    try:
        output = worker.communicate(timeout=15)[0]
    except subprocess.TimeoutExpired:
        worker.kill()
        output = worker.communicate()[0]
    return output.decode(errors="replace")[-3000:]


@contextmanager
def publishing_to(redis_url: str) -> Iterator:
    """A producer on ``redis_url`` with eager mode off, so tasks really go to the broker."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with celery_app.connection_for_write(redis_url) as conn:
            yield celery_app.amqp.Producer(conn)
    finally:
        celery_app.conf.task_always_eager = eager


def mail_files(mail_dir: Path) -> list[str]:
    """The text of every e-mail the file backend wrote."""
    files = sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []
    return [f.read_text(errors="replace") for f in files]
