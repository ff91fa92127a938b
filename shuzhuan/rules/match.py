"""政策找人 (matching): every enterprise against every policy of the edition in force, with the
near miss in words — one definition, run three ways that agree to the fen.

Input
    The batch runners' ``enterprises`` and ``projects`` tables (``ENTERPRISES_SCHEMA`` and
    ``PROJECTS_SCHEMA`` in ``shuzhuan.rules.batch``; Arrow tables or Parquet paths) and a date
    ``on``: the edition in force on ``on`` (``Rulebook.edition_for``) is matched, all its policies.
    The enterprises table is the population: a project whose USCC is not in it is ignored. A
    project's ``as_of`` is not read (the edition is chosen by ``on``); the caller passes the
    projects that may still claim (e.g. those not yet awarded). A NULL list (qualifications,
    rewards_received, kinds) reads as an empty one.

Output (``MATCH_SCHEMA``): one row per (enterprise, policy) that is not "not eligible", in no
particular order (``sorted_rows`` orders by uscc and policy):
    uscc · edition · policy · scope · status · ceiling decimal(14, 2) · project_id ·
    condition int32 (index of the unmet condition in the policy's list) · gap decimal(14, 2) ·
    gap_text string

``status`` is one of
    ``eligible``  enterprise scope: every condition holds for the enterprise alone (project fields
        unknown), a one-time reward's group is not in ``rewards_received``, and the ceiling is
        known. Project scope: at least one of the enterprise's projects meets every condition
        with a known ceiling (as explain decides eligibility); the row carries the best such
        project — highest ceiling, ties to the smallest project_id.
    ``near_miss``  exactly one thing is unmet and it is one *actionable* condition: a condition
        that reads at least one field, and only the project's stage or size (``in_pilot_plan``,
        ``accepted``, ``declared_investment``, ``verified_investment``; ``ACTIONABLE_FIELDS``).
        Decided: a condition that tests the project's kind (``has_kind``) is not actionable —
        a project is the kind it is, and counting it would make every accepted project a near
        miss of every other kind's policy; nor is anything about the enterprise (industry, SME,
        qualifications) or a reward already received. Project scope: judged per project; an
        eligible project wins; among near misses the smallest gap, unknown gaps last, ties to
        the smallest project_id. ``ceiling`` is the policy's ceiling on the facts as they stand
        (NULL when they do not determine it): for a threshold it is a lower bound.
    ``prospect`` (可申报)  project scope: no project of the enterprise is eligible or a near miss,
        and every condition that reads no project field holds (and a one-time reward is not
        received). Decided: only a policy with at least one condition on the enterprise's own
        fields (industry, is_sme, above_scale, qualifications) has prospects — a policy open to
        every enterprise alike (new-IT, AI) would otherwise list every enterprise of the region.
        ``ceiling`` is the policy's ``cap`` step when that step is a constant (the most it could
        give), else NULL; ``project_id`` NULL.
    Not eligible: no row.

Stacking (就高不重复) is not applied across policies: a project eligible under two policies
appears under both; the application decides which one it takes.

``condition``, ``gap`` and ``gap_text`` are set on near misses only. ``gap``: when the unmet
condition is ``x >= e`` / ``x > e`` (or ``e <= x`` / ``e < x``) with ``x`` a number field and
``e`` a constant (literals, parameters, constant steps), ``gap = e − x`` (+0.01 when strict),
half-up to the fen; NULL when ``x`` is unknown or the condition is of another shape.
``gap_text`` (Chinese): with a gap, ``"{label}还差 {gap}即达 {e} 万元门槛"`` — label is the field's
label without its unit (核定投入额); the gap is written in 万元 when it is 1 万元 or more
(``gap × 0.0001`` half-up to 2 decimals: 50,000 → "5 万元", 12,345.67 → "1.23 万元") and in 元
below that ("0.01 元", "5000 元"); e is always in 万元 (300,000 → "30"); every number has its
trailing zeros and point stripped. So: "核定投入额还差 5 万元即达 30 万元门槛",
"核定投入额还差 0.01 元即达 30 万元门槛". Without a gap: the condition's ``unmet`` text.
The text is built in SQL, identically in DuckDB and Spark (exact DECIMAL arithmetic, the
decimal's text with ``[.]?0+$`` removed), and by ``gap_text`` in Python.

The three runners:
    ``match_case`` — one enterprise and its projects, through the expression evaluator (the
    reference, and the per-record loop ``run_python`` times over whole tables);
    ``run_duckdb`` — one SQL plan (``match_sql``: per-condition booleans and gap expressions
    compiled from the same sqlglot trees by ``shuzhuan.rules.compile``, one row per candidate,
    the best per enterprise and policy by ROW_NUMBER) streamed to Arrow;
    ``run_spark`` — the same SQL printed for Spark, a lazy DataFrame (``spark_to_arrow``
    collects it as this module's Arrow schema).
The plan they share (what each condition reads, thresholds, caps) and the words are in
``match_plan``; the SQL statement in ``match_sql``. Every public name is importable from here.
"""

# The runners read their inputs through views named by this module.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import duckdb
import pyarrow as pa

from shuzhuan.rules.batch import ENTERPRISES_SCHEMA, PROJECTS_SCHEMA
from shuzhuan.rules.batch_duckdb import connect
from shuzhuan.rules.case import Case, EnterpriseFacts, ProjectFacts
from shuzhuan.rules.explain import round_fen
from shuzhuan.rules.match_plan import (
    ACTIONABLE_FIELDS,
    MATCH_SCHEMA,
    STATUSES,
    ConditionPlan,
    PolicyPlan,
    Threshold,
    amount_text,
    gap_text,
    plain,
    plan_edition,
)
from shuzhuan.rules.match_sql import match_sql
from shuzhuan.rules.model import Edition, Rulebook

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "ACTIONABLE_FIELDS",
    "MATCH_SCHEMA",
    "STATUSES",
    "ConditionPlan",
    "MatchRow",
    "PolicyPlan",
    "Threshold",
    "amount_text",
    "gap_text",
    "match_case",
    "match_sql",
    "plain",
    "plan_edition",
    "rows_table",
    "run_duckdb",
    "run_python",
    "run_spark",
    "sorted_rows",
    "spark_to_arrow",
]

Source: TypeAlias = pa.Table | str | Path  # an Arrow table, or a Parquet file (or glob)


# --- the reference: one enterprise at a time ------------------------------------------------------


@dataclass(frozen=True)
class MatchRow:
    uscc: str | None
    edition: str
    policy: str
    scope: str
    status: str  # eligible | near_miss | prospect
    ceiling: Decimal | None
    project_id: str | None
    condition: int | None
    gap: Decimal | None
    gap_text: str | None


@dataclass(frozen=True)
class _Judged:
    status: str | None  # eligible | near_miss | None
    ceiling: Decimal | None
    condition: ConditionPlan | None = None
    gap: Decimal | None = None


def _values(enterprise: EnterpriseFacts, project: ProjectFacts | None, edition: Edition) -> dict[str, Any]:
    values = Case(as_of=edition.effective_from, enterprise=enterprise, project=project).values()
    values["key_industries"] = frozenset(edition.key_industries)
    return values


def _stepped(plan: PolicyPlan, base: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with the policy's steps evaluated, as explain does (the ceiling to the fen)."""
    values = dict(base)
    for step in plan.policy.steps:
        value = step.expr.evaluate(values)
        values[step.name] = round_fen(value) if step.name == "ceiling" and value is not None else value
    return values


def _judge(plan: PolicyPlan, base: Mapping[str, Any], received: bool) -> _Judged:
    """The policy on one case, as explain evaluates it, with each condition's value kept."""
    values = _stepped(plan, base)
    ceiling = values["ceiling"]
    unmet = [c for c in plan.conditions if c.condition.expr.evaluate(values) is not True]
    if not unmet and not received:
        return _Judged("eligible" if ceiling is not None else None, ceiling)
    if len(unmet) == 1 and not received and unmet[0].actionable:
        (c,) = unmet
        x = values.get(c.threshold.field) if c.threshold is not None else None
        gap = c.threshold.gap(x) if c.threshold is not None and x is not None else None
        return _Judged("near_miss", ceiling, c, gap)
    return _Judged(None, ceiling)


def match_case(
    edition: Edition, enterprise: EnterpriseFacts, projects: Sequence[tuple[str, ProjectFacts]]
) -> list[MatchRow]:
    """One enterprise and its projects (``(project_id, facts)``) against every policy of
    ``edition``: its rows, in the policies' listing order."""
    alone = _values(enterprise, None, edition)
    each = [(pid, _values(enterprise, p, edition)) for pid, p in projects]
    rows = []
    for plan in plan_edition(edition):
        policy = plan.policy
        received = policy.once_per_enterprise and policy.reward_group in enterprise.rewards_received
        chosen: tuple[str | None, _Judged] | None = None
        if policy.scope == "enterprise":
            judged = _judge(plan, alone, received)
            chosen = (None, judged) if judged.status is not None else None
        else:
            eligible, near = [], []
            for pid, values in each:
                judged = _judge(plan, values, received)
                if judged.status == "eligible":
                    eligible.append((pid, judged))
                elif judged.status == "near_miss":
                    near.append((pid, judged))
            if eligible:
                chosen = min(eligible, key=lambda t: (-(t[1].ceiling or 0), t[0]))
            elif near:
                chosen = min(near, key=lambda t: (t[1].gap is None, t[1].gap or 0, t[0]))
            elif plan.prospect and not received:
                values = _stepped(plan, alone)
                if all(
                    c.condition.expr.evaluate(values) is True for c in plan.conditions if c.enterprise_only
                ):
                    chosen = (None, _Judged("prospect", plan.cap))
        if chosen is None:
            continue
        project_id, judged = chosen
        c = judged.condition
        rows.append(
            MatchRow(
                uscc=enterprise.uscc,
                edition=edition.id,
                policy=policy.id,
                scope=policy.scope,
                status=str(judged.status),
                ceiling=judged.ceiling,
                project_id=project_id,
                condition=None if c is None else c.index,
                gap=judged.gap,
                gap_text=None if c is None else gap_text(c, judged.gap),
            )
        )
    return rows


def _read(source: Source, schema: pa.Schema) -> pa.Table:
    if isinstance(source, pa.Table):
        return source.select(schema.names)
    import pyarrow.parquet as pq

    return pq.read_table(str(source), columns=schema.names)


def run_python(rulebook: Rulebook, *, enterprises: Source, projects: Source, on: dt.date) -> pa.Table:
    """``match_case`` looped over every enterprise of the tables: the same output as
    ``run_duckdb`` (the per-record baseline the benchmark times)."""
    edition = rulebook.edition_for(on)
    by_uscc: dict[str, list[tuple[str, ProjectFacts]]] = defaultdict(list)
    for p in _read(projects, PROJECTS_SCHEMA).to_pylist():
        by_uscc[p["uscc"]].append(
            (
                p["project_id"],
                ProjectFacts(
                    kinds=frozenset(p["kinds"] or ()),
                    in_pilot_plan=p["in_pilot_plan"],
                    accepted=p["accepted"],
                    declared_investment=p["declared_investment"],
                    verified_investment=p["verified_investment"],
                ),
            )
        )
    rows: list[MatchRow] = []
    for e in _read(enterprises, ENTERPRISES_SCHEMA).to_pylist():
        facts = EnterpriseFacts(
            uscc=e["uscc"],
            industry=e["industry"],
            is_sme=e["is_sme"],
            above_scale=e["above_scale"],
            qualifications=frozenset(e["qualifications"] or ()),
            rewards_received=frozenset(e["rewards_received"] or ()),
        )
        rows.extend(match_case(edition, facts, by_uscc.get(e["uscc"], ())))
    return rows_table(rows)


def rows_table(rows: Iterable[MatchRow]) -> pa.Table:
    """``MatchRow``s as a table of ``MATCH_SCHEMA``."""
    return pa.Table.from_pylist([r.__dict__ for r in rows], schema=MATCH_SCHEMA)


def sorted_rows(table: pa.Table) -> pa.Table:
    return table.sort_by([("uscc", "ascending"), ("policy", "ascending")])


# --- runners -----------------------------------------------------------------------------------


def _load_duckdb(con: duckdb.DuckDBPyConnection, name: str, source: Source, schema: pa.Schema) -> None:
    if isinstance(source, pa.Table):
        missing = [f.name for f in schema if f.name not in source.column_names]
        if missing:
            raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")
        con.register(f"{name}_arrow", source.select(schema.names))
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {name}_arrow")
    else:
        path = str(source).replace("'", "''")
        cols = ", ".join(schema.names)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {cols} FROM read_parquet('{path}')")


def run_duckdb(
    rulebook: Rulebook,
    *,
    enterprises: Source,
    projects: Source,
    on: dt.date,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """The match of the edition in force on ``on`` (NoEditionError when none), one DuckDB query
    streamed into an Arrow table of ``MATCH_SCHEMA`` (unordered). It leaves the views
    ``match_enterprises`` and ``match_projects`` on ``con``."""
    edition = rulebook.edition_for(on)
    con = con or connect()
    _load_duckdb(con, "match_enterprises", enterprises, ENTERPRISES_SCHEMA)
    _load_duckdb(con, "match_projects", projects, PROJECTS_SCHEMA)
    table = con.sql(match_sql(edition, "duckdb")).to_arrow_table()
    return table.cast(MATCH_SCHEMA)


def _frame(spark: SparkSession, name: str, source: Source, schema: pa.Schema) -> DataFrame:
    if isinstance(source, pa.Table):
        missing = [f.name for f in schema if f.name not in source.column_names]
        if missing:
            raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")
        return spark.createDataFrame(source.select(schema.names))
    return spark.read.parquet(str(source)).select(*schema.names)


def run_spark(
    spark: SparkSession, rulebook: Rulebook, *, enterprises: Source, projects: Source, on: dt.date
) -> DataFrame:
    """The same match as ``run_duckdb``, printed in Spark SQL: a lazy DataFrame with
    ``MATCH_SCHEMA``'s columns (write it out on a cluster; ``spark_to_arrow`` for tests). It
    replaces the temporary views ``match_enterprises`` and ``match_projects``."""
    edition = rulebook.edition_for(on)
    _frame(spark, "enterprises", enterprises, ENTERPRISES_SCHEMA).createOrReplaceTempView("match_enterprises")
    _frame(spark, "projects", projects, PROJECTS_SCHEMA).createOrReplaceTempView("match_projects")
    return spark.sql(match_sql(edition, "spark"))


def spark_to_arrow(frame: DataFrame) -> pa.Table:
    """Collect a ``run_spark`` frame to the driver, ordered by uscc and policy, as ``MATCH_SCHEMA``."""
    return frame.orderBy("uscc", "policy").toArrow().cast(MATCH_SCHEMA)
