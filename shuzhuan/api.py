"""The JSON API: one NinjaAPI, one router per app, one error shape.

Authentication: a browser session (with CSRF) or ``Authorization: Bearer <token>``.
Authorisation: each operation calls the same ``access_*`` functions as the pages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from shuzhuan.accounts.access import Perm, access_view
from shuzhuan.accounts.api import AccountLocked, ApiKeyAuth, SessionAuthCsrf
from shuzhuan.accounts.api import router as accounts_router
from shuzhuan.applications.api import batches_router
from shuzhuan.applications.api import router as applications_router
from shuzhuan.cockpit.api import router as cockpit_router
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.api import router as enterprises_router
from shuzhuan.funds.api import router as funds_router
from shuzhuan.policies.api import editions_router
from shuzhuan.policies.api import router as policies_router
from shuzhuan.qa.api import router as qa_router


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 JSON with Chinese kept readable (no \\uXXXX escapes)."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=ChineseJSONRenderer(),
    title="数转 shuzhuan API",
    version="1.0.0",
    description="中小企业数字化转型政策与资金管理系统接口。认证：会话 Cookie（需 CSRF）或 `Authorization: Bearer <令牌>`。",
    auth=[ApiKeyAuth(), SessionAuthCsrf()],
    urls_namespace="api-1.0.0",
    # The interactive docs and the schema are for signed-in users, like every other page.
    docs_decorator=access_view(Perm.API_TOKEN),
)


def _error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message, **extra}}
    return api.create_response(request, body, status=status)


@api.exception_handler(ApplicationError)
def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return _error(request, 400, "invalid", exc.message, field=exc.field, **exc.extra)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, "forbidden", str(exc) or "您没有执行此操作的权限。")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", str(exc) or "未找到。")


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", "请先登录或提供有效的 API 令牌。")


@api.exception_handler(AccountLocked)
def on_account_locked(request: HttpRequest, exc: AccountLocked) -> HttpResponse:
    return _error(request, 429, "locked", exc.message, field="username")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals: a failed CSRF check on a session request, an unparsable body."""
    if exc.status_code == 403 and str(exc) == "CSRF check Failed":
        return _error(request, 403, "csrf_failed", "CSRF 校验失败，请刷新页面后重试。")
    if exc.status_code == 400:
        return _error(request, 400, "invalid", "请求格式不正确。", details=str(exc))
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, "validation", "请求参数不正确。", details=exc.errors)


api.add_router("/accounts", accounts_router)
api.add_router("/enterprises", enterprises_router)
api.add_router("/policy", policies_router)
api.add_router("/policy/editions", editions_router)
api.add_router("/batches", batches_router)
api.add_router("/applications", applications_router)
api.add_router("/funds", funds_router)
api.add_router("/qa", qa_router)
api.add_router("/cockpit", cockpit_router)
