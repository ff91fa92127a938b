"""Scope, period, filters, the figure and record types, measures and the definition shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from shuzhuan.applications.models import Status
from shuzhuan.core.money import yuan_to_wan
from shuzhuan.enterprises.models import Enterprise, Region

ZERO = Decimal("0.00")
FEN = Decimal("0.01")

# Awards that stand: approved and not revoked (a revoked award's application is rejected).
STANDING_AWARD = frozenset({Status.APPROVED, Status.PUBLIC_NOTICE, Status.DISBURSING, Status.CLOSED})
# Taken into the project library (入库) and still there or past it.
IN_LIBRARY = frozenset(
    {
        Status.INCLUDED,
        Status.IMPLEMENTING,
        Status.ACCEPTANCE_REQUESTED,
        Status.ACCEPTED,
        Status.FAILED,
        Status.APPROVED,
        Status.PUBLIC_NOTICE,
        Status.DISBURSING,
        Status.CLOSED,
    }
)
QUAL_LEVEL_LABELS = {"national": "国家级", "provincial": "省级", "city": "宁波市级"}
WORKSHOP_CATEGORIES = ("digital_workshop", "smart_factory")
ANY = "all"  # a programme argument meaning every programme (so a level can follow it)


class FigureError(ValueError):
    """An unknown figure key or a bad argument; the message is fit to show."""


# --- scope and period ---------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose figures: ``region`` None is the whole install; a town officer's is their town."""

    region: Region | None = None

    @property
    def county_wide(self) -> bool:
        """Budgets carry no region: allocations and peer ranks are for county scope and above."""
        return self.region is None or self.region.level != Region.Level.TOWN

    @property
    def label(self) -> str:
        """The region's name; for the whole install, its county's when it serves one (慈溪市)."""
        if self.region is not None:
            return self.region.name
        counties = list(Region.objects.filter(level=Region.Level.COUNTY).values_list("name", flat=True)[:2])
        return counties[0] if len(counties) == 1 else "全部地区"

    def enterprise_q(self, prefix: str) -> Q:
        if self.region is None:
            return Q()
        return Q(**{f"{prefix}town__path__startswith": self.region.path})

    def region_q(self, prefix: str) -> Q:
        if self.region is None:
            return Q()
        return Q(**{f"{prefix}path__startswith": self.region.path})


@dataclass(frozen=True)
class Period:
    start: int
    end: int

    def __post_init__(self) -> None:
        if not (2000 <= self.start <= self.end <= 2100):
            raise FigureError(f"统计期间不正确：{self.start}—{self.end}（年度须在2000—2100之间，起不晚于止）")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(year, year)

    @property
    def years(self) -> range:
        return range(self.start, self.end + 1)

    @property
    def label(self) -> str:
        return f"{self.start}年" if self.start == self.end else f"{self.start}—{self.end}年"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.start, 1, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.end, 12, 31)

    def previous(self) -> Period:
        span = self.end - self.start + 1
        return Period(self.start - span, self.end - span)


@dataclass(frozen=True)
class Filters:
    town: str = ""
    industry: str = ""
    batch: str = ""

    def items(self) -> list[tuple[str, str]]:
        return [
            (k, v) for k, v in (("town", self.town), ("industry", self.industry), ("batch", self.batch)) if v
        ]


# --- values and records ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | money | int | date


@dataclass(frozen=True)
class FigureValue:
    key: str
    label: str
    unit: str  # 家 | 个 | 元 | 场 | 人次 | 期 | 人 | 项
    value: Decimal
    query: str  # what was counted or summed, in words: the footnote of a report
    url: str  # the records behind the value
    period: Period
    scope: Scope
    filters: Filters = field(default_factory=Filters)

    @property
    def is_money(self) -> bool:
        return self.unit == "元"

    @property
    def display(self) -> str:
        """As officers write it: 526.61万元, 38家."""
        if self.is_money:
            return f"{wan(self.value)}万元"
        return f"{int(self.value)}{self.unit}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "value": str(self.value) if self.is_money else int(self.value),
            "display": self.display,
            "query": self.query,
            "url": self.url,
            "period": {"from": self.period.start, "to": self.period.end},
            "scope": self.scope.label,
        }


@dataclass(frozen=True)
class RecordTable:
    figure: FigureValue
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]


def wan(amount: Decimal) -> str:
    """Yuan → 万元 to two places, half-up, no trailing zeros, as officers write it:
    14,230,000.00 → 1423, 5,266,100.00 → 526.61, 62,222.22 → 6.22."""
    hundreds = (amount / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 100
    return f"{yuan_to_wan(hundreds):f}"


# --- definitions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Args:
    key: str
    kind: str
    rest: tuple[str, ...]
    scope: Scope
    period: Period
    filters: Filters
    measure: str = ""  # the sub-measure a key names: amount | enterprises | count | attended …

    def total(self, what: str = "金额合计") -> str:
        """How the rows are totalled, in words: a sum of money, or the enterprises they concern."""
        return "所涉企业，按企业去重计数" if self.measure == "enterprises" else what


@dataclass(frozen=True)
class Definition:
    label: Callable[[Args], str]
    unit: str
    describe: Callable[[Args], str]  # the query in words (period and scope are added)
    queryset: Callable[[Args], QuerySet[Any]]
    value: Measure
    columns: tuple[Column, ...]
    rows: Callable[[QuerySet[Any]], Iterable[dict[str, Any]]]
    arity: tuple[int, int] = (0, 0)  # how many arguments after the kind: (min, max)
    county_only: bool = False
    enterprise: str = ""  # the lookup path to the enterprise, for breakdowns by town or industry


@dataclass(frozen=True)
class Measure:
    """What a figure does with its records: count them, count distinct values, or sum a field."""

    how: str  # count | distinct | sum | rows (a sum over the rows the definition lists, in Python)
    field: str = "pk"

    def aggregate(self) -> Any:
        if self.how == "rows":
            raise FigureError("该统计数字不能按镇（街道）或行业分组")
        if self.how == "sum":
            return Sum(self.field)
        return Count(self.field, distinct=self.how == "distinct")

    def value(self, qs: QuerySet[Any]) -> Decimal:
        if self.how == "distinct":
            return Decimal(qs.values(self.field).distinct().count())
        if self.how == "count":
            return Decimal(qs.count())
        return (qs.aggregate(s=Sum(self.field))["s"] or ZERO).quantize(FEN)

    def finish(self, raw: Any) -> Decimal:
        if self.how == "sum":
            return (Decimal(raw) if raw is not None else ZERO).quantize(FEN)
        return Decimal(raw or 0)


def _count_distinct(field_name: str) -> Measure:
    return Measure("distinct", field_name)


_count = Measure("count")


def _sum(field_name: str) -> Measure:
    return Measure("sum", field_name)


def _ent_filters(a: Args, prefix: str) -> Q:
    q = a.scope.enterprise_q(prefix)
    if a.filters.town:
        q &= Q(**{f"{prefix}town__code": a.filters.town})
    if a.filters.industry:
        q &= Q(**{f"{prefix}industry__code": a.filters.industry})
    return q


def _ent_row(e: Enterprise) -> dict[str, Any]:
    return {
        "enterprise": e.name,
        "uscc": e.uscc,
        "town": e.town.name if e.town_id else "",
        "industry": e.industry.name if e.industry is not None else "",
    }


ENT_COLUMNS = (
    Column("enterprise", "企业名称"),
    Column("uscc", "统一社会信用代码"),
    Column("town", "镇（街道）"),
    Column("industry", "行业"),
)


# qualifications
