"""统计驾驶舱 in a real browser: the bureau officer opens the cockpit over a county built to the
seed letters' figures, the ECharts charts draw on their canvases (checked in the screenshot's
pixels, not only in the DOM), a KPI card and a bar in a chart each lead to the records behind
them; a town officer's cockpit shows only their town."""

from __future__ import annotations

import re
from io import BytesIO
from typing import TYPE_CHECKING

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from shuzhuan.demo import DEMO_PASSWORD, demo_load
from shuzhuan.demo_programme import demo_programme_load
from shuzhuan.enterprises.models import Region
from tests.e2e.conftest import login, nav

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

pytestmark = pytest.mark.usefixtures("shipped_editions")


@pytest.fixture
def programme(shipped_editions: None) -> None:
    demo_load(size=600, seed=11)
    assert not demo_programme_load(seed=11).skipped


def _distinct_colours(png: bytes) -> int:
    colours = Image.open(BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 20)
    return len(colours or [])


@pytest.mark.usefixtures("programme")
def test_the_cockpit_draws_its_charts_and_every_figure_opens_its_records(
    page: Page, live_server: LiveServer, tmp_path: object
) -> None:
    login(page, live_server, "bureau", DEMO_PASSWORD)
    nav(page, "统计驾驶舱")
    # the 2024 new-IT programme: 38 enterprises, 526.61万元
    page.get_by_label("起始年度").fill("2024")
    page.get_by_label("截止年度").fill("2024")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_test_id("cockpit-scope")).to_contain_text("慈溪市 · 2024年")
    charts = page.locator("[data-testid=chart]")
    count = charts.count()
    assert count >= 6
    for i in range(count):
        chart = charts.nth(i)
        expect(chart).to_have_attribute("data-rendered", "1")
        canvas = chart.locator("canvas")
        expect(canvas).to_have_count(1)
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 150
        # a blank canvas is one colour; a drawn chart has axes, labels, bars in several
        assert _distinct_colours(chart.screenshot()) > 20, chart.get_attribute("id")
    page.screenshot(path=f"{tmp_path}/cockpit.png", full_page=True)

    # a KPI card → its records
    card = page.locator("[data-testid=kpi][data-key='paid.enterprises']")
    expect(card.get_by_test_id("kpi-value")).to_have_text("38家")
    card.click()
    expect(page.get_by_test_id("records-value")).to_have_text("38家")
    expect(page.get_by_test_id("record-row")).to_have_count(38)
    expect(page.get_by_test_id("records-query")).to_contain_text("paid.enterprises")

    # a bar of a chart → its records: the funds chart's 已兑现 bar of 慈溪 (the county level)
    page.go_back()
    funds = page.locator("#chart-funds")
    expect(funds).to_have_attribute("data-rendered", "1")
    # where ECharts laid out that bar (series 已兑现, category 慈溪): click its middle
    target = page.evaluate(
        """() => {
            const chart = echarts.getInstanceByDom(document.getElementById('chart-funds'));
            const index = chart.getOption().series.findIndex(s => s.name === '已兑现');
            const layout = chart.getModel().getSeriesByIndex(index).getData().getItemLayout(2);
            return {x: layout.x + layout.width / 2, y: layout.y + layout.height / 2};
        }"""
    )
    box = funds.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    expect(page).to_have_url(re.compile(r"/cockpit/records/paid\.amount\.all\.county/\?"))
    expect(page.get_by_test_id("records-value")).to_have_text("526.61万元")


@pytest.mark.usefixtures("programme")
def test_a_town_officer_sees_only_their_town(page: Page, live_server: LiveServer) -> None:
    login(page, live_server, "town_guanhaiwei", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/cockpit/?from=2024&to=2026")
    expect(page.get_by_test_id("cockpit-scope")).to_contain_text("观海卫镇")
    expect(page.get_by_test_id("town-note")).to_be_visible()
    expect(page.locator("[data-testid=kpi][data-key='alloc.amount']")).to_have_count(0)
    expect(page.locator("#chart-top_town")).to_have_count(0)
    body = page.locator("main").inner_text()
    others = Region.objects.filter(level=Region.Level.TOWN).exclude(code="cixi-guanhaiwei")
    assert not [r.name for r in others if r.name in body]
