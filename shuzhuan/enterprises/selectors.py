"""Reads over the registry. Callers pass a queryset already narrowed by ``access_enterprises``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from shuzhuan.core.text import squash
from shuzhuan.enterprises.models import Enterprise, Industry, QualificationType, Region


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


def industry_list() -> QuerySet[Industry]:
    return Industry.objects.all()


def qualification_type_list() -> QuerySet[QualificationType]:
    return QualificationType.objects.all()


def region_get(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()
