"""/api/policy/editions: the web editor's operations as JSON — list and read editions (drafts only
for bureau officers), copy one as a draft, change a parameter, the key industries or the funding
split, publish, delete a draft. Refusals are the project's error shape naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from conftest import County
from shuzhuan.accounts.services import api_token_create
from shuzhuan.audit.models import AuditEntry
from shuzhuan.policies.models import PolicyEdition

BASE = "/api/policy/editions"
NEW = {"based_on": "cixi-2025", "edition_id": "cixi-2026", "effective_from": "2026-01-01"}


def _client(county: County, role: str) -> Client:
    client = Client()
    client.force_login(county.users[role])
    return client


def _send(client: Client, method: str, url: str, body: Any = None) -> Any:
    text = "" if body is None else json.dumps(body, ensure_ascii=False)
    return client.generic(method, url, text, content_type="application/json")


@pytest.fixture
def bureau(county: County) -> Client:
    return _client(county, "bureau_officer")


@pytest.fixture
def draft(bureau: Client) -> dict[str, Any]:
    response = _send(bureau, "POST", BASE, NEW)
    assert response.status_code == 201, response.content
    return dict(response.json())


def _error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = dict(response.json()["error"])
    if field is not None:
        assert error["code"] == "invalid" and error["field"] == field, error
    return error


def test_create_returns_the_draft_with_its_document_and_parameters(draft: dict[str, Any]) -> None:
    assert draft["edition_id"] == "cixi-2026" and draft["status"] == "draft"
    assert draft["based_on"] == "cixi-2025" and draft["created_by"] == "bureau"
    assert draft["effective_from"] == "2026-01-01" and draft["effective_to"] is None
    assert draft["document_number"] == "慈经信建〔2025〕15号"
    assert draft["key_industries"] == ["auto_parts", "home_appliances"]
    assert draft["funding_split"] == {"central": "0.50", "city": "0.25", "county": "0.25"}
    assert [p["id"] for p in draft["document"]["policies"]] == [
        "cixi-2026-pilot",
        "cixi-2026-new-it",
        "cixi-2026-ai",
    ]
    cap = next(p for p in draft["parameters"] if (p["policy"], p["step"]) == ("cixi-2026-ai", "cap"))
    assert cap == {
        "policy": "cixi-2026-ai",
        "policy_title": "人工智能大模型应用项目补助",
        "step": "cap",
        "unit": "yuan",
        "note": "单个项目最高30万元",
        "value": "300000",
    }
    assert draft["changes"] == [] and draft["setting_changes"] == []


def test_list_shows_drafts_only_to_bureau_officers(county: County, draft: dict[str, Any]) -> None:
    listed = _client(county, "bureau_officer").get(BASE).json()
    assert [e["edition_id"] for e in listed] == ["cixi-2026", "cixi-2025", "cixi-2024"]
    assert listed[1]["status"] == "published" and listed[1]["published_at"]
    for role in ("town_officer", "enterprise", "expert", "service_provider", "auditor"):
        client = _client(county, role)
        assert [e["edition_id"] for e in client.get(BASE).json()] == ["cixi-2025", "cixi-2024"], role
        _error(client.get(f"{BASE}/cixi-2026"), 404)
        assert client.get(f"{BASE}/cixi-2025").json()["status"] == "published"


def test_draft_edit_publish_flow_and_the_calculator_follows(bureau: Client, draft: dict[str, Any]) -> None:
    url = f"{BASE}/cixi-2026"
    body = _send(bureau, "PUT", f"{url}/parameters/cixi-2026-ai/cap", {"value": "500000"}).json()
    assert body["changes"] == [
        {
            "policy": "cixi-2026-ai",
            "policy_title": "人工智能大模型应用项目补助",
            "step": "cap",
            "unit": "yuan",
            "before": "300000",
            "after": "500000",
        }
    ]
    body = _send(bureau, "PUT", f"{url}/parameters/cixi-2026-ai/rate", {"value": 0.4}).json()
    assert {(c["step"], c["after"]) for c in body["changes"]} == {("cap", "500000"), ("rate", "0.4")}
    body = _send(
        bureau, "PUT", f"{url}/key-industries", {"key_industries": ["textiles", "auto_parts"]}
    ).json()
    assert body["key_industries"] == ["auto_parts", "textiles"]
    body = _send(
        bureau, "PUT", f"{url}/funding-split", {"central": "0.6", "city": "0.3", "county": 0.1}
    ).json()
    assert body["funding_split"] == {"central": "0.60", "city": "0.30", "county": "0.10"}
    assert [c["setting"] for c in body["setting_changes"]] == ["key_industries", "funding_split"]
    assert bureau.get(url).json() == body

    published = _send(bureau, "POST", f"{url}/publish").json()
    assert published["status"] == "published" and published["published_by"] == "bureau"
    assert bureau.get(f"{BASE}/cixi-2025").json()["effective_to"] == "2025-12-31"
    case = {
        "as_of": "2026-06-30",
        "enterprise": {"industry": "textiles", "is_sme": True},
        "project": {"kinds": ["ai_model"], "accepted": True, "verified_investment": "2000000"},
    }
    result = _send(bureau, "POST", "/api/policy/calc", case).json()
    assert result["edition"] == "cixi-2026"
    assert result["best"] == {
        "policy": "cixi-2026-ai",
        "ceiling": "500000.00",
        "funding": {"central": "300000.00", "city": "150000.00", "county": "50000.00"},
    }
    # Published is final.
    error = _error(_send(bureau, "PUT", f"{url}/parameters/cixi-2026-ai/cap", {"value": "1"}), 400, "edition")
    assert "已发布" in error["message"]
    _error(_send(bureau, "DELETE", url), 400, "edition")


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        ("/parameters/cixi-2026-ai/cap", {"value": "-1"}, "value", "负数"),
        ("/parameters/cixi-2026-ai/cap", {"value": "abc"}, "value", "数字"),
        ("/parameters/cixi-2026-ai/ceiling", {"value": "1"}, "step", "cixi-2026-ai / ceiling"),
        ("/parameters/cixi-2026-zzz/cap", {"value": "1"}, "policy", "cixi-2026-zzz"),
        ("/key-industries", {"key_industries": []}, "key_industries", "至少选择一个"),
        ("/key-industries", {"key_industries": ["robots"]}, "key_industries", "robots"),
        (
            "/funding-split",
            {"central": "0.5", "city": "0.25", "county": "0.2"},
            "funding_split",
            "之和须等于 1",
        ),
        (
            "/funding-split",
            {"central": "0.5", "city": "2", "county": "0.25"},
            "funding_split.city",
            "市级份额",
        ),
    ],
)
def test_refusals_are_400_naming_the_field(
    bureau: Client, draft: dict[str, Any], path: str, body: dict[str, Any], field: str, message: str
) -> None:
    error = _error(_send(bureau, "PUT", f"{BASE}/cixi-2026{path}", body), 400, field)
    assert message in error["message"]
    assert bureau.get(f"{BASE}/cixi-2026").json() == draft  # unchanged


def test_create_refusals(bureau: Client, draft: dict[str, Any]) -> None:
    error = _error(_send(bureau, "POST", BASE, NEW), 400, "edition_id")
    assert "已存在" in error["message"]
    _error(
        _send(bureau, "POST", BASE, {**NEW, "edition_id": "cixi-2027", "based_on": "cixi-1999"}),
        400,
        "based_on",
    )
    _error(_send(bureau, "POST", BASE, {**NEW, "edition_id": "Cixi 2027"}), 400, "edition_id")
    assert (
        _error(_send(bureau, "POST", BASE, {**NEW, "effective_from": "2026-02-30"}), 422)["code"]
        == "validation"
    )
    assert _error(_send(bureau, "POST", BASE, {**NEW, "colour": "red"}), 422)["code"] == "validation"
    # A draft may be the base of another draft.
    assert (
        _send(bureau, "POST", BASE, {**NEW, "edition_id": "cixi-2027", "based_on": "cixi-2026"}).status_code
        == 201
    )


def test_delete_a_draft(bureau: Client, draft: dict[str, Any]) -> None:
    response = _send(bureau, "DELETE", f"{BASE}/cixi-2026")
    assert response.status_code == 204 and response.content == b""
    assert not PolicyEdition.objects.filter(edition_id="cixi-2026").exists()
    assert AuditEntry.objects.filter(action="policy_edition.draft_delete", object_id="cixi-2026").exists()
    _error(_send(bureau, "DELETE", f"{BASE}/cixi-2026"), 404)
    error = _error(_send(bureau, "DELETE", f"{BASE}/cixi-2025"), 400, "edition")
    assert "不能删除" in error["message"]


def test_others_may_not_write(county: County, draft: dict[str, Any]) -> None:
    for role in ("town_officer", "enterprise", "expert", "service_provider", "auditor"):
        client = _client(county, role)
        assert (
            _error(_send(client, "POST", BASE, {**NEW, "edition_id": "x-2027"}), 403)["code"] == "forbidden"
        )
        _error(_send(client, "DELETE", f"{BASE}/cixi-2026"), 403)
        _error(_send(client, "POST", f"{BASE}/cixi-2026/publish"), 403)
    assert _error(_send(Client(), "GET", BASE), 401)["code"] == "unauthenticated"
    assert PolicyEdition.objects.get(edition_id="cixi-2026").is_draft


def test_a_bearer_token_works_like_the_session(county: County, draft: dict[str, Any]) -> None:
    _, raw = api_token_create(acting_user=None, user=county.users["bureau_officer"])
    headers = {"Authorization": f"Bearer {raw}"}
    response = Client().put(
        f"{BASE}/cixi-2026/funding-split",
        json.dumps({"central": "0.4", "city": "0.4", "county": "0.2"}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200 and response.json()["funding_split"]["central"] == "0.40"
