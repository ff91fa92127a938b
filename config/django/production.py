"""Production settings: a real secret from the environment and HTTPS hardening.

Deployments behind a TLS-terminating proxy keep the defaults; an intranet that serves
plain HTTP must set SHUZHUAN_HTTPS=false knowingly.
"""

from __future__ import annotations

from config import env
from config.django.base import *  # noqa: F403

SECRET_KEY = env.env_str("SHUZHUAN_SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise env.ImproperlyConfiguredEnv("SHUZHUAN_SECRET_KEY must be set to at least 50 random characters")

DEBUG = False
_https = env.env_bool("SHUZHUAN_HTTPS", True)
SECURE_SSL_REDIRECT = _https
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_HSTS_SECONDS = 31536000 if _https else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = _https
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
