"""Pure helpers (no database): the programme a policy draws on, and an award's split into
funding-level shares.

A *programme* (资金项目) is the policy family: the policy id without its edition prefix, so
``cixi-2024-pilot`` and ``cixi-2025-pilot`` both draw on the ``pilot`` budgets of their year.

The split: each level's share is ``amount × ratio`` rounded half-up to the fen, taken in the
fixed level order (central, city, county) and never more than what is left; the **county**
share is the remainder, so the shares always sum to the amount exactly. Where rounding leaves a
fen over or short, it is the county budget (the bureau's own) that absorbs it — even when the
county's ratio is zero, which only happens for amounts of a few fen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shuzhuan.funds.models import Level

FEN = Decimal("0.01")
# The order budgets are locked in (always the same, so two transactions never wait on each other
# in opposite orders) and shares are computed in.
LEVEL_ORDER: tuple[str, ...] = (Level.CENTRAL, Level.CITY, Level.COUNTY)
REMAINDER_LEVEL = Level.COUNTY
LEVEL_LABELS: dict[str, str] = {str(k): str(v) for k, v in Level.choices}
# The policy families money is budgeted by (Budget.programme / Award.programme), as officers name them.
PROGRAMME_LABELS: dict[str, str] = {
    "pilot": "数字化改造试点",
    "new-it": "新一代信息技术",
    "ai": "人工智能大模型",
    "sample": "样本企业奖励",
}

_EDITION_PREFIX = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*?-\d{4}-(?P<family>[a-z0-9][a-z0-9-]*)$")


def programme_of(policy_id: str, *, edition_id: str | None = None) -> str:
    """``cixi-2025-pilot`` → ``pilot``; ``cixi-2024-new-it`` → ``new-it``.

    With ``edition_id`` the prefix is that edition's id; without it, everything up to and
    including the four-digit year segment. An id with no such prefix is its own family."""
    if edition_id and policy_id.startswith(f"{edition_id}-"):
        return policy_id.removeprefix(f"{edition_id}-")
    match = _EDITION_PREFIX.match(policy_id)
    return match.group("family") if match else policy_id


def award_split(amount: Decimal, ratios: Mapping[str, Any]) -> dict[str, Decimal]:
    """The shares of ``amount`` per level with a non-zero ratio (see the module docstring).

    ``ratios`` is a batch's ``funding_split`` ({"central": "0.50", …}, summing to 1). Returns the
    levels in ``LEVEL_ORDER``; the remainder level is always present when any level is."""
    ratio = {level: Decimal(str(ratios.get(level, "0") or "0")) for level in LEVEL_ORDER}
    if any(r < 0 for r in ratio.values()) or sum(ratio.values()) != 1:
        raise ValueError(f"funding split must be non-negative and sum to 1: {dict(ratios)}")
    amount = amount.quantize(FEN)
    shares: dict[str, Decimal] = {}
    left = amount
    for level in LEVEL_ORDER:
        if level == REMAINDER_LEVEL:
            continue
        if ratio[level] == 0:
            continue
        share = min((amount * ratio[level]).quantize(FEN, rounding=ROUND_HALF_UP), left)
        shares[level] = share
        left -= share
    if ratio[REMAINDER_LEVEL] != 0 or left != 0:
        shares[REMAINDER_LEVEL] = left
    return {level: shares[level] for level in LEVEL_ORDER if level in shares}
