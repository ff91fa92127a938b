"""Writes that move money: allocations handed down (下达), award approval with its level shares
and commitments, revocation, payment of a share (兑现), the disbursement run and reversals.

The guarantees, and how each is kept:

* **Nothing half-written.** Each service is one ``transaction.atomic`` block holding the ledger
  rows, the application's status move and the audit entry; a refusal raises before commit.
* **A budget never goes below zero.** Every write against a budget locks its ``Budget`` row
  (``select_for_update``) and re-derives the balance from the ledger under the lock, so two
  approvals cannot both spend the last yuan.
* **No deadlocks between services.** Locks are always taken in one order: the application row,
  then the enterprise row (one-time rewards only), then budget rows in ``LEVEL_ORDER`` (central,
  city, county), and the audit chain head last (``audit_record``).
* **A share is paid at most once at a time.** Payments carry an idempotency key (unique) and an
  attempt number, 1 + the share's reversed payments, worked out under the locks; the database
  allows one payment row per share and attempt (``one_payment_per_award_share_attempt``), so at
  most one payment of a share stands unreversed. ``share_pay`` returns the standing payment for
  a retry, a duplicate or the loser of a race.
* **The ledger only gains rows.** A correction is a reversing entry (``payment_reverse``); a
  reversed share may be paid again, as its next attempt, under a new idempotency key.

``acting_user`` None is the system (the CLI operator, a scheduled job): bound by the rules,
not by roles. A person must be a bureau officer and the application within their region.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from shuzhuan.accounts.models import Role, User
from shuzhuan.applications.models import ENDED, Application, PolicyBatch, Status
from shuzhuan.applications.selectors import rewards_received
from shuzhuan.applications.services import funding_split_clean, money
from shuzhuan.applications.workflow import application_in_scope, application_transition
from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.funds.models import Award, AwardShare, Budget, LedgerEntry, Level
from shuzhuan.funds.selectors import budget_balance, share_payment, share_payment_attempt
from shuzhuan.funds.shares import LEVEL_LABELS, LEVEL_ORDER, award_split, programme_of
from shuzhuan.policies.selectors import edition_built, edition_rulebook
from shuzhuan.rules.model import NoEditionError, Policy

K = LedgerEntry.Kind
ZERO = Decimal("0.00")
_FUNDS_ROLES = frozenset({Role.BUREAU_OFFICER})  # mirrors Perm.FUNDS_ALLOCATE / Perm.DISBURSE


# --- helpers -----------------------------------------------------------------------------------


def _require_officer(user: User | None, what: str) -> None:
    if user is not None and (not user.is_active or user.role not in _FUNDS_ROLES):
        raise ApplicationError(f"您无权{what}", field="user")


def _require_scope(user: User | None, application: Application, what: str) -> None:
    if user is not None and not application_in_scope(user, application):
        raise ApplicationError(f"您无权{what}", field="application")


def _lock_application(application: Application | int) -> Application:
    pk = application if isinstance(application, int) else application.pk
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("enterprise__town", "batch__edition")
        .get(pk=pk)
    )


def _lock_budget(budget_id: int) -> Budget:
    return Budget.objects.select_for_update().get(pk=budget_id)


def _level(value: str, *, field: str = "level") -> str:
    level = (value or "").strip().lower()
    if level not in Level.values:
        raise ApplicationError(f"未知的资金层级：{value}（可选 central、city、county）", field=field)
    return level


def _budget_name(level: str, programme: str, year: int) -> str:
    return f"{year}年度{LEVEL_LABELS[level]}资金·{programme}"


def _budget_get_or_create(*, level: str, programme: str, year: int) -> Budget:
    budget, _ = Budget.objects.get_or_create(
        level=level,
        programme=programme,
        year=year,
        defaults={"name": _budget_name(level, programme, year)},
    )
    return budget


def known_programmes() -> set[str]:
    """The policy families of every published edition (pilot, new-it, ai, sample …)."""
    return {programme_of(p.id, edition_id=e.id) for e in edition_rulebook().editions for p in e.policies}


def _policy_of(app: Application) -> tuple[str, Policy]:
    """(edition id, policy) of an application, from the cached rulebook of published editions
    (building an edition from its document costs ~100 ms); the stored document otherwise."""
    stored = app.batch.edition
    try:
        return stored.edition_id, edition_rulebook().edition(stored.edition_id).policy(app.policy_id)
    except (NoEditionError, StopIteration):
        return stored.edition_id, edition_built(stored).policy(app.policy_id)


def _share_settled(share: AwardShare) -> bool:
    """Nothing left to pay on ``share``: a zero share, or a payment that was not reversed."""
    if share.amount == 0:
        return True
    return share_payment(share) is not None


# --- allocations -------------------------------------------------------------------------------


def allocation_record(
    *,
    acting_user: User | None,
    level: str,
    programme: str,
    year: int,
    amount: Any,
    reference: str,
    memo: str = "",
) -> LedgerEntry:
    """下达: budget handed down by one level for one programme and year (the budget row is
    created on the first allocation). One allocation per budget and document reference."""
    _require_officer(acting_user, "登记资金下达")
    level = _level(level)
    programme = (programme or "").strip().lower()
    known = known_programmes()
    if programme not in known:
        raise ApplicationError(
            f"未知的资金项目：{programme or '（空）'}（可选 {'、'.join(sorted(known))}）", field="programme"
        )
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ApplicationError(f"年度应为 2000–2100 之间的整数，而不是 {year}", field="year")
    value = money(amount, field="amount", label="下达金额")
    if value is None or value <= 0:
        raise ApplicationError("下达金额必须大于零", field="amount")
    reference = (reference or "").strip()
    if not reference:
        raise ApplicationError("请填写下达文件文号或凭证号", field="reference")
    if len(reference) > 128:
        raise ApplicationError("凭证号最长 128 个字符", field="reference")
    with transaction.atomic():
        budget = _lock_budget(_budget_get_or_create(level=level, programme=programme, year=year).pk)
        if budget.entries.filter(kind=K.ALLOCATION, reference=reference).exists():
            raise ApplicationError(f"{budget.name} 已登记过凭证号为 {reference} 的下达", field="reference")
        entry = LedgerEntry.objects.create(
            budget=budget,
            kind=K.ALLOCATION,
            amount=value,
            reference=reference,
            memo=(memo or "").strip()[:400],
            actor=acting_user,
            at=timezone.now(),
        )
        audit_record(
            actor=acting_user,
            action="funds.allocation",
            object_type="budget",
            object_id=f"{year}/{programme}/{level}",
            payload={"entry": entry.pk, "amount": value, "reference": reference},
        )
    return entry


# --- awards ------------------------------------------------------------------------------------


def award_approve(
    *, acting_user: User | None, application: Application, amount: Any, reason: str = ""
) -> Award:
    """核定金额: an accepted application's award, at or below its ceiling (a reason when below),
    split into level shares, each committed against its level's budget of the programme and
    year. Refused as a whole when any level's remaining budget would go below zero."""
    _require_officer(acting_user, "核定补助金额")
    value = money(amount, field="amount", label="核定金额")
    if value is None or value <= 0:
        raise ApplicationError("核定金额必须大于零", field="amount")
    reason = (reason or "").strip()
    with transaction.atomic():
        app = _lock_application(application)
        _require_scope(acting_user, app, f"核定申报 {app.number} 的金额")
        if app.status != Status.ACCEPTED:
            raise ApplicationError(
                f"申报 {app.number} 当前状态为“{app.get_status_display()}”，不能核定金额", field="status"
            )
        if app.ceiling is None:
            raise ApplicationError(f"申报 {app.number} 尚无补助上限，请先完成验收", field="ceiling")
        if value > app.ceiling:
            raise ApplicationError(
                f"核定金额 {value:,.2f} 元超过补助上限 {app.ceiling:,.2f} 元", field="amount"
            )
        if value < app.ceiling and not reason:
            raise ApplicationError(f"核定金额低于补助上限 {app.ceiling:,.2f} 元，须填写理由", field="reason")
        edition_id, policy = _policy_of(app)
        if policy.once_per_enterprise:
            # The ceiling was computed at acceptance; another award of the same one-time reward
            # may have been approved since. Lock the enterprise so two approvals cannot race.
            Enterprise.objects.select_for_update(of=("self",)).filter(pk=app.enterprise_id).first()
            received = rewards_received(rulebook=edition_rulebook(), enterprise_ids={app.enterprise_id})
            if policy.reward_group in received.get(app.enterprise_id, set()):
                raise ApplicationError(
                    f"企业 {app.enterprise.name} 已获得过该项一次性奖励（每家企业限一次）", field="amount"
                )
        programme = programme_of(app.policy_id, edition_id=edition_id)
        year = app.batch.year
        split = award_split(value, funding_split_clean(app.batch.funding_split))
        budgets: dict[str, Budget] = {}
        for level in LEVEL_ORDER:  # the fixed lock order
            if level not in split:
                continue
            needed = split[level]
            budget = (
                Budget.objects.select_for_update().filter(level=level, programme=programme, year=year).first()
            )
            if budget is None:
                if needed > 0:
                    raise ApplicationError(
                        f"{LEVEL_LABELS[level]}级 {year} 年度“{programme}”资金尚未下达，不能核定",
                        field="amount",
                    )
                budget = _lock_budget(_budget_get_or_create(level=level, programme=programme, year=year).pk)
            remaining = budget_balance(budget).remaining
            if needed > remaining:
                raise ApplicationError(
                    f"{LEVEL_LABELS[level]}级资金余额不足：{year} 年度“{programme}”剩余 "
                    f"{remaining:,.2f} 元，本次需 {needed:,.2f} 元",
                    field="amount",
                )
            budgets[level] = budget
        award = Award.objects.create(
            application=app, amount=value, programme=programme, year=year, created_by=acting_user
        )
        now = timezone.now()
        for level, share_amount in split.items():
            share = AwardShare.objects.create(
                award=award, budget=budgets[level], level=level, amount=share_amount
            )
            if share_amount > 0:
                LedgerEntry.objects.create(
                    budget=budgets[level],
                    kind=K.COMMITMENT,
                    amount=share_amount,
                    share=share,
                    reference=app.number,
                    memo=f"核定 {app.number} {LEVEL_LABELS[level]}级分担",
                    actor=acting_user,
                    at=now,
                )
        # One audit entry for the event: the status move, with the award in its payload.
        app = application_transition(
            acting_user=acting_user,
            application=app,
            action="approve",
            reason=reason,
            via_service=True,
            payload={
                "amount": value,
                "ceiling": app.ceiling,
                "award": award.pk,
                "programme": programme,
                "year": year,
                "shares": split,
            },
        )
        app.approved_amount = value
        app.approved_reason = reason
        app.save(update_fields=["approved_amount", "approved_reason", "updated_at"])
    return award


def award_revoke(*, acting_user: User | None, application: Application, reason: str) -> Application:
    """撤销核定 (approved or in public notice → rejected): every unpaid commitment is released."""
    _require_officer(acting_user, "撤销核定")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("撤销核定须填写理由", field="reason")
    with transaction.atomic():
        app = _lock_application(application)
        _require_scope(acting_user, app, f"撤销申报 {app.number} 的核定")
        if app.status not in (Status.APPROVED, Status.PUBLIC_NOTICE):
            raise ApplicationError(
                f"申报 {app.number} 当前状态为“{app.get_status_display()}”，不能撤销核定", field="status"
            )
        award = Award.objects.filter(application=app).first()
        shares = list(award.shares.all()) if award is not None else []
        shares.sort(key=lambda s: LEVEL_ORDER.index(s.level))
        for share in shares:  # the fixed lock order
            _lock_budget(share.budget_id)
        app = application_transition(
            acting_user=acting_user, application=app, action="revoke", reason=reason, via_service=True
        )
        released: dict[str, Decimal] = {}
        now = timezone.now()
        for share in shares:
            commitment = share.entries.filter(kind=K.COMMITMENT).first()
            if commitment is None or _share_settled(share):
                continue
            if share.entries.filter(kind=K.RELEASE).exists():
                continue
            LedgerEntry.objects.create(
                budget_id=share.budget_id,
                kind=K.RELEASE,
                amount=commitment.amount,
                share=share,
                reference=app.number,
                memo=f"撤销核定 {app.number}：{reason}"[:400],
                actor=acting_user,
                at=now,
            )
            released[share.level] = commitment.amount
        audit_record(
            actor=acting_user,
            action="funds.award_revoke",
            object_type="application",
            object_id=app.number,
            reason=reason,
            payload={"award": award.pk if award else None, "released": released},
        )
    return app


# --- payments ----------------------------------------------------------------------------------


class PaymentResult(NamedTuple):
    entry: LedgerEntry
    created: bool  # False: an existing payment was returned (a retry, a duplicate, a lost race)


def _existing_payment(*, share: AwardShare, idempotency_key: str, number: str) -> LedgerEntry | None:
    """The payment a call with ``idempotency_key`` stands for: the key's own payment, or the
    share's standing payment under another key. A key spent on another entry, or on a payment
    since reversed, is refused: a re-payment comes under a new key."""
    by_key = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
    if by_key is not None:
        if by_key.kind != K.PAYMENT or by_key.share_id != share.pk:
            raise ApplicationError(
                f"幂等键 {idempotency_key} 已用于另一笔记账（#{by_key.pk}）", field="idempotency_key"
            )
        if LedgerEntry.objects.filter(reverses=by_key).exists():
            raise ApplicationError(
                f"申报 {number} {LEVEL_LABELS[share.level]}级分担按幂等键 {idempotency_key} 的支付"
                f"（#{by_key.pk}）已冲正；重新支付须使用新的幂等键",
                field="idempotency_key",
            )
        return by_key
    return share_payment(share)


def share_pay(
    *, acting_user: User | None, share: AwardShare, reference: str, idempotency_key: str
) -> PaymentResult:
    """兑现 one level's share of an award, exactly once.

    A payment already made for this idempotency key, or a standing (unreversed) payment of this
    share under any key, is returned as it is (``created=False``). Otherwise the payment entry —
    the share's next attempt: 1, or 1 + its reversed payments — and its audit entry are written
    in one transaction, with the application and budget rows locked; the payment that settles the
    award's last share also closes the application, in the same transaction."""
    _require_officer(acting_user, "兑现补助资金")
    reference = (reference or "").strip()
    idempotency_key = (idempotency_key or "").strip()
    if not reference:
        raise ApplicationError("请填写支付凭证号", field="reference")
    if not idempotency_key or len(idempotency_key) > 128:
        raise ApplicationError("幂等键不能为空，最长 128 个字符", field="idempotency_key")
    try:
        with transaction.atomic():
            share = AwardShare.objects.select_related("award").get(pk=share.pk)
            app = _lock_application(share.award.application_id)
            _require_scope(acting_user, app, f"兑现申报 {app.number}")
            budget = _lock_budget(share.budget_id)
            existing = _existing_payment(share=share, idempotency_key=idempotency_key, number=app.number)
            if existing is not None:
                return PaymentResult(existing, False)
            if app.status != Status.DISBURSING:
                raise ApplicationError(
                    f"申报 {app.number} 当前状态为“{app.get_status_display()}”，不能兑现", field="status"
                )
            if share.amount <= 0:
                raise ApplicationError(
                    f"申报 {app.number} {LEVEL_LABELS[share.level]}级分担为零，无需支付", field="share"
                )
            if not share.entries.filter(kind=K.COMMITMENT).exists():
                raise ApplicationError(
                    f"申报 {app.number} {LEVEL_LABELS[share.level]}级分担没有核定承诺记录", field="share"
                )
            balance = budget_balance(budget)
            if balance.paid + share.amount > balance.allocated:
                raise ApplicationError(
                    f"{LEVEL_LABELS[share.level]}级资金已下达 {balance.allocated:,.2f} 元、已支付 "
                    f"{balance.paid:,.2f} 元，不能再支付 {share.amount:,.2f} 元",
                    field="amount",
                )
            attempt = share_payment_attempt(share)  # under the locks: no payment of it stands
            entry = LedgerEntry.objects.create(
                budget=budget,
                kind=K.PAYMENT,
                amount=share.amount,  # a share is paid in full, never more
                share=share,
                idempotency_key=idempotency_key,
                payment_attempt=attempt,
                reference=reference,
                memo=f"兑现 {app.number} {LEVEL_LABELS[share.level]}级分担"
                + (f"（第 {attempt} 次支付）" if attempt > 1 else ""),
                actor=acting_user,
                at=timezone.now(),
            )
            audit_record(
                actor=acting_user,
                action="funds.payment",
                object_type="application",
                object_id=app.number,
                payload={
                    "entry": entry.pk,
                    "share": share.pk,
                    "level": share.level,
                    "amount": entry.amount,
                    "reference": reference,
                    "idempotency_key": idempotency_key,
                    "attempt": attempt,
                },
            )
            if all(_share_settled(s) for s in share.award.shares.all()):
                application_transition(
                    acting_user=acting_user,
                    application=app,
                    action="close",
                    via_service=True,
                    payload={"paid": share.award.amount},
                )
            return PaymentResult(entry, True)
    except IntegrityError:
        # A concurrent payment of the same share or key committed first: return the winner.
        winner = LedgerEntry.objects.filter(
            Q(idempotency_key=idempotency_key)
            | Q(share_id=share.pk, kind=K.PAYMENT, reversed_by__isnull=True)
        ).first()
        if winner is None or winner.kind != K.PAYMENT or winner.share_id != share.pk:
            raise
        return PaymentResult(winner, False)


@dataclass
class DisbursementLine:
    application: str  # number
    level: str
    amount: Decimal
    reference: str = ""
    entry_id: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "application": self.application,
            "level": self.level,
            "amount": str(self.amount),
            "reference": self.reference,
            "entry": self.entry_id,
            "reason": self.reason,
        }


@dataclass
class DisbursementReport:
    paid: list[DisbursementLine] = field(default_factory=list)
    skipped: list[DisbursementLine] = field(default_factory=list)
    failed: list[DisbursementLine] = field(default_factory=list)

    @property
    def paid_total(self) -> Decimal:
        return sum((line.amount for line in self.paid), ZERO)

    def as_dict(self) -> dict[str, Any]:
        return {
            "paid": [x.as_dict() for x in self.paid],
            "skipped": [x.as_dict() for x in self.skipped],
            "failed": [x.as_dict() for x in self.failed],
            "paid_total": str(self.paid_total),
        }


def payment_idempotency_key(share: AwardShare, *, attempt: int = 1) -> str:
    """``award-<award>-<level>`` for a share's first payment; ``…-<attempt>`` for a re-payment
    after a reversal (keys stay unique, and a retry of one attempt stays one payment)."""
    key = f"award-{share.award_id}-{share.level}"
    return key if attempt == 1 else f"{key}-{attempt}"


def payment_reference(share: AwardShare, *, year: int, attempt: int = 1) -> str:
    reference = f"ZF{year}{share.pk:08d}"
    return reference if attempt == 1 else f"{reference}-{attempt}"


def disbursement_run(
    *,
    acting_user: User | None,
    level: str | None = None,
    batch: PolicyBatch | None = None,
    on_line: Callable[[str, DisbursementLine], None] | None = None,
) -> DisbursementReport:
    """Pay every unpaid share of the applications in disbursement (兑现中), optionally of one
    level or one batch — a share whose payment was reversed included, as its next attempt. Each
    payment is its own transaction, keyed ``award-<award>-<level>[-<attempt>]``, so a run that
    dies midway leaves every payment complete or absent, and running it again pays the rest
    exactly once. ``on_line(outcome, line)`` is told of each share as it is done."""
    _require_officer(acting_user, "执行资金兑现")
    level = _level(level) if level else None
    shares: QuerySet[AwardShare] = AwardShare.objects.filter(
        award__application__status=Status.DISBURSING
    ).select_related("award__application")
    if level:
        shares = shares.filter(level=level)
    if batch is not None:
        shares = shares.filter(award__application__batch=batch)
    order = {lv: i for i, lv in enumerate(LEVEL_ORDER)}
    todo = sorted(shares, key=lambda s: (s.award.application_id, order.get(s.level, 99)))
    report = DisbursementReport()
    for share in todo:
        app = share.award.application
        # Read outside the locks: a reversal in between makes share_pay refuse the stale key
        # (a failed line; the next run pays under the right one), never pay twice.
        attempt = share_payment_attempt(share) if share.amount > 0 else 1
        line = DisbursementLine(
            application=app.number,
            level=share.level,
            amount=share.amount,
            reference=payment_reference(share, year=share.award.year, attempt=attempt),
        )
        if share.amount == 0:
            line.reason = "分担金额为零"
            outcome = "skipped"
        else:
            try:
                result = share_pay(
                    acting_user=acting_user,
                    share=share,
                    reference=line.reference,
                    idempotency_key=payment_idempotency_key(share, attempt=attempt),
                )
            except ApplicationError as exc:
                line.reason = exc.message
                outcome = "failed"
            else:
                line.entry_id = result.entry.pk
                line.reference = result.entry.reference
                if result.created:
                    outcome = "paid"
                else:
                    line.reason = "此前已支付"
                    outcome = "skipped"
        getattr(report, outcome).append(line)
        if on_line is not None:
            on_line(outcome, line)
    return report


def payment_reverse(*, acting_user: User | None, entry: LedgerEntry, reason: str) -> LedgerEntry:
    """冲正: a reversing entry for a payment (the money came back or was paid in error). The
    payment row stays; balances count the pair as nothing paid, and the share is unpaid again:
    an application already closed (办结) goes back to disbursement (兑现中), in the same
    transaction, so the next run or a payment by hand pays the share again — once."""
    _require_officer(acting_user, "冲正支付")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("冲正须填写理由", field="reason")
    entry = LedgerEntry.objects.select_related("share__award").get(pk=entry.pk)
    if entry.kind != K.PAYMENT or entry.share is None:
        raise ApplicationError("只能冲正兑现支付记录", field="entry")
    try:
        with transaction.atomic():
            app = _lock_application(entry.share.award.application_id)
            _require_scope(acting_user, app, f"冲正申报 {app.number} 的支付")
            budget = _lock_budget(entry.budget_id)
            if LedgerEntry.objects.filter(reverses=entry).exists():
                raise ApplicationError(f"支付记录 #{entry.pk} 已冲正", field="entry")
            reopen = app.status == Status.CLOSED
            if reopen:
                _require_no_open_sibling(app)
            reversal = LedgerEntry.objects.create(
                budget=budget,
                kind=K.REVERSAL,
                amount=entry.amount,
                share=entry.share,
                reverses=entry,
                reference=entry.reference,
                memo=f"冲正：{reason}"[:400],
                actor=acting_user,
                at=timezone.now(),
            )
            audit_record(
                actor=acting_user,
                action="funds.payment_reverse",
                object_type="application",
                object_id=app.number,
                reason=reason,
                payload={"entry": reversal.pk, "reverses": entry.pk, "amount": entry.amount},
            )
            if reopen:
                application_transition(
                    acting_user=acting_user,
                    application=app,
                    action="reopen_disbursement",
                    reason=reason,
                    via_service=True,
                    payload={"reversal": reversal.pk, "reverses": entry.pk, "level": entry.share.level},
                )
    except IntegrityError:
        if LedgerEntry.objects.filter(reverses=entry).exists():  # a concurrent reversal won
            raise ApplicationError(f"支付记录 #{entry.pk} 已冲正", field="entry") from None
        raise
    return reversal


def _require_no_open_sibling(app: Application) -> None:
    """A closed application goes back to disbursement only while no other application of the
    enterprise for the same batch and policy is open (one open application per enterprise,
    batch and policy)."""
    sibling = (
        Application.objects.filter(
            enterprise_id=app.enterprise_id, batch_id=app.batch_id, policy_id=app.policy_id
        )
        .exclude(pk=app.pk)
        .exclude(status__in=ENDED)
        .first()
    )
    if sibling is not None:
        raise ApplicationError(
            f"企业在本批次同一政策下另有在办申报 {sibling.number}，申报 {app.number} 不能重新进入兑现；"
            "请先办结或撤回该申报再冲正",
            field="entry",
        )


__all__ = [
    "DisbursementLine",
    "DisbursementReport",
    "PaymentResult",
    "allocation_record",
    "award_approve",
    "award_revoke",
    "disbursement_run",
    "known_programmes",
    "payment_idempotency_key",
    "payment_reference",
    "payment_reverse",
    "share_pay",
]
