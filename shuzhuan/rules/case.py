"""One case for the calculator: the facts about an enterprise and (optionally) one project.

``case_from_json`` checks a decoded JSON object and names the field it refuses
(``project.verified_investment: …``). The USCC's check character is verified by the caller
(the CLI and the API, with the registry's validator); the rulebook only carries it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from shuzhuan.rules.fields import PROJECT_KINDS, QUALIFICATIONS


class CaseError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class EnterpriseFacts:
    uscc: str | None = None
    industry: str | None = None
    is_sme: bool = False
    above_scale: bool = False
    qualifications: frozenset[str] = frozenset()
    rewards_received: frozenset[str] = frozenset()  # reward groups of one-time rewards already paid


@dataclass(frozen=True)
class ProjectFacts:
    kinds: frozenset[str] = frozenset()
    in_pilot_plan: bool = False
    accepted: bool = False
    declared_investment: Decimal | None = None
    verified_investment: Decimal | None = None


@dataclass(frozen=True)
class Case:
    as_of: dt.date
    enterprise: EnterpriseFacts
    project: ProjectFacts | None = None

    def values(self) -> dict[str, Any]:
        """Field name → value, as the expressions see them (None: unknown, as SQL NULL)."""
        e, p = self.enterprise, self.project
        return {
            "industry": e.industry,
            "is_sme": e.is_sme,
            "above_scale": e.above_scale,
            "qualifications": e.qualifications,
            "kinds": p.kinds if p else None,
            "in_pilot_plan": p.in_pilot_plan if p else None,
            "accepted": p.accepted if p else None,
            "declared_investment": p.declared_investment if p else None,
            "verified_investment": p.verified_investment if p else None,
        }


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_CASE_KEYS = {"as_of", "enterprise", "project"}
_ENTERPRISE_KEYS = {"uscc", "name", "industry", "is_sme", "above_scale", "qualifications", "rewards_received"}
_PROJECT_KEYS = {"kinds", "in_pilot_plan", "accepted", "declared_investment", "verified_investment"}


def case_from_json(data: Any) -> Case:
    if not isinstance(data, dict):
        raise CaseError("case", "须为 JSON 对象")
    _no_unknown(data, _CASE_KEYS, "")
    if data.get("as_of") is None:
        raise CaseError("as_of", "缺少日期（YYYY-MM-DD）")
    as_of = parse_date(data["as_of"], "as_of")
    raw_e = data.get("enterprise")
    if not isinstance(raw_e, dict):
        raise CaseError("enterprise", "须为 JSON 对象")
    _no_unknown(raw_e, _ENTERPRISE_KEYS, "enterprise.")
    industry = raw_e.get("industry")
    if industry is not None and (not isinstance(industry, str) or not _CODE.match(industry)):
        raise CaseError("enterprise.industry", f"行业代码不正确：{industry!r}（如 auto_parts）")
    uscc = raw_e.get("uscc")
    if uscc is not None and not isinstance(uscc, str):
        raise CaseError("enterprise.uscc", "须为文本")
    enterprise = EnterpriseFacts(
        uscc=uscc,
        industry=industry,
        is_sme=_bool(raw_e, "is_sme", "enterprise."),
        above_scale=_bool(raw_e, "above_scale", "enterprise."),
        qualifications=_codes(raw_e, "qualifications", "enterprise.", QUALIFICATIONS, "资质代码"),
        rewards_received=_codes(raw_e, "rewards_received", "enterprise.", None, "奖励代码"),
    )
    raw_p = data.get("project")
    if raw_p is None:
        return Case(as_of=as_of, enterprise=enterprise)
    if not isinstance(raw_p, dict):
        raise CaseError("project", "须为 JSON 对象")
    _no_unknown(raw_p, _PROJECT_KEYS, "project.")
    project = ProjectFacts(
        kinds=_codes(raw_p, "kinds", "project.", PROJECT_KINDS, "项目类型"),
        in_pilot_plan=_bool(raw_p, "in_pilot_plan", "project."),
        accepted=_bool(raw_p, "accepted", "project."),
        declared_investment=_amount(raw_p, "declared_investment", "project."),
        verified_investment=_amount(raw_p, "verified_investment", "project."),
    )
    return Case(as_of=as_of, enterprise=enterprise, project=project)


def parse_date(raw: Any, field: str) -> dt.date:
    if not isinstance(raw, str) or not _DATE.match(raw):
        raise CaseError(field, f"日期格式应为 YYYY-MM-DD：{raw!r}")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CaseError(field, f"日期不存在：{raw}") from None


def _no_unknown(data: dict[str, Any], allowed: set[str], prefix: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise CaseError(f"{prefix}{unknown[0]}", "未知字段")


def _bool(data: dict[str, Any], key: str, prefix: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise CaseError(prefix + key, f"须为 true 或 false：{value!r}")
    return value


def _codes(
    data: dict[str, Any], key: str, prefix: str, known: tuple[str, ...] | None, what: str
) -> frozenset[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CaseError(prefix + key, "须为文本数组")
    if known is not None:
        for v in value:
            if v not in known:
                raise CaseError(prefix + key, f"未知{what}：{v!r}（可选：{', '.join(known)}）")
    return frozenset(value)


def _amount(data: dict[str, Any], key: str, prefix: str) -> Decimal | None:
    raw = data.get(key)
    if raw is None:
        return None
    field = prefix + key
    if isinstance(raw, bool | float) or not isinstance(raw, int | str | Decimal):
        raise CaseError(field, f"金额须为数字：{raw!r}")
    try:
        amount = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except InvalidOperation:
        raise CaseError(field, f"金额须为数字：{raw!r}") from None
    if not amount.is_finite():
        raise CaseError(field, f"金额须为数字：{raw!r}")
    if amount < 0:
        raise CaseError(field, f"金额不能为负数：{raw}")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise CaseError(field, f"金额最多两位小数（元、角、分）：{raw}")
    return amount
