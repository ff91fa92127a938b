"""Writes for users and API tokens. Every write names who did it and is audited."""

from __future__ import annotations

import copy
import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from shuzhuan.accounts.access import (
    ROLE_PERMISSIONS,
    Perm,
    access_require,
    access_user_manageable,
    access_user_region,
)
from shuzhuan.accounts.models import HOME_REGION_ROLES, ApiToken, Role, User
from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Enterprise, Region
from shuzhuan.enterprises.uscc import uscc_normalize

TOKEN_PREFIX = "szt_"  # noqa: S105 - a public prefix, not a secret


def _resolve_scope(
    *, role: Role, region_code: str | None, enterprise_uscc: str | None
) -> tuple[Region | None, Enterprise | None]:
    region: Region | None = None
    enterprise: Enterprise | None = None
    if role in (Role.BUREAU_OFFICER, Role.TOWN_OFFICER, Role.AUDITOR):
        if not region_code:
            raise ApplicationError(f"角色“{role.label}”必须指定管辖区域（region）", field="region")
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise ApplicationError(f"未知的区域代码：{region_code}", field="region")
        if role == Role.TOWN_OFFICER and region.level != Region.Level.TOWN:
            raise ApplicationError("镇（街道）用户的管辖区域必须是一个镇或街道", field="region")
    elif region_code:
        raise ApplicationError(f"角色“{role.label}”不按区域管辖，不能指定区域", field="region")
    if role == Role.ENTERPRISE:
        if not enterprise_uscc:
            raise ApplicationError("企业用户必须绑定一家企业（统一社会信用代码）", field="enterprise")
        enterprise = Enterprise.objects.filter(uscc=uscc_normalize(enterprise_uscc)).first()
        if enterprise is None:
            raise ApplicationError(f"企业库中没有该统一社会信用代码：{enterprise_uscc}", field="enterprise")
    elif enterprise_uscc:
        raise ApplicationError(f"角色“{role.label}”不能绑定企业", field="enterprise")
    return region, enterprise


def user_create(
    *,
    acting_user: User | None,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    region_code: str | None = None,
    enterprise_uscc: str | None = None,
    home_region_code: str | None = None,
    check_password_strength: bool = True,
) -> User:
    """Create an account. With an ``acting_user`` (a page or the API) the new account must be one
    that user may manage (``access_user_manageable``); without one (the CLI) any scope is allowed.
    An expert's or service provider's home region defaults to the acting officer's region."""
    if acting_user is not None:
        access_require(acting_user, Perm.USER_MANAGE)
    username = username.strip()
    if not username:
        raise ApplicationError("用户名不能为空", field="username")
    try:
        role_value = Role(role)
    except ValueError:
        choices = "、".join(r.value for r in Role)
        raise ApplicationError(f"未知的角色：{role}（可选：{choices}）", field="role") from None
    if User.objects.filter(username=username).exists():
        raise ApplicationError(f"用户名已存在：{username}", field="username")
    if len(username) > 150:  # User.username's max_length
        raise ApplicationError("用户名不能超过 150 个字符", field="username")
    region, enterprise = _resolve_scope(
        role=role_value, region_code=region_code, enterprise_uscc=enterprise_uscc
    )
    if role_value in HOME_REGION_ROLES and not home_region_code and acting_user is not None:
        home_region_code = acting_user.region.code if acting_user.region else None
    home_region = _resolve_home_region(role=role_value, home_region_code=home_region_code)
    user = User(
        username=username,
        role=role_value,
        display_name=_clean_display_name(display_name),
        region=region,
        enterprise=enterprise,
        home_region=home_region,
    )
    _require_in_scope(acting_user, user)
    if check_password_strength:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ApplicationError("；".join(exc.messages), field="password") from None
    user.set_password(password)
    with transaction.atomic():
        user.save()
        audit_record(
            actor=acting_user,
            action="user.create",
            object_type="user",
            object_id=user.pk,
            payload={
                "username": username,
                "role": role_value.value,
                "region": region.code if region else None,
                "enterprise": enterprise.uscc if enterprise else None,
                **({"home_region": home_region.code} if home_region else {}),
            },
        )
    return user


_SCOPE_FIELD = {
    Role.ENTERPRISE: "enterprise",
    Role.EXPERT: "home_region",
    Role.SERVICE_PROVIDER: "home_region",
}


def _clean_display_name(display_name: str) -> str:
    name = display_name.strip()
    if len(name) > 64:
        raise ApplicationError("姓名不能超过 64 个字符", field="display_name")
    return name


def _resolve_home_region(*, role: Role, home_region_code: str | None) -> Region | None:
    if role not in HOME_REGION_ROLES:
        if home_region_code:
            raise ApplicationError(f"角色“{role.label}”不需要归属区域", field="home_region")
        return None
    if not home_region_code:
        return None
    region = Region.objects.filter(code=home_region_code).first()
    if region is None:
        raise ApplicationError(f"未知的区域代码：{home_region_code}", field="home_region")
    return region


def _require_in_scope(acting_user: User | None, candidate: User) -> None:
    """The account as it would be saved must still be one ``acting_user`` may manage."""
    if acting_user is None or access_user_manageable(acting_user, candidate):
        return
    role = Role(candidate.role)
    field = _SCOPE_FIELD.get(role, "region")
    scope = acting_user.region.name if acting_user.region else ""
    if field == "enterprise":
        message = "企业库中没有该统一社会信用代码，或该企业不在您的管辖范围内"
    elif role in ROLE_PERMISSIONS[Perm.USER_MANAGE]:
        message = f"“{role.label}”用户的管辖区域必须在您的管辖区域（{scope}）之下，不能与您同级或更高"
    elif access_user_region(candidate) is None:
        message = "请指定归属区域" if field == "home_region" else "请指定管辖区域"
    else:
        label = "归属区域" if field == "home_region" else "管辖区域"
        message = f"{label}不在您的管辖范围（{scope}）内"
    raise ApplicationError(message, field=field)


def _require_may_manage(acting_user: User | None, user: User) -> None:
    """Pages and the API find the user through access_user (404 when out of scope); this is the
    same rule again where the write happens. The CLI (no acting user) may manage anyone."""
    if acting_user is None:
        return
    access_require(acting_user, Perm.USER_MANAGE)
    if not access_user_manageable(acting_user, user):
        raise PermissionDenied("您无权管理该用户。")


def _region_code(region: Region | None) -> str | None:
    return region.code if region else None


def user_update(
    *,
    acting_user: User | None,
    user: User,
    display_name: str | None = None,
    is_active: bool | None = None,
    region_code: str | None = None,
    home_region_code: str | None = None,
    enterprise_uscc: str | None = None,
) -> User:
    """Change an account's name, scope (region, home region or enterprise) or active flag.

    ``None`` leaves a value as it is. The role and the username do not change here.
    """
    _require_may_manage(acting_user, user)
    try:
        role = Role(user.role)
    except ValueError:
        raise ApplicationError(f"该账户的角色无效：{user.role}", field="role") from None
    current_uscc = user.enterprise.uscc if user.enterprise else None
    region, enterprise = _resolve_scope(
        role=role,
        region_code=_region_code(user.region) if region_code is None else region_code,
        enterprise_uscc=current_uscc if enterprise_uscc is None else enterprise_uscc,
    )
    home_region = user.home_region
    if home_region_code is not None:
        home_region = _resolve_home_region(role=role, home_region_code=home_region_code)
        if role in HOME_REGION_ROLES and home_region is None and acting_user is not None:
            raise ApplicationError("请指定归属区域", field="home_region")
    candidate = copy.copy(user)
    candidate.region, candidate.enterprise, candidate.home_region = region, enterprise, home_region
    if display_name is not None:
        candidate.display_name = _clean_display_name(display_name)
    _require_in_scope(acting_user, candidate)

    changes: dict[str, list[Any]] = {}
    if candidate.display_name != user.display_name:
        changes["display_name"] = [user.display_name, candidate.display_name]
    if region != user.region:
        changes["region"] = [_region_code(user.region), _region_code(region)]
    if home_region != user.home_region:
        changes["home_region"] = [_region_code(user.home_region), _region_code(home_region)]
    if enterprise != user.enterprise:
        changes["enterprise"] = [current_uscc, enterprise.uscc if enterprise else None]
    with transaction.atomic():
        if changes:
            user.display_name = candidate.display_name
            user.region, user.enterprise, user.home_region = region, enterprise, home_region
            user.save(update_fields=["display_name", "region", "enterprise", "home_region"])
            audit_record(
                actor=acting_user,
                action="user.update",
                object_type="user",
                object_id=user.pk,
                payload={"username": user.username, "changes": changes},
            )
        if is_active is not None and is_active != user.is_active:
            if is_active:
                user_activate(acting_user=acting_user, user=user)
            else:
                user_deactivate(acting_user=acting_user, user=user)
    return user


def _validated_password(password: str, user: User, *, field: str) -> str:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ApplicationError("；".join(exc.messages), field=field) from None
    return password


def user_set_password(*, acting_user: User | None, user: User, password: str) -> None:
    """Set another account's password (an officer's reset, or the CLI). Django's validators apply.

    Changing the password ends the account's open sessions (their session hash no longer matches).
    """
    _require_may_manage(acting_user, user)
    user.set_password(_validated_password(password, user, field="password"))
    with transaction.atomic():
        user.save(update_fields=["password"])
        audit_record(
            actor=acting_user,
            action="user.password_set",
            object_type="user",
            object_id=user.pk,
            payload={"username": user.username},
        )


def user_password_change(*, acting_user: User, old_password: str, new_password: str) -> None:
    """A signed-in user changes their own password: the old one first, then Django's validators."""
    user = access_require(acting_user, Perm.ACCOUNT_SELF)
    if not user.check_password(old_password):
        raise ApplicationError("原密码不正确", field="old_password")
    if new_password == old_password:
        raise ApplicationError("新密码不能与原密码相同", field="new_password")
    user.set_password(_validated_password(new_password, user, field="new_password"))
    with transaction.atomic():
        user.save(update_fields=["password"])
        audit_record(
            actor=user,
            action="user.password_change",
            object_type="user",
            object_id=user.pk,
            payload={"username": user.username},
        )


def user_deactivate(*, acting_user: User | None, user: User) -> User:
    """Stop an account: it can no longer sign in, its sessions stop working and its API tokens are
    revoked (re-activating does not bring them back). Nobody can deactivate themselves."""
    if acting_user is not None and acting_user.pk == user.pk:
        raise ApplicationError("不能停用自己的账户", field="user")
    _require_may_manage(acting_user, user)
    if not user.is_active:
        raise ApplicationError("该账户已是停用状态", field="user")
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit_record(
            actor=acting_user,
            action="user.deactivate",
            object_type="user",
            object_id=user.pk,
            payload={"username": user.username, "tokens_revoked": revoked},
        )
    return user


def user_activate(*, acting_user: User | None, user: User) -> User:
    _require_may_manage(acting_user, user)
    if user.is_active:
        raise ApplicationError("该账户已是启用状态", field="user")
    with transaction.atomic():
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_record(
            actor=acting_user,
            action="user.activate",
            object_type="user",
            object_id=user.pk,
            payload={"username": user.username},
        )
    return user


def user_unlock(*, acting_user: User | None, user: User) -> int:
    """Clear the account's failed logins (django-axes), which ends a lockout at once.

    Returns how many failure records were removed (0 when there were none).
    """
    from axes.utils import reset

    _require_may_manage(acting_user, user)
    with transaction.atomic():
        cleared = reset(username=user.username)
        audit_record(
            actor=acting_user,
            action="user.unlock",
            object_type="user",
            object_id=user.pk,
            payload={"username": user.username, "attempts_cleared": cleared},
        )
    return cleared


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def api_token_create(*, acting_user: User | None, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token; returns the row and the raw token, which is never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            key_hash=_hash_token(raw),
            prefix=raw[: len(TOKEN_PREFIX) + 4],
            expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS),
        )
        audit_record(
            actor=acting_user or user,
            action="api_token.create",
            object_type="user",
            object_id=user.pk,
            payload={"token_id": token.pk, "name": token.name},
        )
    return token, raw


def api_token_authenticate(raw: str) -> User | None:
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__region", "user__enterprise")
        .filter(key_hash=_hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def api_token_revoke(*, acting_user: User, token_id: int) -> None:
    """Revoke a token of one's own, or of an account one manages."""
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update()
            .select_related("user")
            .filter(pk=token_id, revoked_at__isnull=True)
            .first()
        )
        if token is None:
            raise ApplicationError("令牌不存在或已吊销", field="token")
        if token.user_id != acting_user.pk and not access_user_manageable(acting_user, token.user):
            raise PermissionDenied("您无权吊销该令牌。")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=acting_user, action="api_token.revoke", object_type="api_token", object_id=token_id
        )


def user_summary(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "role_label": user.role_label,
        "region": user.region.code if user.region else None,
        "region_name": user.region.name if user.region else None,
        "enterprise": user.enterprise.uscc if user.enterprise else None,
        "enterprise_name": user.enterprise.name if user.enterprise else None,
    }


def user_admin_summary(user: User, *, is_locked: bool = False) -> dict[str, Any]:
    """What user management shows about an account (the API's UserOut, the CLI's --json)."""
    home = access_user_region(user)
    return {
        **user_summary(user),
        "home_region": user.home_region.code if user.home_region else None,
        "home_region_name": user.home_region.name if user.home_region else None,
        "scope_region": home.code if home else None,
        "scope_region_name": home.name if home else None,
        "is_active": user.is_active,
        "is_locked": is_locked,
        "last_login": user.last_login,
        "date_joined": user.date_joined,
    }
