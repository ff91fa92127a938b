"""资金 as JSON: budget balances per funding level, programme and year, derived from the ledger.

Mounted at /api/funds (shuzhuan/api.py). Readers are those of the 资金 page (Perm.FUNDS_VIEW:
bureau officers and auditors). Amounts are strings with two decimals.
"""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from shuzhuan.accounts.access import Perm, access_require
from shuzhuan.core.schemas import Yuan
from shuzhuan.funds.selectors import BudgetBalance, budget_balances

router = Router(tags=["资金"])


class BudgetBalanceOut(Schema):
    budget_id: int
    level: str = Field(description="central 中央 | city 市级（宁波） | county 县级（慈溪）")
    level_label: str
    programme: str = Field(description="资金项目（政策类别），如 pilot、new-it、ai、sample")
    year: int
    allocated: Yuan = Field(description="已下达（元）")
    committed: Yuan = Field(description="已核定占用（元）")
    paid: Yuan = Field(description="已兑现（元）")
    outstanding: Yuan = Field(description="已核定未兑现（元）")
    remaining: Yuan = Field(description="可用余额 = 已下达 − 已核定占用（元）")


class BudgetFilterIn(Schema):
    year: int | None = Field(None, description="年度")
    programme: str = Field("", description="资金项目，如 pilot")
    level: str = Field("", description="资金层级：central、city、county")


@router.get(
    "/budgets",
    response=list[BudgetBalanceOut],
    operation_id="budget_balance_list",
    summary="预算余额：每个资金层级、项目和年度的已下达、已核定、已兑现、未兑现和可用余额",
)
def budget_balance_list_op(request: HttpRequest, filters: Query[BudgetFilterIn]) -> list[BudgetBalance]:
    access_require(request.auth, Perm.FUNDS_VIEW)  # type: ignore[attr-defined]
    return budget_balances(year=filters.year, programme=filters.programme, level=filters.level)
