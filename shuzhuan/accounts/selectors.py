"""Reads about accounts that pages need (no writes here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone

from shuzhuan.accounts.access import access_user_region_q, access_users
from shuzhuan.accounts.models import User
from shuzhuan.enterprises.models import Region


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


@dataclass(frozen=True)
class UserFilter:
    """What the user-management list can be narrowed by. Blank means "any"."""

    q: str = ""  # part of the username or the display name
    role: str = ""
    region: str = ""  # a region code: accounts belonging to that region or below it
    status: str = ""  # "active" | "inactive" | "locked"

    STATUSES: ClassVar[dict[str, str]] = {"active": "启用", "inactive": "已停用", "locked": "已锁定"}

    @property
    def active(self) -> bool:
        return any(v.strip() for v in (self.q, self.role, self.region, self.status))


def _locked_usernames() -> QuerySet[Any]:
    """Account names django-axes is locking out now: failures within the cool-off ≥ the limit.

    The same sum ``AxesProxyHandler.get_failures`` takes (lockout is per account name only).
    """
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    attempts = AccessAttempt.objects.all()
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return (
        attempts.order_by()
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=int(settings.AXES_FAILURE_LIMIT))
        .values("username")
    )


def user_filter(users: QuerySet[User], filters: UserFilter) -> QuerySet[User]:
    """Narrow an already scoped queryset (``access_users``); each row gets ``is_locked``."""
    qs = users.annotate(
        is_locked=ExpressionWrapper(Q(username__in=_locked_usernames()), output_field=BooleanField())
    )
    q = filters.q.strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    if filters.role.strip():
        qs = qs.filter(role=filters.role.strip())
    if filters.region.strip():
        region = Region.objects.filter(code=filters.region.strip()).first()
        qs = qs.filter(access_user_region_q(region)) if region is not None else qs.none()
    status = filters.status.strip()
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "inactive":
        qs = qs.filter(is_active=False)
    elif status == "locked":
        qs = qs.filter(is_locked=True)
    elif status:
        qs = qs.none()
    return qs.order_by("username")


def user_list(*, actor: User, filters: UserFilter) -> QuerySet[User]:
    """The accounts ``actor`` manages, narrowed by ``filters`` (empty for non-managers)."""
    return user_filter(access_users(actor), filters)


def user_get(*, username: str) -> User | None:
    """One account by its exact name, unscoped — for the operator's CLI only."""
    return (
        User.objects.select_related("region", "enterprise", "enterprise__town", "home_region")
        .filter(username=username)
        .first()
    )


def user_is_locked(*, username: str) -> bool:
    return _locked_usernames().filter(username=username).exists()
