"""The match as one SQL statement, printed for DuckDB or Spark from the same sqlglot trees the
explain runner evaluates (``shuzhuan.rules.compile``); the semantics are described in
``shuzhuan.rules.match``.

Plan: ``ent`` (each enterprise with its set tests as boolean columns) and ``prj`` (each project
with its own) are joined; for the project-scope policies one pass computes each condition's
truth (``COALESCE(…, FALSE)``: a condition holds only when TRUE), the reward check, the ceiling
and the gap of each threshold, then each policy's rank (0 eligible, 1 near miss), ceiling, unmet
condition and gap; a CROSS JOIN with one row per policy turns that into one candidate row per
(project, policy) with a rank. The enterprises alone (project fields NULL) give the
enterprise-scope policies' candidates and the prospects (rank 2). ROW_NUMBER over (uscc, policy)
ordered by rank, ceiling (highest first, eligible only), gap (smallest first, NULL last) and
project_id keeps the best candidate; the words are put together last, only for those rows.
"""

# The SQL is printed from type-checked rulebook expressions; literals are quoted by sqlglot.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlglot import exp

from shuzhuan.rules.batch import PROJECTS_SCHEMA

# the compile helpers that inline steps, parameters and set tests and make LEAST/GREATEST strict,
# used as the batch runners use them (through policy_sql), one condition at a time
from shuzhuan.rules.compile import _inline, _strict, membership_tests
from shuzhuan.rules.match_plan import (
    PER_WAN,
    STATUSES,
    STRICT_STEP,
    WAN,
    ConditionPlan,
    PolicyPlan,
    plan_edition,
)
from shuzhuan.rules.model import Edition

# --- the SQL plan (DuckDB and Spark) ------------------------------------------------------------

_PROJECT_SCALARS = ("in_pilot_plan", "accepted", "declared_investment", "verified_investment")
_NULL_TYPES = {
    "in_pilot_plan": "BOOLEAN",
    "accepted": "BOOLEAN",
    "declared_investment": "DECIMAL(14, 2)",
    "verified_investment": "DECIMAL(14, 2)",
}
_MONEY = "DECIMAL(14, 2)"


def _decimal(value: Decimal) -> str:
    """The narrowest exact DECIMAL literal (as ``compile`` prints numbers)."""
    _, digits, exponent = value.as_tuple()
    scale = max(0, -int(exponent))
    precision = max(len(digits) + int(exponent), 0) + scale
    return f"CAST({format(value, 'f')} AS DECIMAL({max(precision, 1)}, {scale}))"


def _money(value: Decimal | None) -> str:
    return f"CAST(NULL AS {_MONEY})" if value is None else f"CAST({value:.2f} AS {_MONEY})"


@dataclass(frozen=True)
class _Slot:
    """One policy judged on one relation: ``full`` (eligible / near miss) or ``prospect``."""

    number: int  # the policy's position in the edition
    plan: PolicyPlan
    mode: str


class _Printer:
    def __init__(self, edition: Edition, dialect: str):
        self.edition = edition
        self.dialect = dialect
        self.tests = membership_tests(edition.policies)

    def string(self, value: str) -> str:
        return exp.Literal.string(value).sql(dialect=self.dialect)

    def condition(self, plan: PolicyPlan, c: ConditionPlan) -> str:
        tree = _strict(_inline(c.condition.expr.tree, self._steps(plan), self.edition, self.tests))
        return f"COALESCE({tree.sql(dialect=self.dialect)}, FALSE)"

    def ceiling(self, plan: PolicyPlan) -> str:
        tree = _strict(self._steps(plan)["ceiling"])
        return f"CAST(ROUND({tree.sql(dialect=self.dialect)}, 2) AS {_MONEY})"

    def _steps(self, plan: PolicyPlan) -> dict[str, exp.Expression]:
        steps: dict[str, exp.Expression] = {}
        for step in plan.policy.steps:
            steps[step.name] = _inline(step.expr.tree, steps, self.edition, self.tests)
        return steps

    def not_received(self, plan: PolicyPlan) -> str | None:
        if not plan.policy.once_per_enterprise:
            return None
        return f"NOT {self.tests[('rewards_received', plan.policy.reward_group)]}"

    def tested(self, side: Iterable[tuple[tuple[str, str], str]]) -> list[str]:
        # a NULL list reads as an empty one (as run_python reads it)
        return [
            f"COALESCE({exp.ArrayContains(this=exp.column(field), expression=exp.Literal.string(code)).sql(dialect=self.dialect)}, FALSE) AS {m}"
            for (field, code), m in side
        ]

    def slots(self, source: str, slots: Sequence[_Slot]) -> str | None:
        """One row per (row of ``source``, slot) where the slot's rank is not NULL: uscc,
        project_id, pol, rank (0 eligible, 1 near miss, 2 prospect), ceiling, condition, gap."""
        if not slots:
            return None
        flags: list[str] = []  # layer 1: each condition held, the reward check, ceiling, gaps
        per: list[dict[str, str]] = []  # layer 2: each slot's rank, ceiling, condition, gap
        for n, slot in enumerate(slots):
            plan = slot.plan
            held: dict[int, str] = {}
            for c in plan.conditions:
                if slot.mode == "prospect" and not c.enterprise_only:
                    continue
                held[c.index] = f"h{n}_{c.index}"
                flags.append(f"{self.condition(plan, c)} AS {held[c.index]}")
            gates = list(held.values())
            received = self.not_received(plan)
            if received is not None:
                gates.append(f"r{n}")
                flags.append(f"{received} AS r{n}")
            everything = " AND ".join(gates) or "TRUE"
            if slot.mode == "prospect":
                per.append(
                    {
                        "rank": f"CASE WHEN {everything} THEN 2 END",
                        "ceiling": _money(plan.cap),
                        "condition": "CAST(NULL AS INT)",
                        "gap": f"CAST(NULL AS {_MONEY})",
                    }
                )
                continue
            flags.append(f"{self.ceiling(plan)} AS k{n}")
            actionable = [c for c in plan.conditions if c.actionable]
            unmet = " + ".join(f"CASE WHEN {g} THEN 0 ELSE 1 END" for g in gates)
            rank = f"CASE WHEN {everything} AND k{n} IS NOT NULL THEN 0"
            if actionable:
                one = " OR ".join(f"NOT {held[c.index]}" for c in actionable)
                rank += f" WHEN {unmet} = 1 AND ({one}) THEN 1"
            gaps = []
            for c in plan.conditions:
                if c.actionable and c.threshold is not None:
                    t = c.threshold
                    strict = f" + {_decimal(STRICT_STEP)}" if t.strict else ""
                    flags.append(
                        f"CAST(ROUND({_decimal(t.value)} - {t.field}{strict}, 2) AS {_MONEY}) AS g{n}_{c.index}"
                    )
                    gaps.append(f"WHEN NOT {held[c.index]} THEN g{n}_{c.index}")
            per.append(
                {
                    "rank": rank + " END",
                    "ceiling": f"k{n}",
                    "condition": "CASE "
                    + " ".join(f"WHEN NOT {held[c.index]} THEN {c.index}" for c in actionable)
                    + " END"
                    if actionable
                    else "CAST(NULL AS INT)",
                    "gap": f"CASE {' '.join(gaps)} END" if gaps else f"CAST(NULL AS {_MONEY})",
                }
            )
        layer1 = f"SELECT uscc, project_id, {', '.join(flags) or 'TRUE AS t'} FROM ({source}) s"
        columns = [f"{v} AS {k}{n}" for n, d in enumerate(per) for k, v in d.items()]
        any_rank = " OR ".join(f"rank{n} IS NOT NULL" for n in range(len(per)))
        layer2 = f"SELECT * FROM (SELECT uscc, project_id, {', '.join(columns)} FROM ({layer1}) f) g WHERE {any_rank}"
        which = " UNION ALL ".join(f"SELECT {n} AS n, {slot.number} AS pol" for n, slot in enumerate(slots))

        def pick(name: str, typ: str) -> str:
            whens = " ".join(f"WHEN {n} THEN {name}{n}" for n in range(len(per)))
            return f"CAST(CASE w.n {whens} END AS {typ}) AS {name}"

        unpivot = (
            f"SELECT v.uscc AS uscc, CAST(v.project_id AS STRING) AS project_id, w.pol AS pol, "
            f"{pick('rank', 'INT')}, {pick('ceiling', _MONEY)}, {pick('condition', 'INT')}, {pick('gap', _MONEY)} "
            f"FROM ({layer2}) v CROSS JOIN ({which}) w"
        )
        return f"SELECT * FROM ({unpivot}) u WHERE rank IS NOT NULL"

    def amount(self) -> str:
        """``amount_text(gap)`` in SQL."""

        def strip(value: str) -> str:
            return f"REGEXP_REPLACE(CAST({value} AS STRING), {self.string('[.]?0+$')}, {self.string('')})"

        wan = f"CAST(ROUND(gap * {_decimal(PER_WAN)}, 2) AS {_MONEY})"
        return (
            f"CASE WHEN gap IS NULL THEN CAST(NULL AS STRING) WHEN gap < {_decimal(WAN)} THEN CONCAT({strip('gap')}, {self.string(' 元')}) "
            f"ELSE CONCAT({strip(wan)}, {self.string(' 万元')}) END"
        )

    def gap_text(self, plans: Sequence[PolicyPlan]) -> str:
        whens = []
        for number, plan in enumerate(plans):
            for c in plan.conditions:
                if not c.actionable:
                    continue
                text = self.string(c.condition.unmet)
                if c.threshold is not None:
                    said = f"CONCAT({self.string(c.threshold.prefix)}, amount, {self.string(c.threshold.suffix)})"
                    text = f"CASE WHEN gap IS NULL THEN {text} ELSE {said} END"
                whens.append(f"WHEN pol = {number} AND condition = {c.index} THEN {text}")
        if not whens:
            return "CAST(NULL AS STRING)"
        return f"CASE WHEN rank = 1 THEN CASE {' '.join(whens)} END END"


def match_sql(
    edition: Edition,
    dialect: str,
    *,
    enterprises: str = "match_enterprises",
    projects: str = "match_projects",
) -> str:
    """The whole match of ``edition`` as one SELECT in ``dialect`` (duckdb or spark) over the
    tables (or views) named ``enterprises`` and ``projects``; its columns are ``MATCH_SCHEMA``'s."""
    if dialect not in ("duckdb", "spark"):
        raise ValueError(f"unknown dialect {dialect!r} (known: duckdb, spark)")
    plans = plan_edition(edition)
    sql = _Printer(edition, dialect)
    prj_tests = [(k, m) for k, m in sql.tests.items() if k[0] in PROJECTS_SCHEMA.names]
    ent_tests = [(k, m) for k, m in sql.tests.items() if k[0] not in PROJECTS_SCHEMA.names]
    ent = (
        f"SELECT {', '.join(['uscc', 'industry', 'is_sme', 'above_scale', *sql.tested(ent_tests)])} "
        f"FROM {enterprises}"
    )
    prj = f"SELECT {', '.join(['project_id', 'uscc', *_PROJECT_SCALARS, *sql.tested(prj_tests)])} FROM {projects}"
    joined = (
        f"SELECT p.project_id AS project_id, e.*, {', '.join(f'p.{c}' for c in _PROJECT_SCALARS)}"
        f"{''.join(f', p.{m}' for _, m in prj_tests)} "
        f"FROM ({prj}) p JOIN ({ent}) e ON e.uscc = p.uscc"
    )
    nulls = [f"CAST(NULL AS {_NULL_TYPES[c]}) AS {c}" for c in _PROJECT_SCALARS]
    nulls += [f"CAST(NULL AS BOOLEAN) AS {m}" for _, m in prj_tests]
    alone = f"SELECT CAST(NULL AS STRING) AS project_id, e.*, {', '.join(nulls)} FROM ({ent}) e"
    on_projects = [_Slot(i, p, "full") for i, p in enumerate(plans) if p.policy.scope == "project"]
    on_enterprises = [_Slot(i, p, "full") for i, p in enumerate(plans) if p.policy.scope != "project"]
    on_enterprises += [_Slot(i, p, "prospect") for i, p in enumerate(plans) if p.prospect]
    parts = [s for s in (sql.slots(joined, on_projects), sql.slots(alone, on_enterprises)) if s]
    if not parts:  # an edition without policies matches nothing
        parts = [
            f"SELECT uscc, CAST(NULL AS STRING) AS project_id, 0 AS pol, 0 AS rank, "
            f"CAST(NULL AS {_MONEY}) AS ceiling, CAST(NULL AS INT) AS condition, "
            f"CAST(NULL AS {_MONEY}) AS gap FROM {enterprises} WHERE FALSE"
        ]
    ranked = (
        "SELECT c.*, ROW_NUMBER() OVER (PARTITION BY uscc, pol ORDER BY rank ASC, "
        "CASE WHEN rank = 0 THEN ceiling END DESC NULLS LAST, gap ASC NULLS LAST, "
        f"project_id ASC NULLS LAST) AS rn FROM ({' UNION ALL '.join(parts)}) c"
    )
    best = f"SELECT r.*, {sql.amount()} AS amount FROM ({ranked}) r WHERE rn = 1"

    def by_policy(value: Any) -> str:
        whens = " ".join(f"WHEN {i} THEN {sql.string(value(p))}" for i, p in enumerate(plans))
        return f"CASE pol {whens} END" if whens else "CAST(NULL AS STRING)"

    status = " ".join(f"WHEN {i} THEN {sql.string(s)}" for i, s in enumerate(STATUSES))
    return (
        f"SELECT uscc, {sql.string(edition.id)} AS edition, "
        f"{by_policy(lambda p: p.policy.id)} AS policy, {by_policy(lambda p: p.policy.scope)} AS scope, "
        f"CASE rank {status} END AS status, ceiling, project_id, condition, gap, "
        f"{sql.gap_text(plans)} AS gap_text FROM ({best}) b"
    )
