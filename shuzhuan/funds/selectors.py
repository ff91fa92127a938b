"""Reads over budgets and the ledger. Every figure is a sum over ``LedgerEntry`` rows — no
balance is stored anywhere.

Per budget (level, programme, year):

* allocated   = allocations − their reversals
* committed   = commitments − releases − reversals of commitments (approved, not revoked)
* paid        = payments − reversals of payments
* outstanding = committed − paid (approved, not yet paid)
* remaining   = allocated − committed (what new approvals may still commit)

Per share: at most one payment stands unreversed (``share_payment``); a reversed share is paid
again as its next attempt (``share_payment_attempt``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from shuzhuan.applications.models import Application
from shuzhuan.funds.models import AwardShare, Budget, LedgerEntry
from shuzhuan.funds.shares import LEVEL_LABELS, LEVEL_ORDER

ZERO = Decimal("0.00")
K = LedgerEntry.Kind


@dataclass(frozen=True)
class BudgetBalance:
    budget_id: int
    level: str
    programme: str
    year: int
    allocated: Decimal
    committed: Decimal
    paid: Decimal
    outstanding: Decimal
    remaining: Decimal

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, self.level)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["level_label"] = self.level_label
        for key in ("allocated", "committed", "paid", "outstanding", "remaining"):
            data[key] = str(data[key])
        return data


def _sums(entries: QuerySet[LedgerEntry]) -> dict[int, dict[str, Decimal]]:
    """budget id → {kind: signed total}, a reversal counted against the kind it reverses."""
    totals: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    rows = entries.values("budget_id", "kind", "reverses__kind").annotate(total=Sum("amount")).order_by()
    for row in rows:
        kind, total = row["kind"], row["total"] or ZERO
        if kind == K.REVERSAL:
            totals[row["budget_id"]][row["reverses__kind"]] -= total
        elif kind == K.RELEASE:
            totals[row["budget_id"]][K.COMMITMENT] -= total
        else:
            totals[row["budget_id"]][kind] += total
    return totals


def _balance(budget: Budget, sums: dict[str, Decimal]) -> BudgetBalance:
    allocated = sums.get(K.ALLOCATION, ZERO)
    committed = sums.get(K.COMMITMENT, ZERO)
    paid = sums.get(K.PAYMENT, ZERO)
    return BudgetBalance(
        budget_id=budget.pk,
        level=budget.level,
        programme=budget.programme,
        year=budget.year,
        allocated=allocated,
        committed=committed,
        paid=paid,
        outstanding=committed - paid,
        remaining=allocated - committed,
    )


def budget_balance(budget: Budget) -> BudgetBalance:
    """One budget's figures (the services call this with the budget row locked)."""
    return _balance(budget, _sums(LedgerEntry.objects.filter(budget=budget)).get(budget.pk, {}))


def budget_balances(
    *, year: int | None = None, programme: str | None = None, level: str | None = None
) -> list[BudgetBalance]:
    """Every budget's figures, ordered by year, programme and level (central, city, county)."""
    budgets = Budget.objects.all()
    if year is not None:
        budgets = budgets.filter(year=year)
    if programme:
        budgets = budgets.filter(programme=programme)
    if level:
        budgets = budgets.filter(level=level)
    found = list(budgets)
    sums = _sums(LedgerEntry.objects.filter(budget__in=[b.pk for b in found]))
    order = {lv: i for i, lv in enumerate(LEVEL_ORDER)}
    found.sort(key=lambda b: (b.year, b.programme, order.get(b.level, 99)))
    return [_balance(b, sums.get(b.pk, {})) for b in found]


def ledger_entries(
    *,
    year: int | None = None,
    programme: str | None = None,
    level: str | None = None,
    kind: str | None = None,
    application: Application | None = None,
) -> QuerySet[LedgerEntry]:
    """Ledger rows in booking order, with their budget, share and application loaded."""
    qs = LedgerEntry.objects.select_related("budget", "share__award__application", "actor", "reverses")
    if year is not None:
        qs = qs.filter(budget__year=year)
    if programme:
        qs = qs.filter(budget__programme=programme)
    if level:
        qs = qs.filter(budget__level=level)
    if kind:
        qs = qs.filter(kind=kind)
    if application is not None:
        qs = qs.filter(share__award__application=application)
    return qs.order_by("at", "pk")


def share_payment(share: AwardShare | int) -> LedgerEntry | None:
    """The share's standing payment: the one not reversed; None when the share is unpaid or every
    payment of it was reversed."""
    share_id = share if isinstance(share, int) else share.pk
    return (
        LedgerEntry.objects.filter(share_id=share_id, kind=K.PAYMENT, reversed_by__isnull=True)
        .order_by("-payment_attempt")
        .first()
    )


def share_payment_attempt(share: AwardShare | int) -> int:
    """The attempt number the share's next payment carries: 1 + its reversed payments."""
    share_id = share if isinstance(share, int) else share.pk
    return (
        1 + LedgerEntry.objects.filter(share_id=share_id, kind=K.PAYMENT, reversed_by__isnull=False).count()
    )


def award_paid(award_id: int) -> Decimal:
    """Net payments (payments − their reversals) on one award."""
    rows = (
        LedgerEntry.objects.filter(share__award_id=award_id)
        .values("kind", "reverses__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    paid = ZERO
    for row in rows:
        if row["kind"] == K.PAYMENT:
            paid += row["total"] or ZERO
        elif row["kind"] == K.REVERSAL and row["reverses__kind"] == K.PAYMENT:
            paid -= row["total"] or ZERO
    return paid
