"""免申即享: awards decided from the data, with no application by the enterprise.

For each eligible match of an auto-grant policy (``auto_grant: true`` in its YAML; enterprise
scope only) in the current run, ``match_auto_grant`` creates — once per enterprise and reward
group — an application of origin ``auto_grant`` directly in ACCEPTED with the engine's ceiling,
in the batch "免申即享 {year}" of the policy's edition and the run's year (created on first use,
closed to applications, funding split from the edition). It writes a ``StatusChange``
("" → accepted, action ``auto_grant``) with the reason, an audit entry and the enterprise's
notice, all in one transaction per grant. From there the award is any award: an officer
approves the amount (``funds.services.award_approve``, which also refuses a second one-time
reward), then public notice and disbursement.

Skipped: an enterprise that already has an application in the reward group that is not
rejected, failed or withdrawn (an earlier grant waiting for approval, an application of its
own, or a reward received), and enterprises no longer active.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from shuzhuan.accounts.models import Role, User
from shuzhuan.applications.models import Application, PolicyBatch, Status, StatusChange
from shuzhuan.applications.notify import notice_send
from shuzhuan.applications.services import batch_create, batch_set_status
from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Enterprise, Region
from shuzhuan.matching.models import Match, MatchRun, MatchStatus
from shuzhuan.matching.services.push import current_run_required
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.selectors import edition_rulebook
from shuzhuan.rules.model import Edition, Policy

# An application in these states no longer stands in the way of a grant (it ended without money).
_NOT_BLOCKING = [Status.REJECTED, Status.FAILED, Status.WITHDRAWN]


@dataclass
class AutoGrantReport:
    run: int
    granted: list[str] = field(default_factory=list)  # application numbers
    already: int = 0  # enterprise and reward group already have an application or a reward
    inactive: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "run": self.run,
            "granted": len(self.granted),
            "applications": list(self.granted),
            "already": self.already,
            "inactive": self.inactive,
        }


def _require_officer(user: User | None, what: str) -> None:
    if user is not None and (not user.is_active or user.role != Role.BUREAU_OFFICER):
        raise ApplicationError(f"您无权{what}", field="user")


def auto_grant_batch_code(edition_id: str, year: int) -> str:
    return f"auto-grant-{edition_id}-{year}"


def _root_region() -> Region:
    root = Region.objects.filter(parent__isnull=True).order_by("sort_order", "code").first()
    if root is None:
        raise ApplicationError("尚未建立行政区划", field="region")
    return root


def _batch_for(*, acting_user: User | None, edition: Edition, year: int) -> PolicyBatch:
    """The auto-grant batch of ``edition`` and ``year``, created (closed) on first use."""
    code = auto_grant_batch_code(edition.id, year)
    found = PolicyBatch.objects.filter(code=code).first()
    if found is not None:
        return found
    stored = PolicyEdition.objects.get(edition_id=edition.id)
    try:
        batch = batch_create(
            acting_user=acting_user,
            code=code,
            name=f"免申即享 {year}",
            edition=stored,
            policy_ids=[p.id for p in edition.policies if p.auto_grant],
            year=year,
            opens_on=dt.date(year, 1, 1),
            closes_on=dt.date(year, 12, 31),
            region=_root_region(),
            funding_split={k: str(v) for k, v in edition.funding_split.items()},
            required_materials=[],
        )
    except ApplicationError:
        found = PolicyBatch.objects.filter(code=code).first()
        if found is None:
            raise
        return found  # created meanwhile by a concurrent grant
    # closed: nobody applies to it; its applications are created by the grants
    return batch_set_status(acting_user=acting_user, batch=batch, status=PolicyBatch.Status.CLOSED)


def match_auto_grant(*, acting_user: User | None, run: MatchRun | None = None) -> AutoGrantReport:
    """Create the auto-grant awards of the current run (see the module docstring)."""
    _require_officer(acting_user, "办理免申即享")
    run = current_run_required(run)
    book = edition_rulebook()
    auto: dict[str, tuple[Edition, Policy]] = {
        p.id: (e, p) for e in book.editions for p in e.policies if p.auto_grant
    }
    report = AutoGrantReport(run=run.version)
    if not auto:
        return report
    # every policy of a reward group, across editions (a reward paid under 2024 counts in 2025)
    group_policies: dict[str, list[str]] = {}
    for e in book.editions:
        for p in e.policies:
            group_policies.setdefault(p.reward_group, []).append(p.id)
    matches = (
        Match.objects.filter(run=run, status=MatchStatus.ELIGIBLE, policy_id__in=list(auto))
        .order_by("enterprise_id", "policy_id")
        .values_list("enterprise_id", "policy_id", "ceiling")
    )
    seen: set[tuple[int, str]] = set()
    for enterprise_id, policy_id, ceiling in matches.iterator(chunk_size=2_000):
        edition, policy = auto[policy_id]
        key = (enterprise_id, policy.reward_group)
        if key in seen or ceiling is None:
            continue
        seen.add(key)
        outcome = _grant_one(
            acting_user=acting_user,
            run=run,
            enterprise_id=enterprise_id,
            edition=edition,
            policy=policy,
            ceiling=ceiling,
            group=group_policies[policy.reward_group],
        )
        if outcome == "inactive":
            report.inactive += 1
        elif outcome == "already":
            report.already += 1
        else:
            report.granted.append(outcome)
    return report


def _grant_one(
    *,
    acting_user: User | None,
    run: MatchRun,
    enterprise_id: int,
    edition: Edition,
    policy: Policy,
    ceiling: Decimal,
    group: list[str],
) -> str:
    """One grant in one transaction: the application number, or why not ("already", "inactive")."""
    batch = _batch_for(acting_user=acting_user, edition=edition, year=run.on.year)
    reason = (
        f"免申即享：第 {run.version} 次政策匹配（{run.on:%Y-%m-%d}）认定符合“{policy.title}”条件，"
        f"依据 {policy.citation}"
    )
    try:
        with transaction.atomic():
            # The enterprise row lock serialises this with award_approve's check of one-time rewards.
            enterprise = (
                Enterprise.objects.select_for_update(of=("self",))
                .select_related("town")
                .filter(pk=enterprise_id)
                .first()
            )
            if enterprise is None or enterprise.status != Enterprise.Status.ACTIVE:
                return "inactive"
            if (
                Application.objects.filter(enterprise_id=enterprise_id, policy_id__in=group)
                .exclude(status__in=_NOT_BLOCKING)
                .exists()
            ):
                return "already"
            now = timezone.now()
            app = Application.objects.create(
                batch=batch,
                policy_id=policy.id,
                enterprise=enterprise,
                status=Status.ACCEPTED,
                origin=Application.Origin.AUTO_GRANT,
                number=f"tmp-{uuid.uuid4().hex[:24]}",
                project_name=policy.title,
                project_summary=reason,
                kinds=[],
                declared_investment=Decimal("0.00"),
                ceiling=ceiling,
                ceiling_edition=edition.id,
                submitted_at=now,
                created_by=acting_user,
            )
            app.number = f"SB{batch.year}{app.pk:06d}"
            app.save(update_fields=["number"])
            StatusChange.objects.create(
                application=app,
                from_status="",
                to_status=Status.ACCEPTED,
                action="auto_grant",
                actor=acting_user,
                reason=reason,
                at=now,
            )
            audit_record(
                actor=acting_user,
                action="application.auto_grant",
                object_type="application",
                object_id=app.number,
                reason=reason,
                payload={
                    "run": run.version,
                    "policy": policy.id,
                    "enterprise": enterprise.uscc,
                    "batch": batch.code,
                    "ceiling": str(ceiling),
                },
            )
            try:
                link = reverse("web:application_detail", args=[app.number])
            except NoReverseMatch:
                link = ""
            notice_send(
                enterprise_id=enterprise_id,
                application_id=app.pk,
                title=f"免申即享：{policy.title}",
                body=(
                    f"经系统比对，贵企业符合“{policy.title}”的条件（{policy.citation}），无需申报，"
                    f"已自动受理（编号 {app.number}），奖励上限 {ceiling:,.2f} 元。"
                    "经信局核定金额并公示后兑现。"
                ),
                link=link,
            )
            return app.number
    except IntegrityError:  # a concurrent grant of the same batch and policy won
        return "already"
