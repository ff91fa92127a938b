"""Test data for 活动与人才, made through the real services (as the system: ``acting_user=None``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shuzhuan.activities.models import Event, SkillCertification, Trainee, TrainingClass
from shuzhuan.activities.services import (
    certification_record,
    event_create,
    trainee_add,
    trainee_outcome_set,
    training_class_create,
)
from shuzhuan.enterprises.models import Enterprise


def make_event(
    *,
    region: str = "cixi-guanhaiwei",
    kind: str = Event.Kind.ONSITE,
    held_on: dt.date = dt.date(2024, 5, 20),
    title: str = "数字化车间现场会",
    **kwargs: Any,
) -> Event:
    return event_create(acting_user=None, kind=kind, title=title, held_on=held_on, region=region, **kwargs)


def make_class(
    *,
    region: str = "cixi-guanhaiwei",
    name: str = "数字化专员培训班（测试）",
    starts_on: dt.date = dt.date(2024, 3, 1),
    ends_on: dt.date = dt.date(2024, 6, 30),
) -> TrainingClass:
    return training_class_create(
        acting_user=None, name=name, region=region, starts_on=starts_on, ends_on=ends_on
    )


def make_trainee(
    training_class: TrainingClass,
    *,
    name: str,
    completed: bool = False,
    employed: bool = False,
    enterprise: Enterprise | None = None,
    employer: str = "",
) -> Trainee:
    origin = Trainee.Origin.EMPLOYEE if enterprise is not None else Trainee.Origin.STUDENT
    trainee = trainee_add(
        acting_user=None, training_class=training_class, name=name, origin=origin, enterprise=enterprise
    )
    if completed or employed:
        trainee = trainee_outcome_set(
            acting_user=None,
            trainee=trainee,
            completed=completed,
            employed=employed,
            employer=employer or ("慈溪市测试就业单位" if employed else ""),
        )
    return trainee


def make_certification(
    *,
    region: str = "cixi-guanhaiwei",
    level: int = 4,
    certified_on: dt.date = dt.date(2024, 6, 1),
    person_name: str = "张三",
    occupation: str = "电子商务师",
) -> SkillCertification:
    return certification_record(
        acting_user=None,
        person_name=person_name,
        occupation=occupation,
        level=level,
        certified_on=certified_on,
        body="慈溪市职业技能等级认定社会评价组织",
        region=region,
    )
