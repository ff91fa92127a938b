"""One amount shared among the funding levels (三级资金: central, city, county)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from shuzhuan.rules.fields import FUNDING_LEVELS

FEN = Decimal("0.01")


def funding_shares(amount: Decimal, split: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """``amount`` (yuan, to the fen) per level, in ``FUNDING_LEVELS`` order: each level's share
    is amount × its ratio rounded half-up to the fen, except the last level with a non-zero ratio,
    which takes what is left — so the shares always sum to the amount exactly.

    With three levels the remainder is never negative: two half-up roundings can add at most one
    fen more than their exact sum, and only when the exact remainder is already a fen or more.

    >>> funding_shares(Decimal("0.03"), {"central": Decimal("0.5"), "city": Decimal("0.25"),
    ...                                  "county": Decimal("0.25")})
    {'central': Decimal('0.02'), 'city': Decimal('0.01'), 'county': Decimal('0.00')}
    """
    amount = amount.quantize(FEN, rounding=ROUND_HALF_UP)
    last = max((i for i, level in enumerate(FUNDING_LEVELS) if split.get(level, 0)), default=None)
    shares: dict[str, Decimal] = {}
    for i, level in enumerate(FUNDING_LEVELS):
        ratio = Decimal(split.get(level, 0))
        if i == last:
            shares[level] = amount - sum((v for v in shares.values()), Decimal("0.00"))
        else:
            shares[level] = (amount * ratio).quantize(FEN, rounding=ROUND_HALF_UP)
    return shares
