"""Who may write activity records, and the cleaning every write shares (each refusal names its field)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.forms.models import model_to_dict

from shuzhuan.accounts.access import Perm, access_has, access_town_allowed
from shuzhuan.accounts.models import User
from shuzhuan.activities.models import (
    Event,
    SkillCertification,
    Trainee,
)
from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.text import clean_cell
from shuzhuan.enterprises.models import Enterprise, Region

UNSET: Any = object()  # event_update: "leave this field as it is"
_SPACES = re.compile(r"\s+")


# --- who may write ---------------------------------------------------------------------------


def require_manager(user: User | None, what: str) -> None:
    if user is not None and not access_has(user, Perm.ACTIVITY_MANAGE):
        raise ApplicationError(f"您无权{what}", field="user")


def require_region(user: User | None, region: Region, *, field: str = "region") -> None:
    if user is not None and not access_town_allowed(user, region):
        raise ApplicationError(f"地区“{region.name}”不在您的管辖范围内", field=field)


def require_enterprise(user: User | None, enterprise: Enterprise | None, *, field: str) -> None:
    if enterprise is None or user is None:
        return
    if not access_town_allowed(user, enterprise.town):
        raise ApplicationError(f"企业“{enterprise.name}”不在您的管辖范围内", field=field)


# --- cleaning ----------------------------------------------------------------------------------


def text_field(value: object, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    """Typed text without stray whitespace; full-width punctuation stays (“培训班（第一期）”)."""
    text = "" if value is None else _SPACES.sub(" ", str(value).replace("\u200b", "").replace("\ufeff", ""))
    text = text.strip()
    if required and not text:
        raise ApplicationError(f"{label}不能为空", field=field)
    if len(text) > max_length:
        raise ApplicationError(f"{label}不能超过{max_length}个字（现为{len(text)}个字）", field=field)
    return text


def notes_field(value: object) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > 4000:
        raise ApplicationError(f"备注不能超过4000个字（现为{len(text)}个字）", field="notes")
    return text


def date_field(value: object, *, field: str, label: str) -> dt.date:
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


def region_field(value: Region | str | None, *, field: str = "region", label: str = "地区") -> Region:
    if isinstance(value, Region):
        return value
    code = clean_cell(value)
    if not code:
        raise ApplicationError(f"{label}不能为空", field=field)
    found = Region.objects.filter(code=code).first() or Region.objects.filter(name=code).first()
    if found is None:
        raise ApplicationError(f"未知的{label}：{code}", field=field)
    return found


def kind_field(value: object) -> str:
    kind = clean_cell(value)
    if kind not in Event.Kind.values:
        labels = "、".join(Event.Kind.labels)
        raise ApplicationError(f"未知的活动类型：{kind or '（空）'}（可选 {labels}）", field="kind")
    return kind


def origin_field(value: object) -> str:
    origin = clean_cell(value)
    if origin not in Trainee.Origin.values:
        raise ApplicationError(
            f"未知的学员来源：{origin or '（空）'}（可选 高校学生、企业人员）", field="origin"
        )
    return origin


def level_field(value: object) -> int:
    if isinstance(value, bool):
        raise ApplicationError("等级应为 1 至 5（一级/高级技师 至 五级/初级工）", field="level")
    try:
        level = int(str(value).strip())
    except (TypeError, ValueError):
        raise ApplicationError("等级应为 1 至 5（一级/高级技师 至 五级/初级工）", field="level") from None
    if level not in SkillCertification.Level.values:
        raise ApplicationError("等级应为 1 至 5（一级/高级技师 至 五级/初级工）", field="level")
    return level


def bool_field(value: object, *, field: str, label: str) -> bool:
    if not isinstance(value, bool):
        raise ApplicationError(f"{label}应为“是”或“否”", field=field)
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    return model_to_dict(obj)
