"""Reads over the registry. Callers pass a queryset already narrowed by ``access_enterprises``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from shuzhuan.audit.selectors import audit_entries_for_object
from shuzhuan.core.money import yuan_to_wan
from shuzhuan.core.text import squash
from shuzhuan.enterprises.models import (
    ENTERPRISE_FIELD_LABELS,
    Enterprise,
    Industry,
    Qualification,
    QualificationType,
    Region,
)


@dataclass(frozen=True)
class EnterpriseFilter:
    q: str = ""
    town: str = ""
    industry: str = ""
    qualification: str = ""
    year: int | None = None
    status: str = ""

    @property
    def active(self) -> bool:
        """Whether any condition narrows the list (for "no match" versus "nothing here yet")."""
        return bool(
            self.q.strip() or self.town or self.industry or self.qualification or self.year or self.status
        )


def enterprise_filter(queryset: QuerySet[Enterprise], filters: EnterpriseFilter) -> QuerySet[Enterprise]:
    qs = queryset
    text = squash(filters.q)
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(uscc__icontains=text.upper()))
    if filters.town:
        qs = qs.filter(town__code=filters.town)
    if filters.industry:
        qs = qs.filter(industry__code=filters.industry)
    if filters.qualification:
        qual = Q(qualifications__type__code=filters.qualification)
        if filters.year:
            qual &= Q(qualifications__year=filters.year)
        qs = qs.filter(pk__in=Enterprise.objects.filter(qual).values("pk"))
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("name", "uscc")


def enterprise_qualifications(enterprise: Enterprise) -> QuerySet:
    return enterprise.qualifications.select_related("type").order_by("-year", "type__sort_order")


def enterprise_qualification_get(
    *, enterprise: Enterprise, type_code: str, year: int
) -> Qualification | None:
    return enterprise.qualifications.select_related("type").filter(type__code=type_code, year=year).first()


def industry_list() -> QuerySet[Industry]:
    return Industry.objects.all()


def qualification_type_list() -> QuerySet[QualificationType]:
    return QualificationType.objects.all()


def region_get(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()


# --- history: the audit entries about one enterprise, in words -------------------------------

_ACTION_LABELS = {
    "enterprise.create": "新增企业",
    "enterprise.update": "修改企业信息",
    "qualification.add": "添加资质",
    "qualification.remove": "删除资质",
}
_EMPTY = "—"


@dataclass(frozen=True)
class HistoryChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    actor: str
    action: str
    changes: list[HistoryChange]
    reason: str


class _Names:
    """Codes in audit payloads → the names shown today (one query per kind)."""

    def __init__(self) -> None:
        self.town = dict(Region.objects.values_list("code", "name"))
        self.industry = dict(Industry.objects.values_list("code", "name"))
        self.qualification = dict(QualificationType.objects.values_list("code", "name"))
        self.status = dict(Enterprise.Status.choices)

    def field(self, name: str, value: Any) -> str:
        if value is None or value == "":
            return "未分类" if name == "industry" else _EMPTY
        if isinstance(value, bool):
            return "是" if value else "否"
        if name == "town":
            return self.town.get(value, value)
        if name == "industry":
            return self.industry.get(value, value)
        if name == "status":
            return self.status.get(value, value)
        if name == "revenue":
            return f"{yuan_to_wan(Decimal(value)):f} 万元"
        return str(value)

    def qualification_text(self, value: dict[str, Any] | None) -> str:
        if not value:
            return ""
        code = str(value.get("type"))
        return f"{self.qualification.get(code, code)}（{value.get('year')}年度）"


def _changes(action: str, payload: dict[str, Any], names: _Names) -> list[HistoryChange]:
    """One line per field. ``before``/``after`` is "" where there was no record at all (a new
    enterprise, an added or removed qualification) and "—" where a field was empty."""
    before, after = payload.get("before"), payload.get("after")
    if action.startswith("qualification."):
        return [HistoryChange("资质", names.qualification_text(before), names.qualification_text(after))]
    keys = [k for k in ENTERPRISE_FIELD_LABELS if k in (before or {}) or k in (after or {})]
    return [
        HistoryChange(
            ENTERPRISE_FIELD_LABELS[k],
            names.field(k, before[k]) if before is not None else "",
            names.field(k, after[k]) if after is not None else "",
        )
        for k in keys
    ]


def enterprise_history(*, enterprise: Enterprise, limit: int = 20) -> list[HistoryItem]:
    """The latest changes made to one enterprise by hand — who, when, what from and to, why."""
    entries = list(audit_entries_for_object(object_type="enterprise", object_id=enterprise.uscc, limit=limit))
    if not entries:
        return []
    names = _Names()
    return [
        HistoryItem(
            at=entry.created_at,
            actor=entry.actor_username or _EMPTY,
            action=_ACTION_LABELS.get(entry.action, entry.action),
            changes=_changes(entry.action, entry.payload or {}, names),
            reason=entry.reason,
        )
        for entry in entries
    ]
