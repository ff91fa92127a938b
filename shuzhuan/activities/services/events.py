"""Events (现场会、培训班、对接会、政策宣讲会), their registrations and attendance."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from shuzhuan.accounts.models import User
from shuzhuan.activities.models import (
    Event,
    EventRegistration,
)
from shuzhuan.activities.services.common import (
    UNSET,
    bool_field,
    date_field,
    kind_field,
    notes_field,
    region_field,
    require_enterprise,
    require_manager,
    require_region,
    snapshot,
    text_field,
)
from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Enterprise, Region


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
    require_manager(acting_user, "登记活动")
    event = Event(
        kind=kind_field(kind),
        title=text_field(title, field="title", label="活动名称", max_length=200, required=True),
        held_on=date_field(held_on, field="held_on", label="举办日期"),
        region=region_field(region, label="举办地区"),
        venue=text_field(venue, field="venue", label="地点", max_length=200),
        organiser=text_field(organiser, field="organiser", label="主办单位", max_length=200),
        notes=notes_field(notes),
    )
    require_region(acting_user, event.region)
    with transaction.atomic():
        event.save(force_insert=True)
        audit_record(
            actor=acting_user,
            action="activity.event.create",
            object_type="activity.event",
            object_id=event.pk,
            payload={"before": None, "after": snapshot(event)},
        )
    return event


def event_update(
    *,
    acting_user: User | None,
    event: Event,
    kind: str = UNSET,
    title: str = UNSET,
    held_on: dt.date | str = UNSET,
    region: Region | str = UNSET,
    venue: str = UNSET,
    organiser: str = UNSET,
    notes: str = UNSET,
) -> Event:
    """Change the fields given; the others stay. The event must be, and stay, within scope."""
    require_manager(acting_user, "修改活动")
    require_region(acting_user, event.region, field="event")
    changes: dict[str, Any] = {}
    if kind is not UNSET:
        changes["kind"] = kind_field(kind)
    if title is not UNSET:
        changes["title"] = text_field(title, field="title", label="活动名称", max_length=200, required=True)
    if held_on is not UNSET:
        changes["held_on"] = date_field(held_on, field="held_on", label="举办日期")
    if region is not UNSET:
        changes["region"] = region_field(region, label="举办地区")
        require_region(acting_user, changes["region"])
    if venue is not UNSET:
        changes["venue"] = text_field(venue, field="venue", label="地点", max_length=200)
    if organiser is not UNSET:
        changes["organiser"] = text_field(organiser, field="organiser", label="主办单位", max_length=200)
    if notes is not UNSET:
        changes["notes"] = notes_field(notes)
    with transaction.atomic():
        locked = Event.objects.select_for_update().select_related("region").get(pk=event.pk)
        before = snapshot(locked)
        for name, value in changes.items():
            setattr(locked, name, value)
        after = snapshot(locked)
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
    require_manager(acting_user, "登记活动报名")
    require_region(acting_user, event.region, field="event")
    require_enterprise(acting_user, enterprise, field="enterprise")
    name = text_field(attendee_name, field="attendee_name", label="参会人", max_length=64, required=True)
    phone = text_field(attendee_phone, field="attendee_phone", label="联系电话", max_length=32)
    attended = bool_field(attended, field="attended", label="已签到")
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
                payload={"before": None, "after": snapshot(registration)},
            )
    except IntegrityError:  # registered by someone else a moment ago
        raise duplicate from None
    return registration


def attendance_set(
    *, acting_user: User | None, registration: EventRegistration, attended: bool
) -> EventRegistration:
    """Mark an attendee present (签到) or not."""
    require_manager(acting_user, "登记签到")
    require_region(acting_user, registration.event.region, field="event")
    attended = bool_field(attended, field="attended", label="已签到")
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
