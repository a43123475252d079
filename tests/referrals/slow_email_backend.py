"""A test-only e-mail backend for the real-worker kill test: it says which process is
sending (a ``started-<pid>`` file) and waits while a ``hold`` file exists, so the test
can kill that process before anything reaches the mail files; then it writes the
message like Django's file backend.

Both files live in ``CIRS_TEST_MAIL_CONTROL_DIR``. The wait is capped so a test that
forgets the hold file cannot leave a worker sending for ever."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend

HOLD_SECONDS_AT_MOST = 60


def control_dir() -> Path:
    return Path(os.environ["CIRS_TEST_MAIL_CONTROL_DIR"])


class SlowEmailBackend(FileEmailBackend):
    def send_messages(self, email_messages):
        control = control_dir()
        (control / f"started-{os.getpid()}").touch()
        deadline = time.monotonic() + HOLD_SECONDS_AT_MOST
        while (control / "hold").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return super().send_messages(email_messages)
