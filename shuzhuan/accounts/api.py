from datetime import datetime
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import HttpBearer, SessionAuth

from shuzhuan.accounts.access import Perm, access_require, access_user_region
from shuzhuan.accounts.models import User
from shuzhuan.accounts.selectors import UserFilter, user_list
from shuzhuan.accounts.services import api_token_authenticate, api_token_create, user_create, user_summary
from shuzhuan.core.errors import ApplicationError


class ApiKeyAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuthCsrf(SessionAuth):
    """The browser session; unsafe methods need the CSRF token, as on the pages.

    ninja checks the token before ``authenticate`` is called and answers 403 without it; the
    check cannot be switched off here.
    """

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if user.is_authenticated and user.is_active:
            return user
        return None


router = Router(tags=["账户"])


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    region: str | None
    region_name: str | None
    enterprise: str | None
    enterprise_name: str | None


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str
    expires_at: str


@router.get("/me", response=MeOut, operation_id="account_me", summary="当前用户")
def account_me(request: HttpRequest) -> dict[str, Any]:
    user = access_require(request.auth, Perm.DASHBOARD)  # type: ignore[attr-defined]
    return user_summary(user)


class AccountLocked(Exception):
    """Too many failed logins for this account name (django-axes); the API answers 429."""

    message = "登录失败次数过多，账户已锁定，请稍后再试或联系管理员。"


@router.post(
    "/token", response=TokenOut, auth=None, operation_id="account_token_create", summary="用密码换取 API 令牌"
)
def account_token_create(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    credentials = {"username": payload.username}
    if AxesProxyHandler.is_locked(request, credentials):
        raise AccountLocked()
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        # This failure reached the limit. Answer in JSON like every other API error, instead of
        # letting AxesMiddleware swap in the HTML lockout page.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        raise AccountLocked()
    if user is None or not isinstance(user, User):
        raise ApplicationError("用户名或密码错误。", field="password")
    access_require(user, Perm.API_TOKEN)
    token, raw = api_token_create(acting_user=user, user=user, name=payload.name or "api")
    return {"token": raw, "expires_at": token.expires_at.isoformat()}


# --- user management (bureau officers; same rules as the 用户管理 pages) ----------------------


class UserOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    region: str | None
    region_name: str | None
    enterprise: str | None
    enterprise_name: str | None
    home_region: str | None
    home_region_name: str | None
    scope_region: str | None
    scope_region_name: str | None
    is_active: bool
    is_locked: bool
    last_login: datetime | None
    date_joined: datetime

    # Built from a User row (queried with its regions and enterprise, see access_users).
    @staticmethod
    def resolve_region(obj: User) -> str | None:
        return obj.region.code if obj.region else None

    @staticmethod
    def resolve_region_name(obj: User) -> str | None:
        return obj.region.name if obj.region else None

    @staticmethod
    def resolve_enterprise(obj: User) -> str | None:
        return obj.enterprise.uscc if obj.enterprise else None

    @staticmethod
    def resolve_enterprise_name(obj: User) -> str | None:
        return obj.enterprise.name if obj.enterprise else None

    @staticmethod
    def resolve_home_region(obj: User) -> str | None:
        return obj.home_region.code if obj.home_region else None

    @staticmethod
    def resolve_home_region_name(obj: User) -> str | None:
        return obj.home_region.name if obj.home_region else None

    @staticmethod
    def resolve_scope_region(obj: User) -> str | None:
        region = access_user_region(obj)
        return region.code if region else None

    @staticmethod
    def resolve_scope_region_name(obj: User) -> str | None:
        region = access_user_region(obj)
        return region.name if region else None

    @staticmethod
    def resolve_is_locked(obj: User) -> bool:
        return bool(getattr(obj, "is_locked", False))


class UserFilterIn(Schema):
    q: str = ""
    role: str = ""
    region: str = ""
    status: str = ""


class UserCreateIn(Schema):
    username: str
    password: str
    role: str
    display_name: str = ""
    region: str | None = None
    home_region: str | None = None
    enterprise: str | None = None


@router.get("/users", response=list[UserOut], operation_id="user_list", summary="用户列表（按管理范围）")
@paginate(PageNumberPagination, page_size=50)
def user_list_op(request: HttpRequest, filters: Query[UserFilterIn]) -> QuerySet[User]:
    # The accounts this officer manages (access_users), narrowed by the filters; status is
    # active | inactive | locked, region a region code (its subtree).
    user = access_require(request.auth, Perm.USER_MANAGE)  # type: ignore[attr-defined]
    return user_list(actor=user, filters=UserFilter(**filters.dict()))


@router.post("/users", response={201: UserOut}, operation_id="user_create", summary="创建用户")
def user_create_op(request: HttpRequest, payload: UserCreateIn) -> Status[User]:
    user = access_require(request.auth, Perm.USER_MANAGE)  # type: ignore[attr-defined]
    created = user_create(
        acting_user=user,
        username=payload.username,
        password=payload.password,
        role=payload.role,
        display_name=payload.display_name,
        region_code=payload.region or None,
        home_region_code=payload.home_region or None,
        enterprise_uscc=payload.enterprise or None,
    )
    return Status(201, created)
