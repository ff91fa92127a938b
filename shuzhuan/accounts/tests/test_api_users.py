"""GET/POST /api/accounts/users: the same scope and refusals as the 用户管理 pages, in JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from conftest import County
from shuzhuan.accounts.models import Role, User
from shuzhuan.accounts.services import api_token_create
from shuzhuan.accounts.tests.factories import make_user
from shuzhuan.audit.models import AuditEntry

STRONG = "Hai-Wei-2025-qiye"


def _bearer(user: User) -> dict[str, str]:
    _, raw = api_token_create(acting_user=None, user=user)
    return {"Authorization": f"Bearer {raw}"}


def _post(headers: dict[str, str], body: dict[str, Any], client: Client | None = None) -> Any:
    return (client or Client()).post(
        "/api/accounts/users", json.dumps(body), content_type="application/json", headers=headers
    )


def test_list_is_scoped_paginated_and_complete(county: County) -> None:
    make_user(Role.BUREAU_OFFICER, username="ningbo_boss", region="ningbo")
    headers = _bearer(county.users["bureau_officer"])
    body = Client().get("/api/accounts/users", headers=headers).json()
    assert body["count"] == 5
    assert [i["username"] for i in body["items"]] == ["auditor", "expert", "firm", "provider", "town"]
    by_name = {i["username"]: i for i in body["items"]}
    assert "ningbo_boss" not in by_name and "bureau" not in by_name
    assert by_name["firm"] == {
        "username": "firm",
        "display_name": "",
        "role": "enterprise",
        "role_label": "企业",
        "region": None,
        "region_name": None,
        "enterprise": county.own.uscc,
        "enterprise_name": county.own.name,
        "home_region": None,
        "home_region_name": None,
        "scope_region": "cixi-guanhaiwei",
        "scope_region_name": "观海卫镇",
        "is_active": True,
        "is_locked": False,
        "last_login": None,
        "date_joined": by_name["firm"]["date_joined"],
    }
    assert by_name["expert"]["home_region"] == "cixi"
    page2 = Client().get("/api/accounts/users", {"page": 2}, headers=headers).json()
    assert page2["items"] == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"role": "town_officer"}, {"town"}),
        ({"region": "cixi-guanhaiwei"}, {"town", "firm"}),
        ({"q": "PROV"}, {"provider"}),
        ({"status": "locked"}, {"firm"}),
    ],
)
def test_list_filters(county: County, params: dict[str, str], expected: set[str]) -> None:
    for _ in range(5):
        Client().post("/login/", {"username": "firm", "password": "wrong-password"})
    body = Client().get("/api/accounts/users", params, headers=_bearer(county.users["bureau_officer"])).json()
    assert {i["username"] for i in body["items"]} == expected
    if params.get("status") == "locked":
        assert body["items"][0]["is_locked"] is True


@pytest.mark.parametrize("role", ["town_officer", "auditor", "enterprise", "expert", "service_provider"])
def test_other_roles_are_refused(county: County, role: str) -> None:
    headers = _bearer(county.users[role])
    response = Client().get("/api/accounts/users", headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    response = _post(headers, {"username": "x1", "password": STRONG, "role": "expert"})
    assert response.status_code == 403
    assert not User.objects.filter(username="x1").exists()


def test_anonymous_is_unauthenticated(db: None) -> None:
    response = Client().get("/api/accounts/users")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_create(county: County) -> None:
    headers = _bearer(county.users["bureau_officer"])
    body = {
        "username": "li_si",
        "password": STRONG,
        "role": "town_officer",
        "display_name": "李四",
        "region": "cixi-zhouxiang",
    }
    response = _post(headers, body)
    assert response.status_code == 201
    out = response.json()
    assert (out["username"], out["region"], out["scope_region_name"], out["is_active"]) == (
        "li_si",
        "cixi-zhouxiang",
        "周巷镇",
        True,
    )
    assert "password" not in out
    user = User.objects.get(username="li_si")
    assert user.check_password(STRONG)
    assert AuditEntry.objects.get(action="user.create", object_id=str(user.pk)).actor_username == "bureau"
    expert = _post(headers, {"username": "zj", "password": STRONG, "role": "expert"}).json()
    assert expert["home_region"] == "cixi"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"region": "cixi"}, "region"),  # a town officer needs a town
        ({"region": "ningbo"}, "region"),  # outside the scope
        ({"role": "bureau_officer", "region": "cixi"}, "region"),  # a peer
        ({"role": "enterprise", "region": None, "enterprise": "91330282MA0000000X"}, "enterprise"),
        ({"password": "12345678"}, "password"),
        ({"role": "admin"}, "role"),
        ({"username": "town"}, "username"),
    ],
)
def test_create_refusals_use_the_error_shape(county: County, overrides: dict[str, Any], field: str) -> None:
    body = {"username": "li_si", "password": STRONG, "role": "town_officer", "region": "cixi-zhouxiang"}
    response = _post(_bearer(county.users["bureau_officer"]), {**body, **overrides})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid", field)
    assert error["message"]
    assert not User.objects.filter(username="li_si").exists()


def test_create_with_a_missing_field_is_a_validation_error(county: County) -> None:
    response = _post(_bearer(county.users["bureau_officer"]), {"username": "li_si", "role": "expert"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation"


def test_session_create_needs_the_csrf_token(county: County) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.users["bureau_officer"])
    response = _post({}, {"username": "li_si", "password": STRONG, "role": "expert"}, client)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert not User.objects.filter(username="li_si").exists()
