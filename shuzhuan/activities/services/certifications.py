"""Skill certifications (技能等级认定)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from shuzhuan.accounts.models import User
from shuzhuan.activities.models import (
    SkillCertification,
)
from shuzhuan.activities.services.common import (
    date_field,
    level_field,
    region_field,
    require_enterprise,
    require_manager,
    require_region,
    snapshot,
    text_field,
)
from shuzhuan.audit.services import audit_record
from shuzhuan.enterprises.models import Enterprise, Region


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
    require_manager(acting_user, "登记技能等级认定")
    certification = SkillCertification(
        person_name=text_field(person_name, field="person_name", label="姓名", max_length=64, required=True),
        occupation=text_field(
            occupation, field="occupation", label="职业（工种）", max_length=64, required=True
        ),
        level=level_field(level),
        certified_on=date_field(certified_on, field="certified_on", label="认定日期"),
        body=text_field(body, field="body", label="认定机构", max_length=200, required=True),
        region=region_field(region, label="所属地区"),
        enterprise=enterprise,
    )
    require_region(acting_user, certification.region)
    require_enterprise(acting_user, enterprise, field="enterprise")
    with transaction.atomic():
        certification.save(force_insert=True)
        audit_record(
            actor=acting_user,
            action="activity.certification.record",
            object_type="activity.certification",
            object_id=certification.pk,
            payload={"before": None, "after": snapshot(certification)},
        )
    return certification
