"""The cockpit's figures: one definition each, computed live from the records behind it.

A figure is named by a *key* — a kind and its arguments joined by dots — and computed for a
``Scope`` (the region an officer works in; ``None`` for the whole install) and a ``Period`` (a
range of years, inclusive)::

    qual_new.national_tech_sme      enterprises newly registered with that qualification
    qual_total.provincial_digital_workshop   … holding it in or before the period's last year
    qual_wf.provincial              enterprises holding a digital workshop or smart factory of that level
    apps.<status|all>               applications (projects) by status, batch year in the period
    library.enterprises[.<prog>]    enterprises with a project taken into the project library (已入库 or later)
    accepted.enterprises[.<prog>]   enterprises with a project that passed acceptance
    approved.enterprises[.<prog>]   enterprises with a standing award (核定, not revoked)
    approved.amount[.<prog>[.<level>]]  the standing awards' shares (committed money)
    paid.enterprises[.<prog>]       enterprises with an unreversed payment on their award
    paid.amount[.<prog>[.<level>]]  unreversed payments (兑现) on awards of the period's years
    alloc.amount[.<prog>[.<level>]] allocations handed down (下达), net of reversals — county-wide only
    events.count[.<kind>]           activities held; events.attended[.<kind>] their attendances
    training.classes / training.trainees / training.completed / training.employed
    certs.count                     skill certifications

Award and payment figures count the awards of the batches' years in the period (the programme
year officers report by), with payments standing at the time of the query. Every figure's
``records`` are exactly the rows its value is computed from: ``figure_value`` and
``figure_records`` share one queryset, and a test checks they agree. Money is ``Decimal``.

Optional narrowing filters apply to every figure that has the dimension: ``town`` (a region
code), ``industry`` (an industry code) and ``batch`` (a batch code).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, F, Q, QuerySet, Sum
from django.urls import reverse

from shuzhuan.activities.models import Event, EventRegistration, SkillCertification, Trainee, TrainingClass
from shuzhuan.applications.models import PAST_ACCEPTANCE, Application, Status
from shuzhuan.core.money import yuan_to_wan
from shuzhuan.enterprises.models import Enterprise, Qualification, QualificationType, Region
from shuzhuan.funds.models import AwardShare, Budget, LedgerEntry
from shuzhuan.funds.shares import LEVEL_LABELS, LEVEL_ORDER, PROGRAMME_LABELS, programme_of

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
        return self.region.name if self.region is not None else "全域"

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

    how: str  # count | distinct | sum
    field: str = "pk"

    def aggregate(self) -> Any:
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


def _qual_type(code: str) -> QualificationType:
    found = QualificationType.objects.filter(code=code).first()
    if found is None:
        raise FigureError(f"未知的资质类型：{code}")
    return found


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


def _qual_qs(a: Args, *, cumulative: bool) -> QuerySet[Any]:
    qtype = _qual_type(a.rest[0])
    years = Q(year__lte=a.period.end) if cumulative else Q(year__gte=a.period.start, year__lte=a.period.end)
    return (
        Qualification.objects.filter(years, type=qtype, enterprise__status=Enterprise.Status.ACTIVE)
        .filter(_ent_filters(a, "enterprise__"))
        .select_related("enterprise__town", "enterprise__industry", "type")
        .order_by("enterprise__town__sort_order", "enterprise__name", "year")
    )


def _qual_wf_qs(a: Args) -> QuerySet[Any]:
    level = a.rest[0]
    if level not in QUAL_LEVEL_LABELS:
        raise FigureError(f"未知的资质级别：{level}")
    return (
        Qualification.objects.filter(
            type__category__in=WORKSHOP_CATEGORIES,
            type__level=level,
            year__lte=a.period.end,
            enterprise__status=Enterprise.Status.ACTIVE,
        )
        .filter(_ent_filters(a, "enterprise__"))
        .select_related("enterprise__town", "enterprise__industry", "type")
        .order_by("enterprise__town__sort_order", "enterprise__name", "year")
    )


def _qual_rows(qs: QuerySet[Any]) -> Iterable[dict[str, Any]]:
    for q in qs:
        yield {**_ent_row(q.enterprise), "qualification": q.type.name, "year": q.year}


QUAL_COLUMNS = (*ENT_COLUMNS, Column("qualification", "资质"), Column("year", "年度", "int"))


# applications, awards and payments


def _programme_policies(programme: str, years: range) -> list[str]:
    ids = (
        Application.objects.filter(batch__year__in=list(years)).values_list("policy_id", flat=True).distinct()
    )
    return [p for p in ids if programme_of(p) == programme]


def _check_programme(programme: str) -> None:
    if not programme.replace("-", "").isalnum():
        raise FigureError(f"未知的资金项目：{programme}")


def _check_level(level: str) -> None:
    if level not in LEVEL_ORDER:
        raise FigureError(f"未知的资金层级：{level}（应为 central、city 或 county）")


def _app_base(a: Args, statuses: Iterable[str] | None, programme: str | None) -> QuerySet[Any]:
    qs = Application.objects.filter(batch__year__gte=a.period.start, batch__year__lte=a.period.end).filter(
        _ent_filters(a, "enterprise__")
    )
    if statuses is not None:
        qs = qs.filter(status__in=list(statuses))
    if programme:
        _check_programme(programme)
        qs = qs.filter(policy_id__in=_programme_policies(programme, a.period.years))
    if a.filters.batch:
        qs = qs.filter(batch__code=a.filters.batch)
    return qs.select_related("enterprise__town", "enterprise__industry", "batch").order_by(
        "batch__year", "batch__code", "number"
    )


def _app_rows(qs: QuerySet[Any]) -> Iterable[dict[str, Any]]:
    for app in qs:
        yield {
            **_ent_row(app.enterprise),
            "number": app.number,
            "batch": app.batch.name,
            "policy": app.policy_id,
            "project": app.project_name,
            "status": app.get_status_display(),
            "approved": app.approved_amount,
        }


APP_COLUMNS = (
    Column("number", "申报编号"),
    *ENT_COLUMNS,
    Column("batch", "批次"),
    Column("policy", "政策"),
    Column("project", "项目名称"),
    Column("status", "状态"),
    Column("approved", "核定金额（元）", "money"),
)


def _share_base(a: Args) -> QuerySet[Any]:
    programme = a.rest[0] if a.rest and a.rest[0] != ANY else None
    level = a.rest[1] if len(a.rest) > 1 else None
    qs = AwardShare.objects.filter(
        award__year__gte=a.period.start, award__year__lte=a.period.end, amount__gt=0
    ).filter(_ent_filters(a, "award__application__enterprise__"))
    if programme:
        _check_programme(programme)
        qs = qs.filter(award__programme=programme)
    if level:
        _check_level(level)
        qs = qs.filter(level=level)
    if a.filters.batch:
        qs = qs.filter(award__application__batch__code=a.filters.batch)
    return qs


def _approved_qs(a: Args) -> QuerySet[Any]:
    return (
        _share_base(a)
        .filter(award__application__status__in=list(STANDING_AWARD))
        .select_related("award__application__enterprise__town", "award__application__enterprise__industry")
        .order_by("award__year", "award__application__number", "level")
    )


def _share_rows(qs: QuerySet[Any]) -> Iterable[dict[str, Any]]:
    for share in qs:
        app = share.award.application
        yield {
            "number": app.number,
            **_ent_row(app.enterprise),
            "programme": PROGRAMME_LABELS.get(share.award.programme, share.award.programme),
            "year": share.award.year,
            "level": LEVEL_LABELS.get(share.level, share.level),
            "amount": share.amount,
        }


SHARE_COLUMNS = (
    Column("number", "申报编号"),
    *ENT_COLUMNS,
    Column("programme", "资金项目"),
    Column("year", "年度", "int"),
    Column("level", "资金层级"),
    Column("amount", "核定金额（元）", "money"),
)


def _paid_qs(a: Args) -> QuerySet[Any]:
    shares = _share_base(a)
    return (
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT, reversed_by__isnull=True, share__in=shares)
        .select_related(
            "share__award__application__enterprise__town",
            "share__award__application__enterprise__industry",
            "budget",
        )
        .order_by("share__award__year", "share__award__application__number", "at", "pk")
    )


def _paid_rows(qs: QuerySet[Any]) -> Iterable[dict[str, Any]]:
    for entry in qs:
        app = entry.share.award.application
        yield {
            "number": app.number,
            **_ent_row(app.enterprise),
            "programme": PROGRAMME_LABELS.get(entry.share.award.programme, entry.share.award.programme),
            "year": entry.share.award.year,
            "level": LEVEL_LABELS.get(entry.budget.level, entry.budget.level),
            "amount": entry.amount,
            "paid_on": entry.at.date(),
            "reference": entry.reference,
        }


PAID_COLUMNS = (
    *SHARE_COLUMNS[:-1],
    Column("amount", "兑现金额（元）", "money"),
    Column("paid_on", "支付日期", "date"),
    Column("reference", "凭证/摘要"),
)


def _alloc_qs(a: Args) -> QuerySet[Any]:
    programme = a.rest[0] if a.rest and a.rest[0] != ANY else None
    level = a.rest[1] if len(a.rest) > 1 else None
    budgets = Budget.objects.filter(year__gte=a.period.start, year__lte=a.period.end)
    if programme:
        _check_programme(programme)
        budgets = budgets.filter(programme=programme)
    if level:
        _check_level(level)
        budgets = budgets.filter(level=level)
    return (
        LedgerEntry.objects.filter(
            kind=LedgerEntry.Kind.ALLOCATION, reversed_by__isnull=True, budget__in=budgets
        )
        .select_related("budget")
        .order_by("budget__year", "budget__programme", "at", "pk")
    )


def _alloc_rows(qs: QuerySet[Any]) -> Iterable[dict[str, Any]]:
    for entry in qs:
        b = entry.budget
        yield {
            "year": b.year,
            "programme": PROGRAMME_LABELS.get(b.programme, b.programme),
            "level": LEVEL_LABELS.get(b.level, b.level),
            "budget": b.name,
            "amount": entry.amount,
            "reference": entry.reference,
            "at": entry.at.date(),
        }


ALLOC_COLUMNS = (
    Column("year", "年度", "int"),
    Column("programme", "资金项目"),
    Column("level", "资金层级"),
    Column("budget", "预算"),
    Column("amount", "下达金额（元）", "money"),
    Column("reference", "文号/摘要"),
    Column("at", "记账日期", "date"),
)


# activities


def _events_qs(a: Args) -> QuerySet[Any]:
    qs = Event.objects.filter(held_on__gte=a.period.first_day, held_on__lte=a.period.last_day).filter(
        a.scope.region_q("region__")
    )
    if a.rest:
        if a.rest[0] not in Event.Kind.values:
            raise FigureError(f"未知的活动类型：{a.rest[0]}")
        qs = qs.filter(kind=a.rest[0])
    if a.filters.town:
        qs = qs.filter(region__code=a.filters.town)
    return (
        qs.select_related("region")
        .annotate(
            registered=Count("registrations", distinct=True),
            present=Count("registrations", filter=Q(registrations__attended=True), distinct=True),
        )
        .order_by("held_on", "pk")
    )


def _event_rows(qs: QuerySet[Any]) -> Iterable[dict[str, Any]]:
    for e in qs:
        yield {
            "held_on": e.held_on,
            "kind": e.get_kind_display(),
            "title": e.title,
            "region": e.region.name,
            "registered": e.registered,
            "present": e.present,
        }


EVENT_COLUMNS = (
    Column("held_on", "日期", "date"),
    Column("kind", "类型"),
    Column("title", "活动名称"),
    Column("region", "地点/组织"),
    Column("registered", "报名（人次）", "int"),
    Column("present", "到场（人次）", "int"),
)


def _attended_qs(a: Args) -> QuerySet[Any]:
    events = _events_qs(a).values("pk")
    return (
        EventRegistration.objects.filter(event__in=events, attended=True)
        .select_related("event__region", "enterprise")
        .order_by("event__held_on", "pk")
    )


def _attended_rows(qs: QuerySet[Any]) -> Iterable[dict[str, Any]]:
    for r in qs:
        yield {
            "held_on": r.event.held_on,
            "title": r.event.title,
            "attendee": r.attendee_name,
            "enterprise": r.enterprise.name if r.enterprise_id else "",
        }


ATTENDED_COLUMNS = (
    Column("held_on", "日期", "date"),
    Column("title", "活动名称"),
    Column("attendee", "参加人"),
    Column("enterprise", "所在企业"),
)


def _classes_qs(a: Args) -> QuerySet[Any]:
    qs = TrainingClass.objects.filter(
        starts_on__gte=a.period.first_day, starts_on__lte=a.period.last_day
    ).filter(a.scope.region_q("region__"))
    if a.filters.town:
        qs = qs.filter(region__code=a.filters.town)
    return (
        qs.select_related("region")
        .annotate(
            n_trainees=Count("trainees", distinct=True),
            n_employed=Count("trainees", filter=Q(trainees__employed=True), distinct=True),
        )
        .order_by("starts_on", "pk")
    )


def _class_rows(qs: QuerySet[Any]) -> Iterable[dict[str, Any]]:
    for c in qs:
        yield {
            "name": c.name,
            "starts_on": c.starts_on,
            "ends_on": c.ends_on,
            "partner": c.partner,
            "trainees": c.n_trainees,
            "employed": c.n_employed,
        }


CLASS_COLUMNS = (
    Column("name", "培训班"),
    Column("starts_on", "开班日期", "date"),
    Column("ends_on", "结业日期", "date"),
    Column("partner", "合作单位"),
    Column("trainees", "学员（人）", "int"),
    Column("employed", "签约就业（人）", "int"),
)


def _trainees_qs(a: Args, **flags: bool) -> QuerySet[Any]:
    classes = _classes_qs(a).values("pk")
    return (
        Trainee.objects.filter(training_class__in=classes, **flags)
        .select_related("training_class", "enterprise", "employer_enterprise")
        .order_by("training_class__starts_on", "training_class_id", "pk")
    )


def _trainee_rows(qs: QuerySet[Any]) -> Iterable[dict[str, Any]]:
    for t in qs:
        yield {
            "class": t.training_class.name,
            "name": t.name,
            "origin": t.get_origin_display(),
            "completed": "是" if t.completed else "否",
            "employed": "是" if t.employed else "否",
            "employer": t.employer or (t.employer_enterprise.name if t.employer_enterprise_id else ""),
        }


TRAINEE_COLUMNS = (
    Column("class", "培训班"),
    Column("name", "学员"),
    Column("origin", "来源"),
    Column("completed", "结业"),
    Column("employed", "签约就业"),
    Column("employer", "就业单位"),
)


def _certs_qs(a: Args) -> QuerySet[Any]:
    qs = SkillCertification.objects.filter(
        certified_on__gte=a.period.first_day, certified_on__lte=a.period.last_day
    ).filter(a.scope.region_q("region__"))
    if a.filters.town:
        qs = qs.filter(region__code=a.filters.town)
    return qs.select_related("enterprise", "region").order_by("certified_on", "pk")


def _cert_rows(qs: QuerySet[Any]) -> Iterable[dict[str, Any]]:
    for c in qs:
        yield {
            "certified_on": c.certified_on,
            "person": c.person_name,
            "occupation": c.occupation,
            "level": c.get_level_display(),
            "enterprise": c.enterprise.name if c.enterprise_id else "",
            "body": c.body,
        }


CERT_COLUMNS = (
    Column("certified_on", "认定日期", "date"),
    Column("person", "姓名"),
    Column("occupation", "工种"),
    Column("level", "等级"),
    Column("enterprise", "所在企业"),
    Column("body", "认定机构"),
)


def _prog(a: Args, at: int = 0) -> str:
    """The programme argument's label ("" for none or every programme); ``at`` is its position."""
    if len(a.rest) <= at or a.rest[at] == ANY:
        return ""
    return PROGRAMME_LABELS.get(a.rest[at], a.rest[at])


def _prog_level(a: Args) -> str:
    parts = [_prog(a)]
    if len(a.rest) > 1:
        parts.append(f"{LEVEL_LABELS.get(a.rest[1], a.rest[1])}资金")
    return "".join(p for p in parts if p)


def _status_label(a: Args) -> str:
    code = a.rest[0]
    if code == "all":
        return "申报项目"
    if code not in Status.values:
        raise FigureError(f"未知的申报状态：{code}")
    return f"申报项目（{Status(code).label}）"


def _apps_qs(a: Args) -> QuerySet[Any]:
    code = a.rest[0]
    if code != "all" and code not in Status.values:
        raise FigureError(f"未知的申报状态：{code}")
    return _app_base(a, None if code == "all" else [code], a.rest[1] if len(a.rest) > 1 else None)


DEFINITIONS: dict[str, Definition] = {
    "qual_new": Definition(
        label=lambda a: f"新增{_qual_type(a.rest[0]).name}",
        unit="家",
        describe=lambda a: (
            f"企业资质登记中资质为“{_qual_type(a.rest[0]).name}”、年度在统计期间内的存续企业，按企业去重计数"
        ),
        queryset=lambda a: _qual_qs(a, cumulative=False),
        value=_count_distinct("enterprise_id"),
        columns=QUAL_COLUMNS,
        rows=_qual_rows,
        enterprise="enterprise__",
        arity=(1, 1),
    ),
    "qual_total": Definition(
        label=lambda a: f"{_qual_type(a.rest[0]).name}（累计）",
        unit="家",
        describe=lambda a: (
            f"企业资质登记中资质为“{_qual_type(a.rest[0]).name}”、年度不晚于{a.period.end}年的存续企业，按企业去重计数"
        ),
        queryset=lambda a: _qual_qs(a, cumulative=True),
        value=_count_distinct("enterprise_id"),
        columns=QUAL_COLUMNS,
        rows=_qual_rows,
        enterprise="enterprise__",
        arity=(1, 1),
    ),
    "qual_wf": Definition(
        label=lambda a: f"{QUAL_LEVEL_LABELS.get(a.rest[0], a.rest[0])}数字化车间/智能工厂企业（累计）",
        unit="家",
        describe=lambda a: (
            f"企业资质登记中类别为数字化车间或智能工厂、级别为{QUAL_LEVEL_LABELS.get(a.rest[0], a.rest[0])}、年度不晚于{a.period.end}年的存续企业，按企业去重计数"
        ),
        queryset=_qual_wf_qs,
        value=_count_distinct("enterprise_id"),
        columns=QUAL_COLUMNS,
        rows=_qual_rows,
        enterprise="enterprise__",
        arity=(1, 1),
    ),
    "apps": Definition(
        label=lambda a: f"{_prog(a, 1)}{_status_label(a)}",
        unit="个",
        describe=lambda a: (
            f"申报记录中批次年度在统计期间内{'、状态为“' + Status(a.rest[0]).label + '”' if a.rest[0] != 'all' else ''}{'、政策属' + _prog(a, 1) + '资金项目' if len(a.rest) > 1 else ''}的申报，按申报计数"
        ),
        queryset=lambda a: _apps_qs(a),
        value=_count,
        columns=APP_COLUMNS,
        rows=_app_rows,
        enterprise="enterprise__",
        arity=(1, 2),
    ),
    "library": Definition(
        label=lambda a: f"入选{_prog(a, 1)}项目库企业",
        unit="家",
        describe=lambda a: (
            f"申报记录中批次年度在统计期间内{'、政策属' + _prog(a, 1) + '资金项目' if len(a.rest) > 1 else ''}、已入库（含其后各状态，不含未通过与撤回）的申报，按企业去重计数"
        ),
        queryset=lambda a: _app_base(a, IN_LIBRARY, a.rest[1] if len(a.rest) > 1 else None),
        value=_count_distinct("enterprise_id"),
        columns=APP_COLUMNS,
        rows=_app_rows,
        enterprise="enterprise__",
        arity=(1, 2),
    ),
    "accepted": Definition(
        label=lambda a: f"{_prog(a, 1)}项目验收通过企业",
        unit="家",
        describe=lambda a: (
            f"申报记录中批次年度在统计期间内{'、政策属' + _prog(a, 1) + '资金项目' if len(a.rest) > 1 else ''}、已验收通过（含其后核定、公示、兑现、办结）的申报，按企业去重计数"
        ),
        queryset=lambda a: _app_base(a, PAST_ACCEPTANCE, a.rest[1] if len(a.rest) > 1 else None),
        value=_count_distinct("enterprise_id"),
        columns=APP_COLUMNS,
        rows=_app_rows,
        enterprise="enterprise__",
        arity=(1, 2),
    ),
    "approved": Definition(
        label=lambda a: (
            f"{_prog_level(a)}核定补助资金"
            if a.key.startswith("approved.amount")
            else f"{_prog(a)}获核定补助企业"
        ),
        unit="元",
        describe=lambda a: (
            f"资金核定（奖补份额）中项目年度在统计期间内{'、资金项目为' + _prog(a) if _prog(a) else ''}{'、层级为' + LEVEL_LABELS.get(a.rest[1], a.rest[1]) if len(a.rest) > 1 else ''}、核定未撤销的份额金额合计"
        ),
        queryset=_approved_qs,
        value=_sum("amount"),
        columns=SHARE_COLUMNS,
        rows=_share_rows,
        enterprise="award__application__enterprise__",
        arity=(0, 2),
    ),
    "paid": Definition(
        label=lambda a: f"{_prog_level(a)}已兑现补助资金",
        unit="元",
        describe=lambda a: (
            f"资金台账中项目年度在统计期间内{'、资金项目为' + _prog(a) if _prog(a) else ''}{'、层级为' + LEVEL_LABELS.get(a.rest[1], a.rest[1]) if len(a.rest) > 1 else ''}的兑现支付（已冲正的支付不计）金额合计"
        ),
        queryset=_paid_qs,
        value=_sum("amount"),
        columns=PAID_COLUMNS,
        rows=_paid_rows,
        enterprise="share__award__application__enterprise__",
        arity=(0, 2),
    ),
    "alloc": Definition(
        label=lambda a: f"{_prog_level(a)}上级及本级下达资金",
        unit="元",
        describe=lambda a: (
            f"资金台账中预算年度在统计期间内{'、资金项目为' + _prog(a) if _prog(a) else ''}{'、层级为' + LEVEL_LABELS.get(a.rest[1], a.rest[1]) if len(a.rest) > 1 else ''}的下达记录（已冲正的不计）金额合计"
        ),
        queryset=_alloc_qs,
        value=_sum("amount"),
        columns=ALLOC_COLUMNS,
        rows=_alloc_rows,
        arity=(0, 2),
        county_only=True,
    ),
    "events": Definition(
        label=lambda a: (
            (Event.Kind(a.rest[0]).label if a.rest else "各类活动")
            + ("场次" if a.key.startswith("events.count") else "参加人次")
        ),
        unit="场",
        describe=lambda a: (
            f"活动记录中举办日期在统计期间内{'、类型为' + Event.Kind(a.rest[0]).label if a.rest else ''}的活动，按场次计数"
        ),
        queryset=_events_qs,
        value=_count,
        columns=EVENT_COLUMNS,
        rows=_event_rows,
        arity=(0, 1),
    ),
    "events_attended": Definition(
        label=lambda a: f"{Event.Kind(a.rest[0]).label if a.rest else '各类活动'}参加人次",
        unit="人次",
        describe=lambda a: (
            f"活动报名记录中活动举办日期在统计期间内{'、类型为' + Event.Kind(a.rest[0]).label if a.rest else ''}、已签到到场的报名，按人次计数"
        ),
        queryset=_attended_qs,
        value=_count,
        columns=ATTENDED_COLUMNS,
        rows=_attended_rows,
        arity=(0, 1),
    ),
    "training_classes": Definition(
        label=lambda a: "数字化人才培训班",
        unit="期",
        describe=lambda a: "培训班记录中开班日期在统计期间内的培训班，按期计数",
        queryset=_classes_qs,
        value=_count,
        columns=CLASS_COLUMNS,
        rows=_class_rows,
    ),
    "training_trainees": Definition(
        label=lambda a: "培训学员",
        unit="人",
        describe=lambda a: "学员记录中所在培训班开班日期在统计期间内的学员，按人计数",
        queryset=lambda a: _trainees_qs(a),
        value=_count,
        columns=TRAINEE_COLUMNS,
        rows=_trainee_rows,
    ),
    "training_completed": Definition(
        label=lambda a: "结业学员",
        unit="人",
        describe=lambda a: "学员记录中所在培训班开班日期在统计期间内、已结业的学员，按人计数",
        queryset=lambda a: _trainees_qs(a, completed=True),
        value=_count,
        columns=TRAINEE_COLUMNS,
        rows=_trainee_rows,
    ),
    "training_employed": Definition(
        label=lambda a: "签约就业学员",
        unit="人",
        describe=lambda a: "学员记录中所在培训班开班日期在统计期间内、已结业且签约就业的学员，按人计数",
        queryset=lambda a: _trainees_qs(a, completed=True, employed=True),
        value=_count,
        columns=TRAINEE_COLUMNS,
        rows=_trainee_rows,
    ),
    "certs": Definition(
        label=lambda a: "技能等级认定",
        unit="人",
        describe=lambda a: "技能等级认定记录中认定日期在统计期间内的认定，按人次计数",
        queryset=_certs_qs,
        value=_count,
        columns=CERT_COLUMNS,
        rows=_cert_rows,
    ),
}

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
    args = Args(key=key, kind=kind, rest=rest, scope=scope, period=period, filters=filters)
    if definition.county_only and not scope.county_wide:
        raise FigureError(f"“{key}”按县（市、区）统计，镇（街道）范围内不提供")
    return _Resolved(definition, args, value or definition.value, unit or definition.unit)


def records_url(key: str, period: Period, filters: Filters | None = None) -> str:
    query = [("from", str(period.start)), ("to", str(period.end)), *((filters or Filters()).items())]
    return f"{reverse('web:cockpit_records', args=[key])}?{urlencode(query)}"


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
        value=resolved.value.value(qs),
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
