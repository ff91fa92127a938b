"""Figures over activities and talent: events, attendance, training classes, certifications."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet

from shuzhuan.activities.models import Event, EventRegistration, SkillCertification, Trainee, TrainingClass
from shuzhuan.cockpit.figures.base import (
    Args,
    Column,
    Definition,
    FigureError,
    _count,
)


def _dated(model: type[Any], date_field: str, a: Args) -> QuerySet[Any]:
    """Rows of ``model`` dated within the period, in the scope's region (and the town filter)."""
    qs = model.objects.filter(
        **{f"{date_field}__gte": a.period.first_day, f"{date_field}__lte": a.period.last_day}
    ).filter(a.scope.region_q("region__"))
    return qs.filter(region__code=a.filters.town) if a.filters.town else qs


def _events_qs(a: Args) -> QuerySet[Any]:
    qs = _dated(Event, "held_on", a)
    if a.rest:
        if a.rest[0] not in Event.Kind.values:
            raise FigureError(f"未知的活动类型：{a.rest[0]}")
        qs = qs.filter(kind=a.rest[0])
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
    return (
        _dated(TrainingClass, "starts_on", a)
        .select_related("region")
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
    return (
        _dated(SkillCertification, "certified_on", a)
        .select_related("enterprise", "region")
        .order_by("certified_on", "pk")
    )


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


ACTIVITY_DEFINITIONS: dict[str, Definition] = {
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
