"""Django settings for Sifa. Every value that varies by deployment comes from ``sifa.conf.env``."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from sifa.conf.env import env

DEBUG: bool = env("SIFA_DEBUG")
VAR_DIR: Path = env("SIFA_VAR_DIR")
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret(filename: str, nbytes: int) -> str:
    """Read or create a development-only secret under SIFA_VAR_DIR (never used with DEBUG off)."""
    path = VAR_DIR / "keys" / filename
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(secrets.token_hex(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


def _required_secret(name: str, filename: str, nbytes: int) -> str:
    value = env(name)
    if value:
        return value
    if DEBUG or _TESTING:
        return _development_secret(filename, nbytes)
    raise ImproperlyConfigured(f"{name} must be set when SIFA_DEBUG is off")


_TESTING = env("SIFA_TESTING")
TESTING: bool = _TESTING
"""The test suite is running (``sifa.conf.test_settings``): apps read this, never the variable."""
SECRET_KEY = _required_secret("SIFA_SECRET_KEY", "secret_key", 32)
FIELD_KEYS = env("SIFA_FIELD_KEYS") or ("dev1:" + _required_secret("SIFA_FIELD_KEYS", "field_key_dev1", 16))
BLIND_INDEX_KEY = _required_secret("SIFA_BLIND_INDEX_KEY", "blind_index_key", 32)

ALLOWED_HOSTS = env("SIFA_ALLOWED_HOSTS")
PUBLIC_URL = env("SIFA_PUBLIC_URL").rstrip("/")
# The public address's host is one this server answers to (`SIFA_PUBLIC_URL=http://192.168.1.5:8000
# make run`: a licence's QR code scanned by a phone on the same network opens this server).
_public_host = urlsplit(PUBLIC_URL).hostname
if _public_host and _public_host not in ALLOWED_HOSTS and "*" not in ALLOWED_HOSTS:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, _public_host]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",  # only for its static htmx 2 (django_htmx/htmx-2.min.js)
    "sifa.core",
    "sifa.organisations",
    "sifa.accounts",
    "sifa.audit",
    "sifa.laws",
    "sifa.catalogue",
    "sifa.deadlines",
    "sifa.applications",
    "sifa.notifications",
    "sifa.mediation",
    "sifa.workflow",
    "sifa.documents",
    "sifa.licences",
    "sifa.directory",
    "sifa.consultation",
    "sifa.evaluation",
    "sifa.complaints",
    "sifa.exchange",
    "sifa.disclosure",
    "sifa.inspections",
    "sifa.indicators",
    "sifa.security",
    "sifa.privacy",
    "sifa.web",
    "sifa.portal",
    "sifa.workbench",
    "sifa.demo",
    "sifa.api",
    "sifa.conf",
]

MIDDLEWARE = [
    "sifa.core.middleware.ApiErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sifa.core.middleware.RequestTextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sifa.accounts.middleware.IdleSignOutMiddleware",
    # Public page cache hits are answered here, before URL resolution: everything above acts on a
    # hit as on a miss; everything below runs only on a miss (sifa.core.pagecache).
    "sifa.core.pagecache.PublicPageCacheMiddleware",
    # The CSP header is the same on every answer: a hit carries the one stored with the miss.
    "sifa.core.csp.CSPMiddleware",  # django-csp's, the policy built once (sifa.core.csp)
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "sifa.audit.context.AuditContextMiddleware",
    "sifa.audit.context.NotFoundMiddleware",
    "sifa.core.middleware.DevelopmentErrorPagesMiddleware",
]

ROOT_URLCONF = "sifa.conf.urls"
WSGI_APPLICATION = "sifa.conf.wsgi.application"

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
                "sifa.accounts.context_processors.session",
            ],
        },
    },
]

# --- database: embedded SQLite by default, DATABASE_URL for PostgreSQL ----------------------
SQLITE_ENGINE = "sifa.core.sqlite_backend"
"""Django's SQLite backend with each statement's placeholder conversion remembered (its module says why)."""
POSTGRESQL_ENGINE = "sifa.core.postgresql_backend"
"""Django's PostgreSQL backend with psycopg's compiled timestamp loader where it gives Django's values."""
if env("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=env("SIFA_DB_CONN_MAX_AGE"))
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = POSTGRESQL_ENGINE
    if DATABASES["default"]["ENGINE"] == POSTGRESQL_ENGINE and env("SIFA_DB_PREPARED"):
        # The fixed statements (``sifa.core.db.fixed_cursor``) are prepared on the server. Not
        # None (None turns psycopg's preparing off) and never reached, so the ORM's statements
        # (client-side binding) are not prepared (docs/deploy.md, "Prepared statements").
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["ENGINE"] = SQLITE_ENGINE
else:
    DATABASES = {
        "default": {
            "ENGINE": SQLITE_ENGINE,
            "NAME": VAR_DIR / "sifa.sqlite3",
            "OPTIONS": {
                # IMMEDIATE: every atomic block takes the write lock up front, so two writers
                # never deadlock on a lock upgrade and audit appends are serialized.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=30000;"
                ),
            },
            "TEST": {"NAME": VAR_DIR / "test.sqlite3"},
            "CONN_MAX_AGE": env("SIFA_DB_CONN_MAX_AGE"),
            "CONN_HEALTH_CHECKS": True,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- backups (sifa backup / sifa restore, docs/operations.md) -------------------------------
BACKUP_DIR: Path = Path(env("SIFA_BACKUP_DIR")) if env("SIFA_BACKUP_DIR") else VAR_DIR / "backups"
WAL_ARCHIVE_DIR: Path = (
    Path(env("SIFA_WAL_ARCHIVE_DIR")) if env("SIFA_WAL_ARCHIVE_DIR") else BACKUP_DIR / "wal"
)
PG_BIN_DIR: str = env("SIFA_PG_BIN_DIR")

# --- auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if _TESTING:
    # Argon2 is deliberately slow; tests that check hashing itself override this.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"
AXES_FAILURE_LIMIT = env("SIFA_LOGIN_FAILURE_LIMIT")
AXES_COOLOFF_TIME = env("SIFA_LOCKOUT_MINUTES") / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
OTP_TOTP_ISSUER = env("SIFA_TOTP_ISSUER")
API_TOKEN_HOURS = env("SIFA_API_TOKEN_HOURS")
ACCOUNT_BACKOFF_AFTER = env("SIFA_ACCOUNT_BACKOFF_AFTER")
SECURITY_FAILED_LOGINS = env("SIFA_SECURITY_FAILED_LOGINS")
SECURITY_BAD_SIGNATURES = env("SIFA_SECURITY_BAD_SIGNATURES")
SECURITY_WINDOW_MINUTES = env("SIFA_SECURITY_WINDOW_MINUTES")
SECURITY_NOT_FOUND_IDS = env("SIFA_SECURITY_NOT_FOUND_IDS")
SECURITY_UPLOAD_REJECTIONS = env("SIFA_SECURITY_UPLOAD_REJECTIONS")
SECURITY_EXPORT_ROWS = env("SIFA_SECURITY_EXPORT_ROWS")
SECURITY_CHAIN_SWEEP_ROWS = env("SIFA_SECURITY_CHAIN_SWEEP_ROWS")
SECURITY_DETECTOR_STALE_MINUTES = env("SIFA_SECURITY_DETECTOR_STALE_MINUTES")
ACCOUNT_BACKOFF_HOURS = env("SIFA_ACCOUNT_BACKOFF_HOURS")
ACCOUNT_BACKOFF_MAX_SECONDS = env("SIFA_ACCOUNT_BACKOFF_MAX_SECONDS")
# Counters of rate limits, throttles and the back-off (sifa.core.limits): the database, or Redis.
LIMITS_URL = env("SIFA_LIMITS_URL")
CACHE_URL = env("SIFA_CACHE_URL")
PUBLIC_CACHE_SECONDS: int = max(0, env("SIFA_PUBLIC_CACHE_SECONDS"))

# --- sessions and cookies --------------------------------------------------------------------
SESSION_COOKIE_AGE = env("SIFA_SESSION_IDLE_SECONDS")
SESSION_SAVE_EVERY_REQUEST = True  # the age is an idle timeout, renewed on each request
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Flash messages stay on the server: one may carry a caller's tracking code (12348 desk), and a
# signed cookie is readable by anyone with the browser.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
CSRF_COOKIE_SAMESITE = "Lax"
# Secure whenever this is not a development server: a session cookie sent over plain HTTP is a
# session anyone on the path can take. Tests (DEBUG off) get them too; the Django test client and
# Chromium on http://localhost still send them (localhost counts as a secure origin).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
HTTPS: bool = env("SIFA_HTTPS") or env("SIFA_SECURE_COOKIES")
if HTTPS:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz)$"]  # probes (load balancer, orchestrator) speak plain HTTP
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- i18n: Chinese first -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024  # stream anything larger to a temporary file
JSON_MAX_DEPTH: int = env("SIFA_JSON_MAX_DEPTH")
CSRF_FAILURE_VIEW = "sifa.portal.views.csrf_failure"

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sifa.accounts.authentication.BearerTokenAuthentication",
        "sifa.accounts.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "sifa.core.api.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF's negotiation with the commonest Accept headers answered without parsing (same answers).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "sifa.core.api.negotiation.QuickNegotiation",
    "EXCEPTION_HANDLER": "sifa.core.api.errors.exception_handler",
    # Throttles key on the peer address; X-Forwarded-For is trusted only from this many proxies
    # (None would trust any client-supplied header and let a client dodge every rate limit).
    "NUM_PROXIES": env("SIFA_TRUSTED_PROXIES"),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sifa 司法行政一体化网上政务服务平台 API",
    "DESCRIPTION": "Public and staff API of Sifa. Errors carry a stable `code` and a Chinese `message`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "GET_LIB_DOC_EXCLUDES": "sifa.core.api.bodies.lib_doc_excludes",
    # The error answers every operation can give (the door's 400, a bad token's 401…): added once here.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sifa.core.api.schema.default_error_responses",
    ],
    # Swagger UI served from our own static files (no CDN; CSP allows only 'self').
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No deep links: Swagger UI puts them inside each operation's toggle button (nested-interactive).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "REDOC_DIST": "SIDECAR",
    # Fields named "channel" (and "level") with different choices: each enum gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "ConsultationChannelEnum": "sifa.consultation.models.Channel",
        "SubmissionChannelEnum": "sifa.applications.models.SubmissionChannel",
        "RatingChannelEnum": "sifa.evaluation.models.Channel",
        "RatingLevelEnum": "sifa.evaluation.models.Level",
        "RatingLevelInputEnum": "sifa.evaluation.models.LEVEL_INPUTS",
        # person/company of a walk-in: 窗口受理's applicant and 数据使用记录查阅's party (one enum).
        "WalkInApplicantKindEnum": "sifa.workflow.data_use.KINDS",
    },
}

# --- background tasks --------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if _TESTING:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- outside systems -----------------------------------------------------------------------------
PARTNER_DATA: str = env("SIFA_PARTNER_DATA").strip()
if PARTNER_DATA not in ("", "simulated", "exchange"):
    raise ImproperlyConfigured(
        "SIFA_PARTNER_DATA must be empty (no partner adapter), 'exchange' or 'simulated'"
    )
PARTNER_QUERY_TIMEOUT_SECONDS: int = env("SIFA_PARTNER_QUERY_TIMEOUT_SECONDS")
if PARTNER_DATA == "simulated" and not (DEBUG or _TESTING):
    # The stand-in would label materials 部门共享数据 that no partner ever checked.
    raise ImproperlyConfigured("SIFA_PARTNER_DATA=simulated is for demos and tests only (needs SIFA_DEBUG)")
SMS_BACKEND = env("SIFA_SMS_BACKEND")
SIGNING_KEY_DIR: str = env("SIFA_SIGNING_KEY_DIR")
SIGNING_ALGORITHM: str = env("SIFA_SIGNING_ALGORITHM")
SM2_BACKEND: str = env("SIFA_SM2_BACKEND")
EXCHANGE_ENDPOINTS: list[str] = env("SIFA_EXCHANGE_ENDPOINTS")
EXCHANGE_CONNECT_TIMEOUT_SECONDS: int = env("SIFA_EXCHANGE_CONNECT_TIMEOUT_SECONDS")
PARTNER_SIM_PORTS: list[str] = env("SIFA_PARTNER_SIM_PORTS")
PORT: int = env("PORT")  # where the partner simulators find Sifa by default
PARTNER_SIM_LATENCY_MS: str = env("SIFA_PARTNER_SIM_LATENCY_MS")
if DEBUG and not EXCHANGE_ENDPOINTS:
    # Development: the partner simulators that `sifa run` starts on loopback are the allow-list.
    from sifa.exchange.demo import simulator_allow_list

    EXCHANGE_ENDPOINTS = simulator_allow_list(PARTNER_SIM_PORTS)
EXCHANGE_CLOCK_SKEW_SECONDS: int = env("SIFA_EXCHANGE_CLOCK_SKEW_SECONDS")
EXCHANGE_LOG_BATCH: int = env("SIFA_EXCHANGE_LOG_BATCH")
EXCHANGE_LOG_BATCH_MS: int = env("SIFA_EXCHANGE_LOG_BATCH_MS")
EXCHANGE_REGISTRY_TTL_SECONDS: int = env("SIFA_EXCHANGE_REGISTRY_TTL_SECONDS")
EXCHANGE_RETRY_BASE_MS: int = env("SIFA_EXCHANGE_RETRY_BASE_MS")
EXCHANGE_CLAIM_LEASE_SECONDS: int = env("SIFA_EXCHANGE_CLAIM_LEASE_SECONDS")
EXCHANGE_INBOX_RATE: str = env("SIFA_EXCHANGE_INBOX_RATE")
EXCHANGE_INBOX_REFUSED_RATE: str = env("SIFA_EXCHANGE_INBOX_REFUSED_RATE")
for _name, _rate in (
    ("SIFA_EXCHANGE_INBOX_RATE", EXCHANGE_INBOX_RATE),
    ("SIFA_EXCHANGE_INBOX_REFUSED_RATE", EXCHANGE_INBOX_REFUSED_RATE),
):
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", _rate):
        raise ImproperlyConfigured(f"{_name} should be N/s, N/min, N/hour or N/day, not {_rate!r}")
SEAL_KEY_DIR: str = env("SIFA_SEAL_KEY_DIR")
UPLOAD_MAX_BYTES: int = env("SIFA_UPLOAD_MAX_BYTES")
LAWS_DIR: Path = env("SIFA_LAWS_DIR")
CONSULTATION_ANSWER_DAYS: int = env("SIFA_CONSULTATION_ANSWER_DAYS")
EVALUATION_CALLBACK_DAYS: int = env("SIFA_EVALUATION_CALLBACK_DAYS")
EVALUATION_RECTIFY_DAYS: int = env("SIFA_EVALUATION_RECTIFY_DAYS")
COMPLAINT_REPLY_DAYS: int = env("SIFA_COMPLAINT_REPLY_DAYS")
INDICATORS_HOT_LEAF_FACTS: int = env("SIFA_INDICATORS_HOT_LEAF_FACTS")
if INDICATORS_HOT_LEAF_FACTS < 1:
    raise ImproperlyConfigured("SIFA_INDICATORS_HOT_LEAF_FACTS should be at least 1")
INDICATORS_CACHE_SECONDS: int = max(0, env("SIFA_INDICATORS_CACHE_SECONDS"))
EMAIL_BACKEND = env("SIFA_EMAIL_BACKEND")
DEFAULT_FROM_EMAIL = env("SIFA_EMAIL_FROM")

# Nothing of Sifa counts in this cache: limits and throttles are in sifa.core.limits (the database
# or SIFA_LIMITS_URL), shared by every process; tests/test_shared_limits.py keeps it that way. The
# public page cache is sifa.core.pagecache (the database or SIFA_CACHE_URL), shared likewise.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "sifa": {"handlers": ["console"], "level": env("SIFA_LOG_LEVEL"), "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# Audit anchors: `sifa scheduler` verifies and anchors every this many minutes, and on shutdown.
ANCHOR_INTERVAL_MINUTES: int = max(1, env("SIFA_ANCHOR_INTERVAL_MINUTES"))
