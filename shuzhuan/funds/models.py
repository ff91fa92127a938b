"""Budgets handed down per funding level, awards split into level shares, and the append-only
ledger every balance is derived from.

A ``Budget`` row is one pot: (funding level, programme, year). It holds no balance — it is the
row a service locks (``select_for_update``) so that concurrent commitments and payments against
the pot are serialised; balances are sums over ``LedgerEntry`` rows. The ledger only gains rows:
a correction is a reversing entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Level(models.TextChoices):
    CENTRAL = "central", "中央"
    CITY = "city", "宁波"
    COUNTY = "county", "慈溪"


class Budget(models.Model):
    level = models.CharField("资金层级", max_length=16, choices=Level.choices)
    programme = models.SlugField("资金项目", max_length=64)  # the policy family: pilot, new-it, ai, sample
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("名称", max_length=200)

    class Meta:
        ordering = ["year", "programme", "level"]
        verbose_name = "预算"
        verbose_name_plural = "预算"
        constraints = [
            models.UniqueConstraint(
                fields=["level", "programme", "year"], name="one_budget_per_level_programme_year"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Award(models.Model):
    """The approved amount of one application, split into funding-level shares."""

    application = models.OneToOneField(
        "applications.Application", verbose_name="申报", on_delete=models.PROTECT, related_name="award"
    )
    amount = models.DecimalField("核定金额（元）", max_digits=14, decimal_places=2)
    programme = models.SlugField("资金项目", max_length=64)
    year = models.PositiveSmallIntegerField("年度")
    created_at = models.DateTimeField("核定时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="核定人", null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = "补助"
        verbose_name_plural = "补助"
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="award_amount_gte_0")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.amount}"


class AwardShare(models.Model):
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="shares")
    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="shares")
    level = models.CharField("资金层级", max_length=16, choices=Level.choices)
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["award", "level"]
        verbose_name = "补助分担"
        verbose_name_plural = "补助分担"
        constraints = [
            models.UniqueConstraint(fields=["award", "level"], name="one_share_per_award_level"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="share_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.award_id}/{self.level}: {self.amount}"


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        ALLOCATION = "allocation", "下达"
        COMMITMENT = "commitment", "核定承诺"
        RELEASE = "release", "承诺释放"
        PAYMENT = "payment", "兑现支付"
        REVERSAL = "reversal", "冲正"

    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    amount = models.DecimalField(
        "金额（元）", max_digits=14, decimal_places=2
    )  # always positive; the kind gives the sign
    share = models.ForeignKey(
        AwardShare, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    idempotency_key = models.CharField("幂等键", max_length=128, null=True, blank=True, unique=True)
    # A payment's place among its share's payments: 1, or 1 + the share's reversed payments when a
    # reversed share is paid again. None on every other kind.
    payment_attempt = models.PositiveSmallIntegerField("支付次序", null=True, blank=True)
    reference = models.CharField(
        "凭证号", max_length=128, blank=True
    )  # allocation document or payment reference
    memo = models.CharField("摘要", max_length=400, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("记账时间")

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "资金台账"
        verbose_name_plural = "资金台账"
        indexes = [models.Index(fields=["budget", "kind"], name="ledger_budget_kind")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_gt_0"),
            # One payment per share and attempt, the attempt being 1 + the share's reversed
            # payments (``share_pay``): at most one payment of a share stands unreversed.
            models.UniqueConstraint(
                fields=["share", "payment_attempt"],
                condition=Q(kind="payment"),
                name="one_payment_per_award_share_attempt",
            ),
            models.CheckConstraint(
                condition=Q(kind="payment", payment_attempt__isnull=False, payment_attempt__gte=1)
                | (~Q(kind="payment") & Q(payment_attempt__isnull=True)),
                name="payment_attempt_on_payments_only",
            ),
            models.UniqueConstraint(
                fields=["share"], condition=Q(kind="commitment"), name="one_commitment_per_award_share"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
