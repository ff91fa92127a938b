"""影响测算 in a real browser: a bureau officer copies the edition in force (cixi-2025) as a draft
taking effect on 2027-01-01, tries a higher AI-model cap without saving it, saves it, sees the
impact on the current projects, publishes — and the calculator keeps the old cap the day before
and uses the new one from that day.

The projects are applications built through the applications services: ``own`` (观海卫镇) an AI
project verified at 1,000,000 (ceiling 300,000, capped), ``elsewhere`` (周巷镇) one at 400,000
(200,000, under the cap). Raising the cap to 500,000 adds 200,000: central +100,000, city and
county +50,000 each (0.50/0.25/0.25).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from shuzhuan.accounts.tests.factories import PASSWORD
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.tests.factories import impact_projects
from tests.e2e.conftest import calculate_ai_project, edition_draft, login

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

    from conftest import County


pytestmark = pytest.mark.usefixtures("shipped_editions")


def test_officer_previews_the_impact_of_a_cap_then_publishes_it_from_a_new_date(
    page: Page, live_server: LiveServer, county: County, tmp_path: Path
) -> None:
    projects = impact_projects(county, batch_prefix="e2e-impact")
    login(page, live_server, "bureau", PASSWORD)
    edition_draft(page, based_on="cixi-2025", edition_id="cixi-2027", effective_from="2027-01-01")
    expect(page.get_by_test_id("edition-status")).to_have_text("草稿")

    # The section loads by itself (htmx): nothing changed yet, over both projects.
    impact = page.get_by_test_id("impact")
    expect(impact.get_by_test_id("impact-summary")).to_contain_text("2 个项目")
    expect(impact.get_by_test_id("impact-delta")).to_have_text("0.00")

    # A trial of the new cap, not saved: the figures move, the draft does not.
    impact.get_by_label("试算参数").select_option("cixi-2027-ai.cap")
    impact.get_by_label("试算数值").fill("500000")
    impact.get_by_role("button", name="试算影响").click()
    expect(page.get_by_test_id("impact-preview")).to_contain_text("由 300,000.00 改为 500,000.00")
    expect(page.get_by_test_id("impact-delta")).to_have_text("+200,000.00")
    expect(page.get_by_test_id("change-row")).to_have_count(0)

    # Saved: the page reloads and the impact is the draft's own.
    cap = page.locator('[data-policy="cixi-2027-ai"] [data-step="cap"]')
    cap.get_by_label("cixi-2027-ai cap").fill("500000")
    with page.expect_navigation():
        cap.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("change-row")).to_have_count(1)
    impact = page.get_by_test_id("impact")
    expect(impact.get_by_test_id("impact-delta")).to_have_text("+200,000.00")
    expect(impact.get_by_test_id("impact-projects-changed")).to_have_text("1")
    expect(impact.locator('[data-testid="impact-level"][data-level="central"]')).to_contain_text(
        "+100,000.00"
    )
    expect(impact.locator('[data-testid="impact-level"][data-level="county"]')).to_contain_text("+50,000.00")
    top = impact.get_by_test_id("impact-project")
    expect(top).to_have_count(1)
    expect(top).to_contain_text(projects[0].number)
    expect(top).to_contain_text("观海卫镇")
    impact.screenshot(path=str(tmp_path / "impact.png"))  # kept with --basetemp=DIR

    with page.expect_navigation():
        page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("edition-status")).to_have_text("已发布")
    assert PolicyEdition.objects.get(edition_id="cixi-2025").effective_to.isoformat() == "2026-12-31"  # type: ignore[union-attr]

    calculate_ai_project(page, "2026-12-31")
    expect(page.get_by_test_id("calc-edition")).to_have_text("cixi-2025")
    expect(page.get_by_test_id("calc-total")).to_have_text("300,000.00")

    calculate_ai_project(page, "2027-01-01")
    expect(page.get_by_test_id("calc-edition")).to_have_text("cixi-2027")
    expect(page.get_by_test_id("calc-total")).to_have_text("500,000.00")
