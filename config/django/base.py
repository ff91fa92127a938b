"""Settings shared by every environment. Values that vary come from ``config.env``."""

from __future__ import annotations

from datetime import timedelta

import dj_database_url

from config import env

BASE_DIR = env.BASE_DIR
VAR_DIR = env.var_dir()

SECRET_KEY = env.local_secret_key()
DEBUG = env.env_bool("SHUZHUAN_DEBUG", False)
ALLOWED_HOSTS = env.env_list("SHUZHUAN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.env_list("SHUZHUAN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "ninja",
    "shuzhuan.core",
    "shuzhuan.audit",
    "shuzhuan.enterprises",
    "shuzhuan.accounts",
    "shuzhuan.policies",
    "shuzhuan.applications",
    "shuzhuan.funds",
    "shuzhuan.matching",
    "shuzhuan.qa",
    "shuzhuan.activities",
    "shuzhuan.cockpit",
    "shuzhuan.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "shuzhuan.web.context_processors.navigation",
            ],
        },
    },
]

_db_url = env.database_url()
if _db_url:
    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "shuzhuan.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
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
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Lockout after repeated failed logins (django-axes), counted per account name.
AXES_FAILURE_LIMIT = env.env_int("SHUZHUAN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.env_int("SHUZHUAN_LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked.html"
AXES_VERBOSE = False
# Lockout is per account, on purpose: officers of one town hall share one NAT address, so
# locking by IP would lock a whole office out after one colleague's typos. Rate limits by
# address belong to the reverse proxy (see docs/operations.md).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end packages come from npm (package.json) and are served by the application itself.
STATICFILES_DIRS = [
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    # only echarts.min.js, copied there by `make assets` (the package's dist/ holds 50 MB of builds)
    ("vendor/echarts", BASE_DIR / "node_modules" / ".vendor" / "echarts"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
SHUZHUAN_IMPORT_MAX_BYTES = env.env_int("SHUZHUAN_IMPORT_MAX_MB", 50) * 1024 * 1024

SHUZHUAN_TASKS_EAGER = env.env_bool("SHUZHUAN_TASKS_EAGER", False)
SHUZHUAN_TASK_WORKERS = env.env_int("SHUZHUAN_TASK_WORKERS", 2)
UPLOAD_DIR = VAR_DIR / "uploads"
# Application materials: outside the web root, served only through a view that checks scope.
MATERIALS_DIR = VAR_DIR / "materials"
SHUZHUAN_MATERIAL_MAX_BYTES = env.env_int("SHUZHUAN_MATERIAL_MAX_MB", 20) * 1024 * 1024
SHUZHUAN_NOTICE_ADAPTER = env.env_str("SHUZHUAN_NOTICE_ADAPTER") or ""
# 政策找人 (shuzhuan.matching): where run snapshots (Parquet) are written — on a Spark cluster a
# path every executor can read —, how many succeeded runs keep their matches and snapshot, the
# Spark master ("" = local mode on this machine; "submit" = the session spark-submit configured),
# and how many pushed notices an enterprise receives per day at most.
SHUZHUAN_MATCH_DIR = env.env_str("SHUZHUAN_MATCH_DIR") or str(VAR_DIR / "matching")
SHUZHUAN_MATCH_KEEP_RUNS = env.env_int("SHUZHUAN_MATCH_KEEP_RUNS", 2)
SHUZHUAN_SPARK_MASTER = env.env_str("SHUZHUAN_SPARK_MASTER")
SHUZHUAN_PUSH_DAILY_CAP = env.env_int("SHUZHUAN_PUSH_DAILY_CAP", 3)
# 统计报告 (shuzhuan.cockpit.report): each report task's .docx/.pdf/.xlsx go to <dir>/<task id>/.
SHUZHUAN_REPORT_DIR = env.env_str("SHUZHUAN_REPORT_DIR") or str(VAR_DIR / "reports")

# 智能应答 (shuzhuan.qa): below this confidence (0–1) an answer says no exact basis was found and the
# question is logged for officers. The optional language model that may rephrase answers: an
# OpenAI-compatible endpoint (e.g. http://127.0.0.1:8001/v1 for a local Qwen); off when the URL is "".
SHUZHUAN_QA_MIN_CONFIDENCE = float(env.env_str("SHUZHUAN_QA_MIN_CONFIDENCE") or "0.35")
SHUZHUAN_QA_LLM_URL = env.env_str("SHUZHUAN_QA_LLM_URL")
SHUZHUAN_QA_LLM_MODEL = env.env_str("SHUZHUAN_QA_LLM_MODEL") or "qwen"
SHUZHUAN_QA_LLM_KEY = env.env_str("SHUZHUAN_QA_LLM_KEY")
SHUZHUAN_QA_LLM_TIMEOUT = env.env_int("SHUZHUAN_QA_LLM_TIMEOUT", 10)

NINJA_PAGINATION_PER_PAGE = 50
API_TOKEN_TTL_DAYS = env.env_int("SHUZHUAN_API_TOKEN_TTL_DAYS", 90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.env_str("SHUZHUAN_LOG_LEVEL", "WARNING")},
}
