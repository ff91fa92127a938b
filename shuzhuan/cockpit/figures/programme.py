"""Figures over the registry and the programme: qualifications, applications, awards, the ledger."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Value

from shuzhuan.applications.models import PAST_ACCEPTANCE, Application, Status
from shuzhuan.cockpit.figures.base import (
    ANY,
    ENT_COLUMNS,
    IN_LIBRARY,
    QUAL_LEVEL_LABELS,
    STANDING_AWARD,
    WORKSHOP_CATEGORIES,
    Args,
    Column,
    Definition,
    FigureError,
    Measure,
    _count,
    _count_distinct,
    _ent_filters,
    _ent_row,
    _sum,
)
from shuzhuan.enterprises.models import Enterprise, Qualification, QualificationType
from shuzhuan.funds.models import AwardShare, Budget, LedgerEntry
from shuzhuan.funds.shares import LEVEL_LABELS, LEVEL_ORDER, PROGRAMME_LABELS, award_split, programme_of


def _qual_type(code: str) -> QualificationType:
    found = QualificationType.objects.filter(code=code).first()
    if found is None:
        raise FigureError(f"未知的资质类型：{code}")
    return found


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


def _expected_qs(a: Args) -> QuerySet[Any]:
    """Applications past acceptance (the ``accepted`` figure's rows), with their standing award's
    shares, and the level asked for carried along as ``level_asked`` for the rows."""
    programme = a.rest[0] if a.rest and a.rest[0] != ANY else None
    level = a.rest[1] if len(a.rest) > 1 else ""
    if level:
        _check_level(level)
    return (
        _app_base(a, PAST_ACCEPTANCE, programme)
        .prefetch_related(Prefetch("award__shares", queryset=AwardShare.objects.order_by("pk")))
        .annotate(level_asked=Value(level))
    )


def _expected_rows(qs: QuerySet[Any]) -> Iterable[dict[str, Any]]:
    """Per application and level: its standing award's share, or — accepted, not yet approved —
    its ceiling split by the batch's funding split, as an award of that amount would be."""
    for app in qs:
        award = getattr(app, "award", None) if app.status in STANDING_AWARD else None
        if award is not None:
            parts = [(share.level, share.amount, "核定金额") for share in award.shares.all()]
        elif app.ceiling is not None:
            parts = [
                (lv, amt, "补助上限（待核定）")
                for lv, amt in award_split(app.ceiling, app.batch.funding_split).items()
            ]
        else:
            parts = []
        for level, amount, basis in parts:
            if app.level_asked and level != app.level_asked:
                continue
            yield {
                "number": app.number,
                **_ent_row(app.enterprise),
                "programme": PROGRAMME_LABELS.get(programme_of(app.policy_id), programme_of(app.policy_id)),
                "year": app.batch.year,
                "status": app.get_status_display(),
                "level": LEVEL_LABELS.get(level, level),
                "basis": basis,
                "amount": amount,
            }


EXPECTED_COLUMNS = (
    Column("number", "申报编号"),
    *ENT_COLUMNS,
    Column("programme", "资金项目"),
    Column("year", "年度", "int"),
    Column("status", "状态"),
    Column("level", "资金层级"),
    Column("basis", "依据"),
    Column("amount", "预计补助（元）", "money"),
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


def _prog(a: Args, at: int = 0) -> str:
    """The programme argument's label ("" for none or every programme); ``at`` is its position."""
    if len(a.rest) <= at or a.rest[at] == ANY:
        return ""
    return PROGRAMME_LABELS.get(a.rest[at], a.rest[at])


def _money_where(a: Args) -> str:
    """ "、资金项目为…、层级为…" for the programme and level arguments a money key carries."""
    programme = f"、资金项目为{_prog(a)}" if _prog(a) else ""
    level = f"、层级为{LEVEL_LABELS.get(a.rest[1], a.rest[1])}" if len(a.rest) > 1 else ""
    return programme + level


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


PROGRAMME_DEFINITIONS: dict[str, Definition] = {
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
            f"{_prog_level(a)}核定补助资金" if a.measure != "enterprises" else f"{_prog(a)}获核定补助企业"
        ),
        unit="元",
        describe=lambda a: (
            f"资金核定（奖补份额）中项目年度在统计期间内{_money_where(a)}、核定未撤销的份额{a.total()}"
        ),
        queryset=_approved_qs,
        value=_sum("amount"),
        columns=SHARE_COLUMNS,
        rows=_share_rows,
        enterprise="award__application__enterprise__",
        arity=(0, 2),
    ),
    "expected": Definition(
        label=lambda a: f"{_prog_level(a)}预计补助资金",
        unit="元",
        describe=lambda a: (
            f"申报记录中批次年度在统计期间内{_money_where(a)}、已验收通过（含其后核定、公示、兑现、办结）的申报："
            "已核定的按核定份额，待核定的按验收核定的补助上限及批次资金分担比例，金额合计"
        ),
        queryset=_expected_qs,
        value=Measure("rows", "amount"),
        columns=EXPECTED_COLUMNS,
        rows=_expected_rows,
        arity=(0, 2),
    ),
    "paid": Definition(
        label=lambda a: (
            f"{_prog_level(a)}已兑现补助资金" if a.measure != "enterprises" else f"{_prog(a)}获兑现补助企业"
        ),
        unit="元",
        describe=lambda a: (
            f"资金台账中项目年度在统计期间内{_money_where(a)}的兑现支付（已冲正的支付不计）{a.total()}"
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
            f"资金台账中预算年度在统计期间内{_money_where(a)}的下达记录（已冲正的不计）金额合计"
        ),
        queryset=_alloc_qs,
        value=_sum("amount"),
        columns=ALLOC_COLUMNS,
        rows=_alloc_rows,
        arity=(0, 2),
        county_only=True,
    ),
}
