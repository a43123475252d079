"""Chromium for browser tests, a fresh browser context per person, and the listeners
that docs/security-checklist.md row 17 needs (CSP violations and console errors).

Debian's chromium is driven through Playwright's Python package; no browser is ever
downloaded. Tests ask for ``open_tab`` (a signed-out tab on the live server) or, for a
single person, ``browser_page``.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000

# Runs before any of the page's own scripts, on every document the tab opens. Init
# scripts come from the browser itself, so the page's CSP does not apply to them.
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push({
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  });
}, true);
"""
# Violation events are queued as tasks; one turn of the event loop lets the last ones
# in. A message to ourselves takes that turn without a timer, so it works the same under
# Playwright's fake clock and needs no wall-clock wait.
READ_VIOLATIONS = """() => new Promise(resolve => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => resolve(window.__cspViolations || []);
  channel.port2.postMessage(null);
})"""


@pytest.fixture
def browser(chromium_path, monkeypatch) -> Browser:
    """Chromium for one test. Not kept for the whole module, on purpose: while
    Playwright's sync API is started it keeps an asyncio loop running in this thread,
    and Django keeps database connections in asgiref locals that follow a running
    loop's context. A browser left running between tests makes pytest-django's flush
    use a different connection from the one it set up (so serialized rollback and the
    post-migrate guard go wrong). Starting Playwright and Chromium takes about half a
    second, so each test gets its own, started after the test database is ready and
    stopped before it is flushed."""
    # The test's own ORM calls are plain synchronous code in this thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            # ORM calls made while the loop ran opened context-local connections; close
            # them while that context is still current, or PostgreSQL cannot drop the
            # test database at the end of the run.
            connections.close_all()


@dataclass
class Tab:
    """A page plus what went wrong on it: console errors, uncaught script errors and
    the CSP violations each document recorded."""

    page: Page
    console_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def csp_violations(self) -> list[dict]:
        return self.page.evaluate(READ_VIOLATIONS)

    def problems(self) -> list[str]:
        """Everything wrong on the current document, then start afresh for the next."""
        found = [f"CSP violation: {violation}" for violation in self.csp_violations()]
        found += [f"console: {error}" for error in self.console_errors]
        self.console_errors.clear()
        return found

    def sign_in(self, username: str, password: str) -> list[str]:
        """Through the real sign-in form, like a person would; returns what went wrong
        on the sign-in page itself."""
        self.page.goto(reverse("login"))
        found = self.problems()
        self.page.locator("#id_username").fill(username)
        self.page.locator("#id_password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        login_path = re.escape(reverse("login"))
        self.page.wait_for_url(lambda url: not re.search(login_path, url))
        return found


def _wait_for_live_server_requests() -> None:
    """Let the live server's request threads see the browser go and close their
    database connections, so PostgreSQL can drop the test database afterwards."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and "process_request" in thread.name:
            thread.join(timeout=10)


@pytest.fixture
def open_tab(browser, live_server):
    """``open_tab()`` gives a new, signed-out tab with its own cookies, so several
    people can work side by side in one test."""
    contexts = []

    def _open() -> Tab:
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(script=CSP_RECORDER)
        contexts.append(context)
        return Tab(context.new_page())

    try:
        yield _open
    finally:
        for context in contexts:
            context.close()
        _wait_for_live_server_requests()


@pytest.fixture
def browser_page(open_tab) -> Page:
    return open_tab().page


@pytest.fixture
def screenshot_dir(tmp_path):
    """Where screenshots go: CIRS_SCREENSHOT_DIR to keep them for a look, otherwise the
    test's temporary folder."""
    folder = os.environ.get("CIRS_SCREENSHOT_DIR")
    if not folder:
        return tmp_path
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def axe_source() -> str:
    """axe-core's script, from node_modules (``npm ci --omit=dev``, in ``make test``)."""
    from tests.browser.axe import AXE_SCRIPT
    from tests.conftest import need

    need(AXE_SCRIPT.exists(), "axe-core from npm (`npm ci --omit=dev`)")
    return AXE_SCRIPT.read_text()
