"""Users of every role, created through ``user_create`` (the real service)."""

from __future__ import annotations

import itertools

from shuzhuan.accounts.models import HOME_REGION_ROLES, Role, User
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
    home_region: str | None = None,
    display_name: str = "",
) -> User:
    role = Role(role)
    if region is None and role in (Role.BUREAU_OFFICER, Role.AUDITOR):
        region = "cixi"
    if region is None and role == Role.TOWN_OFFICER:
        region = "cixi-guanhaiwei"
    if home_region is None and role in HOME_REGION_ROLES:
        home_region = "cixi"  # registered by the county bureau, like the demo's
    return user_create(
        acting_user=None,
        username=username or f"{role.value}_{next(_n)}",
        password=password,
        role=role,
        region_code=region,
        enterprise_uscc=enterprise.uscc if enterprise else None,
        home_region_code=home_region,
        display_name=display_name,
        check_password_strength=False,
    )
