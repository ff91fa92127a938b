"""user_create's refusals, API tokens and password hashing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.test import Client, override_settings
from django.utils import timezone

import config.django.base as base_settings
from conftest import County
from shuzhuan.accounts.models import ApiToken, Role, User
from shuzhuan.accounts.services import (
    TOKEN_PREFIX,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    user_create,
)
from shuzhuan.accounts.tests.factories import PASSWORD, make_user
from shuzhuan.audit.models import AuditEntry
from shuzhuan.audit.services import audit_verify
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.tests.factories import make_uscc

STRONG = "Hai-Wei-2025-qiye"

pytestmark = pytest.mark.django_db


def create(**kwargs: Any) -> User:
    args: dict[str, Any] = {"acting_user": None, "username": "zhangsan", "password": STRONG}
    return user_create(**{**args, **kwargs})


# --- user_create ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"role": "admin"}, "role", "未知的角色"),
        ({"role": ""}, "role", "未知的角色"),
        ({"role": "bureau_officer"}, "region", "必须指定管辖区域"),
        ({"role": "auditor"}, "region", "必须指定管辖区域"),
        ({"role": "town_officer"}, "region", "必须指定管辖区域"),
        ({"role": "town_officer", "region_code": "cixi"}, "region", "必须是一个镇或街道"),
        ({"role": "bureau_officer", "region_code": "atlantis"}, "region", "未知的区域代码"),
        ({"role": "expert", "region_code": "cixi"}, "region", "不按区域管辖"),
        ({"role": "enterprise"}, "enterprise", "必须绑定一家企业"),
        ({"role": "enterprise", "enterprise_uscc": make_uscc(8_888_888)}, "enterprise", "企业库中没有"),
        ({"role": "service_provider", "enterprise_uscc": make_uscc(8_888_888)}, "enterprise", "不能绑定企业"),
        ({"role": "expert", "username": "   "}, "username", "用户名不能为空"),
        ({"role": "expert", "password": "12345678"}, "password", ""),
        ({"role": "expert", "password": "password"}, "password", ""),
        ({"role": "expert", "password": "Ab1!"}, "password", ""),
        ({"role": "expert", "password": "zhangsan1"}, "password", ""),  # too like the username
    ],
)
def test_user_create_refuses_with_the_field_named(kwargs: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        create(**kwargs)
    assert excinfo.value.field == field
    assert words in excinfo.value.message
    assert excinfo.value.message  # a sentence a person can act on, not an empty string
    assert not User.objects.exists()
    assert not AuditEntry.objects.filter(action="user.create").exists()


def test_weak_password_message_is_in_chinese() -> None:
    with pytest.raises(ApplicationError) as excinfo:
        create(role="expert", password="12345678")
    assert "密码" in excinfo.value.message


def test_duplicate_username_is_refused(county: County) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        create(username="town", role="expert")
    assert excinfo.value.field == "username"
    assert "已存在" in excinfo.value.message
    with pytest.raises(ApplicationError):
        create(username=" town ", role="expert")  # surrounding blanks are not a new name


def test_user_create_binds_scope_and_audits(county: County) -> None:
    officer = create(username="li", role="town_officer", region_code="cixi-zhouxiang", display_name="李")
    assert (officer.role, officer.region.code if officer.region else None) == (
        "town_officer",
        "cixi-zhouxiang",
    )
    assert officer.enterprise is None

    lower = county.own.uscc.lower()
    firm = create(username="wang", role=Role.ENTERPRISE, enterprise_uscc=f"  {lower} ")
    assert firm.enterprise == county.own
    assert firm.region is None

    entry = AuditEntry.objects.filter(action="user.create", object_id=str(firm.pk)).get()
    assert entry.payload == {
        "username": "wang",
        "role": "enterprise",
        "region": None,
        "enterprise": county.own.uscc,
    }
    assert audit_verify().ok


def test_password_is_hashed_not_stored() -> None:
    user = create(role="expert")
    assert STRONG not in user.password
    assert check_password(STRONG, user.password)
    assert not check_password(STRONG + "x", user.password)


# --- password hashing -------------------------------------------------------------------


def test_argon2_is_the_first_hasher_of_the_real_settings() -> None:
    # The test settings swap in MD5 for speed; every real environment uses config.django.base.
    assert base_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "MD5" not in " ".join(base_settings.PASSWORD_HASHERS)
    assert settings.PASSWORD_HASHERS != base_settings.PASSWORD_HASHERS  # really the test override


def test_with_the_real_hashers_new_passwords_are_argon2() -> None:
    with override_settings(PASSWORD_HASHERS=base_settings.PASSWORD_HASHERS):
        encoded = make_password(PASSWORD)
        assert encoded.startswith("argon2$")  # argon2-cffi is installed, the hasher really runs
        assert check_password(PASSWORD, encoded)
        assert not check_password(PASSWORD + "x", encoded)


# --- API tokens -------------------------------------------------------------------------


@pytest.fixture
def user() -> User:
    return make_user(Role.TOWN_OFFICER, username="token_user")


def test_token_create_stores_only_a_hash(user: User) -> None:
    token, raw = api_token_create(acting_user=None, user=user, name="对接系统")
    assert raw.startswith(TOKEN_PREFIX) and len(raw) > 40
    row = ApiToken.objects.get(pk=token.pk)
    assert row.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {row.key_hash, row.prefix, row.name}
    assert row.prefix == raw[: len(TOKEN_PREFIX) + 4]
    expected_expiry = timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS)
    assert abs(row.expires_at - expected_expiry) < timedelta(minutes=1)
    entry = AuditEntry.objects.filter(action="api_token.create").latest("seq")
    assert entry.payload == {"token_id": token.pk, "name": "对接系统"}
    assert raw not in str(entry.payload)


def test_two_tokens_differ(user: User) -> None:
    _, first = api_token_create(acting_user=None, user=user)
    _, second = api_token_create(acting_user=None, user=user)
    assert first != second


def test_token_authenticates_its_user_and_records_use(user: User) -> None:
    token, raw = api_token_create(acting_user=None, user=user)
    assert api_token_authenticate(raw) == user
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: "",
        lambda raw: raw[:-1],
        lambda raw: raw + "x",
        lambda raw: raw.upper(),
        lambda raw: raw.removeprefix(TOKEN_PREFIX),
        lambda raw: "Bearer " + raw,
    ],
    ids=["empty", "truncated", "extended", "case-changed", "no-prefix", "with-scheme"],
)
def test_a_changed_token_is_refused(user: User, mangle: Callable[[str], str]) -> None:
    _, raw = api_token_create(acting_user=None, user=user)
    assert api_token_authenticate(mangle(raw)) is None


def test_a_token_without_our_prefix_is_refused_even_if_its_hash_is_stored(user: User) -> None:
    raw = "ghp_" + "a" * 40
    ApiToken.objects.create(
        user=user,
        key_hash=hashlib.sha256(raw.encode()).hexdigest(),
        prefix=raw[:8],
        expires_at=timezone.now() + timedelta(days=1),
    )
    assert api_token_authenticate(raw) is None


def test_an_expired_token_is_refused(user: User) -> None:
    token, raw = api_token_create(acting_user=None, user=user)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_token_authenticate(raw) is None


def test_a_revoked_token_is_refused_and_cannot_be_revoked_twice(user: User) -> None:
    token, raw = api_token_create(acting_user=None, user=user)
    api_token_revoke(acting_user=user, token_id=token.pk)
    assert api_token_authenticate(raw) is None
    assert AuditEntry.objects.filter(action="api_token.revoke", object_id=str(token.pk)).exists()
    with pytest.raises(ApplicationError) as excinfo:
        api_token_revoke(acting_user=user, token_id=token.pk)
    assert excinfo.value.field == "token"


def test_a_deactivated_users_token_is_refused(user: User) -> None:
    _, raw = api_token_create(acting_user=None, user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api_token_authenticate(raw) is None


def test_refused_tokens_are_refused_over_http(user: User, client: Client) -> None:
    token, raw = api_token_create(acting_user=None, user=user)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/accounts/me", **headers).json()["username"] == "token_user"  # type: ignore[arg-type]
    api_token_revoke(acting_user=user, token_id=token.pk)
    response = client.get("/api/accounts/me", **headers)  # type: ignore[arg-type]
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
