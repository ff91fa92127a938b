"""Publishing a policy edition in a real browser: a bureau officer copies cixi-2025 as a draft in
force from 2026-01-01, raises the AI-model cap to 500,000, publishes, and the calculator uses the
new cap from that date — while a 2025 date still gets the old one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from shuzhuan.accounts.tests.factories import PASSWORD
from shuzhuan.audit.models import AuditEntry
from shuzhuan.policies.models import PolicyEdition
from tests.e2e.conftest import calculate_ai_project, edition_draft, login

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

    from conftest import County


pytestmark = pytest.mark.usefixtures("shipped_editions")


def test_officer_publishes_a_new_cap_and_the_calculator_uses_it_from_its_date(
    page: Page, live_server: LiveServer, county: County
) -> None:
    login(page, live_server, "bureau", PASSWORD)
    edition_draft(page, based_on="cixi-2025", edition_id="cixi-2026", effective_from="2026-01-01")
    expect(page.get_by_test_id("edition-id")).to_have_text("cixi-2026")
    expect(page.get_by_test_id("edition-status")).to_have_text("草稿")

    cap = page.locator('[data-policy="cixi-2026-ai"] [data-step="cap"]')
    cap.get_by_label("cixi-2026-ai cap").fill("500000")
    with page.expect_navigation():
        cap.get_by_role("button", name="保存").click()
    change = page.get_by_test_id("change-row")
    expect(change).to_have_count(1)
    expect(change).to_contain_text("300,000.00")
    expect(change).to_contain_text("500,000.00")

    with page.expect_navigation():
        page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("edition-status")).to_have_text("已发布")
    assert PolicyEdition.objects.get(edition_id="cixi-2025").effective_to.isoformat() == "2025-12-31"  # type: ignore[union-attr]
    assert AuditEntry.objects.filter(action="policy_edition.publish", object_id="cixi-2026").count() == 1

    calculate_ai_project(page, "2026-06-30")
    expect(page.get_by_test_id("calc-edition")).to_have_text("cixi-2026")
    expect(page.get_by_test_id("calc-total")).to_have_text("500,000.00")

    calculate_ai_project(page, "2025-06-30")
    expect(page.get_by_test_id("calc-edition")).to_have_text("cixi-2025")
    expect(page.get_by_test_id("calc-total")).to_have_text("300,000.00")
