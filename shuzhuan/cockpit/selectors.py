"""The cockpit page's content: KPI cards with year-on-year, and the charts' data.

Everything here is assembled from ``figures`` — each card, bar and point carries the key of the
figure it shows and the URL of that figure's records, so a click always lands on the rows the
number was computed from. A town officer's ``Scope`` is their town: figures that cannot be
split by town (allocations, peer ranks) and the town ranking are left out, not shown county-wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shuzhuan.activities.models import Event
from shuzhuan.applications.cycle import approval_cycle
from shuzhuan.applications.models import Application, PolicyBatch, Status
from shuzhuan.cockpit.figures import (
    ANY,
    QUAL_LEVEL_LABELS,
    FigureValue,
    Filters,
    Period,
    Scope,
    figure_breakdown,
    figure_value,
    records_url,
    wan,
)
from shuzhuan.enterprises.models import QualificationType
from shuzhuan.funds.models import Award
from shuzhuan.funds.shares import LEVEL_LABELS, LEVEL_ORDER, PROGRAMME_LABELS

KPI_KEYS: tuple[str, ...] = (
    "qual_new.national_tech_sme",
    "qual_wf.provincial",
    "library.enterprises",
    "accepted.enterprises",
    "expected.amount",
    "approved.amount",
    "paid.enterprises",
    "paid.amount",
    "alloc.amount",
    "events.count",
    "training.trainees",
    "training.employed",
    "certs.count",
)
TREND_YEARS = 5


@dataclass(frozen=True)
class Kpi:
    figure: FigureValue
    previous: FigureValue

    @property
    def change(self) -> Decimal:
        return self.figure.value - self.previous.value

    @property
    def change_pct(self) -> Decimal | None:
        if not self.previous.value:
            return None
        return (self.change * 100 / self.previous.value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def change_display(self) -> str:
        if self.figure.is_money:
            text = f"{wan(abs(self.change))}万元"
        else:
            text = f"{int(abs(self.change))}{self.figure.unit}"
        sign = "+" if self.change > 0 else ("−" if self.change < 0 else "±")
        pct = (
            f"（{'+' if self.change >= 0 else '−'}{abs(self.change_pct)}%）"
            if self.change_pct is not None
            else ""
        )
        return f"{sign}{text}{pct}"


def _available(key: str, scope: Scope) -> bool:
    return not key.startswith("alloc.") or scope.county_wide


def cockpit_kpis(scope: Scope, period: Period) -> list[Kpi]:
    previous = period.previous()
    return [
        Kpi(figure_value(k, scope=scope, period=period), figure_value(k, scope=scope, period=previous))
        for k in KPI_KEYS
        if _available(k, scope)
    ]


def _point(fig: FigureValue) -> dict[str, Any]:
    """One chart datum: ECharts reads ``value``; the page reads ``url`` on click."""
    # ECharts reads numeric strings; money is drawn in 万元 (the tooltip shows ``display``).
    value = wan(fig.value) if fig.is_money else str(int(fig.value))
    return {"value": value, "url": fig.url, "display": fig.display, "key": fig.key}


def _chart_qualifications(scope: Scope, period: Period) -> dict[str, Any]:
    years = list(range(max(period.end - 3, 2000), period.end + 1))
    types = list(QualificationType.objects.order_by("sort_order", "code"))
    series = []
    for y in years:
        data = [_point(figure_value(f"qual_new.{t.code}", scope=scope, period=Period.year(y))) for t in types]
        series.append({"name": f"{y}年", "type": "bar", "data": data})
    return {
        "id": "qualifications",
        "title": "各类资质新增企业（按类型、级别、年度）",
        "unit": "家",
        "categories": [f"{t.name}" for t in types],
        "level": [QUAL_LEVEL_LABELS.get(t.level, t.level) for t in types],
        "series": series,
        "horizontal": True,
    }


def _batches(scope: Scope, period: Period) -> list[PolicyBatch]:
    codes = (
        Application.objects.filter(batch__year__gte=period.start, batch__year__lte=period.end)
        .filter(scope.enterprise_q("enterprise__"))
        .values_list("batch_id", flat=True)
        .distinct()
    )
    return list(PolicyBatch.objects.filter(pk__in=list(codes)).order_by("year", "code"))


def _chart_applications(scope: Scope, period: Period, batches: list[PolicyBatch]) -> dict[str, Any]:
    series = []
    for status in Status:
        data = [
            _point(
                figure_value(
                    f"apps.{status.value}", scope=scope, period=period, filters=Filters(batch=b.code)
                )
            )
            for b in batches
        ]
        if any(d["value"] for d in data):
            series.append({"name": status.label, "type": "bar", "stack": "status", "data": data})
    return {
        "id": "applications",
        "title": "申报项目（按批次、状态）",
        "unit": "个",
        "categories": [b.name for b in batches],
        "series": series,
    }


def _chart_cycle(scope: Scope, period: Period, batches: list[PolicyBatch]) -> dict[str, Any]:
    gov: list[dict[str, Any]] = []
    total: list[dict[str, Any]] = []
    names = []
    for b in batches:
        report = approval_cycle(batch=b, region=scope.region)
        url = records_url("apps.all", period, Filters(batch=b.code))
        names.append(b.name)
        for target, fig in ((gov, report.government), (total, report.end_to_end)):
            days = str(fig.median_days) if fig.median_days is not None else "0"
            target.append(
                {
                    "value": days,
                    "url": url,
                    "display": f"{fig.median_days or '—'}天（{fig.count}个项目）",
                    "key": "",
                }
            )
    return {
        "id": "cycle",
        "title": "审批周期（中位数，天）",
        "unit": "天",
        "categories": names,
        "series": [
            {"name": "政府办理用时", "type": "bar", "data": gov},
            {"name": "申报至办结", "type": "bar", "data": total},
        ],
    }


def _chart_funds(scope: Scope, period: Period) -> dict[str, Any]:
    measures = [("alloc", "已下达"), ("approved", "已核定"), ("paid", "已兑现")]
    series = []
    for kind, name in measures:
        if kind == "alloc" and not scope.county_wide:
            continue
        data = [
            _point(figure_value(f"{kind}.amount.{ANY}.{lv}", scope=scope, period=period))
            for lv in LEVEL_ORDER
        ]
        series.append({"name": name, "type": "bar", "data": data})
    return {
        "id": "funds",
        "title": "各级资金下达、核定与兑现（万元）",
        "unit": "万元",
        "categories": [LEVEL_LABELS[lv] for lv in LEVEL_ORDER],
        "series": series,
    }


def _programmes(scope: Scope, period: Period) -> list[str]:
    found = (
        Award.objects.filter(year__gte=period.start, year__lte=period.end)
        .filter(scope.enterprise_q("application__enterprise__"))
        .values_list("programme", flat=True)
        .distinct()
    )
    order = list(PROGRAMME_LABELS)
    return sorted(set(found), key=lambda p: (order.index(p) if p in order else 99, p))


def _chart_programmes(scope: Scope, period: Period) -> dict[str, Any]:
    programmes = _programmes(scope, period)
    series: list[dict[str, Any]] = [
        {
            "name": name,
            "type": "bar",
            "data": [_point(figure_value(f"{kind}.{p}", scope=scope, period=period)) for p in programmes],
        }
        for kind, name in (
            ("approved.amount", "核定金额（万元）"),
            ("paid.amount", "兑现金额（万元）"),
        )
    ]
    series.append(
        {
            "name": "获核定企业（家）",
            "type": "bar",
            "yAxisIndex": 1,
            "data": [
                _point(figure_value(f"approved.enterprises.{p}", scope=scope, period=period))
                for p in programmes
            ],
        }
    )
    return {
        "id": "programmes",
        "title": "各项政策奖补（企业数与金额）",
        "unit": "万元",
        "second_unit": "家",
        "categories": [PROGRAMME_LABELS.get(p, p) for p in programmes],
        "series": series,
    }


def _chart_breakdown(scope: Scope, period: Period, by: str) -> dict[str, Any]:
    parts = figure_breakdown("approved.amount", by=by, scope=scope, period=period, limit=10)
    parts.reverse()  # largest at the top of a horizontal bar chart
    return {
        "id": f"top_{by}",
        "title": f"核定补助资金前十的{'镇（街道）' if by == 'town' else '行业'}（万元）",
        "unit": "万元",
        "categories": [p.name for p in parts],
        "series": [
            {
                "name": "核定金额",
                "type": "bar",
                "data": [
                    {"value": wan(p.value), "url": p.url, "display": f"{wan(p.value)}万元", "key": ""}
                    for p in parts
                ],
            }
        ],
        "horizontal": True,
    }


def _chart_trend(scope: Scope, period: Period) -> dict[str, Any]:
    years = list(range(max(period.end - TREND_YEARS + 1, 2000), period.end + 1))
    series: list[dict[str, Any]] = []
    for key, name in (("approved.amount", "核定金额（万元）"), ("paid.amount", "兑现金额（万元）")):
        series.append(
            {
                "name": name,
                "type": "line",
                "data": [_point(figure_value(key, scope=scope, period=Period.year(y))) for y in years],
            }
        )
    series.append(
        {
            "name": "验收通过企业（家）",
            "type": "bar",
            "yAxisIndex": 1,
            "data": [
                _point(figure_value("accepted.enterprises", scope=scope, period=Period.year(y)))
                for y in years
            ],
        }
    )
    return {
        "id": "trend",
        "title": "历年对比",
        "unit": "万元",
        "second_unit": "家",
        "categories": [f"{y}年" for y in years],
        "series": series,
    }


def _chart_activities(scope: Scope, period: Period) -> dict[str, Any]:
    kinds = list(Event.Kind)
    return {
        "id": "activities",
        "title": "活动与人才",
        "unit": "场/人",
        "categories": [k.label for k in kinds] + ["培训学员", "签约就业", "技能认定"],
        "series": [
            {
                "name": "场次",
                "type": "bar",
                "data": [
                    _point(figure_value(f"events.count.{k.value}", scope=scope, period=period)) for k in kinds
                ]
                + [{"value": "0", "url": "", "display": "", "key": ""}] * 3,
            },
            {
                "name": "人数/人次",
                "type": "bar",
                "data": [
                    _point(figure_value(f"events.attended.{k.value}", scope=scope, period=period))
                    for k in kinds
                ]
                + [
                    _point(figure_value(key, scope=scope, period=period))
                    for key in ("training.trainees", "training.employed", "certs.count")
                ],
            },
        ],
    }


def cockpit_charts(scope: Scope, period: Period) -> list[dict[str, Any]]:
    batches = _batches(scope, period)
    charts = [
        _chart_funds(scope, period),
        _chart_programmes(scope, period),
        _chart_applications(scope, period, batches),
        _chart_cycle(scope, period, batches),
        _chart_qualifications(scope, period),
        _chart_trend(scope, period),
        _chart_activities(scope, period),
    ]
    if scope.county_wide:
        charts.append(_chart_breakdown(scope, period, "town"))
    charts.append(_chart_breakdown(scope, period, "industry"))
    return charts
