"""Keeping the registry by hand on the pages: 新增企业, 编辑, the qualification list with add and
remove (plain POST and htmx), success messages, per-field errors, and the change history.
(Which role gets which status code is in tests/test_authorization_matrix.py; the browser flow is in
tests/e2e/test_enterprise_editing.py.)"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory

from conftest import County
from shuzhuan.accounts.access import ROLE_PERMISSIONS, Perm
from shuzhuan.accounts.models import Role
from shuzhuan.audit.models import AuditEntry
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.tests.factories import make_uscc
from shuzhuan.web.templatetags.shuzhuan_web import wan, yuan


def _client(county: County, role: str) -> Client:
    client = Client()
    client.force_login(county.users[role])
    return client


def _html(response: Any) -> str:
    return str(response.content.decode())


def _form(enterprise: Enterprise, **changes: str) -> dict[str, str]:
    """The edit form as the page fills it in, with ``changes`` typed over it."""
    data = {
        "name": enterprise.name,
        "town": enterprise.town.code,
        "industry": enterprise.industry.code if enterprise.industry else "",
        "is_sme": "on",
        "employees": str(enterprise.employees or ""),
        "revenue": "",
        "status": enterprise.status,
    }
    data.update(changes)
    return data


def test_who_may_keep_the_registry() -> None:
    assert ROLE_PERMISSIONS[Perm.ENTERPRISE_EDIT] == {Role.BUREAU_OFFICER, Role.TOWN_OFFICER}
    assert ROLE_PERMISSIONS[Perm.QUALIFICATION_EDIT] == {Role.BUREAU_OFFICER}
    assert ROLE_PERMISSIONS[Perm.ENTERPRISE_HISTORY] == {Role.BUREAU_OFFICER, Role.TOWN_OFFICER, Role.AUDITOR}
    assert (
        Role.AUDITOR not in ROLE_PERMISSIONS[Perm.ENTERPRISE_EDIT] | ROLE_PERMISSIONS[Perm.QUALIFICATION_EDIT]
    )


@pytest.mark.parametrize(
    ("value", "in_wan", "in_yuan"),
    [
        (Decimal("5266100.00"), "526.61", "5,266,100.00"),
        (Decimal("6000000.00"), "600", "6,000,000.00"),
        (Decimal("0.01"), "0.000001", "0.01"),
        (None, "", ""),
    ],
)
def test_money_filters(value: Decimal | None, in_wan: str, in_yuan: str) -> None:
    assert (wan(value), yuan(value)) == (in_wan, in_yuan)


# --- 新增企业 --------------------------------------------------------------------------------


def test_bureau_officer_adds_an_enterprise_with_revenue_in_wan(county: County) -> None:
    client = _client(county, "bureau_officer")
    page = _html(client.get("/enterprises/"))
    assert 'href="/enterprises/new/"' in page and "新增企业" in page
    form = _html(client.get("/enterprises/new/"))
    for label in (
        "统一社会信用代码",
        "企业名称",
        "所属镇（街道）",
        "所属行业",
        "营业收入（万元）",
        "经营状态",
    ):
        assert label in form
    uscc = make_uscc()
    response = client.post(
        "/enterprises/new/",
        {
            "uscc": uscc,
            "name": "慈溪市新登记模具有限公司",
            "town": "cixi-zhouxiang",
            "industry": "moulds",
            "is_sme": "on",
            "employees": "42",
            "revenue": "526.61",
            "status": "active",
            "reason": "新设企业补录",
        },
        follow=True,
    )
    assert response.redirect_chain == [(f"/enterprises/{uscc}/", 302)]
    html = _html(response)
    assert "已新增企业：慈溪市新登记模具有限公司" in html
    stored = Enterprise.objects.get(uscc=uscc)
    assert (stored.town.code, stored.employees, stored.revenue) == (
        "cixi-zhouxiang",
        42,
        Decimal("5266100.00"),
    )
    assert AuditEntry.objects.get(action="enterprise.create").object_id == uscc
    assert 'data-testid="history"' in html and "新增企业" in html


def test_the_form_puts_each_refusal_on_its_field(county: County) -> None:
    client = _client(county, "bureau_officer")
    response = client.post(
        "/enterprises/new/",
        {"uscc": "91330282MA2X", "name": "慈溪市某公司", "town": "cixi-zhouxiang", "status": "active"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["uscc"]
    assert "18位" in form.errors["uscc"][0]
    html = _html(response)
    assert 'data-testid="form-errors"' in html and 'id="id_uscc_error"' in html
    # A registered USCC: said on the field, with the enterprise to edit instead.
    response = client.post(
        "/enterprises/new/",
        {"uscc": county.neighbour.uscc, "name": "慈溪市某公司", "town": "cixi-zhouxiang", "status": "active"},
    )
    assert county.neighbour.name in response.context["form"].errors["uscc"][0]
    # Blank required fields and a negative 万元, each on its own field.
    response = client.post("/enterprises/new/", {"revenue": "-1"})
    assert set(response.context["form"].errors) == {"uscc", "name", "town", "status", "revenue"}
    assert Enterprise.objects.count() == 3


def test_town_officer_adds_only_in_their_own_town(county: County) -> None:
    client = _client(county, "town_officer")
    page = client.get("/enterprises/new/")
    assert [code for code, _ in page.context["form"].fields["town"].choices] == ["", "cixi-guanhaiwei"]
    uscc = make_uscc()
    data = {"uscc": uscc, "name": "慈溪市越界有限公司", "town": "cixi-zhouxiang", "status": "active"}
    refused = client.post("/enterprises/new/", data)
    assert refused.status_code == 200
    assert refused.context["form"].errors["town"] == ["所选镇（街道）不在您的管辖范围内。"]
    assert not Enterprise.objects.filter(uscc=uscc).exists()
    created = client.post("/enterprises/new/", {**data, "town": "cixi-guanhaiwei"})
    assert created.status_code == 302
    assert Enterprise.objects.get(uscc=uscc).town.code == "cixi-guanhaiwei"


# --- 编辑 -------------------------------------------------------------------------------------


def test_edit_shows_the_current_values_and_saves_changes(county: County) -> None:
    Enterprise.objects.filter(pk=county.own.pk).update(revenue=Decimal("5266100.00"))
    client = _client(county, "bureau_officer")
    detail = _html(client.get(f"/enterprises/{county.own.uscc}/"))
    assert f'href="/enterprises/{county.own.uscc}/edit/"' in detail
    assert "526.61 万元（5,266,100.00 元）" in detail
    page = client.get(f"/enterprises/{county.own.uscc}/edit/")
    html = _html(page)
    assert county.own.uscc in html and "登记后不能修改" in html
    assert 'name="uscc"' not in html  # shown, never editable
    assert 'value="526.61"' in html  # stored in yuan, typed in 万元
    assert 'value="cixi-guanhaiwei" selected' in html

    enterprise = Enterprise.objects.get(pk=county.own.pk)
    response = client.post(
        f"/enterprises/{county.own.uscc}/edit/",
        _form(enterprise, employees="95", revenue="600", reason="2024年统计年报"),
        follow=True,
    )
    assert response.redirect_chain == [(f"/enterprises/{county.own.uscc}/", 302)]
    html = _html(response)
    assert f"已保存对{county.own.name}的修改：从业人数、营业收入。" in html
    stored = Enterprise.objects.get(pk=county.own.pk)
    assert (stored.employees, stored.revenue) == (95, Decimal("6000000.00"))
    # The change history says who changed what, from what to what, and why.
    assert "从业人数：80 → 95" in html and "营业收入：526.61 万元 → 600 万元" in html
    assert "2024年统计年报" in html and "bureau" in html


def test_saving_an_unchanged_form_changes_nothing(county: County) -> None:
    client = _client(county, "bureau_officer")
    response = client.post(f"/enterprises/{county.own.uscc}/edit/", _form(county.own), follow=True)
    assert "没有修改任何内容。" in _html(response)
    assert not AuditEntry.objects.filter(action="enterprise.update").exists()


def test_edit_refusals_are_shown_on_the_field(county: County) -> None:
    client = _client(county, "bureau_officer")
    response = client.post(
        f"/enterprises/{county.own.uscc}/edit/", _form(county.own, name=" ", employees="-1")
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "employees"}
    assert Enterprise.objects.get(pk=county.own.pk).employees == 80


def test_town_officer_may_not_move_an_enterprise_out_of_their_town(county: County) -> None:
    client = _client(county, "town_officer")
    page = client.get(f"/enterprises/{county.own.uscc}/edit/")
    assert [code for code, _ in page.context["form"].fields["town"].choices] == ["", "cixi-guanhaiwei"]
    response = client.post(f"/enterprises/{county.own.uscc}/edit/", _form(county.own, town="cixi-zhouxiang"))
    assert response.status_code == 200
    assert response.context["form"].errors["town"] == ["所选镇（街道）不在您的管辖范围内。"]
    assert "不在您的管辖范围内" in _html(response)
    assert Enterprise.objects.get(pk=county.own.pk).town.code == "cixi-guanhaiwei"
    # Within their town they edit like the bureau does.
    ok = client.post(f"/enterprises/{county.own.uscc}/edit/", _form(county.own, employees="81"))
    assert ok.status_code == 302
    assert client.get(f"/enterprises/{county.elsewhere.uscc}/edit/").status_code == 404


# --- what each role sees on the enterprise page ------------------------------------------------


@pytest.mark.parametrize(
    ("role", "edit", "qualifications", "history"),
    [
        ("bureau_officer", True, True, True),
        ("town_officer", True, False, True),
        ("auditor", False, False, True),
        ("enterprise", False, False, False),
    ],
)
def test_enterprise_page_offers_what_the_role_may_do(
    county: County, role: str, edit: bool, qualifications: bool, history: bool
) -> None:
    html = _html(_client(county, role).get(f"/enterprises/{county.own.uscc}/"))
    assert ('data-testid="edit-enterprise"' in html) is edit
    assert ('data-testid="qualification-form"' in html) is qualifications
    assert ("/qualifications/national_tech_sme/2024/delete/" in html) is qualifications
    assert ('id="history-heading"' in html) is history
    assert "国家科技型中小企业" in html  # everyone who sees the page sees the qualifications


# --- qualifications ---------------------------------------------------------------------------


def test_add_a_qualification_without_javascript(county: County) -> None:
    client = _client(county, "bureau_officer")
    page = _html(client.get(f"/enterprises/{county.own.uscc}/"))
    assert f'action="/enterprises/{county.own.uscc}/qualifications/"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    response = client.post(
        f"/enterprises/{county.own.uscc}/qualifications/",
        {"type": "ningbo_digital_workshop", "year": "2025", "reason": "甬经信〔2025〕1号"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/enterprises/{county.own.uscc}/", 302)]
    html = _html(response)
    assert "已添加资质：宁波市级数字化车间（2025年度）。" in html
    rows = [(q.type.code, q.year) for q in response.context["qualifications"]]
    assert ("ningbo_digital_workshop", 2025) in rows
    assert "甬经信〔2025〕1号" in html  # in the change history


def test_a_refused_qualification_comes_back_with_the_reason(county: County) -> None:
    client = _client(county, "bureau_officer")
    url = f"/enterprises/{county.own.uscc}/qualifications/"
    duplicate = client.post(url, {"type": "national_tech_sme", "year": "2024"})
    assert duplicate.status_code == 200
    assert duplicate.context["qualification_form"].errors["type"] == [
        "该企业已登记2024年度的“国家科技型中小企业”，不能重复添加"
    ]
    assert 'id="id_q_type_error"' in _html(duplicate)
    early = client.post(url, {"type": "ningbo_digital_workshop", "year": "1989"})
    assert "1990" in early.context["qualification_form"].errors["year"][0]
    assert county.own.qualifications.count() == 1


def test_htmx_add_and_remove_swap_the_records_in_place(county: County) -> None:
    client = _client(county, "bureau_officer")
    htmx = {"HX-Request": "true"}
    added = client.post(
        f"/enterprises/{county.own.uscc}/qualifications/",
        {"type": "provincial_cloud_enterprise", "year": "2024"},
        headers=htmx,
    )
    assert added.status_code == 200
    html = _html(added)
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="enterprise-records">')
    assert "已添加资质：" in html  # the message travels with the fragment
    assert "省级制造业“云上”企业" in html
    assert 'data-testid="history"' in html and "添加资质" in html

    removed = client.post(
        f"/enterprises/{county.own.uscc}/qualifications/provincial_cloud_enterprise/2024/delete/",
        headers=htmx,
    )
    assert removed.status_code == 200
    html = _html(removed)
    assert "已删除资质：" in html and "删除资质" in html
    assert not county.own.qualifications.filter(type__code="provincial_cloud_enterprise").exists()
    # The message was shown once, in the fragment; the next page does not repeat it.
    assert "已删除资质：" not in _html(client.get(f"/enterprises/{county.own.uscc}/"))


def test_remove_a_qualification_without_javascript(county: County) -> None:
    client = _client(county, "bureau_officer")
    response = client.post(
        f"/enterprises/{county.own.uscc}/qualifications/national_tech_sme/2024/delete/", follow=True
    )
    assert response.redirect_chain == [(f"/enterprises/{county.own.uscc}/", 302)]
    assert "已删除资质：国家科技型中小企业（2024年度）。" in _html(response)
    assert not county.own.qualifications.exists()
    entry = AuditEntry.objects.get(action="qualification.remove")
    assert (entry.object_id, entry.actor_username) == (county.own.uscc, "bureau")


def test_page_writes_need_the_csrf_token(county: County) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.users["bureau_officer"])
    url = f"/enterprises/{county.own.uscc}/qualifications/"
    data = {"type": "ningbo_digital_workshop", "year": "2024"}
    assert client.post(url, data).status_code == 403
    token = get_token(RequestFactory().get("/"))
    client.cookies["csrftoken"] = token
    assert client.post(url, {**data, "csrfmiddlewaretoken": token}).status_code == 302
    assert county.own.qualifications.count() == 2
