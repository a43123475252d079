#!/usr/bin/env python3
"""Lighthouse (desktop preset) on the main page of each role, against a throwaway server
with the demo data. ``make lighthouse`` runs it; docs/accessibility.md records the scores.

It sets up its own SQLite database in var/lighthouse/, collects the static files, starts
the app with DEBUG off (static files from WhiteNoise, as in production), signs in as each
demo person through the real sign-in form, and hands Lighthouse their session cookie.
The reports go to var/lighthouse/*.json and the table of scores to
var/lighthouse/scores.md. It exits non-zero if a page scores below the bar.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "lighthouse"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "cirs-demo-2026"  # seed_demo's DEMO_PASSWORD
MIN_ACCESSIBILITY = 100
MIN_PERFORMANCE = 95

# (who, username or None for signed out, page): the key page of each role, and the forms
# and pages the issue named. "{submitted}" and "{active}" are demo referrals.
PAGES = [
    ("signed out", None, "/accounts/login/"),
    ("line manager", "manager", "/referrals/mine/"),
    ("line manager", "manager", "/referrals/new/"),
    ("line manager", "manager2", "/referrals/{submitted}/"),
    ("PSW", "psw", "/referrals/triage/"),
    ("PSW", "psw", "/referrals/triage/{submitted}/"),
    ("coordinator", "coordinator", "/providers/allocation/"),
    ("therapist", "therapist", "/providers/cases/"),
    ("therapist", "therapist", "/providers/cases/{active}/"),
    ("service lead", "lead", "/monitoring/"),
    ("staff member", "staff", "/referrals/my-support/"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DEBUG": "false",
            "CIRS_VAR_DIR": str(OUT / "var"),
            "DATABASE_URL": f"sqlite:///{OUT / 'var' / 'cirs.sqlite3'}",
            "MFA_REQUIRED_ROLES": "none",
        }
    )
    env.pop("REDIS_URL", None)
    return env


def _manage(*args: str) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _referral_ids() -> dict[str, int]:
    code = (
        "from referrals.models import Referral as R;"
        "print('IDS', R.objects.filter(state='submitted').order_by('pk').first().pk,"
        " R.objects.get(state='active', kind='individual', therapist__user__username='therapist').pk)"
    )
    submitted, active = re.search(r"^IDS (\d+) (\d+)$", _manage("shell", "-c", code), re.M).groups()
    return {"submitted": int(submitted), "active": int(active)}


def _session_cookie(base: str, username: str) -> str:
    """Sign in through the real form; return the session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    opener.open(request).read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"Could not sign in as {username}")
    return f"sessionid={cookies['sessionid']}"


def _lighthouse(url: str, cookie: str | None, out: Path) -> dict[str, int]:
    command = [
        str(LIGHTHOUSE),
        url,
        "--preset=desktop",
        "--only-categories=accessibility,performance,best-practices",
        "--output=json",
        f"--output-path={out}",
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    subprocess.run(command, cwd=ROOT, env={**os.environ, "CHROME_PATH": CHROME}, check=True)
    report = json.loads(out.read_text())
    if report.get("runtimeError"):
        raise SystemExit(f"Lighthouse could not load {url}: {report['runtimeError']}")
    return {key: round(cat["score"] * 100) for key, cat in report["categories"].items()}


def main() -> int:
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: run `npm ci` (make lighthouse does).")
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "var").mkdir(parents=True)
    _manage("migrate", "--noinput")
    _manage("seed_demo")
    _manage("collectstatic", "--noinput")
    ids = _referral_ids()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows = []
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/").read()
                break
            except OSError:
                time.sleep(0.5)
        cookies: dict[str, str] = {}
        for index, (who, username, path) in enumerate(PAGES):
            path = path.format(**ids)
            if username and username not in cookies:
                cookies[username] = _session_cookie(base, username)
            scores = _lighthouse(
                f"{base}{path}", cookies.get(username or ""), OUT / f"{index:02d}.json"
            )
            rows.append((who, path, scores))
            print(who, path, scores, flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)

    table = [
        "| role | page | accessibility | performance | best practices |",
        "|---|---|---|---|---|",
    ]
    table += [
        f"| {who} | `{path}` | {s['accessibility']} | {s['performance']} | {s['best-practices']} |"
        for who, path, s in rows
    ]
    (OUT / "scores.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))
    low = [
        (who, path, s)
        for who, path, s in rows
        if s["accessibility"] < MIN_ACCESSIBILITY or s["performance"] < MIN_PERFORMANCE
    ]
    if low:
        print(f"Below the bar (accessibility {MIN_ACCESSIBILITY}, performance {MIN_PERFORMANCE}):")
        for row in low:
            print("  ", *row)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
