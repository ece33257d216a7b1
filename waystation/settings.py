"""Waystation settings: one file, every knob read from the environment (WAYSTATION_*).

Defaults are the safe ones. The data directory (WAYSTATION_DATA_DIR, default ``./var``) holds
the key-slot file, the encrypted embedded database and the encrypted blobs. There is no secret
in this file or the environment: every key comes from the master key, unwrapped with a
passphrase at unseal and held in memory only. A ``DEMO`` marker file in the data directory
turns on demo mode (a banner, a passphrase file, cookies over plain http on 127.0.0.1).
"""

import os
from pathlib import Path

from waystation.core import countries as _countries


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("WAYSTATION_DATA_DIR", "var")).expanduser().resolve()
DEMO = (DATA_DIR / "DEMO").exists()
# Where commands read the passphrase from when no terminal is there to ask; "-" = stdin.
PASSPHRASE_FILE = env_str(
    "WAYSTATION_PASSPHRASE_FILE", str(DATA_DIR / "demo-passphrase") if DEMO else ""
)

# Set from the master key at unseal (waystation.core.keyring); empty while sealed.
SECRET_KEY = ""
DEBUG = env_bool("WAYSTATION_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in env_str("WAYSTATION_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]
# `waystation serve --trusted-proxy ADDR`: the TLS reverse proxy that connects from ADDR is
# believed about the scheme and host (X-Forwarded-Proto, X-Forwarded-Host), and nothing else.
TRUSTED_PROXY = env_str("WAYSTATION_TRUSTED_PROXY").strip()
# The site is served over HTTPS by that proxy: secure cookies and HSTS. A trusted proxy means
# TLS in front; `serve` refuses to start when the two settings contradict each other.
BEHIND_TLS_PROXY = env_bool("WAYSTATION_BEHIND_TLS_PROXY", bool(TRUSTED_PROXY))
# Over plain http only on the loopback demo; production sits behind TLS or a Tor onion service.
SECURE_COOKIES = env_bool("WAYSTATION_SECURE_COOKIES", BEHIND_TLS_PROXY or not (DEBUG or DEMO))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "waystation.core",
    "waystation.audit",
    "waystation.accounts",
    "django_countries",
    "django_tasks",
    "django_tasks_db",
    "waystation.cases",
    "waystation.intake",
    "waystation.evidence",
    "waystation.outreach",
    "waystation.pathways",
    "waystation.screening",
    "waystation.knowledge",
    "waystation.ledger",
    "waystation.partners",
    "waystation.home",
    "waystation.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Everything after the static files: no page or download is kept in a browser's cache.
    "waystation.core.no_store.NoStoreMiddleware",
    # These two only touch responses: placed here, the sealed pages carry them as well.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything that reads the session or the database: while sealed there are no keys.
    # The API's own sealed answer (JSON 503) comes first: API clients read JSON, not a page.
    "waystation.api.middleware.SealedApiMiddleware",
    "waystation.core.sealed.SealedMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "waystation.accounts.middleware.SignedInMemberMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "waystation.accounts.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "waystation.accounts.middleware.SecondFactorMiddleware",
]

# `waystation serve --intake-only`: this process serves the anonymous portal and nothing else
# (no staff pages, no unseal page), e.g. as an onion service beside a staff server on localhost.
INTAKE_ONLY = env_bool("WAYSTATION_INTAKE_ONLY", False)
ROOT_URLCONF = "waystation.urls_intake" if INTAKE_ONLY else "waystation.urls"
WSGI_APPLICATION = "waystation.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "waystation.core.context_processors.shell",
                "waystation.home.context_processors.navigation",
            ],
            # After Django's own: its `date` filter gives way to CLDR dates (core/dates.py).
            "builtins": ["waystation.core.templatetags.cldr_dates"],
        },
    },
]

if env_str("WAYSTATION_DATABASE", "sqlite") == "postgresql":
    # Connection details come from the standard libpq variables (PGHOST, PGPORT, PGUSER,
    # PGPASSWORD, PGDATABASE), so a throwaway cluster from pg_virtualenv works unchanged.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env_str("PGDATABASE", "waystation"),
            "USER": env_str("PGUSER"),
            "PASSWORD": env_str("PGPASSWORD"),
            "HOST": env_str("PGHOST"),
            "PORT": env_str("PGPORT"),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }
else:
    DATABASES = {
        "default": {
            # SQLite encrypted whole with SQLCipher, keyed from the master key.
            "ENGINE": "waystation.core.db",
            "NAME": DATA_DIR / "waystation.sqlite3",
            "TEST": {"NAME": str(DATA_DIR / "test-database.sqlite3")},
            # Keep each server thread's connection: opening one means keying SQLCipher and
            # decrypting cold pages again.
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

# Stored files, encrypted before they are written anywhere: a local directory by default, or
# any S3-compatible object store for several app servers.
BLOB_STORE = {
    "backend": env_str("WAYSTATION_BLOB_STORE", "local"),
    "root": env_str("WAYSTATION_BLOB_DIR", str(DATA_DIR / "blobs")),
    "bucket": env_str("WAYSTATION_S3_BUCKET", "waystation"),
    "endpoint_url": env_str("WAYSTATION_S3_ENDPOINT"),
    "access_key": env_str("WAYSTATION_S3_ACCESS_KEY"),
    "secret_key": env_str("WAYSTATION_S3_SECRET_KEY"),
    "region": env_str("WAYSTATION_S3_REGION"),
}

# Uploads stay in memory (up to the import limit) and go to the encrypted blob store from
# there: Django's default would write larger ones to /tmp in the clear.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 21 * 1024 * 1024

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# ModelBackend with the per-request user row read from SQL compiled once (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["waystation.accounts.backends.MemberBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions: gone when the browser closes, after WAYSTATION_SESSION_IDLE_MINUTES without a
# request, and at the latest after WAYSTATION_SESSION_MAX_HOURS.
# Embedded mode is one server process, so sessions can be read from its memory and written
# through to the database. Several app servers on PostgreSQL must all see a sign-out at once:
# they read the database every time.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.db"
    if env_str("WAYSTATION_DATABASE", "sqlite") == "postgresql"
    else "django.contrib.sessions.backends.cached_db"
)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = env_int("WAYSTATION_SESSION_MAX_HOURS", 12) * 3600
SESSION_IDLE_SECONDS = env_int("WAYSTATION_SESSION_IDLE_MINUTES", 30) * 60
SESSION_COOKIE_NAME = "ws_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_NAME = "ws_csrf"
# Not Django's one year: like the session, the token goes when the browser closes, so the
# portal leaves nothing behind in a visitor's browser.
CSRF_COOKIE_AGE = None
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_FAILURE_VIEW = "waystation.core.views.csrf_failure"
LANGUAGE_COOKIE_NAME = "ws_language"
LANGUAGE_COOKIE_SAMESITE = "Strict"
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_HTTPONLY = True

SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin", not "no-referrer": with no-referrer browsers send "Origin: null" on form
# posts and CSRF protection refuses them. Other sites still receive no referrer.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The proxy in front (which ends TLS) says "X-Forwarded-Proto: https"; it must also remove any
# such header a client sends (docs/operator.md, docs/examples/). Under `waystation serve`
# waitress drops every X-Forwarded-* header that does not come from the trusted proxy, so a
# client talking to the app server directly cannot claim HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# Behind TLS, browsers are told to use HTTPS only for a year (HSTS), on HTTPS answers: a network
# that strips TLS on a later visit then finds nothing to strip. Never over an onion address,
# which is plain http and needs none.
SECURE_HSTS_SECONDS = env_int("WAYSTATION_HSTS_SECONDS", 365 * 24 * 3600 if BEHIND_TLS_PROXY else 0)

# Everything from our own origin, no inline script; inline SVG charts and QR codes are markup.
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

LOGIN_THROTTLE_FAILURES = env_int("WAYSTATION_LOGIN_THROTTLE_FAILURES", 5)
LOGIN_THROTTLE_MINUTES = env_int("WAYSTATION_LOGIN_THROTTLE_MINUTES", 15)  # longest wait
LOGIN_BACKOFF_SECONDS = env_int("WAYSTATION_LOGIN_BACKOFF_SECONDS", 30)  # first wait, doubling
LOGIN_THROTTLE_GLOBAL_PER_HOUR = env_int("WAYSTATION_LOGIN_THROTTLE_GLOBAL_PER_HOUR", 100)
# The HTTP API (waystation/api): calls a minute per token, and a new token's default lifetime.
API_CALLS_PER_MINUTE = env_int("WAYSTATION_API_CALLS_PER_MINUTE", 120)
API_TOKEN_DAYS = env_int("WAYSTATION_API_TOKEN_DAYS", 90)
# Roles that must enrol a TOTP second factor; coordinators always must.
TOTP_REQUIRED_ROLES = {
    r.strip()
    for r in env_str("WAYSTATION_TOTP_REQUIRED_ROLES", "coordinator").split(",")
    if r.strip()
} | {"coordinator"}
TOTP_ISSUER = env_str("WAYSTATION_TOTP_ISSUER", "Waystation")
INVITE_VALID_HOURS = env_int("WAYSTATION_INVITE_VALID_HOURS", 72)
# An approach without an answer after this many days becomes a follow-up.
OUTREACH_FOLLOW_UP_DAYS = env_int("WAYSTATION_FOLLOW_UP_DAYS", 21)
# The anonymous intake portal: per-hour limits (per visitor; for everyone together) and files.
INTAKE_SUBMITS_PER_VISITOR = env_int("WAYSTATION_INTAKE_SUBMITS_PER_VISITOR", 5)
INTAKE_SUBMITS_OVERALL = env_int("WAYSTATION_INTAKE_SUBMITS_OVERALL", 200)
INTAKE_LOGINS_PER_VISITOR = env_int("WAYSTATION_INTAKE_LOGINS_PER_VISITOR", 20)
INTAKE_LOGINS_OVERALL = env_int("WAYSTATION_INTAKE_LOGINS_OVERALL", 1000)
# Visitors come through Tor (the onion recipe sets it): per-visitor limits count per browser,
# never per address. Loopback addresses are treated so without it.
INTAKE_BEHIND_TOR = env_bool("WAYSTATION_INTAKE_BEHIND_TOR", False)
INTAKE_MAX_FILE_MB = env_int("WAYSTATION_INTAKE_MAX_FILE_MB", 25)
INTAKE_MAX_FILES = env_int("WAYSTATION_INTAKE_MAX_FILES", 5)

# Evidence uploaded through the web pages, per file; larger files go through
# `waystation evidence ingest`, which streams from disk. The WSGI server's request limit
# follows the larger of this and the intake limits.
EVIDENCE_MAX_UPLOAD_MB = env_int("WAYSTATION_EVIDENCE_MAX_UPLOAD_MB", 2048)
EVIDENCE_MAX_FILES = env_int("WAYSTATION_EVIDENCE_MAX_FILES", 10)
# Printed in every evidence package as BagIt's Source-Organization (e.g. the group's public
# name, or nothing that identifies it).
EVIDENCE_SOURCE_ORGANIZATION = env_str("WAYSTATION_ORGANISATION", "")
# RFC 3161 time-stamping authorities (space- or comma-separated URLs), off when empty: then
# nothing leaves the instance. When set, each ingested item's SHA-256, the custody and audit
# chain heads at each export and once a day are sent to them (hashes only, never a file), and
# WAYSTATION_TSA_CERTIFICATES names a PEM file with their certificate chains (root included),
# against which every token is checked before it is kept (docs/operator.md).
TIMESTAMP_AUTHORITIES = [
    url for url in env_str("WAYSTATION_TSA_URLS").replace(",", " ").split() if url.strip()
]
TIMESTAMP_CERTIFICATES = env_str("WAYSTATION_TSA_CERTIFICATES")
TIMESTAMP_TIMEOUT_SECONDS = env_int("WAYSTATION_TSA_TIMEOUT_SECONDS", 15)
# C2PA content credentials: a PEM file of the root certificates trusted to sign them (e.g.
# the C2PA trust list); without one, a valid manifest is "valid, signer not on a trust list".
# Files larger than the limit are not checked (the whole file is hashed to check them).
EVIDENCE_C2PA_TRUST_ANCHORS = env_str("WAYSTATION_C2PA_TRUST_ANCHORS", "")
EVIDENCE_C2PA_MAX_MB = env_int("WAYSTATION_C2PA_MAX_MB", 1024)
# Pathway catalogue entries last reviewed longer ago than this are flagged as possibly outdated.
PATHWAYS_REVIEW_MAX_DAYS = env_int("WAYSTATION_PATHWAYS_REVIEW_MAX_DAYS", 365)
# A confirmed import of more rows than this runs in the background, with a progress page;
# 0 sends every import there.
IMPORT_BACKGROUND_ROWS = env_int("WAYSTATION_IMPORT_BACKGROUND_ROWS", 2000)
# Disbursements above these amounts (per currency, "EUR=500,RUB=50000") wait for a second
# approver; in a currency not listed here every disbursement does (fail closed).
LEDGER_APPROVAL_THRESHOLDS = {
    code.strip().upper(): amount.strip()
    for code, _sep, amount in (
        item.partition("=")
        for item in env_str(
            "WAYSTATION_LEDGER_APPROVAL_THRESHOLDS",
            "EUR=500,USD=500,GBP=400,CHF=500,RUB=50000,KZT=250000,KGS=45000,AMD=200000,"
            "GEL=1500,TRY=17000,UAH=20000",
        ).split(",")
        if item.strip()
    )
}
# A safety page not reviewed for this many days is flagged "review overdue" to members.
KNOWLEDGE_REVIEW_MAX_DAYS = env_int("WAYSTATION_KNOWLEDGE_REVIEW_MAX_DAYS", 180)

# Background work (the weekly digest, large imports): django-tasks with its database backend.
# Tasks are rows in the instance's own database; a worker needs the keys, so it runs in the
# unsealed `waystation serve` (a thread) or as `waystation tasks work`. Task arguments are ids,
# never contents: on PostgreSQL they are stored unencrypted.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Seconds a worker waits when the queue is empty before it looks again.
TASKS_POLL_SECONDS = float(env_str("WAYSTATION_TASKS_POLL_SECONDS", "1"))
# A task still "running" after this many hours is taken for abandoned, whichever machine ran it
# (a worker that died on this machine is noticed at once, by its lease: core/worker.py).
TASKS_LEASE_HOURS = env_int("WAYSTATION_TASKS_LEASE_HOURS", 12)
# A task whose worker died (killed, machine gone) is queued again this many times, after a
# pause that doubles each time from TASKS_RETRY_SECONDS, then failed with a reason.
TASKS_RETRIES = env_int("WAYSTATION_TASKS_RETRIES", 2)
TASKS_RETRY_SECONDS = float(env_str("WAYSTATION_TASKS_RETRY_SECONDS", "30"))
# On PostgreSQL a worker's lease is an advisory lock on a connection of its own, plus a
# heartbeat written every TASKS_HEARTBEAT_SECONDS; a lease not renewed for TASKS_LEASE_SECONDS
# is taken for dead even while the database still holds the lock (a machine that vanished).
TASKS_HEARTBEAT_SECONDS = float(env_str("WAYSTATION_TASKS_HEARTBEAT_SECONDS", "10"))
TASKS_LEASE_SECONDS = float(env_str("WAYSTATION_TASKS_LEASE_SECONDS", "120"))

# E-mail is off unless WAYSTATION_EMAIL_HOST is set. It carries only a notice with counts and
# a link (the weekly digest), never names: mail leaves the instance's protection. The SMTP
# password is read from a file, like every other secret given to Waystation.
EMAIL_HOST = env_str("WAYSTATION_EMAIL_HOST")
EMAIL_PORT = env_int("WAYSTATION_EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("WAYSTATION_EMAIL_USER")
EMAIL_HOST_PASSWORD = (
    Path(env_str("WAYSTATION_EMAIL_PASSWORD_FILE")).read_text(encoding="utf-8").strip()
    if env_str("WAYSTATION_EMAIL_PASSWORD_FILE")
    else ""
)
EMAIL_USE_TLS = env_bool("WAYSTATION_EMAIL_STARTTLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("WAYSTATION_EMAIL_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env_str("WAYSTATION_EMAIL_FROM", "waystation@localhost")
# Who gets the weekly notice (comma-separated addresses), and the address of this instance
# that the notice links to (an onion or https address).
DIGEST_EMAIL_TO = [a.strip() for a in env_str("WAYSTATION_DIGEST_EMAIL_TO").split(",") if a.strip()]
BASE_URL = env_str("WAYSTATION_BASE_URL").rstrip("/")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский"), ("de", "Deutsch"), ("uk", "Українська")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# ISO values in date inputs in every language, British English (core/formats/).
FORMAT_MODULE_PATH = ["waystation.core.formats"]

# Country names from CLDR, in the nominative, on every page and in every list (core/countries.py).
COUNTRIES_OVERRIDE = _countries.countries_override()
USE_I18N = True
TIME_ZONE = env_str("WAYSTATION_TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = None  # served straight from the apps by WhiteNoise; no collectstatic step
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Logs go to standard error, warnings and up, and never carry request bodies, client
# addresses or personal data: no access log is written at all.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Refused requests are counted, not listed; errors are kept without their path.
    "filters": {"no_request_details": {"()": "waystation.core.logs.NoRequestDetails"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_request_details"],
        }
    },
    "root": {"handlers": ["stderr"], "level": env_str("WAYSTATION_LOG_LEVEL", "WARNING")},
    "loggers": {
        # Django's "Invalid HTTP_HOST header" and similar lines quote request headers.
        "django.security": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "waitress": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
    },
}
