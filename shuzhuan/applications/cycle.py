"""Approval-cycle figures: how long applications spend in each stage, per batch — the figure the
bureau needs to show it "shortened the approval cycle" (缩短审批周期).

Time in a stage is the time an application spends in the stage's statuses, summed over every
visit (an application returned for correction and resubmitted visits 预审 twice), measured from
its ``StatusChange`` rows in days. A stage's figures cover the applications that have left it.
Two end-to-end figures:

- 审批用时 (``government``): the time in every status where the application waits on the
  government — pre-review, formal review, expert review, acceptance, amount approval and
  payment — but not the enterprise's own time (correcting a returned form, implementing the
  project) nor the fixed public-notice period; over closed applications.
- 全流程 (``end_to_end``): from first submission to closing; over closed applications.

Medians and 90th percentiles use the nearest-rank method on the observed values.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shuzhuan.applications.models import Application, PolicyBatch, Status, StatusChange
from shuzhuan.enterprises.models import Region

STAGES: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("town_review", "镇街预审", frozenset({Status.SUBMITTED})),
    ("formal_review", "形式审查", frozenset({Status.FORMAL_REVIEW})),
    ("expert_review", "专家评审", frozenset({Status.EXPERT_REVIEW})),
    ("acceptance", "验收", frozenset({Status.ACCEPTANCE_REQUESTED})),
    ("approval", "金额核定", frozenset({Status.ACCEPTED})),
    ("notice", "公示", frozenset({Status.APPROVED, Status.PUBLIC_NOTICE})),
    ("disbursement", "兑现", frozenset({Status.DISBURSING})),
)
GOVERNMENT = frozenset(
    {
        Status.SUBMITTED,
        Status.FORMAL_REVIEW,
        Status.EXPERT_REVIEW,
        Status.ACCEPTANCE_REQUESTED,
        Status.ACCEPTED,
        Status.APPROVED,
        Status.DISBURSING,
    }
)
DAY = Decimal("0.1")


@dataclass(frozen=True)
class StageFigure:
    code: str
    label: str
    count: int  # applications that have left the stage
    median_days: Decimal | None
    p90_days: Decimal | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: days as strings ("12.5"), None when no application has left the stage."""
        return {
            "code": self.code,
            "label": self.label,
            "count": self.count,
            "median_days": None if self.median_days is None else str(self.median_days),
            "p90_days": None if self.p90_days is None else str(self.p90_days),
        }


@dataclass(frozen=True)
class CycleReport:
    batch: PolicyBatch
    stages: tuple[StageFigure, ...]
    government: StageFigure
    end_to_end: StageFigure

    @property
    def totals(self) -> tuple[StageFigure, StageFigure]:
        return (self.government, self.end_to_end)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch.code,
            "stages": [s.as_dict() for s in self.stages],
            "government": self.government.as_dict(),
            "end_to_end": self.end_to_end.as_dict(),
        }


def _days(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 86400


def nearest_rank(values: list[float], q: float) -> Decimal | None:
    """The q-quantile (0 < q ≤ 1) by the nearest-rank method, to 0.1 day."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return Decimal(repr(ordered[rank - 1])).quantize(DAY, rounding=ROUND_HALF_UP)


def _figure(code: str, label: str, values: list[float]) -> StageFigure:
    return StageFigure(code, label, len(values), nearest_rank(values, 0.5), nearest_rank(values, 0.9))


def approval_cycle(*, batch: PolicyBatch, region: Region | None = None) -> CycleReport:
    """The batch's figures; with ``region``, over the applications of enterprises within its
    subtree only (an officer's scope)."""
    apps = Application.objects.filter(batch=batch)
    if region is not None:
        apps = apps.filter(enterprise__town__path__startswith=region.path)
    changes: dict[int, list[tuple[dt.datetime, str, str]]] = defaultdict(list)
    for app_id, at, from_status, to_status in (
        StatusChange.objects.filter(application__in=apps)
        .order_by("application_id", "at", "pk")
        .values_list("application_id", "at", "from_status", "to_status")
    ):
        changes[app_id].append((at, from_status, to_status))
    per_stage: dict[str, list[float]] = defaultdict(list)
    government: list[float] = []
    end_to_end: list[float] = []
    statuses = dict(apps.values_list("pk", "status"))
    for app_id, rows in changes.items():
        spent: dict[str, float] = defaultdict(float)
        left: set[str] = set()
        for (at, _, status), (next_at, _, _) in itertools.pairwise(rows):
            spent[status] += _days(next_at - at)
            left.add(status)
        current = rows[-1][2]
        for code, _, members in STAGES:
            # left it, and not in it now (公示 spans two statuses; a returned form comes back)
            if left & members and current not in members:
                per_stage[code].append(sum(spent[s] for s in members))
        if statuses.get(app_id) == Status.CLOSED:
            government.append(sum(v for s, v in spent.items() if s in GOVERNMENT))
            first_submit = next((at for at, _, to in rows if to == Status.SUBMITTED), None)
            if first_submit is not None:
                end_to_end.append(_days(rows[-1][0] - first_submit))
    return CycleReport(
        batch=batch,
        stages=tuple(_figure(code, label, per_stage[code]) for code, label, _ in STAGES),
        government=_figure("government", "审批用时（不含企业实施与公示）", government),
        end_to_end=_figure("end_to_end", "全流程（提交至办结）", end_to_end),
    )
