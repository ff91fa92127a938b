"""政策 pages, a draft's edition-level settings: its key industries (chosen from the registry's
industries) and its funding split (three shares summing to 1, a refusal beside the field at
fault); deleting a draft (asked first, POST with CSRF); and the calculator page's funding split."""

from __future__ import annotations

from django.test import Client

from conftest import County
from shuzhuan.audit.models import AuditEntry
from shuzhuan.policies.models import PolicyEdition

DRAFT = "/policies/cixi-2026/"
CALC = {
    "as_of": "2025-06-30",
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


def _bureau_with_draft(county: County) -> Client:
    client = _client(county, "bureau_officer")
    response = client.post(
        "/policies/new/", {"based_on": "cixi-2025", "edition_id": "cixi-2026", "effective_from": "2026-01-01"}
    )
    assert response.status_code == 302
    return client


def test_calculator_page_shows_each_split_and_the_best(county: County) -> None:
    html = _client(county, "enterprise").get("/policies/calc/", CALC).content.decode()
    assert "三级资金分担：中央 150,000.00 元 · 市级 75,000.00 元 · 县级 75,000.00 元" in html
    assert 'data-testid="calc-best-funding">就高项目的三级资金分担：中央 150,000.00 元' in html
    assert "尾差计入县级" in html
    assert html.count('data-testid="calc-funding"') == 1  # only the policy that applies


def test_a_draft_shows_its_settings_forms_and_a_published_edition_does_not(county: County) -> None:
    client = _bureau_with_draft(county)
    html = client.get(DRAFT).content.decode()
    assert 'data-testid="key-industries-form"' in html and 'data-testid="funding-split-form"' in html
    assert 'value="textiles" id="id_ki_textiles">' in html  # every registry industry is a choice
    assert 'value="auto_parts" id="id_ki_auto_parts" checked>' in html
    assert 'name="city" id="id_split_city" value="0.25"' in html
    assert 'data-testid="delete-draft"' in html and "hx-confirm=" in html
    assert "汽配、家电" in html and "中央 0.50 / 市级 0.25 / 县级 0.25" in html
    published = client.get("/policies/cixi-2025/").content.decode()
    assert "key-industries-form" not in published and "delete-draft" not in published
    assert "中央 0.50 / 市级 0.25 / 县级 0.25" in published  # shown, not editable
    assert (
        "key-industries-form" not in _client(county, "auditor").get("/policies/cixi-2025/").content.decode()
    )


def test_key_industries_are_changed_and_listed_as_a_change(county: County) -> None:
    client = _bureau_with_draft(county)
    response = client.post(f"{DRAFT}key-industries/", {"key_industries": ["auto_parts", "textiles"]})
    assert response.status_code == 302 and response["Location"] == DRAFT
    html = client.get(DRAFT).content.decode()
    assert "已修改 cixi-2026 的重点行业" in html
    assert 'data-testid="setting-change-row"><td>重点行业</td><td>auto_parts、home_appliances</td>' in html
    assert "汽配、纺织" in html
    refused = client.post(f"{DRAFT}key-industries/", {})
    assert refused.status_code == 200
    html = refused.content.decode()
    assert (
        'id="id_key_industries_error" role="alert" data-testid="form-errors">重点行业：请至少选择一个行业'
        in html
    )
    assert PolicyEdition.objects.get(edition_id="cixi-2026").document["key_industries"] == [
        "auto_parts",
        "textiles",
    ]


def test_funding_split_refusals_name_the_field_and_keep_what_was_typed(county: County) -> None:
    client = _bureau_with_draft(county)
    refused = client.post(f"{DRAFT}funding-split/", {"central": "0.5", "city": "0.3", "county": "0.3"})
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "三级资金分担：中央、市级、县级份额之和须等于 1，现为 1.1" in html
    assert 'name="county" id="id_split_county" value="0.3"' in html  # what was typed, kept
    refused = client.post(f"{DRAFT}funding-split/", {"central": "0.5", "city": "一半", "county": "0.25"})
    html = refused.content.decode()
    assert "市级份额：“一半”不是数字" in html
    assert 'class="form-control form-control-sm is-invalid" name="city"' in html
    assert 'class="form-control form-control-sm is-invalid" name="central"' not in html
    assert "中央 0.50 / 市级 0.25 / 县级 0.25" in html  # the stored split, unchanged

    response = client.post(f"{DRAFT}funding-split/", {"central": "0.6", "city": "0.3", "county": "0.1"})
    assert response.status_code == 302
    html = client.get(DRAFT).content.decode()
    assert "中央 0.60 / 市级 0.30 / 县级 0.10" in html and "三级资金分担比例" in html
    assert AuditEntry.objects.filter(
        action="policy_edition.funding_split_set", object_id="cixi-2026"
    ).exists()


def test_a_policy_with_its_own_split_says_so(county: County) -> None:
    client = _bureau_with_draft(county)
    draft = PolicyEdition.objects.get(edition_id="cixi-2026")
    document = draft.document
    document["policies"][2]["funding_split"] = {"central": "0", "city": "0.4", "county": "0.6"}
    PolicyEdition.objects.filter(pk=draft.pk).update(document=document)
    html = client.get(DRAFT).content.decode()
    assert html.count("本政策单独规定三级资金分担") == 1
    assert "本政策单独规定三级资金分担：中央 0 / 市级 0.4 / 县级 0.6" in html


def test_deleting_a_draft(county: County) -> None:
    client = _bureau_with_draft(county)
    response = client.post(f"{DRAFT}delete/")
    assert response.status_code == 302 and response["Location"] == "/policies/"
    assert "已删除草稿 cixi-2026" in client.get("/policies/").content.decode()
    assert not PolicyEdition.objects.filter(edition_id="cixi-2026").exists()
    # As the button sends it: through htmx, after the confirmation.
    client = _bureau_with_draft(county)
    response = client.post(f"{DRAFT}delete/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Redirect"] == "/policies/"
    assert not PolicyEdition.objects.filter(edition_id="cixi-2026").exists()


def test_a_published_edition_is_not_deleted(county: County) -> None:
    client = _client(county, "bureau_officer")
    refused = client.post("/policies/cixi-2025/delete/")
    assert refused.status_code == 200 and "cixi-2025 已发布，不能删除" in refused.content.decode()
    response = client.post("/policies/cixi-2025/delete/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == "/policies/cixi-2025/"
    assert "cixi-2025 已发布，不能删除" in client.get("/policies/cixi-2025/").content.decode()
    assert PolicyEdition.objects.filter(edition_id="cixi-2025").exists()


def test_deleting_needs_the_csrf_token(county: County) -> None:
    _bureau_with_draft(county)
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.users["bureau_officer"])
    assert client.post(f"{DRAFT}delete/").status_code == 403
    assert PolicyEdition.objects.filter(edition_id="cixi-2026").exists()
