"""Push (精准推送): the current run's matches become inbox notices (and go to the SMS/WeChat
adapter after commit), never the same match twice.

What is pushed — decided:

* **eligible** and **prospect** matches: "you qualify" and "you could apply with a project";
* not **near misses**: a notice that says "you almost qualify" is guidance, not news, and would
  double the volume; the enterprise sees them with the gap in words on its matches page;
* not auto-grant (免申即享) policies: ``match_auto_grant`` sends its own notice when it creates
  the award;
* not a policy the enterprise already has an open application under (it knows).

A ``PushRecord`` (unique per enterprise, policy and status) is written with each notice in one
savepoint, so pushing twice after one run sends nothing the second time, and two pushes at
once cannot both send. An opted-out enterprise receives none (nothing is recorded: should it
opt in again, the next push brings what is still matched). Each enterprise receives at most
``SHUZHUAN_PUSH_DAILY_CAP`` pushed notices per day (eligible first, then by amount); the rest
wait for the next push.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from shuzhuan.accounts.models import Role, User
from shuzhuan.applications.models import ENDED, Application, PolicyBatch
from shuzhuan.applications.notify import notice_send
from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.matching.models import Match, MatchRun, MatchStatus, PushPreference, PushRecord
from shuzhuan.policies.selectors import edition_rulebook
from shuzhuan.rules.model import Policy

PUSHED_STATUSES = (MatchStatus.ELIGIBLE, MatchStatus.PROSPECT)
ENTERPRISES_PER_TRANSACTION = 500


@dataclass
class PushReport:
    run: int  # the run's version
    sent: int = 0  # notices written
    enterprises: int = 0  # enterprises that received at least one
    waiting: int = 0  # held back by the daily cap, for the next push
    opted_out: int = 0  # matches of opted-out enterprises, not pushed

    def as_dict(self) -> dict[str, int]:
        return {
            "run": self.run,
            "sent": self.sent,
            "enterprises": self.enterprises,
            "waiting": self.waiting,
            "opted_out": self.opted_out,
        }


def _require_officer(user: User | None, what: str) -> None:
    if user is not None and (not user.is_active or user.role != Role.BUREAU_OFFICER):
        raise ApplicationError(f"您无权{what}", field="user")


def current_run_required(run: MatchRun | None) -> MatchRun:
    """``run`` if it is the current run (the succeeded one with the highest version); the current
    run when ``run`` is None. Refused otherwise: pushing or granting from an older run would act
    on facts a newer run has replaced."""
    current = MatchRun.objects.filter(status=MatchRun.Status.SUCCEEDED).order_by("-version").first()
    if current is None:
        raise ApplicationError("尚无成功的政策匹配，请先运行匹配", field="run")
    if run is not None and run.pk != current.pk:
        raise ApplicationError(
            f"第 {run.version} 次匹配不是最新一次成功的匹配（第 {current.version} 次）", field="run"
        )
    return current


def _policies() -> dict[str, Policy]:
    return {p.id: p for e in edition_rulebook().editions for p in e.policies}


def _open_batches(today: dt.date) -> list[PolicyBatch]:
    return list(
        PolicyBatch.objects.select_related("region")
        .filter(status=PolicyBatch.Status.OPEN, opens_on__lte=today, closes_on__gte=today)
        .order_by("closes_on", "code")
    )


def open_batch_for(batches: list[PolicyBatch], *, town_path: str, policy_id: str) -> PolicyBatch | None:
    """The open batch (closing first) that takes ``policy_id`` from an enterprise of the town."""
    for batch in batches:
        if policy_id in batch.policy_ids and town_path.startswith(batch.region.path):
            return batch
    return None


def apply_path(batch: PolicyBatch, policy_id: str) -> str:
    """Where an enterprise starts an application under ``policy_id`` in ``batch``."""
    try:
        return reverse("web:application_create", args=[batch.code, policy_id])
    except NoReverseMatch:  # an install without the web pages
        return ""


def _text(
    policy: Policy, status: str, ceiling: Decimal | None, project_id: str, batch: PolicyBatch | None
) -> tuple[str, str]:
    amount = f"，预计补助上限 {ceiling:,.2f} 元" if ceiling is not None else ""
    if status == MatchStatus.ELIGIBLE:
        title = f"政策匹配：您符合“{policy.title}”"
        what = f"贵企业的项目（{project_id}）" if project_id else "贵企业"
        body = f"经系统比对，{what}符合“{policy.title}”的条件{amount}。"
    else:
        title = f"政策匹配：您可申报“{policy.title}”"
        most = f"，补助最高 {ceiling:,.2f} 元" if ceiling is not None else ""
        body = f"经系统比对，贵企业符合“{policy.title}”的主体条件，实施符合条件的项目后可以申报{most}。"
    body += f"政策依据：{policy.citation}。"
    if batch is not None:
        body += f"现可在“{batch.name}”中申报，截止 {batch.closes_on:%Y年%m月%d日}。"
    else:
        body += "申报批次开放后即可申报。"
    return title, body


@dataclass(frozen=True)
class _Candidate:
    enterprise_id: int
    policy_id: str
    status: str
    ceiling: Decimal | None
    project_id: str
    town_path: str


def _candidates(run: MatchRun, policies: dict[str, Policy]) -> Iterator[list[_Candidate]]:
    """The run's pushable matches not pushed yet, grouped per enterprise, best first."""
    auto = [pid for pid, p in policies.items() if p.auto_grant]
    already = PushRecord.objects.filter(
        enterprise_id=OuterRef("enterprise_id"), policy_id=OuterRef("policy_id"), status=OuterRef("status")
    )
    applied = Application.objects.filter(
        enterprise_id=OuterRef("enterprise_id"), policy_id=OuterRef("policy_id")
    ).exclude(status__in=ENDED)
    opted_out = PushPreference.objects.filter(enterprise_id=OuterRef("enterprise_id"), opted_out=True)
    rows = (
        Match.objects.filter(run=run, status__in=PUSHED_STATUSES, enterprise__status=Enterprise.Status.ACTIVE)
        .exclude(policy_id__in=auto)
        .filter(~Exists(already), ~Exists(applied), ~Exists(opted_out))
        .annotate(
            rank=Case(
                When(status=MatchStatus.ELIGIBLE, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("enterprise_id", "rank", F("ceiling").desc(nulls_last=True), "policy_id")
        .values_list(
            "enterprise_id", "policy_id", "status", "ceiling", "project_id", "enterprise__town__path"
        )
        .iterator(chunk_size=5_000)
    )
    group: list[_Candidate] = []
    for row in rows:
        c = _Candidate(*row)
        if c.policy_id not in policies:
            continue
        if group and group[0].enterprise_id != c.enterprise_id:
            yield group
            group = []
        group.append(c)
    if group:
        yield group


def _chunks(groups: Iterator[list[_Candidate]], size: int) -> Iterator[list[list[_Candidate]]]:
    chunk: list[list[_Candidate]] = []
    for g in groups:
        chunk.append(g)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def match_push(
    *, acting_user: User | None, run: MatchRun | None = None, now: dt.datetime | None = None
) -> PushReport:
    """Push the current run's new matches (see the module docstring). ``now`` (tests): the time
    the daily cap counts from."""
    _require_officer(acting_user, "推送政策")
    run = current_run_required(run)
    now = now or timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    cap = max(0, int(getattr(settings, "SHUZHUAN_PUSH_DAILY_CAP", 3)))
    policies = _policies()
    batches = _open_batches(timezone.localdate(now))
    report = PushReport(run=run.version)
    report.opted_out = Match.objects.filter(
        run=run,
        status__in=PUSHED_STATUSES,
        enterprise__push_preference__opted_out=True,
    ).count()
    for chunk in _chunks(_candidates(run, policies), ENTERPRISES_PER_TRANSACTION):
        ids = [g[0].enterprise_id for g in chunk]
        sent_today: dict[int, int] = defaultdict(int)
        for row in (
            PushRecord.objects.filter(enterprise_id__in=ids, sent_at__gte=day_start)
            .values("enterprise_id")
            .annotate(n=Count("pk"))
        ):
            sent_today[row["enterprise_id"]] = row["n"]
        with transaction.atomic():
            sent = 0
            receivers = 0
            for group in chunk:
                room = max(0, cap - sent_today[group[0].enterprise_id])
                mine = 0
                for c in group:
                    if mine >= room:
                        report.waiting += 1
                        continue
                    if _push_one(c, policies[c.policy_id], run=run, now=now, batches=batches):
                        mine += 1
                sent += mine
                receivers += 1 if mine else 0
            if sent:
                audit_record(
                    actor=acting_user,
                    action="match.push",
                    object_type="match_run",
                    object_id=run.version,
                    payload={"notices": sent, "enterprises": receivers, "daily_cap": cap},
                )
        report.sent += sent
        report.enterprises += receivers
    return report


def _push_one(
    c: _Candidate, policy: Policy, *, run: MatchRun, now: dt.datetime, batches: list[PolicyBatch]
) -> bool:
    batch = open_batch_for(batches, town_path=c.town_path, policy_id=c.policy_id)
    title, body = _text(policy, c.status, c.ceiling, c.project_id, batch)
    try:
        with transaction.atomic():
            notice = notice_send(
                enterprise_id=c.enterprise_id,
                title=title,
                body=body,
                link=apply_path(batch, c.policy_id) if batch is not None else "",
            )
            PushRecord.objects.create(
                enterprise_id=c.enterprise_id,
                policy_id=c.policy_id,
                status=c.status,
                first_run=run,
                notice=notice,
                sent_at=now,
            )
    except IntegrityError:  # pushed meanwhile by a concurrent push: nothing more to send
        return False
    return True


# --- preferences ---------------------------------------------------------------------------------


def push_preference_set(
    *, acting_user: User | None, enterprise: Enterprise, opted_out: bool
) -> PushPreference:
    """An enterprise opts out of (or back into) pushed notices: its own user, or an officer whose
    region holds it (on the enterprise's request)."""
    if acting_user is not None:
        allowed = acting_user.is_active and (
            (acting_user.role == Role.ENTERPRISE and acting_user.enterprise_id == enterprise.pk)
            or (
                acting_user.role in (Role.BUREAU_OFFICER, Role.TOWN_OFFICER)
                and acting_user.region is not None
                and enterprise.town.path.startswith(acting_user.region.path)
            )
        )
        if not allowed:
            raise ApplicationError("您无权修改该企业的推送设置", field="user")
    with transaction.atomic():
        pref, _ = PushPreference.objects.select_for_update().get_or_create(enterprise=enterprise)
        before = pref.opted_out
        pref.opted_out = bool(opted_out)
        pref.updated_by = acting_user
        pref.save()
        if before != pref.opted_out:
            audit_record(
                actor=acting_user,
                action="match.push_preference",
                object_type="enterprise",
                object_id=enterprise.uscc,
                payload={"opted_out": pref.opted_out},
            )
    return pref


def push_preference_opted_out(enterprise: Enterprise | int) -> bool:
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    return PushPreference.objects.filter(enterprise_id=pk, opted_out=True).exists()


__all__: list[Any] = [
    "PUSHED_STATUSES",
    "PushReport",
    "apply_path",
    "current_run_required",
    "match_push",
    "open_batch_for",
    "push_preference_opted_out",
    "push_preference_set",
]
