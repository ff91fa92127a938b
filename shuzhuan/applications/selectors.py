"""Reads over batches and applications, including the project population the policy engine's
batch runners and the what-if impact analysis read."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast
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
from shuzhuan.enterprises.models import Enterprise, Industry, Qualification, QualificationType, Region
from shuzhuan.rules.batch import ENTERPRISES_SCHEMA, MONEY, PROJECTS_SCHEMA
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


def _population_applications(rulebook: Rulebook, region: Region | None) -> QuerySet[Application]:
    """The applications that are projects of the population (see ``project_population``)."""
    project_policies = [p.id for e in rulebook.editions for p in e.policies if p.scope == "project"]
    return Application.objects.filter(
        _in_region(region, "enterprise__"), policy_id__in=project_policies
    ).exclude(status__in=_NOT_IN_POPULATION)


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
    apps = (
        _population_applications(rulebook, region)
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


# The enterprises of a snapshot on disk: the runners' columns and the registry's primary key, so
# results can be tied back to rows without a lookup by USCC.
SNAPSHOT_ENTERPRISES_SCHEMA = ENTERPRISES_SCHEMA.append(pa.field("enterprise_id", pa.int64(), nullable=False))


@dataclass(frozen=True)
class PopulationFiles:
    enterprises: Path  # Parquet, SNAPSHOT_ENTERPRISES_SCHEMA
    projects: Path  # Parquet, PROJECTS_SCHEMA
    enterprise_count: int
    project_count: int


def project_population_write(
    *,
    rulebook: Rulebook,
    directory: Path,
    region: Region | None = None,
    today: dt.date | None = None,
    chunk_size: int = 100_000,
    include_awarded: bool = True,
    progress: Callable[[int], None] | None = None,
) -> PopulationFiles:
    """``project_population`` written to ``directory`` as two Parquet files, in chunks of
    ``chunk_size`` rows, for populations too large to hold as Python rows: enterprises are read
    by primary-key ranges (with the qualifications of each range in one query), projects through
    one streaming cursor; each chunk becomes one Arrow record batch. No model instance is built.
    ``progress`` receives the number of rows written so far. The enterprises carry
    ``enterprise_id`` instead of ``project_population``'s town and industry names.
    ``include_awarded`` False leaves out projects whose award is approved or paid (those that
    claim nothing more: what matching needs)."""
    today = today or dt.date.today()
    directory.mkdir(parents=True, exist_ok=True)
    industry_code = dict(Industry.objects.values_list("pk", "code"))
    qualification_code = dict(QualificationType.objects.values_list("pk", "code"))
    received = rewards_received(rulebook=rulebook)
    written = 0

    enterprises_path = directory / "enterprises.parquet"
    enterprises_qs = Enterprise.objects.filter(_in_region(region, ""), status=Enterprise.Status.ACTIVE)
    n_enterprises = 0
    with pq.ParquetWriter(enterprises_path, SNAPSHOT_ENTERPRISES_SCHEMA) as writer:
        after = 0
        while True:
            rows = list(
                enterprises_qs.filter(pk__gt=after)
                .order_by("pk")
                .values_list("pk", "uscc", "industry_id", "is_sme", "above_scale")[:chunk_size]
            )
            if not rows:
                break
            first, after = rows[0][0], rows[-1][0]
            quals: dict[int, set[str]] = defaultdict(set)
            for enterprise_id, type_id in Qualification.objects.filter(
                enterprise_id__gte=first, enterprise_id__lte=after
            ).values_list("enterprise_id", "type_id"):
                quals[enterprise_id].add(qualification_code[type_id])
            pks, usccs, industries, smes, scales = zip(*rows, strict=True)
            batch = {
                "uscc": usccs,
                "industry": [industry_code.get(i) if i is not None else None for i in industries],
                "is_sme": smes,
                "above_scale": scales,
                "qualifications": [sorted(quals[pk]) if pk in quals else [] for pk in pks],
                "rewards_received": [sorted(received[pk]) if pk in received else [] for pk in pks],
                "enterprise_id": pks,
            }
            writer.write_batch(pa.RecordBatch.from_pydict(batch, schema=SNAPSHOT_ENTERPRISES_SCHEMA))
            n_enterprises += len(rows)
            written += len(rows)
            if progress is not None:
                progress(written)

    projects_path = directory / "projects.parquet"
    applications = _population_applications(rulebook, region)
    if not include_awarded:
        applications = applications.exclude(status__in=_REWARD_RECEIVED)
    # kinds and money come as text, not through the fields' converters (JSON parsing and Decimal
    # construction per row cost most of the time): kinds are parsed once per distinct text (a few
    # combinations of three codes), money is cast to decimal(14, 2) by Arrow, exactly.
    apps = (
        applications.order_by("pk")
        .annotate(
            kinds_text=Cast("kinds", TextField()),
            declared_text=Cast("declared_investment", TextField()),
            verified_text=Cast("verified_investment", TextField()),
        )
        .values_list(
            "number",
            "enterprise__uscc",
            "status",
            "accepted_on",
            "kinds_text",
            "in_pilot_plan",
            "declared_text",
            "verified_text",
        )
        .iterator(chunk_size=min(chunk_size, 20_000))
    )
    n_projects = 0
    past_acceptance = {str(s) for s in PAST_ACCEPTANCE}
    parsed: dict[str | None, list[str]] = {}

    def codes(text: str | None) -> list[str]:
        found = parsed.get(text)
        if found is None:
            found = parsed[text] = sorted(json.loads(text) or []) if text else []
        return found

    with pq.ParquetWriter(projects_path, PROJECTS_SCHEMA) as writer:
        for chunk in _chunks(apps, chunk_size):
            numbers, usccs, statuses, accepted_on, kinds, in_plan, declared, verified = zip(
                *chunk, strict=True
            )
            batch = {
                "project_id": numbers,
                "uscc": usccs,
                "as_of": [d or today for d in accepted_on],
                "kinds": [codes(k) for k in kinds],
                "in_pilot_plan": in_plan,
                "accepted": [s in past_acceptance for s in statuses],
                "declared_investment": pc.cast(pa.array(declared, pa.string()), MONEY),
                "verified_investment": pc.cast(pa.array(verified, pa.string()), MONEY),
            }
            writer.write_batch(pa.RecordBatch.from_pydict(batch, schema=PROJECTS_SCHEMA))
            n_projects += len(chunk)
            written += len(chunk)
            if progress is not None:
                progress(written)
    return PopulationFiles(enterprises_path, projects_path, n_enterprises, n_projects)


def _chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


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
