"""统计驾驶舱 as JSON: any figure by its key for a period, and the records behind it.

Mounted at /api/cockpit (shuzhuan/api.py). Readers are those of the cockpit (Perm.COCKPIT_VIEW:
bureau officers, town officers, auditors), each within their region — a town officer's figures
are their town's, and county-wide figures (allocations) are a 404 for them. Values are strings:
money with two decimals, counts as whole numbers. Keys are described in shuzhuan/cockpit/figures/__init__.py
and docs/architecture.md (e.g. ``paid.amount.new-it``, ``accepted.enterprises.pilot``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from shuzhuan.accounts.access import Perm, access_require, access_scope_region
from shuzhuan.cockpit.figures import (
    FigureError,
    FigureValue,
    Filters,
    Period,
    Scope,
    figure_records,
    figure_value,
)
from shuzhuan.core.errors import ApplicationError

router = Router(tags=["统计驾驶舱"])
MAX_RECORDS = 5000
MAX_KEYS = 50


class PeriodIn(Schema):
    start: int = Field(..., alias="from", ge=2000, le=2100, description="起始年度")
    end: int | None = Field(None, alias="to", ge=2000, le=2100, description="截止年度（缺省同起始年度）")
    town: str = Field("", description="只看某镇（街道）：区划代码，如 cixi-guanhaiwei")
    industry: str = Field("", description="只看某行业：行业代码，如 auto_parts")
    batch: str = Field("", description="只看某申报批次：批次编号")


class FiguresIn(PeriodIn):
    keys: str = Field(..., description="口径代码，逗号分隔，如 paid.amount.new-it,paid.enterprises.new-it")


class FigureOut(Schema):
    key: str
    label: str
    unit: str = Field(description="元、家、个、场、人次、期、人")
    value: str = Field(description="金额为两位小数的字符串（元），其余为整数")
    display: str = Field(description="按公文习惯的写法，如 526.61万元、38家")
    query: str = Field(description="统计口径（据以计算的查询），含统计期间与范围")
    url: str = Field(description="记录清单页面")
    scope: str


class RecordsOut(Schema):
    figure: FigureOut
    columns: list[dict[str, str]]
    rows: list[dict[str, Any]]
    total: int
    truncated: bool


def _context(request: HttpRequest, params: PeriodIn) -> tuple[Scope, Period, Filters]:
    user = access_require(request.auth, Perm.COCKPIT_VIEW)  # type: ignore[attr-defined]
    region = access_scope_region(user)
    if region is None:
        raise PermissionDenied("您的账户未设置管辖区域。")
    end = params.end or params.start
    if params.start > end:
        raise ApplicationError("起始年度不能晚于截止年度", field="from")
    return Scope(region), Period(params.start, end), Filters(params.town, params.industry, params.batch)


def _out(fig: FigureValue) -> dict[str, Any]:
    data = fig.as_dict()
    data["value"] = str(data["value"])
    return data


@router.get(
    "/figures",
    response=list[FigureOut],
    operation_id="cockpit_figure_list",
    summary="统计数字：按口径代码取一个或多个数字（本人管辖范围内），每个带统计口径与记录清单地址",
)
def cockpit_figure_list_op(request: HttpRequest, params: Query[FiguresIn]) -> list[dict[str, Any]]:
    scope, period, filters = _context(request, params)
    keys = [k.strip() for k in params.keys.split(",") if k.strip()]
    if not keys or len(keys) > MAX_KEYS:
        raise ApplicationError(f"请给出 1—{MAX_KEYS} 个口径代码", field="keys")
    out = []
    for key in keys:
        try:
            out.append(_out(figure_value(key, scope=scope, period=period, filters=filters)))
        except FigureError as exc:
            raise Http404(str(exc)) from exc
    return out


@router.get(
    "/figures/{key}/records",
    response=RecordsOut,
    operation_id="cockpit_figure_records",
    summary="记录清单：某个统计数字据以计算的全部记录",
)
def cockpit_figure_records_op(request: HttpRequest, key: str, params: Query[PeriodIn]) -> dict[str, Any]:
    scope, period, filters = _context(request, params)
    try:
        table = figure_records(key, scope=scope, period=period, filters=filters)
    except FigureError as exc:
        raise Http404(str(exc)) from exc
    rows = [
        {k: (str(v) if v is not None and not isinstance(v, str | int) else v) for k, v in row.items()}
        for row in table.rows[:MAX_RECORDS]
    ]
    return {
        "figure": _out(table.figure),
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in table.columns],
        "rows": rows,
        "total": len(table.rows),
        "truncated": len(table.rows) > MAX_RECORDS,
    }
