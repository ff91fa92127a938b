"""Reads over batches and applications, including the project population the policy engine's
batch runners and the what-if impact analysis read."""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db import connections
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
from shuzhuan.rules.batch import CODES, ENTERPRISES_SCHEMA, MONEY, PROJECTS_SCHEMA
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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while millions of row tuples stream through: each
    chunk's tuples outlive the young generations, so it ran a full collection every chunk or two
    (measured: 4 of the 9 s the projects took on 3,000,000 applications). Tuples of plain values
    make no cycles; the previous state is restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class PopulationFiles:
    enterprises: Path  # Parquet, SNAPSHOT_ENTERPRISES_SCHEMA
    projects: Path  # Parquet, PROJECTS_SCHEMA
    enterprise_count: int
    project_count: int


@_collector_paused()
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
    one streaming cursor; each chunk becomes one Arrow record batch. No model instance is built,
    and rows come straight from the cursor (``_fetched``): the columns are turned into Arrow
    arrays, not value by value. ``progress`` receives the number of rows written so far. The
    enterprises carry ``enterprise_id`` instead of ``project_population``'s town and industry
    names. ``include_awarded`` False leaves out projects whose award is approved or paid (those
    that claim nothing more: what matching needs)."""
    today = today or dt.date.today()
    directory.mkdir(parents=True, exist_ok=True)
    industry_code = dict(Industry.objects.values_list("pk", "code"))
    qualification_code = dict(QualificationType.objects.values_list("pk", "code"))
    received = rewards_received(rulebook=rulebook)
    received_pairs = [(pk, group) for pk, groups in received.items() for group in groups]
    written = 0

    enterprises_path = directory / "enterprises.parquet"
    enterprises_qs = Enterprise.objects.filter(_in_region(region, ""), status=Enterprise.Status.ACTIVE)
    known_ids: list[np.ndarray] = []  # the snapshot's enterprises, ascending: each project's USCC
    known_usccs: list[pa.Array] = []
    columns = ("pk", "uscc", "industry_id", "is_sme", "above_scale")
    with pq.ParquetWriter(enterprises_path, SNAPSHOT_ENTERPRISES_SCHEMA) as writer:
        after = 0
        while True:
            chunk = enterprises_qs.filter(pk__gt=after).order_by("pk")[:chunk_size]
            rows = next(_fetched(chunk.values_list(*columns), chunk_size), [])
            if not rows:
                break
            pks, usccs, industries, smes, scales = zip(*rows, strict=True)
            ids = np.array(pks, dtype=np.int64)
            first, after = pks[0], pks[-1]
            quals = Qualification.objects.filter(enterprise_id__gte=first, enterprise_id__lte=after)
            pairs = [
                (e, qualification_code[t]) for e, t in quals.order_by().values_list("enterprise_id", "type")
            ]
            uscc = pa.array(usccs, pa.string())
            batch = [
                uscc,
                pa.array([industry_code.get(i) for i in industries], pa.string()),
                _booleans(smes),
                _booleans(scales),
                _code_lists(ids, pairs),
                _code_lists(ids, received_pairs),
                pa.array(ids),
            ]
            writer.write_batch(pa.RecordBatch.from_arrays(batch, schema=SNAPSHOT_ENTERPRISES_SCHEMA))
            known_ids.append(ids)
            known_usccs.append(uscc)
            written += len(rows)
            if progress is not None:
                progress(written)
    n_enterprises = written
    others = Enterprise.objects.filter(_in_region(region, "")).exclude(status=Enterprise.Status.ACTIVE)
    lookup = _UsccLookup(known_ids, known_usccs, others)

    projects_path = directory / "projects.parquet"
    applications = _population_applications(rulebook, region)
    if not include_awarded:
        applications = applications.exclude(status__in=_REWARD_RECEIVED)
    # kinds and money come as text: kinds are parsed once per distinct text (a few combinations
    # of three codes), money is cast to decimal(14, 2) by Arrow, exactly. The enterprise's USCC
    # is looked up in the enterprises just written (a join in SQL costs one random read per row).
    apps = (
        applications.order_by("pk")
        .annotate(
            kinds_text=Cast("kinds", TextField()),
            declared_text=Cast("declared_investment", TextField()),
            verified_text=Cast("verified_investment", TextField()),
        )
        .values_list(
            "number",
            "enterprise_id",
            "status",
            "accepted_on",
            "kinds_text",
            "in_pilot_plan",
            "declared_text",
            "verified_text",
        )
    )
    n_projects = 0
    past_acceptance = pa.array(sorted(str(s) for s in PAST_ACCEPTANCE))
    as_of_default = pa.scalar(today, pa.date32())
    with pq.ParquetWriter(projects_path, PROJECTS_SCHEMA) as writer:
        for rows in _fetched(apps, chunk_size):
            numbers, owners, statuses, accepted_on, kinds, plan, declared, verified = zip(*rows, strict=True)
            batch = [
                pa.array(numbers, pa.string()),
                lookup.usccs(np.array(owners, dtype=np.int64)),
                pc.fill_null(pa.array(accepted_on).cast(pa.date32()), as_of_default),
                _kinds(pa.array(kinds, pa.string())),
                _booleans(plan),
                pc.is_in(pa.array(statuses, pa.string()), value_set=past_acceptance),
                pc.cast(pa.array(declared, pa.string()), MONEY),
                pc.cast(pa.array(verified, pa.string()), MONEY),
            ]
            writer.write_batch(pa.RecordBatch.from_arrays(batch, schema=PROJECTS_SCHEMA))
            n_projects += len(rows)
            written += len(rows)
            if progress is not None:
                progress(written)
    return PopulationFiles(enterprises_path, projects_path, n_enterprises, n_projects)


def _fetched(qs: QuerySet[Any], size: int = 100_000) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of a ``values_list`` query, ``size`` at a time, as the database driver gives them
    (Django's per-value field converters skipped), through a server-side cursor where the
    database has one (as ``QuerySet.iterator`` streams)."""
    db = connections[qs.db]
    sql, params = qs.query.sql_with_params()
    streaming = db.features.can_use_chunked_reads and not db.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    with db.chunked_cursor() if streaming else db.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(size):
            yield rows


def _booleans(values: Sequence[Any]) -> pa.Array:
    return pa.array(values).cast(pa.bool_())  # booleans, or 0/1 from a driver without them


def _kinds(texts: pa.Array) -> pa.Array:
    """JSON lists of codes (text) as sorted ``list<string>``, each distinct text parsed once."""
    distinct = pc.unique(texts)
    parsed = [sorted(json.loads(t) or []) if t else [] for t in distinct.to_pylist()]
    return pa.array(parsed, CODES).take(pc.index_in(texts, value_set=distinct))


def _code_lists(ids: np.ndarray, pairs: Sequence[tuple[int, str]]) -> pa.Array:
    """For each of ``ids`` (ascending) the sorted distinct codes of the ``(id, code)`` pairs."""
    if not pairs:
        return pa.array([[]] * len(ids), CODES)
    owner, code = zip(*pairs, strict=True)
    table = pa.table({"id": pa.array(owner, pa.int64()), "code": pa.array(code, pa.string())})
    table = table.filter(pc.is_in(table.column("id"), value_set=pa.array(ids)))
    table = table.group_by(["id", "code"]).aggregate([]).sort_by([("id", "ascending"), ("code", "ascending")])
    starts = np.searchsorted(table.column("id").to_numpy(), ids, side="left")
    offsets = np.append(starts, table.num_rows).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), table.column("code").combine_chunks(), type=CODES)


class _UsccLookup:
    """Enterprise primary key → USCC for every enterprise a project may name: the snapshot's
    (active) enterprises and the region's others, by binary search over the sorted keys."""

    def __init__(self, ids: list[np.ndarray], usccs: list[pa.Array], others: QuerySet[Enterprise]):
        pairs = list(others.order_by().values_list("pk", "uscc"))
        ids.append(np.array([pk for pk, _ in pairs], dtype=np.int64))
        usccs.append(pa.array([u for _, u in pairs], pa.string()))
        every = np.concatenate(ids)
        order = np.argsort(every, kind="stable")
        self.ids, self.values = every[order], pa.concat_arrays(usccs).take(pa.array(order))

    def usccs(self, owners: np.ndarray) -> pa.Array:
        if not len(self.ids):
            return pa.nulls(len(owners), pa.string())
        at = np.minimum(np.searchsorted(self.ids, owners), len(self.ids) - 1)
        found = pa.array(self.ids[at] == owners)  # always, but for a row deleted meanwhile
        return pc.if_else(found, self.values.take(pa.array(at)), pa.scalar(None, pa.string()))


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
