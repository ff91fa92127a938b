from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import HttpBearer, SessionAuth

from shuzhuan.accounts.access import Perm, access_require
from shuzhuan.accounts.models import User
from shuzhuan.accounts.services import api_token_authenticate, api_token_create, user_summary
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
