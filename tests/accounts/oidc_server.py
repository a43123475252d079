"""A real OpenID Connect provider for the tests: panva's ``oidc-provider`` (npm, pinned
in oidc_provider/package-lock.json) run by Node in a subprocess, on a free 127.0.0.1 port.

``RunningProvider`` starts it with the council's test users and their groups, and
``ProviderBrowser`` walks its sign-in and sign-out pages over HTTP the way a browser
would (the Playwright tests use Chromium itself). Nothing here imitates the provider:
codes, tokens, keys, PKCE and sessions are the provider's own.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import need

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
CLIENT_ID = "cirs-test"
CLIENT_SECRET = "cirs-test-secret-0123456789abcdef0123456789"
KEY_ID = "cirs-test-key"

# The council directory's group object ids (as Entra ID sends them).
GROUP_PSW = "3f1c0a52-0000-4000-8000-00000000a001"
GROUP_SMPE = "3f1c0a52-0000-4000-8000-00000000a002"
GROUP_LINE_MANAGERS = "3f1c0a52-0000-4000-8000-00000000a003"
GROUP_SERVICE_LEADS = "3f1c0a52-0000-4000-8000-00000000a004"
GROUP_ALL_STAFF = "3f1c0a52-0000-4000-8000-00000000a005"
GROUP_PROVIDER = "3f1c0a52-0000-4000-8000-00000000a006"
GROUP_UNRELATED = "3f1c0a52-0000-4000-8000-00000000a0ff"
ROLE_GROUPS = (
    f"psw={GROUP_PSW},smpe={GROUP_SMPE},line_manager={GROUP_LINE_MANAGERS},"
    f"service_lead={GROUP_SERVICE_LEADS},staff={GROUP_ALL_STAFF},coordinator={GROUP_PROVIDER}"
)


@dataclass
class DirectoryUser:
    login: str
    sub: str
    email: str | None
    name: str
    groups: list[str] = field(default_factory=list)
    password: str = "council-password-1"

    def as_json(self) -> dict:
        data = asdict(self)
        if self.email is None:
            del data["email"]
        return data


def node_ready() -> bool:
    return bool(shutil.which("node")) and (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir()


def require_node() -> None:
    need(node_ready(), "Node with tests/accounts/oidc_provider installed (npm ci)")


class RunningProvider:
    """One oidc-provider process; ``issuer`` is its URL once it has said it is ready."""

    def __init__(
        self,
        *,
        redirect_uris: list[str],
        post_logout_redirect_uris: list[str],
        users: list[DirectoryUser],
    ):
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key))
        jwk.pop("key_ops", None)  # PyJWT marks it sign-only; the provider also verifies with it
        jwk.update({"kid": KEY_ID, "alg": "RS256", "use": "sig"})
        config = {
            "clients": [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": redirect_uris,
                    "post_logout_redirect_uris": post_logout_redirect_uris,
                    "token_endpoint_auth_method": "client_secret_post",
                    "grant_types": ["authorization_code"],
                    "response_types": ["code"],
                }
            ],
            "users": [user.as_json() for user in users],
            "jwk": jwk,
            "cookieKey": "test-cookie-key-" + KEY_ID,
        }
        self._folder = tempfile.TemporaryDirectory(prefix="cirs-oidc-")
        config_path = Path(self._folder.name) / "config.json"
        config_path.write_text(json.dumps(config))
        self.process = subprocess.Popen(
            [shutil.which("node") or "node", str(PROVIDER_DIR / "server.mjs"), str(config_path)],
            cwd=PROVIDER_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # The provider prints its issuer once it listens: wait for that line, not a time.
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            raise RuntimeError(f"oidc-provider did not start: {self.process.stderr.read()}")
        self.issuer = json.loads(line)["issuer"]

    def set_users(self, users: list[DirectoryUser]) -> None:
        """Change the directory, e.g. take someone out of a group."""
        response = requests.post(
            f"{self.issuer}/__test__/users", json=[u.as_json() for u in users], timeout=5
        )
        response.raise_for_status()

    def shift_clock(self, seconds: float) -> None:
        """Move the provider's clock (its codes and tokens age with it)."""
        response = requests.post(
            f"{self.issuer}/__test__/clock", json={"offset": seconds}, timeout=5
        )
        response.raise_for_status()

    def sign(self, claims: dict) -> str:
        """A token signed with the provider's own key, for the bad cases a real provider
        will not produce (another audience, issuer, no subject)."""
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": KEY_ID})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()
        self._folder.cleanup()


_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"', re.I)
_HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', re.I)


class ProviderBrowser:
    """The person's browser at the provider: keeps the provider's cookies, follows its
    redirects, fills in its sign-in form, and stops at the first address outside it."""

    def __init__(self, provider: RunningProvider):
        self.provider = provider
        self.session = requests.Session()

    def _outside(self, url: str) -> bool:
        return not url.startswith(self.provider.issuer)

    def visit(self, url: str, *, login: str | None = None, password: str | None = None) -> str:
        """Follow ``url`` through the provider until it sends the browser back to CIRS;
        returns that address. Signs in with ``login`` if the provider asks."""
        response = self.session.get(url, allow_redirects=False, timeout=10)
        for _ in range(20):
            if response.is_redirect:
                target = urljoin(response.url, response.headers["Location"])
                if self._outside(target):
                    return target
                response = self.session.get(target, allow_redirects=False, timeout=10)
                continue
            page = response.text
            if 'name="login"' in page and login is not None:
                action = urljoin(response.url, unescape(_FORM_ACTION.search(page).group(1)))
                user = login
                login = None  # only once: a refused password shows the form again
                response = self.session.post(
                    action,
                    data={"login": user, "password": password},
                    allow_redirects=False,
                    timeout=10,
                )
                continue
            if "op.logoutForm" in page:
                action = urljoin(response.url, unescape(_FORM_ACTION.search(page).group(1)))
                data = {name: unescape(value) for name, value in _HIDDEN.findall(page)}
                data["logout"] = "yes"
                response = self.session.post(action, data=data, allow_redirects=False, timeout=10)
                continue
            return response.url
        raise AssertionError("the provider redirected too many times")

    def asks_to_sign_in(self, authorize_url: str) -> bool:
        """Whether the provider shows its sign-in form (no provider session) for this
        authorization request, rather than sending the browser straight back."""
        response = self.session.get(authorize_url, allow_redirects=False, timeout=10)
        for _ in range(20):
            if not response.is_redirect:
                return 'name="login"' in response.text
            target = urljoin(response.url, response.headers["Location"])
            if self._outside(target):
                return False
            response = self.session.get(target, allow_redirects=False, timeout=10)
        raise AssertionError("the provider redirected too many times")
