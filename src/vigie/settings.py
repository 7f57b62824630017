"""Django settings, read from environment variables only (see README "Configuration").

Defaults give a working embedded platform (SQLite under VIGIE_HOME, DEBUG off, local hosts only);
production settings come from the same variables. checks.py refuses unsafe combinations.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from vigie.conf.database import database_from_url
from vigie.conf.env import (
    ConfigurationError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_optional,
    env_path,
    env_str,
)
from vigie.conf.secret_key import load_or_generate

PACKAGE_DIR = Path(__file__).resolve().parent

VIGIE_HOME = env_path("VIGIE_HOME", Path.cwd() / "var")
DEBUG = env_bool("VIGIE_DEBUG", False)

_database_url = env_optional("VIGIE_DATABASE_URL")
DATABASES = {"default": database_from_url(_database_url, VIGIE_HOME)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
VIGIE_EMBEDDED = _database_url is None
if VIGIE_EMBEDDED:
    VIGIE_HOME.mkdir(parents=True, exist_ok=True)

# Embedded installs get a key generated once into VIGIE_HOME; any other setup must provide one.
# Without one, a throw-away key lets commands start far enough for checks.py to refuse (vigie.E001)
# with a clear message instead of Django's bare ImproperlyConfigured.
_secret = env_optional("VIGIE_SECRET_KEY")
if _secret is None and VIGIE_EMBEDDED:
    _secret = load_or_generate(VIGIE_HOME)
VIGIE_SECRET_KEY_MISSING = _secret is None
SECRET_KEY = _secret or secrets.token_urlsafe(64)

ALLOWED_HOSTS = env_list("VIGIE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("VIGIE_CSRF_TRUSTED_ORIGINS", [])
VIGIE_BASE_URL = env_str("VIGIE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "csp",
    "vigie.core",
    "vigie.accounts",
    "vigie.tenancy",
    "vigie.audit",
    "vigie.api",
    "vigie.inventory",
    "vigie.vulns",
    "vigie.notify",
    "vigie.intel",
    "vigie.taxii",
    "vigie.incidents",
    "vigie.backups",
    "vigie.continuity",
    "vigie.exercises",
    "vigie.training",
    "vigie.phishing",
    "vigie.readiness",
]

MIDDLEWARE = [
    "vigie.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "vigie.core.middleware.RequestSizeLimitMiddleware",
    "vigie.core.middleware.ApiEnvelopeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "vigie.accounts.middleware.TwoFactorMiddleware",
    "vigie.accounts.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "vigie.urls"
WSGI_APPLICATION = "vigie.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vigie.tenancy.context_processors.organisations",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Kept so that hashes made by older settings still verify and are upgraded on login.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
VIGIE_TESTING = env_bool("VIGIE_TESTING", False)
if VIGIE_TESTING:
    # Tests only: Argon2 is deliberately slow. checks.py refuses this outside DEBUG/tests.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login protection (accounts/throttle.py): failures counted per account and per client address.
VIGIE_LOGIN_MAX_FAILURES = env_int("VIGIE_LOGIN_MAX_FAILURES", 5, minimum=1)
VIGIE_LOGIN_MAX_FAILURES_PER_IP = env_int("VIGIE_LOGIN_MAX_FAILURES_PER_IP", 30, minimum=1)
VIGIE_LOGIN_LOCKOUT_MINUTES = env_int("VIGIE_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
# Number of reverse proxies in front of the server whose X-Forwarded-For entries are trusted.
VIGIE_TRUSTED_PROXIES = env_int("VIGIE_TRUSTED_PROXIES", 0, minimum=0, maximum=5)

OTP_TOTP_ISSUER = env_str("VIGIE_OTP_ISSUER", "Vigie Santé")
OTP_TOTP_THROTTLE_FACTOR = 1

SESSION_COOKIE_AGE = env_int("VIGIE_SESSION_HOURS", 10, minimum=1) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "vigie.core.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

VIGIE_HTTPS = env_bool("VIGIE_HTTPS", False)
if VIGIE_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("VIGIE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("VIGIE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_NAME = "__Host-vigie-session"
    CSRF_COOKIE_NAME = "__Host-vigie-csrf"
else:
    SESSION_COOKIE_NAME = "vigie-session"
    CSRF_COOKIE_NAME = "vigie-csrf"

# No inline script or style anywhere: everything comes from static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Request size limits: the middleware answers 413 above VIGIE_MAX_REQUEST_MB; Django's own limits
# keep form fields and in-memory uploads small (larger uploads go to temporary files).
VIGIE_MAX_REQUEST_BYTES = env_int("VIGIE_MAX_REQUEST_MB", 64, minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
# English dates day first and on the 24-hour clock, as read in France (vigie/formats/en).
FORMAT_MODULE_PATH = ["vigie.formats"]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "vigie-language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("VIGIE_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = env_path("VIGIE_STATIC_ROOT", VIGIE_HOME / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("VIGIE_STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Tests and `vigie serve` before collectstatic: serve from the app directories directly.
WHITENOISE_USE_FINDERS = env_bool("VIGIE_STATIC_USE_FINDERS", DEBUG)

# Mail
EMAIL_HOST = env_str("VIGIE_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("VIGIE_EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("VIGIE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("VIGIE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("VIGIE_EMAIL_STARTTLS", False)
EMAIL_USE_SSL = env_bool("VIGIE_EMAIL_SSL", False)
EMAIL_TIMEOUT = env_int("VIGIE_EMAIL_TIMEOUT", 20, minimum=1)
DEFAULT_FROM_EMAIL = env_str("VIGIE_EMAIL_FROM", "Vigie Santé <vigie@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
}[
    env_choice(
        "VIGIE_EMAIL_BACKEND", "file" if VIGIE_EMBEDDED else "smtp", ("smtp", "console", "file")
    )
]
EMAIL_FILE_PATH = str(VIGIE_HOME / "mail")

# Background work (Django Tasks API, django-tasks backport).
VIGIE_TASKS_BACKEND = env_choice(
    "VIGIE_TASKS_BACKEND", "database", ("database", "redis", "immediate")
)
VIGIE_REDIS_URL = env_str("VIGIE_REDIS_URL", "redis://127.0.0.1:6379/0")
# Workers beat every this many seconds (one UPDATE) and take a worker silent for 4 beats for dead:
# 2 s gives back a dead worker's deliveries and tasks within 8-10 s (core/recovery.py).
VIGIE_WORKER_HEARTBEAT_SECONDS = env_int("VIGIE_WORKER_HEARTBEAT_SECONDS", 2, minimum=1, maximum=60)
# Workers of one machine (same boot and PID namespace) also ask the kernel whether a worker's pid
# still runs: a restarted worker recovers its killed predecessor at once. 0: heartbeats only.
VIGIE_WORKER_PROCESS_CHECK = env_bool("VIGIE_WORKER_PROCESS_CHECK", True)
if VIGIE_TASKS_BACKEND == "redis":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": VIGIE_REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif VIGIE_TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Logging: human-readable lines by default, one JSON object per line with VIGIE_LOG_FORMAT=json.
VIGIE_LOG_FORMAT = env_choice("VIGIE_LOG_FORMAT", "text", ("text", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "vigie.core.logging.JsonFormatter"},
    },
    "filters": {"request_id": {"()": "vigie.core.logging.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": VIGIE_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("VIGIE_LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.security": {"level": "WARNING"},
        # WeasyPrint and its font subsetter log every step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Vulnerability feeds (vigie.vulns) ---
VIGIE_FEED_URLS = env_list("VIGIE_FEED_URLS", [])
VIGIE_NVD_API_URL = env_str("VIGIE_NVD_API_URL", "")
VIGIE_NVD_API_KEY = env_str("VIGIE_NVD_API_KEY", "")
VIGIE_NVD_API_DELAY_SECONDS = env_int("VIGIE_NVD_API_DELAY_SECONDS", 6, minimum=0)
VIGIE_NVD_INITIAL_DAYS = env_int("VIGIE_NVD_INITIAL_DAYS", 7, minimum=1, maximum=3650)
VIGIE_CSAF_ROLIE_URLS = env_list("VIGIE_CSAF_ROLIE_URLS", [])
VIGIE_CSAF_DIRECTORY_URLS = env_list("VIGIE_CSAF_DIRECTORY_URLS", [])
VIGIE_FEED_REFRESH_MINUTES = env_int("VIGIE_FEED_REFRESH_MINUTES", 60, minimum=1)
VIGIE_FEED_TIMEOUT_SECONDS = env_int("VIGIE_FEED_TIMEOUT_SECONDS", 60, minimum=1)
# Days after which a vulnerability source is stale, per kind (vulns/freshness.py,
# docs/operations.md); "records" is for runs from before the per-source counts.
FEED_STALE_DAYS_DEFAULTS = {
    "nvd": 2,
    "cve5": 2,
    "kev": 2,
    "epss": 3,
    "csaf": 7,
    "vex": 7,
    "records": 7,
}


def feed_stale_days(text: str) -> dict[str, int]:
    """The defaults, overridden by "kev=1,csaf=14"; anything else stops the start."""
    days = dict(FEED_STALE_DAYS_DEFAULTS)
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, sep, value = (part.strip() for part in item.partition("="))
        if not sep or kind.lower() not in days or not value.isdigit() or int(value) < 1:
            raise ConfigurationError(
                f"VIGIE_FEED_STALE_DAYS: {item!r} is not KIND=DAYS (DAYS at least 1, KIND one "
                f"of {', '.join(FEED_STALE_DAYS_DEFAULTS)})"
            )
        days[kind.lower()] = int(value)
    return days


VIGIE_FEED_STALE_DAYS = feed_stale_days(env_str("VIGIE_FEED_STALE_DAYS", ""))

# Threat intelligence. Warning lists (MISP warninglists format, one */list.json each) flag and
# suppress indicators that would cause false positives; the platform ships a selection.
VIGIE_WARNING_LISTS = env_path("VIGIE_WARNING_LISTS", PACKAGE_DIR / "intel" / "warninglists")
VIGIE_INDICATOR_FILE_MAX_BYTES = env_int(
    "VIGIE_INDICATOR_FILE_MAX_BYTES", 512 * 1024 * 1024, minimum=1024
)
# TAXII 2.1 (vigie.taxii): the largest submission an API root takes (its max_content_length),
# the contact shown in discovery, and the namespace of the organisations' STIX identity ids
# (keep it once clients have seen the ids).
VIGIE_TAXII_MAX_CONTENT_BYTES = env_int(
    "VIGIE_TAXII_MAX_CONTENT_BYTES", 10 * 1024 * 1024, minimum=1024
)
VIGIE_TAXII_CONTACT = env_str("VIGIE_TAXII_CONTACT", "")
VIGIE_STIX_NAMESPACE = env_str("VIGIE_STIX_NAMESPACE", "3d6f1f4e-3c55-4d0b-9a3e-6c1c7a5b2e10")

# --- Inventory (vigie.inventory) ---
VIGIE_MAX_INVENTORY_BYTES = env_int("VIGIE_MAX_INVENTORY_MB", 50, minimum=1) * 1024 * 1024

# --- Notifications (vigie.notify) ---
# Attempts before a delivery is dead, and the waits between them (seconds; the last repeats;
# each wait varies by ±20 % so that failures of one moment do not retry in one burst).
VIGIE_NOTIFY_MAX_ATTEMPTS = env_int("VIGIE_NOTIFY_MAX_ATTEMPTS", 8, minimum=1, maximum=50)
VIGIE_NOTIFY_BACKOFF_SECONDS = env_list(
    "VIGIE_NOTIFY_BACKOFF_SECONDS", ["30", "120", "600", "3600", "21600"]
)
# A delivery "sending" for longer than this belongs to a worker that stopped: it is retried.
VIGIE_NOTIFY_STUCK_MINUTES = env_int("VIGIE_NOTIFY_STUCK_MINUTES", 10, minimum=1)
VIGIE_NOTIFY_BATCH_SIZE = env_int("VIGIE_NOTIFY_BATCH_SIZE", 200, minimum=1)
VIGIE_NOTIFY_RETENTION_DAYS = env_int("VIGIE_NOTIFY_RETENTION_DAYS", 90, minimum=1)
VIGIE_WEBHOOK_TIMEOUT_SECONDS = env_int("VIGIE_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=120)
# Plain http:// receivers (signatures still apply, but the payload travels in clear).
VIGIE_WEBHOOK_ALLOW_HTTP = env_bool("VIGIE_WEBHOOK_ALLOW_HTTP", False)
# Internal receivers the SSRF guard would refuse, as CIDR networks (e.g. "10.20.0.5/32").
VIGIE_WEBHOOK_ALLOWED_NETWORKS = env_list("VIGIE_WEBHOOK_ALLOWED_NETWORKS", [])

# Incidents: the practical target for "sans délai" / "without undue delay" (hours after
# awareness), evidence files (stored outside the web root) and their size limit.
VIGIE_INCIDENT_IMMEDIATE_HOURS = env_int("VIGIE_INCIDENT_IMMEDIATE_HOURS", 24, minimum=1)
VIGIE_EVIDENCE_DIR = env_path("VIGIE_EVIDENCE_DIR", VIGIE_HOME / "evidence")
VIGIE_EVIDENCE_MAX_BYTES = env_int("VIGIE_EVIDENCE_MAX_MB", 50, minimum=1) * 1024 * 1024
