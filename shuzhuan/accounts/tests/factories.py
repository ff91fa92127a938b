"""Users of every role, created through ``user_create`` (the real service)."""

from __future__ import annotations

import itertools

from shuzhuan.accounts.models import Role, User
from shuzhuan.accounts.services import user_create
from shuzhuan.enterprises.models import Enterprise

PASSWORD = "Test-Passw0rd!"
_n = itertools.count(1)


def make_user(
    role: Role | str,
    *,
    region: str | None = None,
    enterprise: Enterprise | None = None,
    username: str | None = None,
    password: str = PASSWORD,
) -> User:
    role = Role(role)
    if region is None and role in (Role.BUREAU_OFFICER, Role.AUDITOR):
        region = "cixi"
    if region is None and role == Role.TOWN_OFFICER:
        region = "cixi-guanhaiwei"
    return user_create(
        acting_user=None,
        username=username or f"{role.value}_{next(_n)}",
        password=password,
        role=role,
        region_code=region,
        enterprise_uscc=enterprise.uscc if enterprise else None,
        check_password_strength=False,
    )
