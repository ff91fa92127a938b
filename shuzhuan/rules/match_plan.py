"""The match plan of an edition — what each condition reads, which can be a near miss, its
threshold, each policy's constant cap — and the near miss in words. Shared by the three match
runners; the semantics are described in ``shuzhuan.rules.match``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa
from sqlglot import exp

from shuzhuan.rules.batch import MONEY
from shuzhuan.rules.explain import round_fen
from shuzhuan.rules.expr import Expr
from shuzhuan.rules.fields import FIELDS, FUNCTIONS, Type
from shuzhuan.rules.model import Condition, Edition, Policy

MATCH_SCHEMA = pa.schema(
    [
        ("uscc", pa.string()),
        ("edition", pa.string()),
        ("policy", pa.string()),
        ("scope", pa.string()),
        ("status", pa.string()),
        ("ceiling", MONEY),
        ("project_id", pa.string()),
        ("condition", pa.int32()),
        ("gap", MONEY),
        ("gap_text", pa.string()),
    ]
)
STATUSES = ("eligible", "near_miss", "prospect")  # their rank: an eligible project wins
ACTIONABLE_FIELDS = frozenset({"in_pilot_plan", "accepted", "declared_investment", "verified_investment"})

WAN = Decimal(10000)
PER_WAN = Decimal("0.0001")
STRICT_STEP = Decimal("0.01")
_UNIT = re.compile(r"（[^（）]*）$")  # 核定投入额（元） → 核定投入额


# --- the plan: what each condition reads, thresholds and caps (shared by the three runners) -------


@dataclass(frozen=True)
class Threshold:
    """A condition ``x >= value`` (``x > value`` when strict) on the number field ``field``."""

    field: str
    value: Decimal  # e, in yuan
    strict: bool
    label: str  # the field's label without its unit

    def gap(self, x: Decimal) -> Decimal:
        return round_fen(self.value - x + (STRICT_STEP if self.strict else 0))

    @property
    def prefix(self) -> str:
        return f"{self.label}还差 "

    @property
    def suffix(self) -> str:
        return f"即达 {plain(self.value * PER_WAN)} 万元门槛"


@dataclass(frozen=True)
class ConditionPlan:
    index: int
    condition: Condition
    reads: frozenset[str]  # the fields it reads, through the steps it names
    enterprise_only: bool  # reads no project field
    actionable: bool  # can be the one unmet condition of a near miss
    threshold: Threshold | None


@dataclass(frozen=True)
class PolicyPlan:
    policy: Policy
    conditions: tuple[ConditionPlan, ...]
    prospect: bool  # project scope with a condition on the enterprise's own fields
    cap: Decimal | None  # the constant cap step, to the fen (a prospect's ceiling)


def _reads(tree: exp.Expression, steps: Mapping[str, frozenset[str]]) -> frozenset[str]:
    found: set[str] = set()
    for node in tree.find_all(exp.Column):
        if node.name in steps:
            found |= steps[node.name]
        elif node.name in FIELDS:
            found.add(node.name)
    for call in tree.find_all(exp.Anonymous):
        found.add(FUNCTIONS[str(call.this).lower()].field)
    return frozenset(found)


def _unparen(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _threshold(
    tree: exp.Expression, steps: Mapping[str, frozenset[str]], constants: Mapping[str, Any]
) -> Threshold | None:
    node = _unparen(tree)
    if isinstance(node, exp.GTE | exp.GT):
        x, e, strict = _unparen(node.this), node.expression, isinstance(node, exp.GT)
    elif isinstance(node, exp.LTE | exp.LT):
        x, e, strict = _unparen(node.expression), node.this, isinstance(node, exp.LT)
    else:
        return None
    if not isinstance(x, exp.Column) or x.name not in FIELDS or FIELDS[x.name].type != Type.NUMBER:
        return None
    if _reads(e, steps):
        return None
    value = Expr(text=e.sql(), tree=e, type=Type.NUMBER).evaluate(constants)
    if not isinstance(value, Decimal):
        return None
    return Threshold(x.name, value, strict, _UNIT.sub("", FIELDS[x.name].label))


def _policy_plan(policy: Policy, edition: Edition) -> PolicyPlan:
    steps: dict[str, frozenset[str]] = {}
    constants: dict[str, Any] = {"key_industries": frozenset(edition.key_industries)}
    for step in policy.steps:
        steps[step.name] = _reads(step.expr.tree, steps)
        value = step.expr.evaluate(constants) if not steps[step.name] else None
        constants[step.name] = round_fen(value) if step.name == "ceiling" and value is not None else value
    conditions = []
    for i, c in enumerate(policy.conditions):
        reads = _reads(c.expr.tree, steps)
        entities = {FIELDS[f].entity for f in reads if f in FIELDS}
        conditions.append(
            ConditionPlan(
                index=i,
                condition=c,
                reads=reads,
                enterprise_only="project" not in entities,
                actionable=bool(reads) and reads <= ACTIONABLE_FIELDS,
                threshold=_threshold(c.expr.tree, steps, constants),
            )
        )
    cap = constants.get("cap") if "cap" in steps and not steps["cap"] else None
    return PolicyPlan(
        policy=policy,
        conditions=tuple(conditions),
        prospect=policy.scope == "project" and any(c.reads and c.enterprise_only for c in conditions),
        cap=round_fen(cap) if isinstance(cap, Decimal) else None,
    )


_PLANS: dict[int, tuple[Edition, tuple[PolicyPlan, ...]]] = {}


def plan_edition(edition: Edition) -> tuple[PolicyPlan, ...]:
    """Each policy's plan, in listing order (cached per edition object)."""
    cached = _PLANS.get(id(edition))
    if cached is None or cached[0] is not edition:
        if len(_PLANS) >= 64:  # drafts come and go (what-if); the plans are cheap to rebuild
            _PLANS.clear()
        cached = (edition, tuple(_policy_plan(p, edition) for p in edition.policies))
        _PLANS[id(edition)] = cached
    return cached[1]


# --- words -------------------------------------------------------------------------------------


def plain(value: Decimal) -> str:
    """Half-up to the fen, trailing zeros and point stripped: 30.00 → "30", 0.50 → "0.5"."""
    return f"{round_fen(value):.2f}".rstrip("0").rstrip(".")


def amount_text(gap: Decimal) -> str:
    """A gap in words: in 万元 from 1 万元 up (2 decimals, half-up), in 元 below."""
    return f"{plain(gap)} 元" if gap < WAN else f"{plain(gap * PER_WAN)} 万元"


def gap_text(plan: ConditionPlan, gap: Decimal | None) -> str:
    if plan.threshold is None or gap is None:
        return plan.condition.unmet
    return f"{plan.threshold.prefix}{amount_text(gap)}{plan.threshold.suffix}"
