"""The cockpit pages: what the bureau sees, what a town officer sees (their town only), the records
behind a figure, and refusals in words."""

from __future__ import annotations

import json
from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from shuzhuan.accounts.models import User
from shuzhuan.enterprises.models import Enterprise, Region

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("programme")]


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _charts(html: str) -> list[dict[str, object]]:
    start = html.index('<script id="cockpit-charts" type="application/json">') + len(
        '<script id="cockpit-charts" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_the_bureau_sees_the_county_with_every_figure_linked() -> None:
    response = _client("bureau").get("/cockpit/", {"from": "2024", "to": "2024"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "慈溪市 · 2024年" in html
    assert 'data-key="paid.amount"' in html and "526.61万元" in html
    assert 'data-key="alloc.amount"' in html
    charts = {c["id"]: c for c in _charts(html)}
    assert "top_town" in charts
    for chart in charts.values():
        for series in chart["series"]:  # type: ignore[attr-defined]
            for datum in series["data"]:
                if datum["url"]:
                    assert datum["url"].startswith("/cockpit/records/")


def test_a_town_officers_cockpit_holds_only_their_town() -> None:
    town = Region.objects.get(code="cixi-guanhaiwei")
    others = set(
        Region.objects.filter(level=Region.Level.TOWN).exclude(pk=town.pk).values_list("name", flat=True)
    )
    response = _client("town_guanhaiwei").get("/cockpit/", {"from": "2024", "to": "2026"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "观海卫镇 · 2024—2026年" in html
    assert 'data-key="alloc.amount"' not in html  # allocations are not split by town
    charts = {c["id"]: c for c in _charts(html)}
    assert "top_town" not in charts
    mentioned = {name for name in others if name in html}
    assert not mentioned, mentioned
    # the town's money figure is its own enterprises' and nobody else's
    paid = _client("town_guanhaiwei").get("/cockpit/records/paid.amount/", {"from": "2024", "to": "2026"})
    rows = paid.content.decode()
    town_firms = set(Enterprise.objects.filter(town=town).values_list("uscc", flat=True))
    other_firms = set(Enterprise.objects.exclude(town=town).values_list("uscc", flat=True))
    assert any(u in rows for u in town_firms)
    assert not any(u in rows for u in other_firms)
    # county-wide figures are not reachable from a town
    assert (
        _client("town_guanhaiwei").get("/cockpit/records/alloc.amount/", {"from": "2025"}).status_code == 404
    )


def test_a_figure_lands_on_its_records_and_exports_them() -> None:
    client = _client("auditor")
    response = client.get("/cockpit/records/paid.enterprises.new-it/", {"from": "2024", "to": "2024"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="records-value">38家<' in html
    assert html.count('data-testid="record-row"') == 38
    assert "口径代码 paid.enterprises.new-it" in html
    export = client.get("/cockpit/records/paid.amount.new-it/export.xlsx", {"from": "2024", "to": "2024"})
    assert export.status_code == 200
    ws = load_workbook(BytesIO(export.content)).active
    assert ws is not None
    header = [c.value for c in ws[4]]
    col = header.index("兑现金额（元）")
    amounts = [row[col] for row in ws.iter_rows(min_row=5, values_only=True)]
    assert sum(Decimal(str(a)) for a in amounts) == Decimal("5266100.00")


def test_refusals_in_words() -> None:
    client = _client("bureau")
    bad = client.get("/cockpit/", {"from": "2026", "to": "2024"})
    assert bad.status_code == 400 and "起始年度不能晚于截止年度" in bad.content.decode()
    assert "请填写四位数的年度" in client.get("/cockpit/", {"from": "abc"}).content.decode()
    missing = client.get("/cockpit/records/nonsense.key/", {"from": "2024"})
    assert missing.status_code == 404 and "未知的统计口径：nonsense.key" in missing.content.decode()
    county_only = _client("town_guanhaiwei").get("/cockpit/records/alloc.amount/", {"from": "2025"})
    assert county_only.status_code == 404 and "镇（街道）范围内不提供" in county_only.content.decode()
    assert _client("enterprise").get("/cockpit/").status_code == 403


def test_the_json_api_gives_figures_and_their_records() -> None:
    client = _client("bureau")
    response = client.get(
        "/api/cockpit/figures",
        {"from": "2024", "keys": "paid.enterprises.new-it,paid.amount.new-it"},
    )
    assert response.status_code == 200
    enterprises, amount = response.json()
    assert (enterprises["value"], enterprises["display"]) == ("38", "38家")
    assert (amount["value"], amount["display"]) == ("5266100.00", "526.61万元")
    assert "paid.amount.new-it" in amount["query"] and amount["url"].startswith("/cockpit/records/")
    pilot = client.get(
        "/api/cockpit/figures", {"from": "2025", "keys": "alloc.amount.pilot.central,alloc.amount.pilot.city"}
    )
    assert [f["value"] for f in pilot.json()] == ["14230000.00", "6848100.00"]
    records = client.get("/api/cockpit/figures/paid.amount.new-it/records", {"from": "2024"}).json()
    assert records["total"] == len(records["rows"]) == 38
    assert sum(Decimal(r["amount"]) for r in records["rows"]) == Decimal("5266100.00")
    # a town officer gets their town's figure, and no county-wide one
    town = _client("town_guanhaiwei")
    own = town.get("/api/cockpit/figures", {"from": "2024", "keys": "paid.amount.new-it"}).json()[0]
    assert own["scope"] == "观海卫镇" and Decimal(own["value"]) < Decimal("5266100.00")
    refused = town.get("/api/cockpit/figures", {"from": "2025", "keys": "alloc.amount"})
    assert refused.status_code == 404 and "镇（街道）范围内不提供" in refused.json()["error"]["message"]
    bad = client.get("/api/cockpit/figures", {"from": "2025", "to": "2024", "keys": "paid.amount"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "from"
