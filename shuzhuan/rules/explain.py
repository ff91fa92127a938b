"""The explain runner: one case → the edition in force, every policy's result with its steps
and clauses, the best project-level policy under the edition's stacking rule, and the total.

Amounts are ceilings (“以内”“最高”): min(basis × rate, cap), rounded half-up to the fen.

Each ceiling is split across the funding levels (三级资金: central, city, county) by the policy's
``funding_split`` (the edition's unless the policy overrides it) with ``funding.funding_shares``:
central and city each ``ceiling × share`` half-up to the fen, the county (the last level with a
share) takes the remainder, so the three add up to the ceiling exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shuzhuan.rules.case import Case
from shuzhuan.rules.funding import funding_shares
from shuzhuan.rules.model import Edition, Policy, Rulebook

FEN = Decimal("0.01")


def round_fen(value: Decimal) -> Decimal:
    """Half-up to the fen (as shuzhuan.core.money.to_yuan; the rulebook imports no app)."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class StepResult:
    name: str
    expr: str
    value: Decimal | None
    unit: str
    note: str


@dataclass(frozen=True)
class PolicyResult:
    policy: Policy
    eligible: bool
    unmet: tuple[str, ...]
    steps: tuple[StepResult, ...]
    ceiling: Decimal | None  # None when not eligible


@dataclass(frozen=True)
class Explanation:
    case: Case
    edition: Edition
    results: tuple[PolicyResult, ...]
    best: PolicyResult | None
    total_ceiling: Decimal


def explain(rulebook: Rulebook, case: Case) -> Explanation:
    """The edition in force on the case's ``as_of`` (NoEditionError when none covers it)."""
    return explain_in(rulebook.edition_for(case.as_of), case)


def explain_in(edition: Edition, case: Case) -> Explanation:
    """One named edition, whatever the case's date (an application is judged under its batch's
    edition; the what-if analysis under a draft)."""
    values: dict[str, Any] = case.values()
    values["key_industries"] = frozenset(edition.key_industries)
    results = tuple(_policy_result(policy, values, case) for policy in edition.policies)
    best = _best(edition, results)
    total = Decimal(0)
    if best is not None and best.ceiling is not None:
        total += best.ceiling
    for r in results:
        if r.policy.scope == "enterprise" and r.eligible and r.ceiling is not None:
            total += r.ceiling
    return Explanation(case=case, edition=edition, results=results, best=best, total_ceiling=round_fen(total))


def _policy_result(policy: Policy, base: dict[str, Any], case: Case) -> PolicyResult:
    values = dict(base)
    steps = []
    for step in policy.steps:
        value = step.expr.evaluate(values)
        if step.name == "ceiling" and value is not None:
            value = round_fen(value)
        values[step.name] = value
        steps.append(StepResult(step.name, step.expr.text, value, step.unit, step.note))
    unmet = [c.unmet for c in policy.conditions if c.expr.evaluate(values) is not True]
    if policy.once_per_enterprise and policy.reward_group in case.enterprise.rewards_received:
        unmet.append("该一次性奖励每家企业限享受一次，企业已领取")
    ceiling = values["ceiling"]
    eligible = not unmet and ceiling is not None
    if not unmet and ceiling is None:
        unmet.append("缺少计算补助所需的数据")
    return PolicyResult(
        policy=policy,
        eligible=eligible,
        unmet=tuple(unmet),
        steps=tuple(steps),
        ceiling=ceiling if eligible else None,
    )


def _best(edition: Edition, results: tuple[PolicyResult, ...]) -> PolicyResult | None:
    if edition.stacking != "highest_project_policy":  # pragma: no cover - the loader refuses others
        raise ValueError(f"unknown stacking rule {edition.stacking}")
    best: PolicyResult | None = None
    for r in results:
        if r.policy.scope != "project" or not r.eligible or r.ceiling is None:
            continue
        if best is None or best.ceiling is None or r.ceiling > best.ceiling:  # ties: the first listed
            best = r
    return best


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{round_fen(value):.2f}"


def _funding(r: PolicyResult) -> dict[str, str] | None:
    if r.ceiling is None:
        return None
    shares = funding_shares(r.ceiling, r.policy.funding_split)
    return {level: f"{amount:.2f}" for level, amount in shares.items()}


def _step_value(step: StepResult) -> str | None:
    if step.value is None:
        return None
    return _money(step.value) if step.unit == "yuan" else format(step.value.normalize(), "f")


def explanation_as_dict(x: Explanation) -> dict[str, Any]:
    """The calculator's JSON (amounts as strings with two decimals). ``funding`` is the ceiling
    split across the funding levels (``funding_shares``); null when the policy does not apply."""
    return {
        "as_of": x.case.as_of.isoformat(),
        "edition": x.edition.id,
        "document": x.edition.document,
        "stacking": x.edition.stacking,
        "results": [
            {
                "policy": r.policy.id,
                "title": r.policy.title,
                "scope": r.policy.scope,
                "eligible": r.eligible,
                "ceiling": _money(r.ceiling),
                "funding": _funding(r),
                "steps": [
                    {
                        "name": s.name,
                        "expr": s.expr,
                        "value": _step_value(s),
                        "unit": s.unit,
                        "note": s.note,
                        "source": str(r.policy.citation),
                    }
                    for s in r.steps
                ],
                "unmet": list(r.unmet),
                "source": str(r.policy.citation),
                "citation": {
                    "document": r.policy.citation.document,
                    "clause": r.policy.citation.clause,
                    "title": r.policy.citation.title,
                },
            }
            for r in x.results
        ],
        "best": None
        if x.best is None
        else {"policy": x.best.policy.id, "ceiling": _money(x.best.ceiling), "funding": _funding(x.best)},
        "total_ceiling": _money(x.total_ceiling),
    }
