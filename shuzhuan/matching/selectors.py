"""Reads of 政策找人 for the pages, the API and the CLI: runs, an enterprise's matches, per
policy the matched enterprises that have not applied (by town, within a region), a run's changes.

Every read of matches starts from the *current* run (the succeeded run with the highest version)
unless a run is given; a run that failed or is still running is never shown as current.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from shuzhuan.applications.models import ENDED, Application, PolicyBatch
from shuzhuan.enterprises.models import Enterprise, Region
from shuzhuan.matching.models import Match, MatchChange, MatchRun, MatchStatus, PushPreference
from shuzhuan.matching.services.push import apply_path, open_batch_for
from shuzhuan.policies.selectors import edition_rulebook
from shuzhuan.rules.model import Policy

STATUS_ORDER = {MatchStatus.ELIGIBLE: 0, MatchStatus.PROSPECT: 1, MatchStatus.NEAR_MISS: 2}


# --- runs --------------------------------------------------------------------------------------------


def match_run_current() -> MatchRun | None:
    """The succeeded run with the highest version, or None before the first."""
    return MatchRun.objects.filter(status=MatchRun.Status.SUCCEEDED).order_by("-version").first()


def match_run_list(*, limit: int = 20) -> QuerySet[MatchRun]:
    return MatchRun.objects.select_related("created_by", "previous").order_by("-version")[:limit]


def match_run_get(*, version: int) -> MatchRun | None:
    return MatchRun.objects.filter(version=version).first()


def match_run_active() -> MatchRun | None:
    """A run queued or under way (the page shows its progress instead of a start button)."""
    return (
        MatchRun.objects.filter(status__in=[MatchRun.Status.QUEUED, MatchRun.Status.RUNNING])
        .order_by("-version")
        .first()
    )


def _run_or_current(run: MatchRun | None) -> MatchRun | None:
    return run if run is not None else match_run_current()


def _policies() -> dict[str, Policy]:
    return {p.id: p for e in edition_rulebook().editions for p in e.policies}


def policy_title(policy_id: str) -> str:
    policy = _policies().get(policy_id)
    return policy.title if policy is not None else policy_id


# --- one enterprise -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseMatch:
    """One line of "为您匹配的政策"."""

    policy_id: str
    policy_title: str
    scope: str  # project | enterprise
    citation: str
    status: str  # eligible | prospect | near_miss
    status_label: str
    ceiling: Decimal | None
    project_id: str  # the application number of the project it is about; blank: the enterprise
    gap: Decimal | None
    gap_text: str
    auto_grant: bool  # 免申即享: no application needed
    batch: PolicyBatch | None  # the open batch that takes the policy (closing first), if any
    application_number: str  # the enterprise's open application under the policy, if any
    apply_path: str  # where to start an application in ``batch``; blank when there is none or
    # the enterprise already has an open application under the policy

    @property
    def can_apply(self) -> bool:
        return bool(self.apply_path)


def enterprise_matches(
    *, enterprise: Enterprise, run: MatchRun | None = None, today: dt.date | None = None
) -> list[EnterpriseMatch]:
    """The enterprise's matches in ``run`` (default: the current run): eligible, then prospects,
    then near misses, larger amounts first; each with the open batch that takes the policy and
    the enterprise's open application under it, if any."""
    run = _run_or_current(run)
    if run is None:
        return []
    policies = _policies()
    today = today or timezone.localdate()
    batches = [
        b
        for b in PolicyBatch.objects.select_related("region")
        .filter(status=PolicyBatch.Status.OPEN, opens_on__lte=today, closes_on__gte=today)
        .order_by("closes_on", "code")
    ]
    town_path = enterprise.town.path
    open_apps = dict(
        Application.objects.filter(enterprise=enterprise)
        .exclude(status__in=ENDED)
        .order_by("created_at")
        .values_list("policy_id", "number")
    )
    rows = []
    for m in Match.objects.filter(run=run, enterprise=enterprise):
        policy = policies.get(m.policy_id)
        if policy is None:  # an edition unpublished since the run
            continue
        batch = (
            None if policy.auto_grant else open_batch_for(batches, town_path=town_path, policy_id=m.policy_id)
        )
        number = open_apps.get(m.policy_id, "")
        rows.append(
            EnterpriseMatch(
                policy_id=m.policy_id,
                policy_title=policy.title,
                scope=policy.scope,
                citation=str(policy.citation),
                status=m.status,
                status_label=m.get_status_display(),
                ceiling=m.ceiling,
                project_id=m.project_id,
                gap=m.gap,
                gap_text=m.gap_text,
                auto_grant=policy.auto_grant,
                batch=batch,
                application_number=number,
                apply_path=apply_path(batch, m.policy_id) if batch is not None and not number else "",
            )
        )
    rows.sort(key=lambda r: (STATUS_ORDER.get(MatchStatus(r.status), 9), -(r.ceiling or 0), r.policy_id))
    return rows


def push_opted_out(enterprise: Enterprise) -> bool:
    return PushPreference.objects.filter(enterprise=enterprise, opted_out=True).exists()


# --- per policy: matched, not applied ---------------------------------------------------------------


def _region_q(region: Region | None, prefix: str = "enterprise__") -> Q:
    return Q() if region is None else Q(**{f"{prefix}town__path__startswith": region.path})


def policy_unapplied(
    *,
    policy_id: str,
    region: Region | None = None,
    run: MatchRun | None = None,
    statuses: Iterable[str] = (MatchStatus.ELIGIBLE, MatchStatus.PROSPECT, MatchStatus.NEAR_MISS),
    town: Region | None = None,
) -> QuerySet[Match]:
    """The matches of ``policy_id`` in ``run`` (default: current) whose enterprise has no open
    application under the policy (none at all, or only rejected, failed, withdrawn or closed
    ones), within ``region`` (an officer's scope) and ``town``; active enterprises only; ordered
    by town, then eligible before prospects before near misses, then name. The queryset selects
    the enterprise, its town and industry (for the page and the export)."""
    run = _run_or_current(run)
    if run is None:
        return Match.objects.none()
    applied = Application.objects.filter(
        enterprise_id=OuterRef("enterprise_id"), policy_id=policy_id
    ).exclude(status__in=ENDED)
    qs = (
        Match.objects.filter(
            _region_q(region),
            run=run,
            policy_id=policy_id,
            status__in=list(statuses),
            enterprise__status=Enterprise.Status.ACTIVE,
        )
        .filter(~Exists(applied))
        .select_related("enterprise__town", "enterprise__industry")
    )
    if town is not None:
        qs = qs.filter(enterprise__town=town)
    rank = Case(
        *(When(status=status, then=Value(n)) for status, n in STATUS_ORDER.items()),
        default=Value(9),
        output_field=IntegerField(),
    )
    return qs.annotate(rank=rank).order_by(
        "enterprise__town__sort_order", "enterprise__town__code", "rank", "enterprise__name", "enterprise_id"
    )


@dataclass(frozen=True)
class TownCount:
    town_code: str
    town_name: str
    eligible: int
    prospect: int
    near_miss: int

    @property
    def total(self) -> int:
        return self.eligible + self.prospect + self.near_miss


def policy_unapplied_by_town(
    *, policy_id: str, region: Region | None = None, run: MatchRun | None = None
) -> list[TownCount]:
    """``policy_unapplied`` counted per town and status, in the towns' order."""
    rows = (
        policy_unapplied(policy_id=policy_id, region=region, run=run)
        .order_by()
        .values("enterprise__town__code", "enterprise__town__name", "enterprise__town__sort_order", "status")
        .annotate(n=Count("pk"))
    )
    counts: dict[str, dict[str, int]] = {}
    names: dict[str, tuple[int, str]] = {}
    for r in rows:
        code = r["enterprise__town__code"]
        names[code] = (r["enterprise__town__sort_order"], r["enterprise__town__name"])
        counts.setdefault(code, {})[r["status"]] = r["n"]
    return [
        TownCount(
            town_code=code,
            town_name=names[code][1],
            eligible=counts[code].get(MatchStatus.ELIGIBLE, 0),
            prospect=counts[code].get(MatchStatus.PROSPECT, 0),
            near_miss=counts[code].get(MatchStatus.NEAR_MISS, 0),
        )
        for code in sorted(counts, key=lambda c: (names[c][0], c))
    ]


@dataclass(frozen=True)
class PolicySummary:
    policy_id: str
    policy_title: str
    scope: str
    auto_grant: bool
    eligible: int
    prospect: int
    near_miss: int
    unapplied: int  # of those, enterprises with no open application under the policy


def policy_summaries(*, region: Region | None = None, run: MatchRun | None = None) -> list[PolicySummary]:
    """Per policy of the run: matches per status within ``region`` and how many have not applied."""
    run = _run_or_current(run)
    if run is None:
        return []
    policies = _policies()
    base = Match.objects.filter(_region_q(region), run=run, enterprise__status=Enterprise.Status.ACTIVE)
    counts: dict[str, dict[str, int]] = {}
    for r in base.order_by().values("policy_id", "status").annotate(n=Count("pk")):
        counts.setdefault(r["policy_id"], {})[r["status"]] = r["n"]
    result = []
    for policy_id in sorted(
        counts, key=lambda pid: (list(policies).index(pid) if pid in policies else 999, pid)
    ):
        policy = policies.get(policy_id)
        c = counts[policy_id]
        result.append(
            PolicySummary(
                policy_id=policy_id,
                policy_title=policy.title if policy else policy_id,
                scope=policy.scope if policy else "",
                auto_grant=bool(policy and policy.auto_grant),
                eligible=c.get(MatchStatus.ELIGIBLE, 0),
                prospect=c.get(MatchStatus.PROSPECT, 0),
                near_miss=c.get(MatchStatus.NEAR_MISS, 0),
                unapplied=policy_unapplied(policy_id=policy_id, region=region, run=run).count(),
            )
        )
    return result


# --- what changed ------------------------------------------------------------------------------------


def match_changes(
    *, run: MatchRun | None = None, kind: str | None = None, region: Region | None = None
) -> QuerySet[MatchChange]:
    """The run's (default: current) new, changed and gone matches, within ``region``."""
    run = _run_or_current(run)
    if run is None:
        return MatchChange.objects.none()
    qs = MatchChange.objects.filter(_region_q(region), run=run).select_related("enterprise__town")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "enterprise__town__sort_order", "enterprise__name", "policy_id")


# --- for the pages (shuzhuan.web.views_matching) ------------------------------------------------------


def policy_get(policy_id: str) -> Policy | None:
    """A policy of the published editions by id (title, citation, scope, auto-grant), or None."""
    return _policies().get(policy_id)


def policy_titles() -> dict[str, str]:
    """Every published policy's title by id."""
    return {pid: p.title for pid, p in _policies().items()}


def match_run_for_task(task_id: uuid.UUID) -> MatchRun | None:
    """The run a background task executes."""
    return MatchRun.objects.filter(task_id=task_id).first()


@dataclass(frozen=True)
class RunFigures:
    """A run's matches per status and changes per kind, within a region. A status count is None
    when it cannot be given: a region smaller than the run's population whose run no longer keeps
    its matches (older than ``SHUZHUAN_MATCH_KEEP_RUNS``); changes are always kept."""

    eligible: int | None
    prospect: int | None
    near_miss: int | None
    new: int
    changed: int
    gone: int
    scoped: bool  # counted within a region that leaves out some towns

    @property
    def total(self) -> int | None:
        if self.eligible is None or self.prospect is None or self.near_miss is None:
            return None
        return self.eligible + self.prospect + self.near_miss


def match_run_figures(*, run: MatchRun, region: Region | None = None) -> RunFigures:
    """``run``'s figures as a user scoped to ``region`` may see them: the run's own totals when the
    region holds every town (the bureau of a one-county install), else counted from its rows."""
    whole = (
        region is None
        or not Region.objects.filter(level=Region.Level.TOWN).exclude(path__startswith=region.path).exists()
    )
    if whole:
        counts = run.counts or {}
        return RunFigures(
            eligible=counts.get(MatchStatus.ELIGIBLE, 0 if counts else None),
            prospect=counts.get(MatchStatus.PROSPECT, 0 if counts else None),
            near_miss=counts.get(MatchStatus.NEAR_MISS, 0 if counts else None),
            new=run.new_count,
            changed=run.changed_count,
            gone=run.gone_count,
            scoped=False,
        )
    kinds = dict(
        MatchChange.objects.filter(_region_q(region), run=run)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    kept = run.status == MatchRun.Status.SUCCEEDED and Match.objects.filter(run=run).exists()
    statuses: dict[str, int] = {}
    if kept:
        statuses = dict(
            Match.objects.filter(_region_q(region), run=run)
            .order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
    return RunFigures(
        eligible=statuses.get(MatchStatus.ELIGIBLE, 0) if kept else None,
        prospect=statuses.get(MatchStatus.PROSPECT, 0) if kept else None,
        near_miss=statuses.get(MatchStatus.NEAR_MISS, 0) if kept else None,
        new=kinds.get(MatchChange.Kind.NEW, 0),
        changed=kinds.get(MatchChange.Kind.CHANGED, 0),
        gone=kinds.get(MatchChange.Kind.GONE, 0),
        scoped=True,
    )
