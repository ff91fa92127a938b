"""Reads over batches and applications, including the project population the policy engine's
batch runners and the what-if impact analysis read."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import pyarrow as pa
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from shuzhuan.accounts.models import Role, User
from shuzhuan.applications.models import (
    PAST_ACCEPTANCE,
    Application,
    ExpertReview,
    Notice,
    PolicyBatch,
    Status,
)
from shuzhuan.enterprises.models import Enterprise, Qualification, Region
from shuzhuan.rules.batch import ENTERPRISES_SCHEMA, PROJECTS_SCHEMA
from shuzhuan.rules.model import Rulebook

# Extra enterprise columns the impact analysis groups by (the batch runners ignore them).
POPULATION_ENTERPRISES_SCHEMA = ENTERPRISES_SCHEMA.append(pa.field("town", pa.string())).append(
    pa.field("industry_name", pa.string())
)

# Applications that are not projects of the current population: never submitted, or ended
# without money (rejected, failed acceptance, withdrawn).
_NOT_IN_POPULATION = [Status.DRAFT, Status.REJECTED, Status.FAILED, Status.WITHDRAWN]
# Statuses in which a one-time reward counts as received (its amount is approved or paid).
_REWARD_RECEIVED = [Status.APPROVED, Status.PUBLIC_NOTICE, Status.DISBURSING, Status.CLOSED]


def _in_region(region: Region | None, prefix: str) -> Q:
    if region is None:
        return Q()
    return Q(**{f"{prefix}town__path__startswith": region.path})


def rewards_received(*, rulebook: Rulebook, enterprise_ids: set[int] | None = None) -> dict[int, set[str]]:
    """Reward groups each enterprise has been approved or paid (enterprise pk → groups)."""
    group_of = {p.id: p.reward_group for e in rulebook.editions for p in e.policies if p.once_per_enterprise}
    qs = Application.objects.filter(status__in=_REWARD_RECEIVED, policy_id__in=list(group_of))
    if enterprise_ids is not None:
        qs = qs.filter(enterprise_id__in=enterprise_ids)
    received: dict[int, set[str]] = defaultdict(set)
    for enterprise_id, policy_id in qs.values_list("enterprise_id", "policy_id"):
        received[enterprise_id].add(group_of[policy_id])
    return received


def project_population(
    *, rulebook: Rulebook, region: Region | None = None, today: dt.date | None = None
) -> tuple[pa.Table, pa.Table]:
    """(enterprises, projects) as Arrow tables in the batch runners' schemas.

    ``projects``: every submitted application of a project-scope policy that has not ended
    without money (drafts, rejected, failed and withdrawn ones are left out), its ``as_of`` the
    acceptance date, or ``today`` before acceptance. ``enterprises``: every active enterprise of
    the region (so enterprise-level rewards can be evaluated too), with ``town`` and
    ``industry_name`` for grouping. ``region`` narrows both to a subtree."""
    today = today or dt.date.today()
    project_policies = [p.id for e in rulebook.editions for p in e.policies if p.scope == "project"]
    apps = (
        Application.objects.filter(_in_region(region, "enterprise__"), policy_id__in=project_policies)
        .exclude(status__in=_NOT_IN_POPULATION)
        .values_list(
            "number",
            "enterprise__uscc",
            "status",
            "accepted_on",
            "kinds",
            "in_pilot_plan",
            "declared_investment",
            "verified_investment",
        )
        .order_by("pk")
    )
    projects = [
        {
            "project_id": number,
            "uscc": uscc,
            "as_of": accepted_on or today,
            "kinds": sorted(kinds or []),
            "in_pilot_plan": in_plan,
            "accepted": status in PAST_ACCEPTANCE,
            "declared_investment": declared,
            "verified_investment": verified,
        }
        for number, uscc, status, accepted_on, kinds, in_plan, declared, verified in apps
    ]
    enterprises_qs: QuerySet[Enterprise] = Enterprise.objects.filter(
        _in_region(region, ""), status=Enterprise.Status.ACTIVE
    )
    rows = list(
        enterprises_qs.order_by("pk").values_list(
            "pk", "uscc", "industry__code", "industry__name", "is_sme", "above_scale", "town__name"
        )
    )
    quals: dict[int, set[str]] = defaultdict(set)
    for enterprise_id, code in Qualification.objects.filter(
        enterprise__in=enterprises_qs.values("pk")
    ).values_list("enterprise_id", "type__code"):
        quals[enterprise_id].add(code)
    received = rewards_received(rulebook=rulebook)
    enterprises = [
        {
            "uscc": uscc,
            "industry": industry,
            "is_sme": is_sme,
            "above_scale": above_scale,
            "qualifications": sorted(quals.get(pk, ())),
            "rewards_received": sorted(received.get(pk, ())),
            "town": town,
            "industry_name": industry_name,
        }
        for pk, uscc, industry, industry_name, is_sme, above_scale, town in rows
    ]
    return (
        pa.Table.from_pylist(enterprises, schema=POPULATION_ENTERPRISES_SCHEMA),
        pa.Table.from_pylist(projects, schema=PROJECTS_SCHEMA),
    )


# --- what each user may see (the web pages and the API start every application query here) ------


def application_queryset_for(user: User | None) -> QuerySet[Application]:
    """Every application ``user`` may see: bureau officers and auditors their region's subtree,
    a town officer their town — in both cases only applications submitted at least once (a draft
    is the enterprise's own) —, an enterprise user their enterprise's, an expert those assigned
    to them; nobody else any."""
    base = Application.objects.select_related("enterprise__town", "batch")
    if user is None or not user.is_active or not user.is_authenticated:
        return base.none()
    if user.role == Role.ENTERPRISE:
        return base.filter(enterprise_id=user.enterprise_id) if user.enterprise_id else base.none()
    if user.role in (Role.BUREAU_OFFICER, Role.TOWN_OFFICER, Role.AUDITOR):
        if user.region is None:
            return base.none()
        return base.filter(enterprise__town__path__startswith=user.region.path, submitted_at__isnull=False)
    if user.role == Role.EXPERT:
        return base.filter(pk__in=ExpertReview.objects.filter(expert=user).values("application_id"))
    return base.none()


@dataclass(frozen=True)
class ApplicationFilter:
    batch: str = ""  # batch code
    status: str = ""
    town: str = ""  # town code
    q: str = ""  # number, project or enterprise name, USCC

    @property
    def active(self) -> bool:
        return bool(self.batch or self.status or self.town or self.q.strip())


def application_filter(qs: QuerySet[Application], filters: ApplicationFilter) -> QuerySet[Application]:
    if filters.batch:
        qs = qs.filter(batch__code=filters.batch)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.town:
        qs = qs.filter(enterprise__town__code=filters.town)
    q = filters.q.strip()
    if q:
        qs = qs.filter(
            Q(number__icontains=q)
            | Q(project_name__icontains=q)
            | Q(enterprise__name__icontains=q)
            | Q(enterprise__uscc__iexact=q)
        )
    return qs.order_by("-updated_at", "-pk")


def application_status_counts(qs: QuerySet[Application]) -> dict[str, int]:
    return {row["status"]: row["n"] for row in qs.order_by().values("status").annotate(n=Count("pk"))}


def batch_list(*, region: Region | None = None) -> QuerySet[PolicyBatch]:
    """Batches published for ``region`` or a region above it (a county's batches are the
    county's towns' too); every batch when ``region`` is None."""
    qs = PolicyBatch.objects.select_related("edition", "region").annotate(
        n_applications=Count("applications")
    )
    if region is not None:
        ancestors = [region.path[: i + 1] for i, ch in enumerate(region.path) if ch == "/"]
        qs = qs.filter(
            Q(region__path__in=[*ancestors, region.path]) | Q(region__path__startswith=region.path)
        )
    return qs.order_by("-opens_on", "code")


def batches_open_for(enterprise: Enterprise, *, today: dt.date | None = None) -> list[PolicyBatch]:
    """Batches open today whose region covers the enterprise's town."""
    today = today or timezone.localdate()
    town_path = enterprise.town.path
    batches = PolicyBatch.objects.select_related("edition", "region").filter(
        status=PolicyBatch.Status.OPEN, opens_on__lte=today, closes_on__gte=today
    )
    return [b for b in batches.order_by("closes_on", "code") if town_path.startswith(b.region.path)]


def expert_reviews_for(user: User) -> QuerySet[ExpertReview]:
    return (
        ExpertReview.objects.filter(expert=user)
        .select_related("application__enterprise", "application__batch")
        .order_by("submitted_at", "-assigned_at")
    )


def notices_for(enterprise_id: int | None) -> QuerySet[Notice]:
    if enterprise_id is None:
        return Notice.objects.none()
    return Notice.objects.filter(enterprise_id=enterprise_id).select_related("application")


def notices_unread_count(enterprise_id: int | None) -> int:
    return notices_for(enterprise_id).filter(read_at__isnull=True).count() if enterprise_id else 0
