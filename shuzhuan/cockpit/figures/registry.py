"""Figure keys → definitions; computing a figure, its records and its breakdowns; peer indicators."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import F, QuerySet
from django.urls import reverse

from shuzhuan.cockpit.figures.activities import ACTIVITY_DEFINITIONS
from shuzhuan.cockpit.figures.base import (
    FEN,
    QUAL_LEVEL_LABELS,
    ZERO,
    Args,
    Definition,
    FigureError,
    FigureValue,
    Filters,
    Measure,
    Period,
    RecordTable,
    Scope,
    _count,
    _count_distinct,
    _sum,
)
from shuzhuan.cockpit.figures.programme import PROGRAMME_DEFINITIONS
from shuzhuan.enterprises.models import QualificationType, Region

DEFINITIONS: dict[str, Definition] = {**PROGRAMME_DEFINITIONS, **ACTIVITY_DEFINITIONS}


# Keys whose first segment after the kind is a sub-measure (enterprises vs amount, count vs attended).
_SUBMEASURE: dict[str, dict[str, tuple[str, Measure, str]]] = {
    # kind: {measure: (definition name, value function, unit)}
    "approved": {
        "amount": ("approved", _sum("amount"), "元"),
        "enterprises": ("approved", _count_distinct("award__application__enterprise_id"), "家"),
    },
    "paid": {
        "amount": ("paid", _sum("amount"), "元"),
        "enterprises": ("paid", _count_distinct("share__award__application__enterprise_id"), "家"),
    },
    "alloc": {"amount": ("alloc", _sum("amount"), "元")},
    "expected": {"amount": ("expected", Measure("rows", "amount"), "元")},
    "events": {"count": ("events", _count, "场"), "attended": ("events_attended", _count, "人次")},
    "training": {
        "classes": ("training_classes", _count, "期"),
        "trainees": ("training_trainees", _count, "人"),
        "completed": ("training_completed", _count, "人"),
        "employed": ("training_employed", _count, "人"),
    },
    "certs": {"count": ("certs", _count, "人")},
}


@dataclass(frozen=True)
class _Resolved:
    definition: Definition
    args: Args
    value: Measure
    unit: str


def _resolve(key: str, scope: Scope, period: Period, filters: Filters) -> _Resolved:
    parts = tuple(p for p in key.strip().split("."))
    if not parts or not all(parts):
        raise FigureError(f"统计口径代码不正确：{key!r}")
    kind, rest = parts[0], parts[1:]
    value: Measure | None = None
    unit = ""
    if kind in _SUBMEASURE:
        if not rest or rest[0] not in _SUBMEASURE[kind]:
            raise FigureError(
                f"统计口径代码不正确：{key}（{kind} 之后应为 {'、'.join(_SUBMEASURE[kind])} 之一）"
            )
        name, value, unit = _SUBMEASURE[kind][rest[0]]
        rest = rest[1:]
    elif kind in ("library", "accepted"):
        if not rest or rest[0] != "enterprises":
            raise FigureError(f"统计口径代码不正确：{key}（应为 {kind}.enterprises[.资金项目]）")
        name = kind
        rest = ("enterprises", *rest[1:])
    elif kind in DEFINITIONS and kind not in {d for m in _SUBMEASURE.values() for d, _, _ in m.values()}:
        name = kind
    else:
        raise FigureError(f"未知的统计口径：{key}")
    definition = DEFINITIONS[name]
    # library/accepted/apps carry their first argument (a measure or status) inside rest
    low, high = definition.arity
    if not (low <= len(rest) <= high):
        raise FigureError(f"统计口径代码不正确：{key}（参数个数不符）")
    measure = parts[1] if kind in _SUBMEASURE else ""
    args = Args(key=key, kind=kind, rest=rest, scope=scope, period=period, filters=filters, measure=measure)
    if definition.county_only and not scope.county_wide:
        raise FigureError(f"“{key}”按县（市、区）统计，镇（街道）范围内不提供")
    return _Resolved(definition, args, value or definition.value, unit or definition.unit)


def records_url(key: str, period: Period, filters: Filters | None = None) -> str:
    query = [("from", str(period.start)), ("to", str(period.end)), *((filters or Filters()).items())]
    return f"{reverse('web:cockpit_records', args=[key])}?{urlencode(query)}"


def _value(resolved: _Resolved, qs: QuerySet[Any]) -> Decimal:
    if resolved.value.how == "rows":  # computed per row (e.g. a ceiling split by the funding split)
        field = resolved.value.field
        return sum((row[field] for row in resolved.definition.rows(qs)), ZERO).quantize(FEN)
    return resolved.value.value(qs)


def _figure(resolved: _Resolved, qs: QuerySet[Any]) -> FigureValue:
    a = resolved.args
    narrowed = "".join(
        f"；{label}={value}"
        for label, value in (
            ("镇（街道）", a.filters.town),
            ("行业", a.filters.industry),
            ("批次", a.filters.batch),
        )
        if value
    )
    return FigureValue(
        key=a.key,
        label=resolved.definition.label(a),
        unit=resolved.unit,
        value=_value(resolved, qs),
        query=f"{resolved.definition.describe(a)}。统计期间：{a.period.label}；范围：{a.scope.label}{narrowed}；口径代码 {a.key}",
        url=records_url(a.key, a.period, a.filters),
        period=a.period,
        scope=a.scope,
        filters=a.filters,
    )


def figure_value(key: str, *, scope: Scope, period: Period, filters: Filters | None = None) -> FigureValue:
    resolved = _resolve(key, scope, period, filters or Filters())
    return _figure(resolved, resolved.definition.queryset(resolved.args))


def figure_records(key: str, *, scope: Scope, period: Period, filters: Filters | None = None) -> RecordTable:
    resolved = _resolve(key, scope, period, filters or Filters())
    qs = resolved.definition.queryset(resolved.args)
    return RecordTable(
        figure=_figure(resolved, qs),
        columns=resolved.definition.columns,
        rows=list(resolved.definition.rows(qs)),
    )


@dataclass(frozen=True)
class Part:
    code: str
    name: str
    value: Decimal
    url: str


def figure_breakdown(
    key: str,
    *,
    by: str,
    scope: Scope,
    period: Period,
    filters: Filters | None = None,
    limit: int | None = None,
) -> list[Part]:
    """The figure split by ``town`` or ``industry`` (largest first), each part linking to its records."""
    if by not in ("town", "industry"):
        raise FigureError(f"不能按“{by}”分组")
    base = filters or Filters()
    resolved = _resolve(key, scope, period, base)
    prefix = resolved.definition.enterprise
    if not prefix:
        raise FigureError(f"“{key}”不能按镇（街道）或行业分组")
    qs = resolved.definition.queryset(resolved.args)
    rows = (
        qs.order_by()
        .values(code=F(f"{prefix}{by}__code"), name=F(f"{prefix}{by}__name"))
        .annotate(v=resolved.value.aggregate())
    )
    parts = [
        Part(
            code=r["code"],
            name=r["name"],
            value=resolved.value.finish(r["v"]),
            url=records_url(key, period, replace(base, **{by: r["code"]})),
        )
        for r in rows
        if r["code"]
    ]
    parts.sort(key=lambda p: (-p.value, p.name))
    return parts[:limit] if limit else parts


def figure_available(key: str, scope: Scope) -> bool:
    return not key.startswith("alloc.") or scope.county_wide


# --- peer indicators (the figures a rank may be stated for) -------------------------------


def indicator_choices() -> list[tuple[str, str]]:
    """Rankable figure keys and their labels (the codes a peer-figures workbook uses)."""
    choices: list[tuple[str, str]] = []
    for t in QualificationType.objects.order_by("sort_order", "code"):
        choices.append((f"qual_new.{t.code}", f"新增{t.name}（家）"))
        choices.append((f"qual_total.{t.code}", f"{t.name}（累计，家）"))
    for level, label in QUAL_LEVEL_LABELS.items():
        choices.append((f"qual_wf.{level}", f"{label}数字化车间/智能工厂企业（累计，家）"))
    choices += [
        ("library.enterprises", "入选项目库企业（家）"),
        ("apps.all.pilot", "数字化改造试点项目申报数（个）"),
        ("accepted.enterprises", "项目验收通过企业（家）"),
        ("paid.enterprises", "获兑现补助企业（家）"),
        ("paid.amount", "兑现补助资金（元）"),
        ("approved.amount", "核定补助资金（元）"),
        ("training.trainees", "数字化人才培训学员（人）"),
        ("certs.count", "技能等级认定（人）"),
    ]
    return choices


def indicator_label(code: str) -> str | None:
    return dict(indicator_choices()).get(code)


def indicator_value(code: str, *, year: int, region: Region | None = None) -> Decimal | None:
    if indicator_label(code) is None:
        return None
    return figure_value(code, scope=Scope(region), period=Period.year(year)).value
