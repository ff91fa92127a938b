"""``POST /api/qa/ask``: any signed-in role, session or token; one error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from conftest import County
from shuzhuan.accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def _ask(client: Client, body: object, headers: dict[str, str] | None = None) -> Any:
    text = json.dumps(body, ensure_ascii=False)
    return client.post("/api/qa/ask", text, content_type="application/json", headers=headers)


@pytest.mark.parametrize(
    "role", ["enterprise", "bureau_officer", "town_officer", "expert", "service_provider", "auditor"]
)
def test_every_signed_in_role_may_ask(county: County, role: str) -> None:
    client = Client()
    client.force_login(county.users[role])
    response = _ask(client, {"question": "我投了80万做AI大模型项目能补多少"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["amount"] == "300000.00"
    assert data["citations"][0]["document"].startswith("慈经信建〔")
    assert set(data) == {"answer", "amount", "citations", "confidence"}


def test_anonymous_is_refused() -> None:
    response = _ask(Client(), {"question": "门槛是多少"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_with_a_token(county: County) -> None:
    firm = county.users["enterprise"]
    _, raw = api_token_create(acting_user=firm, user=firm, name="qa")
    response = _ask(
        Client(), {"question": "新一代信息技术项目门槛是多少"}, headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 200
    assert "30万元" in response.json()["answer"]


def test_empty_question_is_a_validation_error(county: County) -> None:
    client = Client()
    client.force_login(county.users["enterprise"])
    response = _ask(client, {"question": ""})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation"
