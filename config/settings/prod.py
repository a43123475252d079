"""Production: HTTPS only, hardened cookies, a real secret key or no start at all."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import SECRET_KEY, env_bool, env_int, env_list

if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value (50+ characters) in production."
    )

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    raise ImproperlyConfigured(
        "DEBUG=true is refused in production: it shows tracebacks and settings to anyone."
    )

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
if not SECURE_SSL_REDIRECT:
    raise ImproperlyConfigured(
        "SECURE_SSL_REDIRECT=false is refused in production: every page must be HTTPS."
    )
# No SECURE_PROXY_SSL_HEADER: Django would believe X-Forwarded-Proto from any client.
# config.middleware.TrustedProxyMiddleware believes it only from CIRS_TRUSTED_PROXIES.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_NAME = "__Host-csrftoken"
X_FRAME_OPTIONS = "DENY"

# Every password sign-in needs the TOTP code unless MFA_REQUIRED_ROLES narrows it.
CIRS_MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", ["all"])

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.storage.StaticStorage"},
}
