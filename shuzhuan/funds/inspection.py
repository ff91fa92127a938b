"""资金使用情况自查: a report over applications, awards and the ledger that flags what the
services should never have let through — and what was written around them (a hand edit in the
database, an import, a bug). It reads only; every finding names the application, and the
funding level where one applies.

What is checked, and what counts:

``duplicate_invoice``
    One invoice number (spaces removed, upper case) on two or more applications that claim
    money: submitted and not withdrawn, rejected or failed. Drafts do not count yet.
``above_ceiling``
    An award, or the approved amount, above the application's ceiling (or with no ceiling).
``award_mismatch``
    The award's amount differs from the approved amount, or its level shares do not sum to it.
``paid_above_approved`` / ``paid_above_share``
    Net payments (payments − reversals) on an award above its amount; on a share above the
    share. A share paid, reversed and paid again counts once.
``closed_unpaid``
    An application closed (办结) with a share not paid in full (net of reversals): a reversal
    reopens disbursement, so only a write around the services leaves this.
``enterprise_inactive`` / ``enterprise_missing``
    An award that stands (approved, in notice, disbursing or closed) to an enterprise whose
    registry status is deregistered, revoked or moved out — or that is not in the registry at
    all (its row gone from under the application).
``reward_paid_twice``
    A one-time reward (a policy with ``once_per_enterprise``, grouped by ``reward_group``) paid
    to one enterprise under more than one application.
``stacking``
    The edition's stacking rule broken. For ``highest_project_policy`` (就高不重复): one
    project takes at most one project-scope policy. *The same project* is defined as the same
    enterprise, the same normalised project name (Unicode NFKC, case-folded, letters and
    digits only — spaces and punctuation dropped) and the same batch year. Every approved
    application of such a group but the highest is flagged.
``budget_overcommitted`` / ``budget_overpaid``
    A budget whose commitments exceed its allocations, or whose payments do.

``year`` narrows the report to one batch / award / budget year (an invoice is still compared
with the invoices of every year).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from shuzhuan.applications.models import Application, Invoice, Status
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.funds.models import Award, LedgerEntry
from shuzhuan.funds.selectors import budget_balances
from shuzhuan.funds.shares import LEVEL_LABELS
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.selectors import edition_built, edition_rulebook
from shuzhuan.rules.model import Edition

ZERO = Decimal("0.00")
K = LedgerEntry.Kind
# An award stands in these statuses (revoked ones are rejected).
FUNDED = (Status.APPROVED, Status.PUBLIC_NOTICE, Status.DISBURSING, Status.CLOSED)
# Applications that do not (or no longer) claim money.
NOT_CLAIMING = (Status.DRAFT, Status.WITHDRAWN, Status.REJECTED, Status.FAILED)


@dataclass(frozen=True)
class Finding:
    code: str
    message: str  # Chinese, fit to hand to the auditor
    application: str = ""  # the application number
    level: str = ""  # the funding level, where one applies
    enterprise: str = ""  # the USCC, where known

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def project_key(name: str) -> str:
    """The normalised project name used to tell "the same project" (see the module docstring)."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _invoice_key(number: str) -> str:
    return "".join((number or "").split()).upper()


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f} 元"


def _duplicate_invoices(year: int | None) -> list[Finding]:
    rows = (
        Invoice.objects.exclude(application__status__in=NOT_CLAIMING)
        .values_list(
            "number", "application__number", "application__batch__year", "application__enterprise_id"
        )
        .order_by("application__number")
    )
    used: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for number, app_number, app_year, enterprise_id in rows:
        used[_invoice_key(number)].append((app_number, app_year, enterprise_id))
    uscc = _usccs({e for apps in used.values() if len(apps) > 1 for _, _, e in apps})
    findings = []
    for number, apps in sorted(used.items()):
        numbers = sorted({a for a, _, _ in apps})
        if len(numbers) < 2:
            continue
        for app_number, app_year, enterprise_id in apps:
            if year is not None and app_year != year:
                continue
            others = "、".join(n for n in numbers if n != app_number)
            findings.append(
                Finding(
                    "duplicate_invoice",
                    f"发票 {number} 同时用于申报 {app_number} 和 {others}",
                    application=app_number,
                    enterprise=uscc.get(enterprise_id, ""),
                )
            )
    return findings


def _usccs(enterprise_ids: set[int]) -> dict[int, str]:
    return dict(Enterprise.objects.filter(pk__in=enterprise_ids).values_list("pk", "uscc"))


def _paid_by_share() -> dict[int, Decimal]:
    rows = (
        LedgerEntry.objects.filter(share__isnull=False, kind__in=[K.PAYMENT, K.REVERSAL])
        .values("share_id", "kind", "reverses__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        if row["kind"] == K.PAYMENT:
            paid[row["share_id"]] += row["total"] or ZERO
        elif row["reverses__kind"] == K.PAYMENT:
            paid[row["share_id"]] -= row["total"] or ZERO
    return paid


def _awards(year: int | None) -> list[Finding]:
    """above_ceiling, award_mismatch, paid_above_*, enterprise_inactive / _missing."""
    awards = Award.objects.select_related("application").prefetch_related("shares").order_by("pk")
    if year is not None:
        awards = awards.filter(year=year)
    awards_list = list(awards)
    paid_by_share = _paid_by_share()
    enterprise_ids = {a.application.enterprise_id for a in awards_list}
    enterprises = {e.pk: e for e in Enterprise.objects.filter(pk__in=enterprise_ids)}
    findings: list[Finding] = []
    for award in awards_list:
        app = award.application
        enterprise = enterprises.get(app.enterprise_id)
        uscc = enterprise.uscc if enterprise else ""

        def add(
            code: str, message: str, level: str = "", *, _app: Application = app, _uscc: str = uscc
        ) -> None:
            findings.append(Finding(code, message, application=_app.number, level=level, enterprise=_uscc))

        if app.ceiling is None:
            add("above_ceiling", f"申报 {app.number} 没有补助上限却核定了 {_yuan(award.amount)}")
        else:
            over = max(award.amount, app.approved_amount or ZERO)
            if over > app.ceiling:
                add(
                    "above_ceiling",
                    f"申报 {app.number} 核定 {_yuan(over)}，超过补助上限 {_yuan(app.ceiling)}",
                )
        if app.approved_amount is not None and app.approved_amount != award.amount:
            add(
                "award_mismatch",
                f"申报 {app.number} 核定金额 {_yuan(app.approved_amount)}，补助记录却为 {_yuan(award.amount)}",
            )
        shares = list(award.shares.all())
        if shares and sum((s.amount for s in shares), ZERO) != award.amount:
            add(
                "award_mismatch",
                f"申报 {app.number} 三级分担合计 {_yuan(sum((s.amount for s in shares), ZERO))}，"
                f"与补助金额 {_yuan(award.amount)} 不符",
            )
        paid = sum((paid_by_share.get(s.pk, ZERO) for s in shares), ZERO)
        approved = min(award.amount, app.approved_amount if app.approved_amount is not None else award.amount)
        if paid > approved:
            add(
                "paid_above_approved",
                f"申报 {app.number} 已支付 {_yuan(paid)}，超过核定金额 {_yuan(approved)}",
            )
        for s in shares:
            share_paid = paid_by_share.get(s.pk, ZERO)
            if share_paid > s.amount:
                add(
                    "paid_above_share",
                    f"申报 {app.number} {LEVEL_LABELS.get(s.level, s.level)}级分担 {_yuan(s.amount)}，"
                    f"已支付 {_yuan(share_paid)}",
                    s.level,
                )
            elif app.status == Status.CLOSED and share_paid < s.amount:
                add(
                    "closed_unpaid",
                    f"申报 {app.number} 已办结，{LEVEL_LABELS.get(s.level, s.level)}级分担 {_yuan(s.amount)}"
                    f"仅支付 {_yuan(share_paid)}",
                    s.level,
                )
        if app.status in FUNDED:
            if enterprise is None:
                add(
                    "enterprise_missing",
                    f"申报 {app.number} 的补助 {_yuan(award.amount)} 所属企业（ID {app.enterprise_id}）不在企业库中",
                )
            elif enterprise.status != Enterprise.Status.ACTIVE:
                add(
                    "enterprise_inactive",
                    f"企业 {enterprise.name} 经营状态为“{enterprise.get_status_display()}”，"
                    f"申报 {app.number} 仍有补助 {_yuan(award.amount)}（已支付 {_yuan(paid)}）",
                )
    return findings


def _rewards_paid_twice(year: int | None) -> list[Finding]:
    group_of = {
        p.id: p.reward_group for e in edition_rulebook().editions for p in e.policies if p.once_per_enterprise
    }
    if not group_of:
        return []
    paid_by_share = _paid_by_share()
    awards = (
        Award.objects.filter(application__policy_id__in=list(group_of))
        .select_related("application__batch")
        .prefetch_related("shares")
        .order_by("created_at", "pk")
    )
    paid: dict[tuple[int, str], list[Application]] = defaultdict(list)
    for award in awards:
        if sum((paid_by_share.get(s.pk, ZERO) for s in award.shares.all()), ZERO) > 0:
            app = award.application
            paid[(app.enterprise_id, group_of[app.policy_id])].append(app)
    uscc = _usccs({e for (e, _), apps in paid.items() if len(apps) > 1})
    findings = []
    for (enterprise_id, group), apps in paid.items():
        if len(apps) < 2:
            continue
        first = apps[0]
        for app in apps[1:]:
            if year is not None and app.batch.year != year and first.batch.year != year:
                continue
            findings.append(
                Finding(
                    "reward_paid_twice",
                    f"一次性奖励（{group}）已按申报 {first.number} 兑现，申报 {app.number} 再次兑现",
                    application=app.number,
                    enterprise=uscc.get(enterprise_id, ""),
                )
            )
    return findings


def _stacking(year: int | None) -> list[Finding]:
    apps = Application.objects.filter(status__in=FUNDED).select_related("batch").order_by("pk")
    if year is not None:
        apps = apps.filter(batch__year=year)
    editions: dict[int, Edition] = {}
    groups: dict[tuple[int, str, int], list[tuple[Application, Edition]]] = defaultdict(list)
    for app in apps:
        if app.batch.edition_id not in editions:
            editions[app.batch.edition_id] = edition_built(PolicyEdition.objects.get(pk=app.batch.edition_id))
        edition = editions[app.batch.edition_id]
        try:
            policy = edition.policy(app.policy_id)
        except StopIteration:
            continue
        if policy.scope != "project":
            continue
        groups[(app.enterprise_id, project_key(app.project_name), app.batch.year)].append((app, edition))
    uscc = _usccs({k[0] for k, v in groups.items() if len(v) > 1})
    findings = []
    for (enterprise_id, _, _), members in groups.items():
        if len(members) < 2:
            continue
        if not any(e.stacking == "highest_project_policy" for _, e in members):
            continue  # a rule this report does not know yet flags nothing
        ranked = sorted(members, key=lambda m: (-(m[0].approved_amount or ZERO), m[0].pk))
        kept = ranked[0][0]
        for app, _ in ranked[1:]:
            findings.append(
                Finding(
                    "stacking",
                    f"项目“{app.project_name}”已按申报 {kept.number}（{kept.policy_id}）享受项目类政策，"
                    f"申报 {app.number}（{app.policy_id}）重复享受，违反“就高不重复”",
                    application=app.number,
                    enterprise=uscc.get(enterprise_id, ""),
                )
            )
    return findings


def _budgets(year: int | None) -> list[Finding]:
    findings = []
    for b in budget_balances(year=year):
        where = f"{b.year} 年度“{b.programme}”{LEVEL_LABELS.get(b.level, b.level)}级资金"
        if b.remaining < 0:
            findings.append(
                Finding(
                    "budget_overcommitted",
                    f"{where}核定 {_yuan(b.committed)}，超过下达 {_yuan(b.allocated)}",
                    level=b.level,
                )
            )
        if b.paid > b.allocated:
            findings.append(
                Finding(
                    "budget_overpaid",
                    f"{where}支付 {_yuan(b.paid)}，超过下达 {_yuan(b.allocated)}",
                    level=b.level,
                )
            )
    return findings


def self_inspection(*, year: int | None = None) -> list[Finding]:
    """Every finding, grouped by check in the order of the module docstring."""
    return [
        *_duplicate_invoices(year),
        *_awards(year),
        *_rewards_paid_twice(year),
        *_stacking(year),
        *_budgets(year),
    ]


__all__ = ["Finding", "project_key", "self_inspection"]
