"""Reads over batches and applications, including the project population the policy engine's
batch runners and the what-if impact analysis read."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pyarrow as pa
from django.db.models import Q, QuerySet

from shuzhuan.applications.models import PAST_ACCEPTANCE, Application, Status
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
