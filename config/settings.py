"""Settings, read from the environment (see .env.example for every variable)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env (copied from .env.example by `make install`) fills in what the environment lacks;
# variables already set in the environment always win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "dashboard.admin_config.BackOfficeAdminConfig",  # Django's admin, its index the dashboard
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "core",
    "organizations",
    "customers",
    "loyalty",
    "audiences",
    "memberships",
    "campaigns",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # static files (admin, Swagger UI, ReDoc) from the app server itself, with DEBUG off too;
    # `manage.py collectstatic` fills STATIC_ROOT for it in production
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs the web server, a Celery worker and beat against one SQLite file:
    # WAL lets readers and the writer proceed together, IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# Serve from the apps' static folders when STATIC_ROOT was not collected (a plain gunicorn).
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Uploaded files (import CSVs) go through Django's storage API: the local MEDIA_ROOT by
# default, any backend by settings (e.g. S3 with django-storages:
# FILE_STORAGE_BACKEND=storages.backends.s3.S3Storage and its OPTIONS as JSON).
STORAGES = {
    "default": {
        "BACKEND": env(
            "FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json("FILE_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGIN_URL = "admin:login"

# --- Request limits (README "Limits") -------------------------------------------------------
# Largest JSON or form body, in bytes: more is a 413. A batch of 1,000 profiles with many
# attributes is several MB of JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=20 * 1024 * 1024)
# Audience CSV uploads: more bytes or more data rows is a 413 before the file is stored.
AUDIENCE_IMPORT_MAX_BYTES = env.int("AUDIENCE_IMPORT_MAX_BYTES", default=100 * 1024 * 1024)
AUDIENCE_IMPORT_MAX_ROWS = env.int("AUDIENCE_IMPORT_MAX_ROWS", default=2_000_000)
# an import's stored file is deleted this long after the import ends (its counts stay)
AUDIENCE_IMPORT_FILE_RETENTION_DAYS = env.int("AUDIENCE_IMPORT_FILE_RETENTION_DAYS", default=7)
# how often the audiences we make are refreshed (tier ranges that follow a program's points,
# the audiences behind automatic groups)
AUDIENCE_DEFAULT_REFRESH_SECONDS = env.int("AUDIENCE_DEFAULT_REFRESH_SECONDS", default=300)
# A file larger than this is written to a temporary file while it is checked.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Production security (README "Production"); every one is off unless set ---------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("TRUST_X_FORWARDED_PROTO", False) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Cache: rate-limit counters shared by every process when Redis is there -----------------
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("CACHE_URL", default=env("REDIS_URL")),
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="lbo"),
        }
        if env("CACHE_URL", default=env("REDIS_URL", default=""))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- REST framework -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "organizations.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["organizations.permissions.HasOrganizationAccess"],
    # JSON only: a form or multipart body is a 415 (CSV uploads declare their own parsers).
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.CreatedCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "DEFAULT_METADATA_CLASS": "core.api.metadata.Metadata",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    # Per API key (or staff user), counted in the shared cache; over the limit is a 429 with
    # Retry-After. "batch" applies to batch, bulk and import endpoints on top of "api_key".
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.ApiKeyRateThrottle",
        "core.api.throttling.BatchRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_key": env("API_RATE_LIMIT", default="6000/min"),
        "batch": env("API_BATCH_RATE_LIMIT", default="600/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "core.api.errors.ExceptionHandler",
    # Unhandled exceptions also get the JSON error shape when DEBUG is on (the demo runs with it).
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Loyalty back-office API",
    "DESCRIPTION": (
        "Partner API of the loyalty back-office. Authenticate with "
        "`Authorization: Bearer <api key>`; every object is scoped to the key's organization. "
        "Lists use cursor pagination (`cursor`, `page_size`). Errors share one shape: "
        '`{"type", "errors": [{"code", "detail", "attr"}]}`. Creating POST/PUT requests accept '
        "an `Idempotency-Key` header: a retry with the same key and body returns the first "
        "response; the same key with another body is a 409. Rate limits per API key: "
        "6,000 requests a minute, and 600 a minute on batch, bulk and import endpoints "
        "(configurable); over a limit is a 429 with `Retry-After`. Bodies are JSON (at most "
        "20 MB); a CSV upload is multipart, at most 100 MB and 2,000,000 rows by default."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # our API only (the dialects under /compat/ are their vendors' contracts, not in this schema)
    "SCHEMA_PATH_PREFIX": r"/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorTypeEnum": [("validation_error", "validation_error")],
        "ClientErrorTypeEnum": [("client_error", "client_error")],
        "ServerErrorTypeEnum": [("server_error", "server_error")],
        "LoyaltyProgramStatusEnum": "loyalty.models.LoyaltyProgram.Status",
        "LoyaltyCardStatusEnum": "loyalty.models.LoyaltyCard.Status",
        "TierStructureStatusEnum": "loyalty.models.TierStructure.Status",
        "TierStructureTypeEnum": "loyalty.models.TierStructure.Type",
        "PointEarnedTypeEnum": "loyalty.models.TierStructure.PointEarnedType",
        "ExpirationTypeEnum": "loyalty.models.TierStructure.ExpirationType",
        "DowngradeTypeEnum": "loyalty.models.TierStructure.DowngradeType",
        "PointsTransactionKindEnum": "loyalty.models.PointsTransaction.Kind",
        "InitialTierStructureStatusEnum": [("DRAFT", "Draft"), ("ACTIVE", "Active")],
        "EarnKindEnum": [("manual", "Manual"), ("session", "Session"), ("import", "Import")],
        "SpendKindEnum": [("redeem", "Redeem"), ("manual", "Manual"), ("session", "Session")],
        "PointsStatusEnum": [("active", "active"), ("pending", "pending"), ("expired", "expired")],
        "StateEnum": "memberships.models.LoyaltyMembership.State",  # its name before sessions
        "EarningRuleStatusEnum": "campaigns.models.EarningRule.Status",
        "CustomerSessionStateEnum": "campaigns.models.CustomerSession.State",
        "SessionWriteStateEnum": [("open", "open"), ("closed", "closed"), ("canceled", "canceled")],
    },
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our own static files: works offline
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ---------------------------------------------------------------------------------
# REDIS_URL set: Redis is broker and result backend (production, CI).
# CELERY_BROKER_URL=filesystem:// : the zero-setup demo's embedded broker (`make run`).
# Neither: tasks run eagerly, in-process.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=55 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("redis"):
    # Longer than the longest task: Redis re-delivers unacknowledged (acks_late) messages
    # after this, so it must never fire while a task is still running.
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = CELERY_TASK_TIME_LIMIT + 600
elif CELERY_BROKER_URL.startswith("filesystem"):
    _queue_dir = BASE_DIR / "var" / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            "data_folder_in": str(_queue_dir / "queue"),
            "data_folder_out": str(_queue_dir / "queue"),
            "control_folder": str(_queue_dir / "control"),
        }
    )
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
# Entries are added by the apps' issues (audience refresh, points expiry, tier downgrades).
CELERY_BEAT_SCHEDULE = {
    "purge-expired-idempotency-keys": {
        "task": "organizations.tasks.purge_idempotency_keys",
        "schedule": 60 * 60,
    },
    "settle-due-points": {"task": "loyalty.tasks.settle_due_points", "schedule": 60},
    "recompute-tiers": {"task": "loyalty.tasks.recompute_tiers", "schedule": 60},
    "enqueue-due-audience-refreshes": {
        "task": "audiences.tasks.enqueue_due_refreshes",
        "schedule": 30,
    },
    # imports and refreshes whose worker stopped (heartbeat older than WORK_STALE_AFTER_SECONDS)
    # are queued again from their checkpoint, once
    "resume-stalled-work": {"task": "audiences.tasks.resume_stalled_work", "schedule": 30},
    "delete-old-import-files": {
        "task": "audiences.tasks.delete_old_import_files",
        "schedule": 60 * 60,
    },
    # the ledger per closed day, for the dashboard's 90-day chart (loyalty.rollups)
    "roll-up-points": {"task": "loyalty.tasks.roll_up_points", "schedule": 15 * 60},
}
# Long work (audience imports and refreshes) stamps a heartbeat every quarter of this while it
# runs; work whose heartbeat is older is taken as stopped (worker killed) and resumed by beat.
# Keep it well above the longest pause a live worker may have (a slow statement, GC).
WORK_STALE_AFTER_SECONDS = env.int("WORK_STALE_AFTER_SECONDS", default=120)

IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
