"""What-if (影响测算): how a reformed edition changes the budget over a population — the
reform analysis of PolicyEngine, for enterprise subsidies.

Input
    ``base`` and ``reform`` — two editions with the same policies, parameters changed (a draft and
    the edition it copies; or an edition and itself with ``--set`` changes). Policies are matched by
    their id without the edition prefix (``cixi-2025-ai`` ↔ ``cixi-2026-ai``); a policy found on one
    side only counts as not eligible on the other.
    ``enterprises`` — ``batch.ENTERPRISES_SCHEMA`` plus ``town`` (name) and ``industry_name``
    (either may be missing or null: reported as unknown).
    ``projects`` — ``batch.PROJECTS_SCHEMA``.

Both editions are run *forced* on the DuckDB batch runner (every project under each edition,
whatever its ``as_of``): once over the projects, once over the enterprises alone (an enterprise
run) for the enterprise-level rewards.

Budget (预算需求), for one edition, is the sum of
    * each project's ceiling: its best project-level policy under the edition's stacking rule
      (就高不重复 — the one highest ceiling; nothing when no project policy applies), and
    * each enterprise's enterprise-level rewards from the enterprise run — every enterprise in
      ``enterprises`` once, not once per project; a one-time reward whose group the enterprise has
      already received (``rewards_received``) is not eligible, so it adds nothing.
Amounts are ceilings (“以内”“最高”), so the budget is what the programme could have to pay at
most, not what officers will approve.

A project *changes* when its ceiling changes (not when only the chosen policy does); an enterprise
*is affected* when one of its projects changes or its rewards change. Each amount is split among
the funding levels with the split of the policy that produced it (which defaults to the edition's;
``funding.funding_shares``: half-up to the fen, the shares summing to the amount). Every money
figure is a Decimal with two places.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from shuzhuan.rules import batch_duckdb
from shuzhuan.rules.fields import FUNDING_LEVELS
from shuzhuan.rules.funding import funding_shares
from shuzhuan.rules.model import Edition, Rulebook

ZERO = Decimal("0.00")
FEN = Decimal("0.01")


def _money(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(FEN)


@dataclass(frozen=True)
class Budget:
    before: Decimal
    after: Decimal

    @property
    def delta(self) -> Decimal:
        return self.after - self.before

    def as_dict(self) -> dict[str, str]:
        return {"before": str(self.before), "after": str(self.after), "delta": str(self.delta)}


@dataclass(frozen=True)
class LevelImpact:
    level: str  # central | city | county
    budget: Budget


@dataclass(frozen=True)
class GroupImpact:
    """One town (or industry): its projects' ceilings and its enterprises' rewards."""

    name: str | None  # None: unknown (no enterprise row, or no town/industry recorded)
    budget: Budget
    projects_changed: int
    enterprises_affected: int


@dataclass(frozen=True)
class PolicyImpact:
    key: str  # the id without the edition prefix: ai, pilot, …
    base_policy: str | None
    reform_policy: str | None
    title: str
    scope: str  # project | enterprise
    eligible_before: int  # projects (or enterprises, for enterprise rewards) eligible
    eligible_after: int
    chosen_before: int  # projects whose best policy it is (enterprise rewards: = eligible)
    chosen_after: int
    ceiling_before: Decimal  # sum of every eligible ceiling, chosen or not
    ceiling_after: Decimal


@dataclass(frozen=True)
class ProjectImpact:
    project_id: str
    uscc: str | None
    town: str | None
    industry_name: str | None
    policy_before: str | None  # the best project policy, None when none applies
    ceiling_before: Decimal
    policy_after: str | None
    ceiling_after: Decimal

    @property
    def delta(self) -> Decimal:
        return self.ceiling_after - self.ceiling_before


@dataclass(frozen=True)
class Impact:
    base: str  # edition ids
    reform: str
    projects: int  # the population
    enterprises: int
    projects_changed: int
    projects_up: int
    projects_down: int
    enterprises_affected: int
    rewards_changed: int  # enterprises whose enterprise-level rewards change
    budget: Budget
    by_level: tuple[LevelImpact, ...]
    by_town: tuple[GroupImpact, ...]
    by_industry: tuple[GroupImpact, ...]
    by_policy: tuple[PolicyImpact, ...]
    top: tuple[ProjectImpact, ...]  # the largest changes, |Δ| descending

    def as_dict(self) -> dict[str, Any]:
        def group(g: GroupImpact) -> dict[str, Any]:
            return {
                "name": g.name,
                **g.budget.as_dict(),
                "projects_changed": g.projects_changed,
                "enterprises_affected": g.enterprises_affected,
            }

        return {
            "base": self.base,
            "reform": self.reform,
            "projects": self.projects,
            "enterprises": self.enterprises,
            "projects_changed": self.projects_changed,
            "projects_up": self.projects_up,
            "projects_down": self.projects_down,
            "enterprises_affected": self.enterprises_affected,
            "rewards_changed": self.rewards_changed,
            "budget": self.budget.as_dict(),
            "by_level": {lv.level: lv.budget.as_dict() for lv in self.by_level},
            "by_town": [group(g) for g in self.by_town],
            "by_industry": [group(g) for g in self.by_industry],
            "by_policy": [
                {
                    "key": p.key,
                    "base_policy": p.base_policy,
                    "reform_policy": p.reform_policy,
                    "title": p.title,
                    "scope": p.scope,
                    "eligible_before": p.eligible_before,
                    "eligible_after": p.eligible_after,
                    "chosen_before": p.chosen_before,
                    "chosen_after": p.chosen_after,
                    "ceiling_before": str(p.ceiling_before),
                    "ceiling_after": str(p.ceiling_after),
                }
                for p in self.by_policy
            ],
            "top": [
                {
                    "project_id": t.project_id,
                    "uscc": t.uscc,
                    "town": t.town,
                    "industry_name": t.industry_name,
                    "policy_before": t.policy_before,
                    "ceiling_before": str(t.ceiling_before),
                    "policy_after": t.policy_after,
                    "ceiling_after": str(t.ceiling_after),
                    "delta": str(t.delta),
                }
                for t in self.top
            ],
        }


def policy_key(policy_id: str, edition_id: str) -> str:
    """``cixi-2025-ai`` in ``cixi-2025`` → ``ai``: how policies of two editions are matched."""
    return policy_id.removeprefix(f"{edition_id}-")


@dataclass
class _Run:
    """One edition's results over the population, keyed for the comparison."""

    edition: Edition
    best: dict[str, tuple[str | None, Decimal]] = field(default_factory=dict)  # project → (policy, ceiling)
    rewards: dict[str, Decimal] = field(default_factory=dict)  # uscc → its enterprise rewards
    eligible: Counter[str] = field(default_factory=Counter)  # policy key → cases eligible
    chosen: Counter[str] = field(default_factory=Counter)  # policy key → cases it is paid for
    ceilings: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    awards: Counter[tuple[str, Decimal]] = field(default_factory=Counter)  # (policy, amount) → how many

    def key(self, policy_id: str) -> str:
        return policy_key(policy_id, self.edition.id)

    def award(self, policy_id: str, amount: Decimal) -> None:
        self.chosen[self.key(policy_id)] += 1
        if amount:
            self.awards[policy_id, amount] += 1

    def levels(self) -> dict[str, Decimal]:
        """Each award split with its policy's funding split, summed per level (equal awards of one
        policy are split once and counted)."""
        total = dict.fromkeys(FUNDING_LEVELS, ZERO)
        for (policy_id, amount), count in self.awards.items():
            for level, share in funding_shares(amount, self.edition.policy(policy_id).funding_split).items():
                total[level] += share * count
        return total

    def total(self) -> Decimal:
        return sum((c for _, c in self.best.values()), ZERO) + sum(self.rewards.values(), ZERO)


def _eligible(run: _Run, result: batch_duckdb.BatchResult, scope: str) -> None:
    """Count eligible cases and sum their ceilings per policy, column by column of ``wide``."""
    for column in result.policies:
        if column.scope != scope:
            continue
        ceilings = result.wide.column(column.policy)
        key = run.key(column.policy)
        run.eligible[key] += len(ceilings) - ceilings.null_count
        run.ceilings[key] += _money(pc.sum(ceilings).as_py())


def _run(edition: Edition, enterprises: pa.Table, projects: pa.Table) -> _Run:
    book = Rulebook(editions=(edition,))
    run = _Run(edition)
    result = batch_duckdb.run(book, enterprises=enterprises, projects=projects, edition=edition)
    wide = result.wide
    for case_id, policy, ceiling in zip(
        wide.column("case_id").to_pylist(),
        wide.column("best_policy").to_pylist(),
        wide.column("best_ceiling").to_pylist(),
        strict=True,
    ):
        if ceiling is None:
            run.best[case_id] = (None, ZERO)
        else:
            run.best[case_id] = (policy, _money(ceiling))
            run.award(policy, run.best[case_id][1])
    _eligible(run, result, "project")
    if any(p.scope == "enterprise" for p in edition.policies) and enterprises.num_rows:
        # each enterprise once (an enterprise run), not once per project
        rewards = batch_duckdb.run(
            book, enterprises=enterprises, edition=edition, enterprise_run_on=edition.effective_from
        )
        _eligible(run, rewards, "enterprise")
        usccs = rewards.wide.column("case_id").to_pylist()
        for column in rewards.policies:
            if column.scope != "enterprise":
                continue
            for uscc, ceiling in zip(usccs, rewards.wide.column(column.policy).to_pylist(), strict=True):
                if ceiling is not None:
                    amount = _money(ceiling)
                    run.rewards[uscc] = run.rewards.get(uscc, ZERO) + amount
                    run.award(column.policy, amount)
    return run


def _column(table: pa.Table, name: str) -> list[Any]:
    return table.column(name).to_pylist() if name in table.column_names else [None] * table.num_rows


@dataclass
class _Group:
    before: Decimal = ZERO
    after: Decimal = ZERO
    projects_changed: int = 0
    enterprises: set[str | None] = field(default_factory=set)

    def done(self, name: str | None) -> GroupImpact:
        return GroupImpact(
            name, Budget(self.before, self.after), self.projects_changed, len(self.enterprises)
        )


def _groups(groups: Mapping[str | None, _Group]) -> tuple[GroupImpact, ...]:
    ordered = sorted(
        groups.items(),
        key=lambda kv: (-abs(kv[1].after - kv[1].before), -kv[1].after, kv[0] is None, kv[0] or ""),
    )
    return tuple(g.done(name) for name, g in ordered)


def impact(
    base: Edition, reform: Edition, *, enterprises: pa.Table, projects: pa.Table, top: int = 20
) -> Impact:
    """Compare ``reform`` with ``base`` over the population (see the module's docstring)."""
    if top < 0:
        raise ValueError("top must not be negative")
    before, after = _run(base, enterprises, projects), _run(reform, enterprises, projects)
    if len(before.best) != projects.num_rows:
        raise ValueError("projects: a project_id occurs more than once")

    usccs = _column(enterprises, "uscc")
    town_of = dict(zip(usccs, _column(enterprises, "town"), strict=True))
    industry_of = dict(zip(usccs, _column(enterprises, "industry_name"), strict=True))
    towns: dict[str | None, _Group] = defaultdict(_Group)
    industries: dict[str | None, _Group] = defaultdict(_Group)
    affected: set[str | None] = set()
    changed: list[ProjectImpact] = []
    up = down = 0

    def add(uscc: str | None, old: Decimal, new: Decimal, project_changed: bool) -> None:
        for groups, name in ((towns, town_of.get(uscc)), (industries, industry_of.get(uscc))):
            g = groups[name]
            g.before += old
            g.after += new
            g.projects_changed += project_changed
            if old != new:
                g.enterprises.add(uscc)

    for project_id, uscc in zip(_column(projects, "project_id"), _column(projects, "uscc"), strict=True):
        old_policy, old = before.best[project_id]
        new_policy, new = after.best[project_id]
        add(uscc, old, new, old != new)
        if old == new:
            continue
        affected.add(uscc)
        up, down = (up + 1, down) if new > old else (up, down + 1)
        changed.append(
            ProjectImpact(
                project_id,
                uscc,
                town_of.get(uscc),
                industry_of.get(uscc),
                old_policy,
                old,
                new_policy,
                new,
            )
        )

    rewards_changed = 0
    for uscc in usccs:
        old, new = before.rewards.get(uscc, ZERO), after.rewards.get(uscc, ZERO)
        if old or new:
            add(uscc, old, new, False)
        if old != new:
            rewards_changed += 1
            affected.add(uscc)

    changed.sort(key=lambda t: (-abs(t.delta), t.project_id))
    old_levels, new_levels = before.levels(), after.levels()
    return Impact(
        base=base.id,
        reform=reform.id,
        projects=projects.num_rows,
        enterprises=enterprises.num_rows,
        projects_changed=len(changed),
        projects_up=up,
        projects_down=down,
        enterprises_affected=len(affected),
        rewards_changed=rewards_changed,
        budget=Budget(before.total(), after.total()),
        by_level=tuple(
            LevelImpact(level, Budget(old_levels[level], new_levels[level])) for level in FUNDING_LEVELS
        ),
        by_town=_groups(towns),
        by_industry=_groups(industries),
        by_policy=_policies(before, after),
        top=tuple(changed[:top]),
    )


def _policies(before: _Run, after: _Run) -> tuple[PolicyImpact, ...]:
    base_ids = {before.key(p.id): p for p in before.edition.policies}
    reform_ids = {after.key(p.id): p for p in after.edition.policies}
    keys = list(reform_ids) + [k for k in base_ids if k not in reform_ids]
    rows = []
    for key in keys:
        old, new = base_ids.get(key), reform_ids.get(key)
        shown = new or old
        assert shown is not None
        rows.append(
            PolicyImpact(
                key=key,
                base_policy=old.id if old else None,
                reform_policy=new.id if new else None,
                title=shown.title,
                scope=shown.scope,
                eligible_before=before.eligible[key],
                eligible_after=after.eligible[key],
                chosen_before=before.chosen[key],
                chosen_after=after.chosen[key],
                ceiling_before=before.ceilings[key],
                ceiling_after=after.ceilings[key],
            )
        )
    return tuple(rows)
