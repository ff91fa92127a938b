"""Changing an edition's parameters — a step whose expression is a plain number (cap, rate,
threshold) — in the edition document (``loader.edition_document``'s shape).

One set of checks serves the web editor (``shuzhuan.policies.services.edition_parameter_set``),
the impact preview and ``shuzhuan policy impact --set cixi-2025-ai.cap=500000``: the policy and
the step must exist, the step must be a parameter, the value a non-negative number — a ratio
between 0 and 1, an amount of money at most to the fen. The document that comes back is not yet
validated as a whole: build it with ``loader.edition_from_document``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

FEN = Decimal("0.01")
_ASSIGNMENT = re.compile(r"^\s*(?P<policy>[^.=\s]+)\.(?P<step>[^.=\s]+)\s*=\s*(?P<value>.*?)\s*$")


class ParameterError(ValueError):
    """A refused change; ``field`` is the form field at fault (policy, step or value) and
    ``index`` the position of the change in a list of them (``document_parameters_set``)."""

    def __init__(self, message: str, *, field: str, index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.index = index


@dataclass(frozen=True)
class ParameterAssignment:
    policy: str
    step: str
    value: Decimal


@dataclass(frozen=True)
class AppliedChange:
    policy: str
    step: str
    unit: str  # yuan | ratio
    before: Decimal
    after: Decimal


def parameter_value(expr: Any) -> Decimal | None:
    """A step whose expression is a plain number is a parameter (cap, rate, threshold)."""
    try:
        value = Decimal(str(expr).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parameter_number(raw: Decimal | int | str) -> Decimal:
    """The value an officer typed (``500000``, ``500,000``, ``0.4``) as a non-negative Decimal."""
    if isinstance(raw, bool | float):
        raise ParameterError("请输入数字", field="value")
    try:
        amount = raw if isinstance(raw, Decimal) else Decimal(str(raw).replace(",", "").strip())
    except InvalidOperation:
        raise ParameterError("请输入数字", field="value") from None
    if not amount.is_finite():
        raise ParameterError("请输入数字", field="value")
    if amount < 0:
        raise ParameterError("数值不能为负数", field="value")
    return amount


def plain(value: Decimal) -> str:
    """``Decimal('5E+5')`` → ``500000``: how a parameter is written back into the document."""
    return format(value.normalize(), "f")


def parameter_assignment(text: str) -> ParameterAssignment:
    """``cixi-2025-ai.cap=500000`` → the change (policy id, step name, value)."""
    match = _ASSIGNMENT.match(text or "")
    if match is None:
        raise ParameterError("应写成 政策编号.步骤=数值，如 cixi-2025-ai.cap=500000", field="policy")
    return ParameterAssignment(match["policy"], match["step"], parameter_number(match["value"]))


def document_parameter_set(
    document: Mapping[str, Any], *, policy_id: str, step: str, value: Decimal | int | str
) -> tuple[dict[str, Any], AppliedChange]:
    """A copy of ``document`` with one parameter changed, and the change (before → after)."""
    amount = parameter_number(value)
    edition_id = str(document.get("id", "edition"))
    result = copy.deepcopy(dict(document))
    policy = next((p for p in result.get("policies", []) if p.get("id") == policy_id), None)
    if policy is None:
        raise ParameterError(f"{edition_id}：没有政策 {policy_id}", field="policy")
    target = next((s for s in policy.get("steps", []) if s.get("name") == step), None)
    if target is None:
        raise ParameterError(f"{edition_id} / {policy_id}：没有步骤 {step}", field="step")
    where = f"{edition_id} / {policy_id} / {step}"
    before = parameter_value(target.get("expr"))
    if before is None:
        raise ParameterError(f"{where}：该步骤是公式，不是可直接修改的参数", field="step")
    unit = str(target.get("unit", "yuan"))
    if unit == "ratio":
        if amount > 1:
            raise ParameterError(f"{where}：比例应在 0 与 1 之间（如 0.50）", field="value")
    elif amount != amount.quantize(FEN):
        raise ParameterError(f"{where}：金额最多两位小数（元、角、分）", field="value")
    target["expr"] = plain(amount)
    return result, AppliedChange(policy_id, step, unit, before, amount)


def document_parameters_set(
    document: Mapping[str, Any], changes: Iterable[ParameterAssignment]
) -> tuple[dict[str, Any], list[AppliedChange]]:
    """Apply several changes in order; the first refusal stops, with its ``index``."""
    result = dict(document)
    applied = []
    for i, change in enumerate(changes):
        try:
            result, done = document_parameter_set(
                result, policy_id=change.policy, step=change.step, value=change.value
            )
        except ParameterError as exc:
            raise ParameterError(exc.message, field=exc.field, index=i) from None
        applied.append(done)
    return result, applied
