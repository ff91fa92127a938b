"""Account pages: user management for bureau officers, 我的账户 for everyone signed in.

Thin like every view: ``access_*`` decides who and what, the accounts services do the writes,
and a refused write (``ApplicationError``) comes back as a Chinese message on its form field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shuzhuan.accounts.access import (
    Perm,
    access_api_token,
    access_api_tokens,
    access_require,
    access_user,
    access_user_regions,
    access_view,
)
from shuzhuan.accounts.models import HOME_REGION_ROLES, REGION_SCOPED_ROLES, Role, User
from shuzhuan.accounts.selectors import UserFilter, user_is_locked, user_list
from shuzhuan.accounts.services import (
    api_token_create,
    api_token_revoke,
    user_activate,
    user_create,
    user_deactivate,
    user_password_change,
    user_set_password,
    user_unlock,
    user_update,
)
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Region

# --- forms ----------------------------------------------------------------------------------


class _BootstrapForm(forms.Form):
    """Bootstrap classes on every widget, and ``is-invalid`` on every field with an error."""

    # Where a service's ApplicationError.field lands on this form (same name unless listed).
    service_fields: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        if field in self.fields:
            widget = self.fields[field].widget
            if "is-invalid" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"

    def add_application_error(self, exc: ApplicationError) -> None:
        name = self.service_fields.get(exc.field or "", exc.field or "")
        self.add_error(name if name in self.fields else None, exc.message)


def _region_choices(regions: QuerySet[Region]) -> list[tuple[str, str]]:
    rows = list(regions)
    top = min((r.path.count("/") for r in rows), default=0)
    indent = "\u3000"  # an ideographic space per level below the officer's own region
    return [("", "—")] + [(r.code, indent * (r.path.count("/") - top) + r.name) for r in rows]


_PASSWORD_HELP = "至少 8 位，不能全是数字，不能是常见密码，也不能与用户名相似。"  # noqa: S105 - help text


class UserCreateForm(_BootstrapForm):
    username = forms.CharField(label="用户名", max_length=150, help_text="登录用，创建后不能修改")
    display_name = forms.CharField(label="姓名", max_length=64, required=False)
    role = forms.ChoiceField(label="角色", choices=[("", "—"), *Role.choices])
    region = forms.ChoiceField(
        label="管辖区域", required=False, help_text="局端、镇（街道）、财政/审计用户按此区域管辖"
    )
    home_region = forms.ChoiceField(
        label="归属区域", required=False, help_text="专家、服务商由该区域的经信局管理；不选则为您的区域"
    )
    enterprise = forms.CharField(label="所属企业（统一社会信用代码）", max_length=40, required=False)
    password1 = forms.CharField(
        label="初始密码",
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_PASSWORD_HELP,
    )
    password2 = forms.CharField(label="确认密码", strip=False, widget=forms.PasswordInput(render_value=False))

    service_fields = {"password": "password1"}
    # Which roles each scope field is for (the page hides the others; the service checks anyway).
    roles_for = {
        "region": " ".join(sorted(REGION_SCOPED_ROLES)),
        "home_region": " ".join(sorted(HOME_REGION_ROLES)),
        "enterprise": Role.ENTERPRISE.value,
    }

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _region_choices(regions)
        self.fields["region"].choices = choices  # type: ignore[attr-defined]
        self.fields["home_region"].choices = choices  # type: ignore[attr-defined]
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "两次输入的密码不一致")
        return data


class UserEditForm(_BootstrapForm):
    """Name and the one scope field the account's role has; role and username stay as they are."""

    display_name = forms.CharField(label="姓名", max_length=64, required=False)
    region = forms.ChoiceField(label="管辖区域")
    home_region = forms.ChoiceField(label="归属区域", help_text="由该区域的经信局管理此账户")
    enterprise = forms.CharField(label="所属企业（统一社会信用代码）", max_length=40)

    def __init__(self, *args: Any, target: User, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _region_choices(regions)
        self.fields["region"].choices = choices  # type: ignore[attr-defined]
        self.fields["home_region"].choices = choices  # type: ignore[attr-defined]
        keep = {
            **dict.fromkeys(REGION_SCOPED_ROLES, "region"),
            **dict.fromkeys(HOME_REGION_ROLES, "home_region"),
            Role.ENTERPRISE: "enterprise",
        }.get(Role(target.role))
        for name in ("region", "home_region", "enterprise"):
            if name != keep:
                del self.fields[name]


class PasswordSetForm(_BootstrapForm):
    password1 = forms.CharField(
        label="新密码", strip=False, widget=forms.PasswordInput(), help_text=_PASSWORD_HELP
    )
    password2 = forms.CharField(label="确认新密码", strip=False, widget=forms.PasswordInput())

    service_fields = {"password": "password1", "new_password": "password1"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "两次输入的密码不一致")
        return data


class PasswordChangeForm(PasswordSetForm):
    old_password = forms.CharField(label="原密码", strip=False, widget=forms.PasswordInput())

    field_order = ["old_password", "password1", "password2"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs["autocomplete"] = "current-password"


class TokenCreateForm(_BootstrapForm):
    name = forms.CharField(label="用途", max_length=100, help_text="例如“对接财政系统”，便于日后识别和吊销")


# --- user management (bureau officers) -------------------------------------------------------


def _user_filters(request: HttpRequest) -> UserFilter:
    return UserFilter(
        q=request.GET.get("q", ""),
        role=request.GET.get("role", ""),
        region=request.GET.get("region", ""),
        status=request.GET.get("status", ""),
    )


@require_GET
@access_view(Perm.USER_MANAGE)
def user_list_view(request: HttpRequest) -> HttpResponse:
    user = access_require(request.user, Perm.USER_MANAGE)
    filters = _user_filters(request)
    page = Paginator(user_list(actor=user, filters=filters), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "roles": Role.choices,
        "regions": _region_choices(access_user_regions(user))[1:],
        "statuses": UserFilter.STATUSES.items(),
        "query": query.urlencode(),
    }
    return render(request, "web/user_list.html", context)


@require_http_methods(["GET", "POST"])
@access_view(Perm.USER_MANAGE)
def user_create_view(request: HttpRequest) -> HttpResponse:
    user = access_require(request.user, Perm.USER_MANAGE)
    regions = access_user_regions(user)
    form = UserCreateForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = user_create(
                acting_user=user,
                username=data["username"],
                password=data["password1"],
                role=data["role"],
                display_name=data["display_name"],
                region_code=data["region"] or None,
                home_region_code=data["home_region"] or None,
                enterprise_uscc=data["enterprise"].strip() or None,
            )
        except ApplicationError as exc:
            form.add_application_error(exc)
        else:
            messages.success(request, f"已创建用户 {created.username}（{created.role_label}）。")
            return redirect("web:user_edit", username=created.username)
    return render(request, "web/user_form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
@access_view(Perm.USER_MANAGE)
def user_edit_view(request: HttpRequest, username: str) -> HttpResponse:
    user = access_require(request.user, Perm.USER_MANAGE)
    target = access_user(user, username)
    initial = {
        "display_name": target.display_name,
        "region": target.region.code if target.region else "",
        "home_region": target.home_region.code if target.home_region else "",
        "enterprise": target.enterprise.uscc if target.enterprise else "",
    }
    form = UserEditForm(
        request.POST or None, initial=initial, target=target, regions=access_user_regions(user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user_update(
                acting_user=user,
                user=target,
                display_name=data["display_name"],
                region_code=data.get("region"),
                home_region_code=data.get("home_region"),
                enterprise_uscc=data.get("enterprise"),
            )
        except ApplicationError as exc:
            form.add_application_error(exc)
        else:
            messages.success(request, f"已保存用户 {target.username} 的信息。")
            return redirect("web:user_edit", username=target.username)
    context = {
        "form": form,
        "creating": False,
        "target": target,
        "locked": user_is_locked(username=target.username),
        "token_count": access_api_tokens(target).count() if target.is_active else 0,
    }
    return render(request, "web/user_form.html", context)


@require_http_methods(["GET", "POST"])
@access_view(Perm.USER_MANAGE)
def user_password_view(request: HttpRequest, username: str) -> HttpResponse:
    user = access_require(request.user, Perm.USER_MANAGE)
    target = access_user(user, username)
    form = PasswordSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_set_password(acting_user=user, user=target, password=form.cleaned_data["password1"])
        except ApplicationError as exc:
            form.add_application_error(exc)
        else:
            messages.success(request, f"已重置用户 {target.username} 的密码，请通过可靠途径告知本人。")
            return redirect("web:user_edit", username=target.username)
    return render(request, "web/user_password.html", {"form": form, "target": target})


def _user_action(request: HttpRequest, username: str, action: str) -> HttpResponse:
    user = access_require(request.user, Perm.USER_MANAGE)
    target = access_user(user, username)
    try:
        if action == "deactivate":
            user_deactivate(acting_user=user, user=target)
            done = f"已停用用户 {target.username}，其 API 令牌已全部吊销。"
        elif action == "activate":
            user_activate(acting_user=user, user=target)
            done = f"已启用用户 {target.username}。"
        else:
            cleared = user_unlock(acting_user=user, user=target)
            done = f"已解除用户 {target.username} 的登录锁定（清除 {cleared} 条失败记录）。"
    except ApplicationError as exc:
        messages.error(request, exc.message, extra_tags="danger")
    else:
        messages.success(request, done)
    return redirect("web:user_edit", username=target.username)


@require_POST
@access_view(Perm.USER_MANAGE)
def user_deactivate_view(request: HttpRequest, username: str) -> HttpResponse:
    return _user_action(request, username, "deactivate")


@require_POST
@access_view(Perm.USER_MANAGE)
def user_activate_view(request: HttpRequest, username: str) -> HttpResponse:
    return _user_action(request, username, "activate")


@require_POST
@access_view(Perm.USER_MANAGE)
def user_unlock_view(request: HttpRequest, username: str) -> HttpResponse:
    return _user_action(request, username, "unlock")


# --- 我的账户 (every signed-in user) ----------------------------------------------------------


def _my_account_page(request: HttpRequest, user: User, **context: Any) -> HttpResponse:
    context.setdefault("password_form", PasswordChangeForm())
    context.setdefault("token_form", TokenCreateForm())
    context["tokens"] = access_api_tokens(user)
    response = render(request, "web/my_account.html", context)
    add_never_cache_headers(response)  # a new token is on this page once; keep it out of caches
    return response


@require_GET
@access_view(Perm.ACCOUNT_SELF)
def my_account(request: HttpRequest) -> HttpResponse:
    user = access_require(request.user, Perm.ACCOUNT_SELF)
    return _my_account_page(request, user)


@require_POST
@access_view(Perm.ACCOUNT_SELF)
def my_password(request: HttpRequest) -> HttpResponse:
    user = access_require(request.user, Perm.ACCOUNT_SELF)
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            user_password_change(
                acting_user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["password1"],
            )
        except ApplicationError as exc:
            form.add_application_error(exc)
        else:
            update_session_auth_hash(request, user)  # stay signed in here; other sessions end
            messages.success(request, "密码已修改。")
            return redirect("web:my_account")
    return _my_account_page(request, user, password_form=form)


@require_POST
@access_view(Perm.API_TOKEN)
def my_token_create(request: HttpRequest) -> HttpResponse:
    user = access_require(request.user, Perm.API_TOKEN)
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _my_account_page(request, user, token_form=form)
    token, raw = api_token_create(acting_user=user, user=user, name=form.cleaned_data["name"])
    # Shown in this response only: the raw token is neither stored nor put in the session.
    return _my_account_page(request, user, new_token=raw, new_token_row=token)


@require_POST
@access_view(Perm.API_TOKEN)
def my_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = access_require(request.user, Perm.API_TOKEN)
    token = access_api_token(user, token_id)
    try:
        api_token_revoke(acting_user=user, token_id=token.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message, extra_tags="danger")
    else:
        messages.success(request, f"已吊销令牌 {token.prefix}…（{token.name or '未命名'}）。")
    return redirect("web:my_account")
