"""Writes of 活动与人才: events and their registrations and attendance, training classes and their
trainees' outcome, skill certifications.

Each write takes ``acting_user``, runs in one transaction and writes its audit entry
(``object_type="activity.<entity>"``, ``payload={"before", "after"}``) in that transaction. Bad
input raises ``ApplicationError`` whose message names the field (``field=`` the argument's name).

Who may write is decided by ``shuzhuan.accounts.access``: the role must hold
``Perm.ACTIVITY_MANAGE`` and the record's region must lie within the user's region (a town officer
keeps their own town's events, classes and certifications; the bureau the whole county). An
enterprise named on a record must be one the user may see. ``acting_user`` None is the system (the
CLI operator, the demo loader): bound by the rules, not by roles.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict

from shuzhuan.accounts.access import Perm, access_has, access_town_allowed
from shuzhuan.accounts.models import User
from shuzhuan.activities.models import (
    Event,
    EventRegistration,
    SkillCertification,
    Trainee,
    TrainingClass,
)
from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.text import clean_cell
from shuzhuan.enterprises.models import Enterprise, Region

_UNSET: Any = object()  # event_update: "leave this field as it is"
_SPACES = re.compile(r"\s+")


# --- who may write ---------------------------------------------------------------------------


def _require_manager(user: User | None, what: str) -> None:
    if user is not None and not access_has(user, Perm.ACTIVITY_MANAGE):
        raise ApplicationError(f"您无权{what}", field="user")


def _require_region(user: User | None, region: Region, *, field: str = "region") -> None:
    if user is not None and not access_town_allowed(user, region):
        raise ApplicationError(f"地区“{region.name}”不在您的管辖范围内", field=field)


def _require_enterprise(user: User | None, enterprise: Enterprise | None, *, field: str) -> None:
    if enterprise is None or user is None:
        return
    if not access_town_allowed(user, enterprise.town):
        raise ApplicationError(f"企业“{enterprise.name}”不在您的管辖范围内", field=field)


# --- cleaning ----------------------------------------------------------------------------------


def _text(value: object, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    """Typed text without stray whitespace; full-width punctuation stays (“培训班（第一期）”)."""
    text = "" if value is None else _SPACES.sub(" ", str(value).replace("\u200b", "").replace("\ufeff", ""))
    text = text.strip()
    if required and not text:
        raise ApplicationError(f"{label}不能为空", field=field)
    if len(text) > max_length:
        raise ApplicationError(f"{label}不能超过{max_length}个字（现为{len(text)}个字）", field=field)
    return text


def _notes(value: object) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > 4000:
        raise ApplicationError(f"备注不能超过4000个字（现为{len(text)}个字）", field="notes")
    return text


def _date(value: object, *, field: str, label: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ApplicationError(f"{label}应为日期（年-月-日）", field=field)
    if isinstance(value, dt.date):
        return value
    text = clean_cell(value)
    if not text:
        raise ApplicationError(f"{label}不能为空", field=field)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ApplicationError(f"{label}格式应为 年-月-日，如 2024-06-30", field=field) from None


def _region(value: Region | str | None, *, field: str = "region", label: str = "地区") -> Region:
    if isinstance(value, Region):
        return value
    code = clean_cell(value)
    if not code:
        raise ApplicationError(f"{label}不能为空", field=field)
    found = Region.objects.filter(code=code).first() or Region.objects.filter(name=code).first()
    if found is None:
        raise ApplicationError(f"未知的{label}：{code}", field=field)
    return found


def _kind(value: object) -> str:
    kind = clean_cell(value)
    if kind not in Event.Kind.values:
        labels = "、".join(Event.Kind.labels)
        raise ApplicationError(f"未知的活动类型：{kind or '（空）'}（可选 {labels}）", field="kind")
    return kind


def _origin(value: object) -> str:
    origin = clean_cell(value)
    if origin not in Trainee.Origin.values:
        raise ApplicationError(
            f"未知的学员来源：{origin or '（空）'}（可选 高校学生、企业人员）", field="origin"
        )
    return origin


def _level(value: object) -> int:
    if isinstance(value, bool):
        raise ApplicationError("等级应为 1 至 5（一级/高级技师 至 五级/初级工）", field="level")
    try:
        level = int(str(value).strip())
    except (TypeError, ValueError):
        raise ApplicationError("等级应为 1 至 5（一级/高级技师 至 五级/初级工）", field="level") from None
    if level not in SkillCertification.Level.values:
        raise ApplicationError("等级应为 1 至 5（一级/高级技师 至 五级/初级工）", field="level")
    return level


def _bool(value: object, *, field: str, label: str) -> bool:
    if not isinstance(value, bool):
        raise ApplicationError(f"{label}应为“是”或“否”", field=field)
    return value


def _snapshot(obj: Any) -> dict[str, Any]:
    return model_to_dict(obj)


# --- events ------------------------------------------------------------------------------------


def event_create(
    *,
    acting_user: User | None,
    kind: str,
    title: str,
    held_on: dt.date | str,
    region: Region | str,
    venue: str = "",
    organiser: str = "",
    notes: str = "",
) -> Event:
    """Record one event (现场会、培训班、对接会、政策宣讲会) held in ``region`` (a Region or its code)."""
    _require_manager(acting_user, "登记活动")
    event = Event(
        kind=_kind(kind),
        title=_text(title, field="title", label="活动名称", max_length=200, required=True),
        held_on=_date(held_on, field="held_on", label="举办日期"),
        region=_region(region, label="举办地区"),
        venue=_text(venue, field="venue", label="地点", max_length=200),
        organiser=_text(organiser, field="organiser", label="主办单位", max_length=200),
        notes=_notes(notes),
    )
    _require_region(acting_user, event.region)
    with transaction.atomic():
        event.save(force_insert=True)
        audit_record(
            actor=acting_user,
            action="activity.event.create",
            object_type="activity.event",
            object_id=event.pk,
            payload={"before": None, "after": _snapshot(event)},
        )
    return event


def event_update(
    *,
    acting_user: User | None,
    event: Event,
    kind: str = _UNSET,
    title: str = _UNSET,
    held_on: dt.date | str = _UNSET,
    region: Region | str = _UNSET,
    venue: str = _UNSET,
    organiser: str = _UNSET,
    notes: str = _UNSET,
) -> Event:
    """Change the fields given; the others stay. The event must be, and stay, within scope."""
    _require_manager(acting_user, "修改活动")
    _require_region(acting_user, event.region, field="event")
    changes: dict[str, Any] = {}
    if kind is not _UNSET:
        changes["kind"] = _kind(kind)
    if title is not _UNSET:
        changes["title"] = _text(title, field="title", label="活动名称", max_length=200, required=True)
    if held_on is not _UNSET:
        changes["held_on"] = _date(held_on, field="held_on", label="举办日期")
    if region is not _UNSET:
        changes["region"] = _region(region, label="举办地区")
        _require_region(acting_user, changes["region"])
    if venue is not _UNSET:
        changes["venue"] = _text(venue, field="venue", label="地点", max_length=200)
    if organiser is not _UNSET:
        changes["organiser"] = _text(organiser, field="organiser", label="主办单位", max_length=200)
    if notes is not _UNSET:
        changes["notes"] = _notes(notes)
    with transaction.atomic():
        locked = Event.objects.select_for_update().select_related("region").get(pk=event.pk)
        before = _snapshot(locked)
        for name, value in changes.items():
            setattr(locked, name, value)
        after = _snapshot(locked)
        if after == before:
            return locked
        locked.save()
        audit_record(
            actor=acting_user,
            action="activity.event.update",
            object_type="activity.event",
            object_id=locked.pk,
            payload={"before": before, "after": after},
        )
    return locked


def registration_add(
    *,
    acting_user: User | None,
    event: Event,
    attendee_name: str,
    enterprise: Enterprise | None = None,
    attendee_phone: str = "",
    attended: bool = False,
) -> EventRegistration:
    """Register one attendee (of ``enterprise``, if any). The same person of the same enterprise
    registers for an event once."""
    _require_manager(acting_user, "登记活动报名")
    _require_region(acting_user, event.region, field="event")
    _require_enterprise(acting_user, enterprise, field="enterprise")
    name = _text(attendee_name, field="attendee_name", label="参会人", max_length=64, required=True)
    phone = _text(attendee_phone, field="attendee_phone", label="联系电话", max_length=32)
    attended = _bool(attended, field="attended", label="已签到")
    duplicate = ApplicationError(
        f"参会人“{name}”"
        + (f"（{enterprise.name}）" if enterprise is not None else "")
        + "已报名本次活动，请勿重复登记",
        field="attendee_name",
    )
    same = EventRegistration.objects.filter(event=event, attendee_name=name)
    same = (
        same.filter(enterprise=enterprise) if enterprise is not None else same.filter(enterprise__isnull=True)
    )
    if same.exists():
        raise duplicate
    registration = EventRegistration(
        event=event, enterprise=enterprise, attendee_name=name, attendee_phone=phone, attended=attended
    )
    try:
        with transaction.atomic():
            registration.save(force_insert=True)
            audit_record(
                actor=acting_user,
                action="activity.registration.add",
                object_type="activity.event",
                object_id=event.pk,
                payload={"before": None, "after": _snapshot(registration)},
            )
    except IntegrityError:  # registered by someone else a moment ago
        raise duplicate from None
    return registration


def attendance_set(
    *, acting_user: User | None, registration: EventRegistration, attended: bool
) -> EventRegistration:
    """Mark an attendee present (签到) or not."""
    _require_manager(acting_user, "登记签到")
    _require_region(acting_user, registration.event.region, field="event")
    attended = _bool(attended, field="attended", label="已签到")
    with transaction.atomic():
        locked = EventRegistration.objects.select_for_update().get(pk=registration.pk)
        if locked.attended == attended:
            return locked
        before = locked.attended
        locked.attended = attended
        locked.save(update_fields=["attended"])
        audit_record(
            actor=acting_user,
            action="activity.registration.attendance",
            object_type="activity.event",
            object_id=locked.event_id,
            payload={
                "registration": locked.pk,
                "attendee_name": locked.attendee_name,
                "before": {"attended": before},
                "after": {"attended": attended},
            },
        )
    return locked


# --- training classes and trainees -------------------------------------------------------------


def training_class_create(
    *,
    acting_user: User | None,
    name: str,
    region: Region | str,
    starts_on: dt.date | str,
    ends_on: dt.date | str,
    partner: str = "",
    notes: str = "",
) -> TrainingClass:
    """Open one training class (e.g. 数字化专员培训班（第一期）)."""
    _require_manager(acting_user, "开设培训班")
    training_class = TrainingClass(
        name=_text(name, field="name", label="班级名称", max_length=200, required=True),
        region=_region(region, label="举办地区"),
        starts_on=_date(starts_on, field="starts_on", label="开班日期"),
        ends_on=_date(ends_on, field="ends_on", label="结业日期"),
        partner=_text(partner, field="partner", label="合作单位", max_length=200),
        notes=_notes(notes),
    )
    if training_class.ends_on < training_class.starts_on:
        raise ApplicationError("结业日期不能早于开班日期", field="ends_on")
    _require_region(acting_user, training_class.region)
    with transaction.atomic():
        training_class.save(force_insert=True)
        audit_record(
            actor=acting_user,
            action="activity.class.create",
            object_type="activity.class",
            object_id=training_class.pk,
            payload={"before": None, "after": _snapshot(training_class)},
        )
    return training_class


def trainee_add(
    *,
    acting_user: User | None,
    training_class: TrainingClass,
    name: str,
    origin: str,
    enterprise: Enterprise | None = None,
) -> Trainee:
    """Enrol one trainee: a student, or an enterprise's employee (``enterprise`` the sending firm)."""
    _require_manager(acting_user, "登记学员")
    _require_region(acting_user, training_class.region, field="training_class")
    trainee = Trainee(
        training_class=training_class,
        name=_text(name, field="name", label="姓名", max_length=64, required=True),
        origin=_origin(origin),
        enterprise=enterprise,
    )
    if trainee.origin == Trainee.Origin.STUDENT and enterprise is not None:
        raise ApplicationError("高校学生无选派企业，请留空", field="enterprise")
    _require_enterprise(acting_user, enterprise, field="enterprise")
    with transaction.atomic():
        trainee.save(force_insert=True)
        audit_record(
            actor=acting_user,
            action="activity.trainee.add",
            object_type="activity.class",
            object_id=training_class.pk,
            payload={"before": None, "after": _snapshot(trainee)},
        )
    return trainee


def trainee_outcome_set(
    *,
    acting_user: User | None,
    trainee: Trainee,
    completed: bool,
    employed: bool,
    employer: str = "",
    employer_enterprise: Enterprise | None = None,
) -> Trainee:
    """Record whether a trainee completed the class (结业) and signed on with an employer
    (签约就业/在岗). Employment needs completion and an employer (by name or registry record)."""
    _require_manager(acting_user, "登记学员结业与就业")
    _require_region(acting_user, trainee.training_class.region, field="training_class")
    completed = _bool(completed, field="completed", label="已结业")
    employed = _bool(employed, field="employed", label="签约就业")
    employer = _text(employer, field="employer", label="就业单位", max_length=200)
    if employed and not completed:
        raise ApplicationError("未结业的学员不能登记签约就业", field="employed")
    if employed:
        _require_enterprise(acting_user, employer_enterprise, field="employer_enterprise")
        if not employer and employer_enterprise is not None:
            employer = employer_enterprise.name[:200]
        if not employer:
            raise ApplicationError("签约就业的学员须填写就业单位", field="employer")
    elif employer or employer_enterprise is not None:
        raise ApplicationError("未签约就业的学员不填写就业单位", field="employer")
    with transaction.atomic():
        locked = Trainee.objects.select_for_update().get(pk=trainee.pk)
        before = _snapshot(locked)
        locked.completed = completed
        locked.employed = employed
        locked.employer = employer
        locked.employer_enterprise = employer_enterprise if employed else None
        after = _snapshot(locked)
        if after == before:
            return locked
        locked.save(update_fields=["completed", "employed", "employer", "employer_enterprise"])
        audit_record(
            actor=acting_user,
            action="activity.trainee.outcome",
            object_type="activity.class",
            object_id=locked.training_class_id,
            payload={"trainee": locked.pk, "before": before, "after": after},
        )
    return locked


# --- skill certifications ----------------------------------------------------------------------


def certification_record(
    *,
    acting_user: User | None,
    person_name: str,
    occupation: str,
    level: int | str,
    certified_on: dt.date | str,
    body: str,
    region: Region | str,
    enterprise: Enterprise | None = None,
) -> SkillCertification:
    """Record one skill certification (技能等级认定): a person, an occupation (工种) and a level
    1–5 (一级/高级技师 … 五级/初级工), conferred by ``body`` on ``certified_on``."""
    _require_manager(acting_user, "登记技能等级认定")
    certification = SkillCertification(
        person_name=_text(person_name, field="person_name", label="姓名", max_length=64, required=True),
        occupation=_text(occupation, field="occupation", label="职业（工种）", max_length=64, required=True),
        level=_level(level),
        certified_on=_date(certified_on, field="certified_on", label="认定日期"),
        body=_text(body, field="body", label="认定机构", max_length=200, required=True),
        region=_region(region, label="所属地区"),
        enterprise=enterprise,
    )
    _require_region(acting_user, certification.region)
    _require_enterprise(acting_user, enterprise, field="enterprise")
    with transaction.atomic():
        certification.save(force_insert=True)
        audit_record(
            actor=acting_user,
            action="activity.certification.record",
            object_type="activity.certification",
            object_id=certification.pk,
            payload={"before": None, "after": _snapshot(certification)},
        )
    return certification
