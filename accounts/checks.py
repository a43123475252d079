"""Start-up checks for a deployment behind a reverse proxy (docs/deployment-security.md)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def check_lockout_behind_a_proxy(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Behind a proxy every request comes from the proxy's address. With
    ``AXES_PROXY_COUNT`` unset, the lockout counts that one address for everyone, so
    five wrong passwords typed by anyone lock the username out for all."""
    behind_a_proxy = bool(getattr(settings, "CIRS_TRUSTED_PROXIES", []))
    if behind_a_proxy and not getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0):
        return [
            checks.Warning(
                "CIRS_TRUSTED_PROXIES is set but AXES_PROXY_COUNT is not: the sign-in "
                "lockout sees only the proxy's address, so anyone can lock anyone out.",
                hint="Set AXES_PROXY_COUNT to the number of proxies in front of CIRS.",
                id="cirs.W002",
            )
        ]
    return []
