"""The expert scoring sheet (评分表): criteria with maximum points; a submitted sheet must score
every criterion within its range, in whole or half points."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from shuzhuan.core.errors import ApplicationError


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    max_points: int


SCORING_SHEET: tuple[Criterion, ...] = (
    Criterion("necessity", "项目必要性与改造需求", 20),
    Criterion("solution", "技术方案与实施路径", 30),
    Criterion("investment", "投入合理性与资金使用", 20),
    Criterion("outcome", "预期成效与示范带动", 20),
    Criterion("foundation", "企业基础与保障措施", 10),
)
HALF = Decimal("0.5")


def score_total(scores: Mapping[str, Any]) -> tuple[dict[str, str], Decimal]:
    """Validated scores (code → points as text) and their total; errors name the criterion."""
    unknown = set(scores) - {c.code for c in SCORING_SHEET}
    if unknown:
        raise ApplicationError(f"评分表中没有：{'、'.join(sorted(unknown))}", field="scores")
    clean: dict[str, str] = {}
    total = Decimal(0)
    for c in SCORING_SHEET:
        raw = scores.get(c.code)
        if raw is None or str(raw).strip() == "":
            raise ApplicationError(f"请为“{c.label}”打分", field=f"scores.{c.code}")
        try:
            points = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ApplicationError(f"“{c.label}”的分数必须是数字", field=f"scores.{c.code}") from None
        if not points.is_finite() or points < 0 or points > c.max_points:
            raise ApplicationError(
                f"“{c.label}”的分数应在 0 到 {c.max_points} 之间", field=f"scores.{c.code}"
            )
        if points % HALF != 0:
            raise ApplicationError(f"“{c.label}”的分数以 0.5 分为单位", field=f"scores.{c.code}")
        clean[c.code] = format(points.normalize(), "f")
        total += points
    return clean, total.quantize(Decimal("0.01"))
