"""Anxin settings. Every value comes from the environment (see docs/configuration.md).

``ANXIN_ENV`` selects the profile: ``development`` (default; ``make run``), ``production``
(TLS, secure cookies, secrets required) or ``test`` (set by the test suite).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import EnvError, env_bool, env_int, env_list, env_str, parse_rate

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ANXIN_VAR_DIR", str(BASE_DIR / "var")))

TESTING = env_bool("ANXIN_TESTING", False)
ANXIN_ENV = env_str("ANXIN_ENV", "test" if TESTING else "development")
if ANXIN_ENV not in {"development", "production", "test"}:
    raise EnvError(f"ANXIN_ENV={ANXIN_ENV!r} must be development, production or test")
PRODUCTION = ANXIN_ENV == "production"
if PRODUCTION and TESTING:
    raise ImproperlyConfigured(
        "ANXIN_TESTING=1 (published test keys, fast hashing) cannot be used with "
        "ANXIN_ENV=production"
    )

DEBUG = env_bool("DEBUG", False)
ANXIN_DEMO = env_bool("ANXIN_DEMO", False)
ANXIN_DEMO_PASSWORD = env_str("ANXIN_DEMO_PASSWORD", "anxin-demo-2026")


def _local_secret(name: str, nbytes: int) -> str:
    """A secret for development and tests, generated once and kept under var/."""
    if PRODUCTION:
        raise ImproperlyConfigured(
            f"{name} must be set in production (or {name}_FILE); see docs/configuration.md"
        )
    import secrets

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / f".{name.lower()}"
    if not path.exists():
        path.write_text(secrets.token_hex(nbytes), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env_str("SECRET_KEY") or (
    "test-secret-key-not-for-production" if TESTING else _local_secret("SECRET_KEY", 32)
)

# SM4 key(s) for personal data: 32 hex digits (128 bits). Never stored in the database.
ANXIN_DATA_KEY = env_str("ANXIN_DATA_KEY") or (
    "0123456789abcdeffedcba9876543210" if TESTING else _local_secret("ANXIN_DATA_KEY", 16)
)
ANXIN_DATA_KEYS_PREVIOUS = [k for k in env_str("ANXIN_DATA_KEYS_PREVIOUS").split(",") if k.strip()]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
ANXIN_BASE_URL = env_str("ANXIN_BASE_URL", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "huey.contrib.djhuey",
    "ninja",
    "corsheaders",
    "anxin.core",
    "anxin.supervision",
    "anxin.petitions",
    "anxin.safety",
    "anxin.portal",
    "anxin.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # CORS answers (and preflights) only for /api/ and /open311/, only for listed origins.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "anxin.core.middleware.AccountPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "anxin.core.context_processors.anxin",
                "anxin.supervision.context_processors.inbox",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    _db["CONN_HEALTH_CHECKS"] = True
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "anxin.sqlite3"),
    }
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    if not TESTING:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
elif _db["ENGINE"].startswith("django.db.backends.postgresql"):
    # Session settings of every connection (docs/performance.md): with PostgreSQL's default
    # 4 MB, the figures' ``id IN (subquery)`` sets of a year at a million cases do not fit a
    # hash and are re-scanned row by row (minutes); JIT compiles a few hundred functions for
    # each such query (seconds) and buys nothing for Anxin's short queries.
    _work_mem = env_str("ANXIN_DB_WORK_MEM", "32MB")
    _jit = env_str("ANXIN_DB_JIT", "off")
    if not re.fullmatch(r"[0-9]+(kB|MB|GB)", _work_mem):
        raise EnvError("ANXIN_DB_WORK_MEM is a size such as 32MB")
    if _jit not in ("on", "off"):
        raise EnvError("ANXIN_DB_JIT is on or off")
    _db.setdefault("OPTIONS", {})["options"] = f"-c work_mem={_work_mem} -c jit={_jit}"
else:
    raise EnvError("DATABASE_URL must point at PostgreSQL (postgres://...) or be unset for SQLite")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work (Huey) ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# A consumer killed while a job held its ``lock_task`` lock (kill -9, OOM, power loss) leaves the
# lock in the storage, and the job would then be refused at every later tick: the consumer
# flushes the jobs' locks when it starts (one consumer per deployment; the jobs are safe to
# overlap anyway). config/schedule.py re-runs the sweep and the outbox at start (bench/crash.py).
_HUEY_CONSUMER = {"flush_locks": True}
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "anxin",
        "url": REDIS_URL,
        "immediate": TESTING,
        "consumer": dict(_HUEY_CONSUMER),
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "anxin",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": TESTING,
        "consumer": dict(_HUEY_CONSUMER),
    }

# One cache shared by every server process (the rate limits count in it): Redis when
# REDIS_URL is set; otherwise the database table ``anxin_cache`` (created by the migrations;
# ``manage.py createcachetable`` does it by hand) in production, process memory elsewhere.
# ANXIN_CACHE=database|memory overrides the choice without Redis.
ANXIN_CACHE = env_str("ANXIN_CACHE", "database" if PRODUCTION else "memory")
if ANXIN_CACHE not in {"database", "memory"}:
    raise EnvError(f"ANXIN_CACHE={ANXIN_CACHE!r} must be database or memory")
if REDIS_URL:
    _cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
elif ANXIN_CACHE == "database":
    _cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "anxin_cache"}
else:
    _cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
CACHES = {"default": _cache}

# --- Rate limits on public endpoints (anxin/core/ratelimit.py) ------------------------------
# "count/period": 10/m, 100/5m, 1000/h, or "off". ANXIN_RATE_LIMITS="scope=rate,..." overrides
# scopes one by one (benchmarks and load tests raise them explicitly). The test profile has
# them off unless set; the tests of the limits set their own.
RATE_LIMIT_DEFAULTS = {
    "portal_submit": "10/m",  # a petition or a hazard report from the public
    "portal_booking": "10/m",  # booking a reception day
    "portal_track": "30/m",  # looking a case or a booking up by its code (and rating it)
    "open311_post": "10/m",  # POST /open311/v2/requests
}


def _rate_limits() -> dict[str, str]:
    limits = {k: ("off" if TESTING else v) for k, v in RATE_LIMIT_DEFAULTS.items()}
    for item in env_list("ANXIN_RATE_LIMITS"):
        scope, sep, rate = item.partition("=")
        try:
            if not sep or not scope.strip():
                raise ValueError(item)
            parse_rate(rate)
        except ValueError as exc:
            raise EnvError(
                f"ANXIN_RATE_LIMITS: {item!r} is not scope=rate (rate like 10/m, 100/5m or off)"
            ) from exc
        limits[scope.strip()] = rate.strip()
    return limits


ANXIN_RATE_LIMITS = _rate_limits()
ANXIN_RATE_LIMIT_CACHE = "default"

# --- CORS (django-cors-headers): off unless origins are listed -------------------------------
CORS_ALLOWED_ORIGINS = env_list("ANXIN_CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/(api|open311)/.*$"
CORS_ALLOW_CREDENTIALS = False  # API keys in the Authorization header; no cross-site cookies
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "user-agent",
    "x-requested-with",
)
CORS_EXPOSE_HEADERS = ["Retry-After"]
CORS_PREFLIGHT_MAX_AGE = env_int("ANXIN_CORS_MAX_AGE", 3600, minimum=0)

# --- Webhooks (anxin/core/webhooks.py, docs/webhooks.md) ------------------------------------
ANXIN_WEBHOOK_MAX_ATTEMPTS = env_int("ANXIN_WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
ANXIN_WEBHOOK_TIMEOUT = env_int("ANXIN_WEBHOOK_TIMEOUT", 5, minimum=1)
ANXIN_WEBHOOK_BACKOFF_SECONDS = env_int("ANXIN_WEBHOOK_BACKOFF_SECONDS", 30, minimum=1)

# --- Authentication (等保 2.0 level 3, application layer) -----------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Fast hashing in tests; tests of hashing itself override this setting.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "anxin.core.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("ANXIN_PASSWORD_MIN_LENGTH", 10, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "anxin.core.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env_int("ANXIN_LOCKOUT_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ANXIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "anxin.core.views.auth.lockout_response"
AXES_VERBOSE = False

SESSION_IDLE_MINUTES = env_int("ANXIN_SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True  # sliding expiry: the idle timeout
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False

# The three administrator roles must use a second factor (TOTP) unless in demo mode.
ANXIN_REQUIRE_ADMIN_OTP = env_bool("ANXIN_REQUIRE_ADMIN_OTP", True)
OTP_TOTP_ISSUER = env_str("ANXIN_OTP_ISSUER", "安信 Anxin")

# --- Security headers -----------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("ANXIN_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("ANXIN_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("ANXIN_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    if env_bool("ANXIN_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        USE_X_FORWARDED_HOST = True
ANXIN_TRUSTED_PROXIES = env_int("ANXIN_TRUSTED_PROXY_COUNT", 0, minimum=0)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "anxin" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, WhiteNoise serves straight from the source folders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env_str("ANXIN_MEDIA_DIR", str(VAR_DIR / "media")))
# Uploaded files: at most this many megabytes each (checked by content; see core/attachments.py)
ANXIN_UPLOAD_MAX_MB = env_int("ANXIN_UPLOAD_MAX_MB", 20, minimum=1)

# --- Mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "anxin@localhost")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # the Huey consumer prints its own log lines; don't print them twice
        "huey": {"level": "INFO", "propagate": False},
    },
}

SITE_TITLE = _("Anxin")

os.environ.setdefault("JIEBA_CACHE", str(VAR_DIR / "jieba.cache"))

ANXIN_VERSION = "0.1.0"

# Petitions: where portal submissions are registered (a unit code; default the root unit) and
# the tracking limits of suggestions and accusations (信访工作条例 Art. 29, 30; configurable).
ANXIN_PORTAL_UNIT = env_str("ANXIN_PORTAL_UNIT", "")
ANXIN_SUGGESTION_DAYS = env_int("ANXIN_SUGGESTION_DAYS", 60, minimum=1)
ANXIN_ACCUSATION_DAYS = env_int("ANXIN_ACCUSATION_DAYS", 60, minimum=1)

# Personal data lifecycle (个人信息保护法 Art. 19, 47; docs/security.md): how many days after a
# case is closed the identity of the people in it is kept, per record type.
# ANXIN_RETENTION_DAYS="petition_complainant=1825,hazard_reporter=1095" overrides entries one
# by one; manage.py anonymise_personal_data (and its daily job) removes what is past it.
RETENTION_DEFAULTS = {
    "petition_complainant": 1825,  # complainants' identity and the accused person's name
    "hazard_reporter": 1095,  # a public hazard report's name and phone
}


def _retention_days() -> dict[str, int]:
    days = dict(RETENTION_DEFAULTS)
    for item in env_list("ANXIN_RETENTION_DAYS"):
        kind, sep, value = item.partition("=")
        kind = kind.strip()
        try:
            if not sep or kind not in RETENTION_DEFAULTS:
                raise ValueError(item)
            n = int(value.strip())
            if n < 1:
                raise ValueError(item)
        except ValueError as exc:
            raise EnvError(
                f"ANXIN_RETENTION_DAYS: {item!r} is not kind=days with kind one of "
                f"{', '.join(RETENTION_DEFAULTS)} and days a whole number of at least 1"
            ) from exc
        days[kind] = n
    return days


ANXIN_RETENTION_DAYS = _retention_days()

# Open311 GeoReport v2 (docs/open311.md): the jurisdiction_id this server answers to (empty:
# any), and the discovery document's contact sentence (empty: a default pointing to the office).
ANXIN_OPEN311_JURISDICTION = env_str("ANXIN_OPEN311_JURISDICTION", "")
ANXIN_OPEN311_CONTACT = env_str("ANXIN_OPEN311_CONTACT", "")


# Supervision (督办): the three colours, the escalation ladder and the notifications
# (anxin/supervision/conf.py reads this; docs/supervision.md explains each entry).
def _escalation_days(name: str, default: list[int]) -> list[int]:
    raw = env_list(name, [str(d) for d in default])
    try:
        days = [int(d) for d in raw]
    except ValueError:
        raise EnvError(
            f"{name}={','.join(raw)!r} must be four whole numbers, e.g. 0,2,5,10"
        ) from None
    if len(days) != 4 or days[0] < 0 or days != sorted(days):
        raise EnvError(
            f"{name}={','.join(raw)!r} must be four ascending numbers from 0, e.g. 0,2,5,10"
        )
    return days


_BLUE_DAYS = env_int("ANXIN_BLUE_WORKING_DAYS", 3, minimum=1)
_YELLOW_DAYS = env_int("ANXIN_YELLOW_WORKING_DAYS", 1, minimum=0)
if _YELLOW_DAYS > _BLUE_DAYS:
    raise EnvError("ANXIN_YELLOW_WORKING_DAYS must not exceed ANXIN_BLUE_WORKING_DAYS")
ANXIN_SUPERVISION = {
    # blue: due within this many working days (today not counted)
    "blue_working_days": _BLUE_DAYS,
    # yellow (the deadline warning): due within this many working days
    "yellow_working_days": _YELLOW_DAYS,
    # working days overdue before each step: handler, unit head, supervising office, leader
    "escalation_working_days": _escalation_days("ANXIN_ESCALATION_WORKING_DAYS", [0, 2, 5, 10]),
    # channels for a kind nobody has set a preference for (the inbox always gets an entry)
    "email_by_default": env_bool("ANXIN_NOTIFY_EMAIL_DEFAULT", True),
    "sms_by_default": env_bool("ANXIN_NOTIFY_SMS_DEFAULT", False),
    "sms_backend": env_str("ANXIN_SMS_BACKEND", "anxin.supervision.sms.LoggingSmsBackend"),
    "outbox_max_attempts": env_int("ANXIN_OUTBOX_MAX_ATTEMPTS", 6, minimum=1),
}

# axes.W006 asks to lock by IP address as well. 等保 asks to lock the *account*; municipal offices
# sit behind shared NAT addresses, where an IP lock would shut out a whole office.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # models.W040: the covering columns of an index (``include``, PostgreSQL's index-only scans)
    # are ignored on SQLite, where the index still serves on its key columns.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
if PRODUCTION and not SECURE_HSTS_PRELOAD:
    # security.W021: joining the browsers' HSTS preload list binds every subdomain of the site
    # to HTTPS for good; that is the city's decision (ANXIN_HSTS_PRELOAD=1), not a default.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
