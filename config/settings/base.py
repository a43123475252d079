"""Settings shared by every mode. Everything that differs between machines comes from
the environment (README, "Configuration", lists every variable)."""

from datetime import date
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("CIRS_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    # The admin site that asks for the second sign-in step (accounts/admin_site.py).
    "accounts.admin_site.CirsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_fsm",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "accounts",
    "referrals",
    "therapists",
    "reporting",
]

MIDDLEWARE = [
    # First: whether the request came over HTTPS, believed only from our own proxies.
    "config.middleware.TrustedProxyMiddleware",
    "config.middleware.RequestIdMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's database sessions; a page's read-audit row is written in the same
    # transaction as the session's save (one commit a page, config/middleware.py).
    "config.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's, reading the session's code device with SQL written once.
    "accounts.mfa.DeviceMiddleware",
    # Before anything reads the post: an oversize form comes back with what was typed.
    "config.middleware.OversizePostMiddleware",
    "config.middleware.SessionTimeoutMiddleware",
    # After the time-outs, so an expired session goes to sign-in, not to the code step.
    "accounts.mfa.MFARequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # After CSP: lets the sign-out form reach the council's sign-out page (accounts/oidc.py).
    "accounts.oidc.ProviderFormActionMiddleware",
    "config.middleware.NoStoreMiddleware",
    # AxesMiddleware must be last: it turns a lockout into the friendly locked page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "referrals.context_processors.cirs",
            ],
            # {% url %} with a URL without arguments kept once worked out.
            "builtins": ["config.template_urls"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cirs.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        # A kept connection is checked before each request reuses it, so a database
        # restart costs one reconnect, not an error page.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: take the write lock when a transaction
    # starts (IMMEDIATE), so a second writer waits up to 20 s instead of failing with
    # "database is locked" when a read would later need to become a write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The service's tables fit in memory, so reading a row by its index costs about what
    # reading the next one does. With PostgreSQL's default (4, for spinning disks) a
    # page's 50 rows were joined to all 10,000 incidents by a full read instead of 50
    # index reads (docs/performance.md, "The planner told the disk is fast").
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c random_page_cost=1.1")
    # Django's backend, reading timestamps with psycopg's compiled loader
    # (config/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "config.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out username + IP never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the person and their roles in one query.
    "accounts.backends.RolesModelBackend",
    # Council sign-in (OpenID Connect); answers only on its own callback, and only
    # when CIRS_OIDC_ISSUER is set (accounts/oidc.py).
    "accounts.oidc.CouncilSignInBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: 30 minutes idle, 12 hours absolute (SessionTimeoutMiddleware enforces both).
# The stored session outlives the idle limit on purpose: the middleware, not Django's
# expiry, ends an idle session, so it still knows who sent a form that arrives late
# and can keep what they typed for them (referrals/kept.py).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
# Django's database sessions, with less Python a page (config/sessions.py).
SESSION_ENGINE = "config.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Brute-force protection: lock a username + IP pair, never a username alone.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 403
# Behind a reverse proxy, set AXES_PROXY_COUNT to the number of proxies in front so the
# lockout counts the client's address (from X-Forwarded-For), not the proxy's. Unset,
# only REMOTE_ADDR is trusted, so a forged header cannot dodge the lockout.
if env_int("AXES_PROXY_COUNT", 0):
    AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
# The reverse proxies in front of CIRS (addresses or networks, comma-separated). Only a
# request from one of them may say it came over HTTPS (X-Forwarded-Proto); see
# docs/deployment-security.md. Set AXES_PROXY_COUNT too (a start-up warning says so).
CIRS_TRUSTED_PROXIES = env_list("CIRS_TRUSTED_PROXIES", [])
# Browser features CIRS never uses are switched off for every page.
CIRS_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)
# Tries during a lockout do not extend it: the pause always ends (no permanent lock-out).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False

# Second step (TOTP) for password sign-in: "all", "none" or a comma list of Role values
# (accounts/roles.py). Off here so the demo logins work without a phone; prod.py turns it on.
CIRS_MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", ["none"])
# The first authenticator set-up needs a one-time link, valid this long.
CIRS_MFA_ENROLMENT_LINK_HOURS = env_int("CIRS_MFA_ENROLMENT_LINK_HOURS", 48)
# Asking for a set-up link again within this many minutes sends nothing more.
CIRS_MFA_ENROLMENT_RESEND_MINUTES = env_int("CIRS_MFA_ENROLMENT_RESEND_MINUTES", 5)
# Password reset asks allowed per hour, per e-mail address and per network address.
CIRS_PASSWORD_RESET_PER_EMAIL = env_int("CIRS_PASSWORD_RESET_PER_EMAIL", 3)
CIRS_PASSWORD_RESET_PER_IP = env_int("CIRS_PASSWORD_RESET_PER_IP", 20)
# Replacing a confirmed authenticator is allowed this long after a sign-in with a code.
CIRS_MFA_FRESH_MINUTES = env_int("CIRS_MFA_FRESH_MINUTES", 10)
OTP_TOTP_ISSUER = "CIRS"

# --- Council sign-in: OpenID Connect single sign-on (accounts/oidc.py, README) ---
# Off unless the issuer and client id are set. The endpoints come from the issuer's
# discovery document (/.well-known/openid-configuration), fetched once and cached.
CIRS_OIDC_ISSUER = env_str("CIRS_OIDC_ISSUER", "")
CIRS_OIDC_CLIENT_ID = env_str("CIRS_OIDC_CLIENT_ID", "")
CIRS_OIDC_CLIENT_SECRET = env_str("CIRS_OIDC_CLIENT_SECRET", "")
CIRS_OIDC_SCOPES = env_str("CIRS_OIDC_SCOPES", "openid email profile")
# Which claim names the person for good (Entra ID: "oid" is the directory's object id).
CIRS_OIDC_SUBJECT_CLAIM = env_str("CIRS_OIDC_SUBJECT_CLAIM", "sub")
CIRS_OIDC_EMAIL_CLAIM = env_str("CIRS_OIDC_EMAIL_CLAIM", "email")
CIRS_OIDC_GROUPS_CLAIM = env_str("CIRS_OIDC_GROUPS_CLAIM", "groups")
# role=group-id pairs, e.g. "psw=<id>,smpe=<id>,line_manager=<id>,service_lead=<id>,staff=<id>";
# "staff" gives no role, only a way in for staff members to see their own support.
CIRS_OIDC_ROLE_GROUPS = env_str("CIRS_OIDC_ROLE_GROUPS", "")
# Seconds to wait for the provider (discovery, keys, token, userinfo) before giving up.
CIRS_OIDC_TIMEOUT = env_int("CIRS_OIDC_TIMEOUT", 10)
CIRS_OIDC_DISCOVERY_CACHE_SECONDS = env_int("CIRS_OIDC_DISCOVERY_CACHE_SECONDS", 60 * 60)
# Which way each role signs in (accounts/signin_methods.py): sso, local or any.
CIRS_SIGNIN_METHODS = env_str(
    "CIRS_SIGNIN_METHODS",
    "psw=sso,smpe=sso,line_manager=sso,service_lead=sso,staff=sso,"
    "coordinator=local,therapist=local",
)
# Who to ask when signing in goes wrong, named on the error pages.
CIRS_SIGNIN_HELP_CONTACT = env_str("CIRS_SIGNIN_HELP_CONTACT", "the council's IT service desk")
# mozilla-django-oidc: authorization code flow with PKCE (S256); the rest is in accounts/oidc.py.
OIDC_RP_CLIENT_ID = CIRS_OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = CIRS_OIDC_CLIENT_SECRET
OIDC_RP_SCOPES = CIRS_OIDC_SCOPES
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_USE_NONCE = True
OIDC_TIMEOUT = CIRS_OIDC_TIMEOUT
OIDC_STORE_ID_TOKEN = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "d/m/Y"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Content Security Policy (django-csp 4): scripts only from us, with a per-request nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # NONCE is django-csp's sentinel: a plain "'nonce'" string is sent as is and ignored.
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# E-mail
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
# Only read by the file-based backend (the real-worker test and local demos).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CIRS <cirs-noreply@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport in var/,
# so web, worker and beat run on a laptop with nothing else installed.
REDIS_URL = env_str("REDIS_URL", "")
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 60 * 60)
CELERY_RETRY_BACKOFF_MAX = env_int("CELERY_RETRY_BACKOFF_MAX", 10 * 60)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
else:
    _queue_dir = VAR_DIR / "celery"
    for _folder in ("queue", "processed", "control"):
        (_queue_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        # Exchange tables; unset, kombu writes them to ./control in the working directory.
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_SWEEP_MINUTES = env_int("CIRS_SWEEP_MINUTES", 5)
CELERY_BEAT_SCHEDULE = {
    # Chase every SLA clock that is near its target or past its limit (docs/service.md "Clocks"),
    # and remind therapists of key dates; chases found at night wait in the outbox.
    "sweep-clocks": {"task": "referrals.tasks.sweep_clocks", "schedule": CELERY_SWEEP_MINUTES * 60},
    # Send any e-mail still waiting in the outbox; a failed send is retried from here too.
    "flush-outbox": {"task": "referrals.tasks.flush_outbox", "schedule": 60},
    # Monday morning: PSW and SMPE see everything near or past its limit; each provider
    # coordinator sees their provider's cases.
    "weekly-digest": {
        "task": "referrals.tasks.send_weekly_digest",
        "schedule": crontab(
            minute=0, hour=env_int("CIRS_WORKING_HOURS_START", 8), day_of_week="mon"
        ),
    },
    # Nightly: erase personal fields of referrals closed longer ago than the retention period
    # (docs/service.md "Data"), keeping the anonymous figures.
    "erase-expired-personal-data": {
        "task": "referrals.tasks.erase_expired_personal_data",
        "schedule": crontab(minute=30, hour=2),
    },
    # Hourly: delete monitoring PDFs built in the background once they are old enough.
    "delete-old-report-exports": {
        "task": "reporting.tasks.delete_old_report_exports",
        "schedule": crontab(minute=15),
    },
}

# --- The service's own configuration (docs/service.md: "every clock ... is configuration") ---
CIRS_GO_LIVE_DATE = date.fromisoformat(env_str("CIRS_GO_LIVE_DATE", "2025-04-01"))
CIRS_ELIGIBILITY_MONTHS = env_int("CIRS_ELIGIBILITY_MONTHS", 3)
CIRS_CLOCKS = {
    # name: target and limit as {"working_days": n} or {"working_hours": n}, or None
    "triage": {"target": {"working_days": 1}, "limit": {"working_days": 2}},
    "allocation": {"target": {"working_days": 1}, "limit": {"working_days": 2}},
    "first_meeting": {"target": {"working_hours": 48}, "limit": {"working_days": 5}},
    "manager_contact": {"target": None, "limit": {"working_days": 5}},
    "review": {"target": None, "limit": {"working_days": 5}},
    "closure_summary": {"target": None, "limit": {"working_days": 10}},
}
CIRS_CLOCK_NEAR_FRACTION = 0.25
CIRS_KEY_DATE_REMINDER_DAYS = env_int("CIRS_KEY_DATE_REMINDER_DAYS", 7)
CIRS_WORKING_HOURS = (env_int("CIRS_WORKING_HOURS_START", 8), env_int("CIRS_WORKING_HOURS_END", 18))
# Hold chases and reminders found outside working hours until the next working morning.
CIRS_HOLD_CHASES_OUT_OF_HOURS = env_bool("CIRS_HOLD_CHASES_OUT_OF_HOURS", True)
# First meeting: the PSW is chased this many working days after the limit has passed.
CIRS_FIRST_MEETING_PSW_AFTER_LIMIT_DAYS = env_int("CIRS_FIRST_MEETING_PSW_AFTER_LIMIT_DAYS", 1)
# A therapist's open cases show their leave, and offer a reallocation, this many days ahead.
CIRS_LEAVE_NOTICE_DAYS = env_int("CIRS_LEAVE_NOTICE_DAYS", 14)
# A planned session lasts this long unless the therapist says otherwise.
CIRS_SESSION_MINUTES = 60
CIRS_SESSIONS_BEFORE_REVIEW = 3
CIRS_MAX_SESSIONS = 6
CIRS_MAX_EXCEPTIONAL_SESSIONS = 1
CIRS_RETENTION_DAYS = env_int("CIRS_RETENTION_DAYS", 6 * 365)
# Drafts never sent are deleted this long after their last change.
CIRS_DRAFT_RETENTION_DAYS = env_int("CIRS_DRAFT_RETENTION_DAYS", 90)
CIRS_SUPPRESSION_THRESHOLD = env_int("CIRS_SUPPRESSION_THRESHOLD", 4)
# A monitoring PDF over more referrals than this is built in the background (Celery);
# the page offers the download when it is ready. Kept for this many hours, then deleted.
# A quarter of 10,000 referrals takes under a second (figures and PDF, 2 cores): about
# 2 s on a busy machine, the most a reader should wait (docs/performance.md).
CIRS_REPORT_ASYNC_THRESHOLD = env_int("CIRS_REPORT_ASYNC_THRESHOLD", 10_000)
CIRS_REPORT_EXPORT_KEEP_HOURS = env_int("CIRS_REPORT_EXPORT_KEEP_HOURS", 24)
CIRS_SERVICE_NAME = "Critical Incident Response Service"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "config.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # WeasyPrint logs every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "cirs": {"level": env_str("LOG_LEVEL", "INFO"), "propagate": True},
        # Every audit row, as it is written (referrals.models.AuditEvent.save).
        "cirs.audit": {"level": "INFO", "propagate": True},
    },
}

# Stream the audit log (and sign-in events) to syslog as well: "/dev/log", or "host:port"
# for UDP. The database copy stays the record; this one lives outside it.
LOG_SYSLOG_ADDRESS = env_str("LOG_SYSLOG_ADDRESS", "")
if LOG_SYSLOG_ADDRESS:
    _host, _, _port = LOG_SYSLOG_ADDRESS.rpartition(":")
    LOGGING["handlers"]["syslog"] = {
        "class": "logging.handlers.SysLogHandler",
        "address": (_host, int(_port)) if _host and _port.isdigit() else LOG_SYSLOG_ADDRESS,
        "formatter": "json",
        "filters": ["request_id"],
    }
    for _name in ("cirs.audit", "cirs.auth"):
        LOGGING["loggers"].setdefault(_name, {"level": "INFO", "propagate": True})
        LOGGING["loggers"][_name]["handlers"] = ["syslog"]
