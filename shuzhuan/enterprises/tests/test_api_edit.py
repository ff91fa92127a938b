"""The registry API's writes: create, partial update, qualifications — bodies, the error shape,
scope, CSRF on session requests, and the audit entry each one leaves. (Who gets which status code
is in tests/test_authorization_matrix.py.)"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory

from conftest import County
from shuzhuan.accounts.services import api_token_create
from shuzhuan.audit.models import AuditEntry
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.tests.factories import make_uscc

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


def _client(county: County, role: str) -> Client:
    client = Client()
    client.force_login(county.users[role])
    return client


def _send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> TestResponse:
    return client.generic(
        method, url, json.dumps(body or {}, ensure_ascii=False), content_type="application/json"
    )


@pytest.fixture
def bureau(county: County) -> Client:
    return _client(county, "bureau_officer")


def test_create_returns_the_enterprise_and_audits_it(county: County, bureau: Client) -> None:
    uscc = make_uscc()
    response = _send(
        bureau,
        "POST",
        "/api/enterprises/",
        {
            "uscc": uscc.lower(),
            "name": "慈溪市新登记电器有限公司",
            "town": "观海卫镇",
            "industry": "home_appliances",
            "employees": 35,
            "revenue": "5266100.00",
            "reason": "API 补录",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "uscc": uscc,
        "name": "慈溪市新登记电器有限公司",
        "town": "cixi-guanhaiwei",
        "town_name": "观海卫镇",
        "industry": "home_appliances",
        "industry_name": "家电",
        "is_sme": True,
        "above_scale": False,
        "employees": 35,
        "revenue": "5266100.00",
        "has_rd_activity": False,
        "status": "active",
        "qualifications": [],
    }
    entry = AuditEntry.objects.get(action="enterprise.create", object_id=uscc)
    assert (entry.actor_username, entry.reason) == ("bureau", "API 补录")
    # … and it is listed and readable like any other.
    assert bureau.get(f"/api/enterprises/{uscc}").json()["name"] == "慈溪市新登记电器有限公司"


def test_create_refusal_uses_the_error_shape_with_every_field(bureau: Client) -> None:
    response = _send(
        bureau, "POST", "/api/enterprises/", {"uscc": "91330282MA2X", "name": "", "town": "火星镇"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] == "uscc" and "18位" in error["message"]
    assert [e["field"] for e in error["errors"]] == ["uscc", "name", "town"]
    assert not Enterprise.objects.filter(name="").exists()


def test_unknown_fields_are_refused_not_ignored(county: County, bureau: Client) -> None:
    response = _send(bureau, "PATCH", f"/api/enterprises/{county.own.uscc}", {"employes": 3})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation"
    assert Enterprise.objects.get(pk=county.own.pk).employees == 80


def test_update_changes_only_the_fields_sent(county: County, bureau: Client) -> None:
    response = _send(
        bureau,
        "PATCH",
        f"/api/enterprises/{county.own.uscc}",
        {"employees": 95, "industry": None, "reason": "年报更新"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["employees"], body["industry"], body["name"], body["town"]) == (
        95,
        None,
        county.own.name,
        "cixi-guanhaiwei",
    )
    assert [q["type"] for q in body["qualifications"]] == ["national_tech_sme"]
    entry = AuditEntry.objects.get(action="enterprise.update")
    assert entry.payload == {
        "before": {"industry": "auto_parts", "employees": 80},
        "after": {"industry": None, "employees": 95},
    }
    assert entry.reason == "年报更新"


def test_update_refuses_a_new_uscc(county: County, bureau: Client) -> None:
    response = _send(
        bureau, "PATCH", f"/api/enterprises/{county.own.uscc}", {"uscc": make_uscc(), "name": "改名"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "uscc"
    assert Enterprise.objects.get(pk=county.own.pk).name == county.own.name
    same = _send(bureau, "PATCH", f"/api/enterprises/{county.own.uscc.lower()}", {"uscc": county.own.uscc})
    assert same.status_code == 200


def test_a_town_officer_keeps_their_own_town_only(county: County) -> None:
    town = _client(county, "town_officer")
    moved = _send(town, "PATCH", f"/api/enterprises/{county.own.uscc}", {"town": "cixi-zhouxiang"})
    assert moved.status_code == 400
    assert moved.json()["error"]["field"] == "town"
    assert "不在您的管辖范围内" in moved.json()["error"]["message"]
    assert Enterprise.objects.get(pk=county.own.pk).town.code == "cixi-guanhaiwei"

    other = _send(town, "PATCH", f"/api/enterprises/{county.elsewhere.uscc}", {"employees": 1})
    assert other.status_code == 404
    assert county.elsewhere.name not in other.content.decode()

    ok = _send(town, "PATCH", f"/api/enterprises/{county.neighbour.uscc}", {"employees": 12})
    assert ok.status_code == 200 and ok.json()["employees"] == 12


def test_qualification_add_and_remove(county: County, bureau: Client) -> None:
    url = f"/api/enterprises/{county.own.uscc}/qualifications"
    added = _send(
        bureau, "POST", url, {"type": "provincial_smart_factory", "year": 2024, "reason": "认定文件"}
    )
    assert added.status_code == 201, added.content
    assert added.json() == {
        "type": "provincial_smart_factory",
        "name": "省级智能工厂",
        "level": "provincial",
        "year": 2024,
    }
    detail = bureau.get(f"/api/enterprises/{county.own.uscc}").json()
    assert {(q["type"], q["year"]) for q in detail["qualifications"]} == {
        ("national_tech_sme", 2024),
        ("provincial_smart_factory", 2024),
    }

    again = _send(bureau, "POST", url, {"type": "provincial_smart_factory", "year": 2024})
    assert again.status_code == 400
    assert again.json()["error"]["field"] == "type"
    too_early = _send(bureau, "POST", url, {"type": "provincial_smart_factory", "year": 1989})
    assert too_early.status_code == 400 and too_early.json()["error"]["field"] == "year"

    removed = bureau.delete(f"{url}/provincial_smart_factory/2024?reason=录入错误")
    assert removed.status_code == 204
    assert removed.content == b""
    gone = bureau.delete(f"{url}/provincial_smart_factory/2024")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "not_found"
    actions = list(
        AuditEntry.objects.filter(object_id=county.own.uscc).order_by("seq").values_list("action", "reason")
    )
    assert actions == [("qualification.add", "认定文件"), ("qualification.remove", "录入错误")]


def test_qualification_writes_with_a_token(county: County) -> None:
    _, raw = api_token_create(acting_user=None, user=county.users["bureau_officer"])
    response = Client().post(
        f"/api/enterprises/{county.elsewhere.uscc}/qualifications",
        {"type": "ningbo_rd_centre", "year": 2023},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 201
    assert AuditEntry.objects.get(action="qualification.add").actor_username == "bureau"


def test_session_writes_need_the_csrf_token(county: County) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.users["bureau_officer"])
    url = f"/api/enterprises/{county.own.uscc}"
    refused = client.patch(url, {"employees": 5}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    assert Enterprise.objects.get(pk=county.own.pk).employees == 80

    token = get_token(RequestFactory().get("/"))
    client.cookies["csrftoken"] = token
    accepted = client.patch(
        url, {"employees": 5}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 200
    assert Enterprise.objects.get(pk=county.own.pk).employees == 5


def test_revenue_is_yuan_to_the_fen(county: County, bureau: Client) -> None:
    url = f"/api/enterprises/{county.own.uscc}"
    assert _send(bureau, "PATCH", url, {"revenue": "1234.567"}).status_code == 400
    response = _send(bureau, "PATCH", url, {"revenue": "1234.5"})
    assert response.json()["revenue"] == "1234.50"
    assert Enterprise.objects.get(pk=county.own.pk).revenue == Decimal("1234.50")
