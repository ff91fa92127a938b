"""Settings for the test suite: fast hashing, plain static storage, in-memory-friendly."""

from __future__ import annotations

from config.django.base import *  # noqa: F403
from config.django.base import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
SHUZHUAN_TASKS_EAGER = True
