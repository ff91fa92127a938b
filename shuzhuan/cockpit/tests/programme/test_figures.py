"""The cockpit's figures against the seed letters' figures, against the ledger, against their own
records, and within a town."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shuzhuan.cockpit.figures import (
    FigureError,
    Filters,
    Period,
    Scope,
    figure_breakdown,
    figure_records,
    figure_value,
    indicator_choices,
    indicator_value,
    wan,
)
from shuzhuan.cockpit.selectors import KPI_KEYS, cockpit_charts, cockpit_kpis
from shuzhuan.enterprises.models import Enterprise, Region
from shuzhuan.funds.selectors import budget_balances

pytestmark = pytest.mark.django_db

ALL = Scope(None)
Y2024, Y2025 = Period.year(2024), Period.year(2025)


def _value(key: str, period: Period = Y2024, scope: Scope = ALL, **filters: str) -> Decimal:
    return figure_value(key, scope=scope, period=period, filters=Filters(**filters)).value


@pytest.mark.usefixtures("programme")
def test_the_seed_letters_figures_come_out_of_the_records() -> None:
    assert _value("paid.enterprises.new-it") == 38
    assert _value("paid.amount.new-it") == Decimal("5266100.00")
    assert figure_value("paid.amount.new-it", scope=ALL, period=Y2024).display == "526.61万元"
    assert _value("accepted.enterprises.pilot", Y2025) == 29
    assert _value("approved.amount.pilot", Y2025) == Decimal("8715800.00")
    levels = [_value(f"approved.amount.pilot.{lv}", Y2025) for lv in ("central", "city", "county")]
    assert all(levels) and sum(levels) == Decimal("8715800.00")
    assert _value("alloc.amount.pilot.central", Y2025) == Decimal("14230000.00")
    assert _value("alloc.amount.pilot.city", Y2025) == Decimal("6848100.00")
    assert figure_value("alloc.amount.pilot.central", scope=ALL, period=Y2025).display == "1423万元"
    assert figure_value("alloc.amount.pilot.city", scope=ALL, period=Y2025).display == "684.81万元"
    # the 2024 programme is paid in full; the 2025 pilot batch is approved, not paid
    assert _value("paid.amount.pilot", Y2025) == 0
    # over both years the sums add up
    both = Period(2024, 2025)
    assert _value("approved.amount", both) == Decimal("5266100.00") + Decimal("8715800.00")


@pytest.mark.usefixtures("programme")
def test_money_figures_agree_with_the_ledger_balances() -> None:
    for year in (2024, 2025, 2026):
        balances = budget_balances(year=year)
        period = Period.year(year)
        for level in ("central", "city", "county"):
            rows = [b for b in balances if b.level == level]
            assert _value(f"alloc.amount.all.{level}", period) == sum(
                (b.allocated for b in rows), Decimal("0.00")
            )
            assert _value(f"approved.amount.all.{level}", period) == sum(
                (b.committed for b in rows), Decimal("0.00")
            ), (year, level)
            assert _value(f"paid.amount.all.{level}", period) == sum((b.paid for b in rows), Decimal("0.00"))


def _from_rows(key: str, rows: list[dict[str, Any]]) -> Decimal:
    if ".amount" in key:
        return sum((r["amount"] for r in rows), Decimal("0.00"))
    if key.split(".")[0] in {"qual_new", "qual_total", "qual_wf", "library", "accepted", "approved", "paid"}:
        return Decimal(len({r["uscc"] for r in rows}))
    return Decimal(len(rows))


@pytest.mark.usefixtures("programme")
@pytest.mark.parametrize(
    "key",
    [
        *KPI_KEYS,
        "qual_total.provincial_digital_workshop",
        "apps.all",
        "apps.closed.new-it",
        "expected.amount.all.city",
    ],
)
def test_every_figure_is_its_records(key: str) -> None:
    """The value is computed from exactly the rows the records page lists (county and a town)."""
    town = Region.objects.get(code="cixi-guanhaiwei")
    for scope in (ALL, Scope(town)):
        if key.startswith("alloc.") and not scope.county_wide:
            continue
        for period in (Y2024, Y2025, Period(2021, 2026)):
            table = figure_records(key, scope=scope, period=period)
            assert table.figure.value == _from_rows(key, table.rows), (key, scope.label, period.label)


@pytest.mark.usefixtures("programme")
def test_a_towns_figures_are_its_own_enterprises_only() -> None:
    town = Region.objects.get(code="cixi-guanhaiwei")
    scope = Scope(town)
    own = set(Enterprise.objects.filter(town=town).values_list("uscc", flat=True))
    both = Period(2024, 2025)
    for key in (
        "paid.amount.new-it",
        "approved.amount",
        "accepted.enterprises",
        "qual_new.national_tech_sme",
    ):
        rows = figure_records(key, scope=scope, period=both).rows
        assert {r["uscc"] for r in rows} <= own, key
        assert {r["town"] for r in rows} <= {town.name}
        # the same figure narrowed to this town from the county's view gives the same value
        assert figure_value(key, scope=scope, period=both).value == _value(key, both, town=town.code)
    # a town's slice of a money figure plus every other town's is the county's
    towns = Region.objects.filter(level=Region.Level.TOWN, path__startswith="/zhejiang/ningbo/cixi/")
    total = sum((_value("paid.amount.new-it", scope=Scope(t)) for t in towns), Decimal("0.00"))
    assert total == Decimal("5266100.00")
    # a filter naming another town cannot widen a town officer's scope
    assert _value("approved.amount", both, scope=scope, town="cixi-zhouxiang") == 0
    with pytest.raises(FigureError, match="镇（街道）范围内不提供"):
        figure_value("alloc.amount", scope=scope, period=both)


@pytest.mark.usefixtures("programme")
def test_breakdowns_add_up_and_link_to_their_records() -> None:
    both = Period(2024, 2025)
    parts = figure_breakdown("approved.amount", by="town", scope=ALL, period=both)
    assert sum((p.value for p in parts), Decimal("0.00")) == _value("approved.amount", both)
    assert [p.value for p in parts] == sorted((p.value for p in parts), reverse=True)
    first = parts[0]
    assert f"town={first.code}" in first.url
    assert _value("approved.amount", both, town=first.code) == first.value
    industries = figure_breakdown("paid.enterprises", by="industry", scope=ALL, period=Y2024)
    assert sum(p.value for p in industries) == 38


@pytest.mark.usefixtures("programme")
def test_cockpit_content_for_the_county_and_for_a_town() -> None:
    kpis = cockpit_kpis(ALL, Y2024)
    by_key = {k.figure.key: k for k in kpis}
    assert by_key["paid.amount"].figure.value == Decimal("5266100.00")
    assert by_key["paid.amount"].previous.value == 0  # nothing in 2023
    charts = {c["id"]: c for c in cockpit_charts(ALL, Y2024)}
    assert {
        "funds",
        "programmes",
        "applications",
        "cycle",
        "qualifications",
        "trend",
        "top_town",
        "top_industry",
    } <= set(charts)
    for chart in charts.values():
        for series in chart["series"]:
            assert len(series["data"]) == len(chart["categories"]), chart["id"]
            for datum in series["data"]:
                assert isinstance(datum["value"], str)  # numeric strings: no float anywhere
    town = Region.objects.get(code="cixi-guanhaiwei")
    town_kpis = {k.figure.key for k in cockpit_kpis(Scope(town), Y2024)}
    assert "alloc.amount" not in town_kpis
    town_charts = {c["id"]: c for c in cockpit_charts(Scope(town), Y2024)}
    assert "top_town" not in town_charts
    assert [s["name"] for s in town_charts["funds"]["series"]] == ["已核定", "已兑现"]


def test_bad_keys_and_periods_are_refused_in_words(db: None) -> None:
    for key, message in (
        ("nonsense", "未知的统计口径"),
        ("paid", "paid 之后应为"),
        ("paid.amount.pilot.mars", "未知的资金层级"),
        ("qual_new.unknown_type", "未知的资质类型"),
        ("apps.flying", "未知的申报状态"),
        ("events.count.party", "未知的活动类型"),
        ("paid..amount", "统计口径代码不正确"),
    ):
        with pytest.raises(FigureError, match=message):
            figure_value(key, scope=ALL, period=Y2024)
    with pytest.raises(FigureError, match="统计期间不正确"):
        Period(2025, 2024)


def test_wan_is_how_officers_write_it() -> None:
    assert [
        wan(Decimal(x)) for x in ("14230000.00", "6848100.00", "5266100.00", "8715800.00", "62222.22", "0")
    ] == [
        "1423",
        "684.81",
        "526.61",
        "871.58",
        "6.22",
        "0",
    ]


@pytest.mark.usefixtures("programme")
def test_indicators_for_peer_ranks() -> None:
    codes = dict(indicator_choices())
    assert "qual_wf.provincial" in codes and "paid.amount" in codes
    assert indicator_value("paid.amount", year=2024) == Decimal("5266100.00")
    assert indicator_value("no.such", year=2024) is None


@pytest.mark.usefixtures("programme")
def test_the_cli_prints_a_figure_with_its_query_and_records(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from shuzhuan.cli import main

    assert main(["cockpit", "figure", "paid.amount.new-it", "paid.enterprises.new-it", "--from", "2024"]) == 0
    out = capsys.readouterr().out
    assert "新一代信息技术已兑现补助资金：526.61万元（5266100.00 元）" in out
    assert "新一代信息技术获兑现补助企业：38家" in out and "口径代码 paid.enterprises.new-it" in out
    assert main(["cockpit", "figure", "paid.amount.new-it", "--from", "2024", "--json", "--records"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["value"] == "5266100.00" and len(data["records"]) == 38
    for argv, words in (
        (["bogus", "--from", "2024"], "未知的统计口径"),
        (["alloc.amount", "--from", "2025", "--region", "cixi-guanhaiwei"], "镇（街道）范围内不提供"),
        (["paid.amount", "--from", "2025", "--to", "2024"], "--to"),
        (["paid.amount"], "--from"),
    ):
        assert main(["cockpit", "figure", *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and words in err[0], err


@pytest.mark.usefixtures("programme")
def test_expected_money_is_the_awards_plus_the_ceilings_still_to_be_approved() -> None:
    from shuzhuan.applications.models import Application, Status
    from shuzhuan.funds.shares import award_split

    # 2025: every accepted pilot project is approved — expected is what was approved
    assert (
        _value("expected.amount.pilot", Y2025)
        == _value("approved.amount.pilot", Y2025)
        == Decimal("8715800.00")
    )
    # 2026: some projects are accepted and wait for their amount; they count with their ceiling
    y2026 = Period.year(2026)
    waiting = Application.objects.filter(batch__year=2026, status=Status.ACCEPTED)
    assert waiting.exists()
    ceilings = sum((a.ceiling for a in waiting if a.ceiling is not None), Decimal("0.00"))
    assert ceilings > 0
    assert _value("expected.amount", y2026) == _value("approved.amount", y2026) + ceilings
    levels = [_value(f"expected.amount.all.{lv}", y2026) for lv in ("central", "city", "county")]
    assert sum(levels) == _value("expected.amount", y2026)
    first = waiting.first()
    assert first is not None and first.ceiling is not None
    split = award_split(first.ceiling, first.batch.funding_split)
    rows = figure_records("expected.amount.all.central", scope=ALL, period=y2026).rows
    mine = [r for r in rows if r["number"] == first.number]
    assert [(r["basis"], r["amount"]) for r in mine] == [("补助上限（待核定）", split["central"])]
    with pytest.raises(FigureError, match="不能按镇"):
        figure_breakdown("expected.amount", by="town", scope=ALL, period=y2026)
