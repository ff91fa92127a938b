"""The rulebook's shapes: an edition holds its dated parameters and its policies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from shuzhuan.rules.expr import Expr


@dataclass(frozen=True)
class Citation:
    document: str  # 文号, e.g. 慈经信建〔2025〕15号
    clause: str  # e.g. 一(二)
    title: str  # the document's title

    def __str__(self) -> str:
        return f"{self.document} {self.clause}《{self.title}》"


@dataclass(frozen=True)
class Condition:
    expr: Expr
    unmet: str  # what is missing, in Chinese, shown when the condition does not hold


@dataclass(frozen=True)
class Step:
    name: str  # basis | rate | threshold | cap | ceiling | …
    expr: Expr
    unit: str  # yuan | ratio
    note: str  # what the step is, in Chinese


@dataclass(frozen=True)
class Policy:
    id: str
    scope: str  # project | enterprise
    title: str
    summary: str  # the clause in our own words
    citation: Citation
    conditions: tuple[Condition, ...]
    steps: tuple[Step, ...]  # the last one is ``ceiling``
    once_per_enterprise: bool
    reward_group: str  # one-time rewards with the same group are paid once per enterprise
    funding_split: dict[str, Decimal]
    # 免申即享: an eligible enterprise is awarded from the data, with no application of its own
    # (enterprise-scope policies only; the award still waits for an officer's amount approval)
    auto_grant: bool = False

    def constant_step(self, name: str) -> Decimal | None:
        """The value of the step ``name`` when it is a plain number (a cap, rate or threshold),
        else None (no such step, or it reads the case's fields)."""
        for step in self.steps:
            if step.name == name:
                try:
                    value = step.expr.evaluate({})
                except Exception:  # a step that reads the case's fields
                    return None
                return value if isinstance(value, Decimal) else None
        return None


@dataclass(frozen=True)
class Edition:
    id: str
    document: str
    title: str
    effective_from: dt.date
    effective_to: dt.date | None  # inclusive; None: until a newer edition replaces it
    key_industries: tuple[str, ...]
    stacking: str  # highest_project_policy (就高不重复)
    funding_split: dict[str, Decimal]
    policies: tuple[Policy, ...]

    def covers(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def policy(self, policy_id: str) -> Policy:
        return next(p for p in self.policies if p.id == policy_id)


STACKING_RULES = {
    "highest_project_policy": "就高不重复：一个项目只享受一项项目类政策，取金额最高者",
}


class NoEditionError(LookupError):
    pass


@dataclass(frozen=True)
class Rulebook:
    editions: tuple[Edition, ...]  # ordered by effective_from, never overlapping

    def edition_for(self, day: dt.date) -> Edition:
        for edition in self.editions:
            if edition.covers(day):
                return edition
        raise NoEditionError(f"no policy edition is in force on {day.isoformat()}")

    def edition(self, edition_id: str) -> Edition:
        for edition in self.editions:
            if edition.id == edition_id:
                return edition
        raise NoEditionError(f"no such edition: {edition_id}")
