"""The disbursement list per funding level (兑现清单): which shares it holds, paid or due from the
ledger, its filters, and the workbook finance receives (title, columns, numbers with two places,
the total)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from shuzhuan.applications.models import Application, Status
from shuzhuan.applications.tests.factories import advance, draft
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Region
from shuzhuan.enterprises.tests.factories import EnterpriseFactory, town
from shuzhuan.funds import services as funds
from shuzhuan.funds.exports import HEADERS, DisbursementRow, disbursement_list, disbursement_xlsx
from shuzhuan.funds.models import LedgerEntry
from shuzhuan.funds.tests.factories import allocate

pytestmark = pytest.mark.django_db
D = Decimal


def _app(
    county: Any, roles: dict[str, Any], batch: Any, enterprise: Any, to: str, verified: str
) -> Application:
    """A new-IT application (20% of the verified investment) driven to ``to``; the firm user and the
    town officer act only for their own enterprise / town, the system for the others."""
    mine = enterprise == county.own
    here = enterprise.town_id == county.own.town_id
    who = {**roles, "firm": roles["firm"] if mine else None, "town": roles["town"] if here else None}
    app = draft(
        batch=batch, enterprise=enterprise, firm=who["firm"], project_name=f"{enterprise.name}改造项目"
    )
    return advance(app, to, **who, verified=verified)


@pytest.fixture
def programme(county: Any, batch: Any, roles: dict[str, Any]) -> dict[str, Application]:
    """Split 50/25/25. ``closed``: own, 140,000.00, every share paid; ``due``: neighbour (same
    town), 160,000.00, in disbursement, nothing paid; ``elsewhere``: 周巷镇, 120,000.00, in
    disbursement; ``notice``: 周巷镇, under public notice — not on any disbursement list yet."""
    allocate(programme="new-it", acting_user=roles["bureau"])
    another = EnterpriseFactory.create(name="慈溪市丁模具有限公司", town=town("cixi-zhouxiang"))
    return {
        "closed": _app(county, roles, batch, county.own, Status.CLOSED, "700000"),
        "due": _app(county, roles, batch, county.neighbour, Status.DISBURSING, "800000"),
        "elsewhere": _app(county, roles, batch, county.elsewhere, Status.DISBURSING, "600000"),
        "notice": _app(county, roles, batch, another, Status.PUBLIC_NOTICE, "500000"),
    }


def test_the_list_holds_the_shares_due_or_paid_of_one_level(programme, batch):
    closed, due, elsewhere = programme["closed"], programme["due"], programme["elsewhere"]
    found = disbursement_list(level="city", batch=batch)
    assert found.title == f"{batch.name} 宁波级资金兑现清单"
    rows = {r.number: r for r in found.rows}
    assert set(rows) == {closed.number, due.number, elsewhere.number}  # not the one under notice
    paid = LedgerEntry.objects.get(
        kind=LedgerEntry.Kind.PAYMENT, share__award__application=closed, share__level="city"
    )
    assert rows[closed.number] == DisbursementRow(
        enterprise=closed.enterprise.name,
        uscc=closed.enterprise.uscc,
        town="观海卫镇",
        project=closed.project_name,
        number=closed.number,
        award_amount=D("140000.00"),
        share_amount=D("35000.00"),
        paid=True,
        reference=paid.reference,
        paid_on=timezone.localdate(paid.at),
    )
    assert rows[closed.number].status_label == "已支付"
    assert (rows[due.number].paid, rows[due.number].reference, rows[due.number].paid_on) == (False, "", None)
    assert rows[due.number].status_label == "待支付"
    assert (rows[due.number].award_amount, rows[due.number].share_amount) == (D("160000.00"), D("40000.00"))
    # Decimal to the fen throughout, and the totals are sums of the rows.
    assert all(isinstance(r.share_amount, Decimal) for r in found.rows)
    assert found.share_total == D("35000.00") + D("40000.00") + D("30000.00")
    assert (found.paid_total, found.due_total) == (D("35000.00"), D("70000.00"))
    assert found.award_total == D("420000.00")

    central = disbursement_list(level="central", batch=batch)
    assert {r.number: r.share_amount for r in central.rows} == {
        closed.number: D("70000.00"),
        due.number: D("80000.00"),
        elsewhere.number: D("60000.00"),
    }
    assert central.title.endswith("中央级资金兑现清单")
    assert disbursement_list(level="county").title == "全部年度 慈溪级资金兑现清单"


def test_filters_by_year_and_region(programme, batch):
    assert len(disbursement_list(level="county", year=2025).rows) == 3
    assert disbursement_list(level="county", year=2025).title == "2025年度 慈溪级资金兑现清单"
    assert disbursement_list(level="county", year=2024).rows == ()
    guanhaiwei = Region.objects.get(code="cixi-guanhaiwei")
    numbers = {r.number for r in disbursement_list(level="county", batch=batch, region=guanhaiwei).rows}
    assert numbers == {programme["closed"].number, programme["due"].number}


def test_an_unknown_level_is_refused_naming_the_field(county):
    with pytest.raises(ApplicationError) as refused:
        disbursement_list(level="province")
    assert refused.value.field == "level"


def test_a_reversed_payment_is_due_again(programme, roles):
    closed = programme["closed"]
    payment = LedgerEntry.objects.get(
        kind=LedgerEntry.Kind.PAYMENT, share__award__application=closed, share__level="city"
    )
    funds.payment_reverse(acting_user=roles["bureau"], entry=payment, reason="收款账户有误，资金退回")
    (row,) = [r for r in disbursement_list(level="city").rows if r.number == closed.number]
    assert (row.paid, row.status_label, row.reference) == (False, "待支付", "")


def test_the_workbook_finance_receives(programme, batch):
    closed, due = programme["closed"], programme["due"]
    ws = load_workbook(io.BytesIO(disbursement_xlsx(level="city", batch=batch))).active
    assert ws is not None
    assert ws["A1"].value == f"{batch.name} 宁波级资金兑现清单"
    assert "资金层级：宁波（city）" in ws["A2"].value and "单位：元" in ws["A2"].value
    header = [c.value for c in ws[3]]
    assert header == list(HEADERS)
    # the columns read below by position: the number (the key), the amounts, the payment
    assert header[5:9] == ["申报编号", "核定补助金额（元）", "本级分担金额（元）", "支付状态"]
    lines = {row[5]: row for row in ws.iter_rows(min_row=4, max_row=6, values_only=True)}
    assert {row[0] for row in lines.values()} == {1, 2, 3}
    mine = lines[closed.number]
    assert mine[1:6] == (
        closed.enterprise.name,
        closed.enterprise.uscc,
        "观海卫镇",
        closed.project_name,
        closed.number,
    )
    # Numbers, not text, so finance can sum them; shown with two places.
    assert isinstance(mine[6], int | float) and D(str(mine[6])) == D("140000.00")
    assert D(str(mine[7])) == D("35000.00")
    assert mine[8] == "已支付" and mine[9] and isinstance(mine[10], dt.datetime)
    assert lines[due.number][8:] == ("待支付", None, None)
    for row in ws.iter_rows(min_row=4, max_row=7, min_col=7, max_col=8):
        assert all(cell.number_format == "#,##0.00" for cell in row)
    total = [c.value for c in ws[7]]
    assert total[:2] == ["合计", "3 个项目"]
    assert D(str(total[6])) == D("420000.00") and D(str(total[7])) == D("105000.00")
    assert [ws["B8"].value, D(str(ws["H8"].value))] == ["其中已支付", D("35000.00")]
    assert [ws["B9"].value, D(str(ws["H9"].value))] == ["其中待支付", D("70000.00")]


def test_an_empty_list_is_a_workbook_with_a_zero_total(county):
    ws = load_workbook(io.BytesIO(disbursement_xlsx(level="central", year=2025))).active
    assert ws is not None
    assert ws["A1"].value == "2025年度 中央级资金兑现清单"
    assert [ws["A4"].value, ws["B4"].value, ws["H4"].value] == ["合计", "0 个项目", 0]
