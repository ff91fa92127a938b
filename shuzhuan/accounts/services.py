"""Writes for users and API tokens. Every write names who did it and is audited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shuzhuan.accounts.models import ApiToken, Role, User
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
    check_password_strength: bool = True,
) -> User:
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
    region, enterprise = _resolve_scope(
        role=role_value, region_code=region_code, enterprise_uscc=enterprise_uscc
    )
    user = User(
        username=username, role=role_value, display_name=display_name, region=region, enterprise=enterprise
    )
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
            },
        )
    return user


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
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not updated:
            raise ApplicationError("令牌不存在或已吊销", field="token")
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
