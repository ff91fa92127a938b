"""Training classes and their trainees' outcome (completion, employment)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from shuzhuan.accounts.models import User
from shuzhuan.activities.models import (
    Trainee,
    TrainingClass,
)
from shuzhuan.activities.services.common import (
    bool_field,
    date_field,
    notes_field,
    origin_field,
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
    require_manager(acting_user, "开设培训班")
    training_class = TrainingClass(
        name=text_field(name, field="name", label="班级名称", max_length=200, required=True),
        region=region_field(region, label="举办地区"),
        starts_on=date_field(starts_on, field="starts_on", label="开班日期"),
        ends_on=date_field(ends_on, field="ends_on", label="结业日期"),
        partner=text_field(partner, field="partner", label="合作单位", max_length=200),
        notes=notes_field(notes),
    )
    if training_class.ends_on < training_class.starts_on:
        raise ApplicationError("结业日期不能早于开班日期", field="ends_on")
    require_region(acting_user, training_class.region)
    with transaction.atomic():
        training_class.save(force_insert=True)
        audit_record(
            actor=acting_user,
            action="activity.class.create",
            object_type="activity.class",
            object_id=training_class.pk,
            payload={"before": None, "after": snapshot(training_class)},
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
    require_manager(acting_user, "登记学员")
    require_region(acting_user, training_class.region, field="training_class")
    trainee = Trainee(
        training_class=training_class,
        name=text_field(name, field="name", label="姓名", max_length=64, required=True),
        origin=origin_field(origin),
        enterprise=enterprise,
    )
    if trainee.origin == Trainee.Origin.STUDENT and enterprise is not None:
        raise ApplicationError("高校学生无选派企业，请留空", field="enterprise")
    require_enterprise(acting_user, enterprise, field="enterprise")
    with transaction.atomic():
        trainee.save(force_insert=True)
        audit_record(
            actor=acting_user,
            action="activity.trainee.add",
            object_type="activity.class",
            object_id=training_class.pk,
            payload={"before": None, "after": snapshot(trainee)},
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
    require_manager(acting_user, "登记学员结业与就业")
    require_region(acting_user, trainee.training_class.region, field="training_class")
    completed = bool_field(completed, field="completed", label="已结业")
    employed = bool_field(employed, field="employed", label="签约就业")
    employer = text_field(employer, field="employer", label="就业单位", max_length=200)
    if employed and not completed:
        raise ApplicationError("未结业的学员不能登记签约就业", field="employed")
    if employed:
        require_enterprise(acting_user, employer_enterprise, field="employer_enterprise")
        if not employer and employer_enterprise is not None:
            employer = employer_enterprise.name[:200]
        if not employer:
            raise ApplicationError("签约就业的学员须填写就业单位", field="employer")
    elif employer or employer_enterprise is not None:
        raise ApplicationError("未签约就业的学员不填写就业单位", field="employer")
    with transaction.atomic():
        locked = Trainee.objects.select_for_update().get(pk=trainee.pk)
        before = snapshot(locked)
        locked.completed = completed
        locked.employed = employed
        locked.employer = employer
        locked.employer_enterprise = employer_enterprise if employed else None
        after = snapshot(locked)
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
