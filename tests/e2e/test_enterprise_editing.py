"""Keeping the registry by hand, in a real browser: a bureau officer records a qualification and
sees it listed (htmx swaps the list in place), and the same page works with JavaScript off."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect

from shuzhuan.accounts.tests.factories import PASSWORD
from shuzhuan.audit.models import AuditEntry
from tests.e2e.conftest import login

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

    from conftest import County


def _open_enterprise(page: Page, live_server: LiveServer, name: str) -> None:
    page.get_by_test_id("nav").get_by_role("link", name="企业库").click()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_test_id("enterprise-name")).to_have_text(name)


def test_bureau_officer_adds_a_qualification_and_sees_it_listed(
    page: Page, live_server: LiveServer, county: County
) -> None:
    login(page, live_server, "bureau", PASSWORD)
    _open_enterprise(page, live_server, county.neighbour.name)
    qualifications = page.get_by_test_id("qualifications")
    expect(qualifications).to_contain_text("暂无资质记录")

    form = page.get_by_test_id("qualification-form")
    form.get_by_label("资质", exact=True).select_option(label="省级数字化车间")
    form.get_by_label("年度").fill("2025")
    form.get_by_label("依据或说明（可选）").fill("浙经信〔2025〕8号")
    with page.expect_response(
        lambda r: r.url.endswith("/qualifications/") and r.request.method == "POST"
    ) as posted:
        form.get_by_role("button", name="添加资质").click()
    assert posted.value.ok
    assert posted.value.request.headers.get("hx-request") == "true"  # swapped in place by htmx

    expect(page.get_by_role("status")).to_contain_text("已添加资质：省级数字化车间（2025年度）")
    rows = qualifications.get_by_test_id("qualification-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("省级数字化车间")
    expect(rows.first).to_contain_text("2025")
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("添加资质")
    expect(history).to_contain_text("浙经信〔2025〕8号")
    expect(history).to_contain_text("bureau")

    # Stored: a reload shows it, and the audit trail has the entry.
    page.reload()
    expect(page.get_by_test_id("qualification-row")).to_contain_text("省级数字化车间")
    assert county.neighbour.qualifications.filter(
        type__code="provincial_digital_workshop", year=2025
    ).exists()
    assert AuditEntry.objects.filter(action="qualification.add", object_id=county.neighbour.uscc).count() == 1


def test_without_javascript_the_officer_edits_and_removes(
    page_no_js: Page, live_server: LiveServer, county: County
) -> None:
    page = page_no_js
    login(page, live_server, "bureau", PASSWORD)
    _open_enterprise(page, live_server, county.own.name)

    # 编辑: a plain form; back on the enterprise page with the message and the new value.
    page.get_by_test_id("edit-enterprise").click()
    expect(page).to_have_url(re.compile(rf"/enterprises/{county.own.uscc}/edit/$"))
    page.get_by_label("从业人数").fill("96")
    page.get_by_label("营业收入（万元）").fill("526.61")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(rf"/enterprises/{county.own.uscc}/$"))
    expect(page.locator(".alert-success")).to_contain_text("已保存")
    expect(page.get_by_test_id("revenue")).to_have_text("526.61 万元（5,266,100.00 元）")
    expect(page.get_by_test_id("history")).to_contain_text("从业人数：80 → 96")

    # 删除 a qualification: the form posts and the page comes back without it.
    row = page.get_by_test_id("qualification-row").filter(has_text="国家科技型中小企业")
    with page.expect_navigation():
        row.get_by_role("button", name=re.compile("删除")).click()
    expect(page.locator(".alert-success")).to_contain_text("已删除资质：国家科技型中小企业（2024年度）")
    expect(page.get_by_test_id("qualifications")).to_contain_text("暂无资质记录")
    expect(page.get_by_test_id("history")).to_contain_text("删除资质")
