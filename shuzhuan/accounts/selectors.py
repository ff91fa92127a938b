"""Reads about accounts that pages need (no writes here)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def login_attempts_left(request: HttpRequest, username: str) -> int:
    """How many more wrong passwords ``username`` may type before the account is locked.

    django-axes counts failures per account name (``AXES_LOCKOUT_PARAMETERS``), whether or not
    such an account exists, so telling the count reveals nothing about which accounts exist.
    """
    from axes.handlers.proxy import AxesProxyHandler

    limit = int(settings.AXES_FAILURE_LIMIT)
    if not username:
        return limit
    field = str(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"))
    failures = AxesProxyHandler.get_failures(request, {field: username})
    return max(limit - int(failures), 0)
