"""政策 pages: the edition list and page, a bureau officer's draft → change a cap → publish, and the
calculator page calling the same calculator as the API."""

from __future__ import annotations

from django.test import Client

from conftest import County
from shuzhuan.policies.models import PolicyEdition

CALC = {
    "industry": "textiles",
    "is_sme": "on",
    "kinds": ["ai_model"],
    "accepted": "on",
    "verified_investment": "1,000,000",
}


def _client(county: County, role: str) -> Client:
    client = Client()
    client.force_login(county.users[role])
    return client


def test_list_and_edition_page_show_policies_with_citations_and_steps(county: County) -> None:
    client = _client(county, "enterprise")
    html = client.get("/policies/").content.decode()
    assert "cixi-2024" in html and "cixi-2025" in html and "慈经信建〔2025〕15号" in html
    assert "edition-new" not in html  # not theirs to publish
    html = client.get("/policies/cixi-2025/").content.decode()
    assert "人工智能大模型应用项目补助" in html and "cixi-2025-ai" in html
    assert "项目尚未验收通过" in html  # a condition, in words
    assert "单个项目最高30万元" in html and "300000" in html  # a step with its value
    assert 'name="value"' not in html  # nothing to edit on a published edition


def test_bureau_officer_drafts_changes_a_cap_and_publishes(county: County) -> None:
    client = _client(county, "bureau_officer")
    assert "edition-new" in client.get("/policies/").content.decode()
    response = client.post(
        "/policies/new/", {"based_on": "cixi-2025", "edition_id": "cixi-2026", "effective_from": "2026-01-01"}
    )
    assert response.status_code == 302 and response["Location"] == "/policies/cixi-2026/"
    page = client.get("/policies/cixi-2026/").content.decode()
    assert "草稿" in page and "尚未修改任何参数" in page and 'name="value"' in page
    assert "影响测算" in page  # the population impact: said to come later

    response = client.post(
        "/policies/cixi-2026/parameters/", {"policy": "cixi-2026-ai", "step": "cap", "value": "500000"}
    )
    assert response.status_code == 302
    page = client.get("/policies/cixi-2026/").content.decode()
    assert "300,000.00" in page and "500,000.00" in page  # before → after

    refused = client.post(
        "/policies/cixi-2026/parameters/", {"policy": "cixi-2026-ai", "step": "cap", "value": "-5"}
    )
    assert refused.status_code == 200 and "数值不能为负数" in refused.content.decode()

    response = client.post("/policies/cixi-2026/publish/")
    assert response.status_code == 302
    assert PolicyEdition.objects.get(edition_id="cixi-2026").status == "published"
    assert "cixi-2026" in _client(county, "expert").get("/policies/").content.decode()

    calc = client.get("/policies/calc/", {**CALC, "as_of": "2026-06-30"}).content.decode()
    assert "cixi-2026" in calc and 'data-testid="calc-total">500,000.00<' in calc
    calc = client.get("/policies/calc/", {**CALC, "as_of": "2025-06-30"}).content.decode()
    assert "cixi-2025" in calc and 'data-testid="calc-total">300,000.00<' in calc


def test_new_edition_form_errors_are_shown(county: County) -> None:
    client = _client(county, "bureau_officer")
    html = client.post(
        "/policies/new/", {"based_on": "cixi-2025", "edition_id": "cixi-2025"}
    ).content.decode()
    assert "生效日期" in html and "form-errors" in html
    html = client.post(
        "/policies/new/", {"based_on": "cixi-2025", "edition_id": "cixi-2025", "effective_from": "2026-01-01"}
    ).content.decode()
    assert "版本编号 cixi-2025 已存在" in html


def test_calculator_page_shows_steps_and_refusals(county: County) -> None:
    client = _client(county, "town_officer")
    assert client.get("/policies/calc/").status_code == 200
    html = client.get("/policies/calc/", {**CALC, "as_of": "2025-06-30"}).content.decode()
    assert "LEAST(basis * rate, cap)" in html and "慈经信建〔2025〕15号" in html
    html = client.get("/policies/calc/", {**CALC, "as_of": "1999-01-01"}).content.decode()
    assert "没有生效的政策版本" in html
    html = client.get(
        "/policies/calc/", {**CALC, "as_of": "2025-06-30", "verified_investment": "-1"}
    ).content.decode()
    assert "project.verified_investment" in html


def test_navigation_has_policies_and_calculator(county: County) -> None:
    html = _client(county, "service_provider").get("/policies/calc/").content.decode()
    assert 'href="/policies/"' in html and 'aria-current="page" href="/policies/calc/"' in html
