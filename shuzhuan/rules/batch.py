"""What the batch runners share: the tabular input schema, a builder of those tables from
explain-style cases, and the SQL that runs an edition's policies over them.

Input (Arrow tables or Parquet files with these columns; extra columns are ignored):

``enterprises`` — one row per enterprise
    uscc string (key) · industry string · is_sme bool · above_scale bool ·
    qualifications list<string> · rewards_received list<string> (reward groups already paid)
``projects`` — one row per project, each one case as explain sees it
    project_id string (key) · uscc string · as_of date32 (chooses the edition in force) ·
    kinds list<string> · in_pilot_plan bool · accepted bool ·
    declared_investment decimal(14, 2) · verified_investment decimal(14, 2) (yuan; null: unknown)

A project whose enterprise is missing is evaluated with unknown (NULL) enterprise facts.

Output, as Arrow tables, in no particular order (sort them if an order matters):

``results`` — one row per (case, policy of the edition in force)
    case_id (the project_id, or the uscc in an enterprise run) · uscc · edition · policy · scope ·
    eligible bool · ceiling decimal(14, 2) (null when not eligible; half-up to the fen)
``summary`` — one row per case
    case_id · uscc · edition · best_policy (就高不重复: the highest project policy, ties to the
    first listed) · best_ceiling · total_ceiling (best + every eligible enterprise reward)

An *enterprise run* evaluates each enterprise alone on one date, as explain does for a case
without a project. The SQL is built once and printed per dialect (DuckDB, Spark SQL); the
runners only materialise the named statements in order: ``cases`` (the join), ``wide`` (one pass:
a ceiling column per policy), then ``results`` and ``summary`` over ``wide``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyarrow as pa
from sqlglot import exp

from shuzhuan.rules.case import Case
from shuzhuan.rules.compile import policy_sql
from shuzhuan.rules.model import Edition, Rulebook

MONEY = pa.decimal128(14, 2)
CODES = pa.list_(pa.string())

ENTERPRISES_SCHEMA = pa.schema(
    [
        pa.field("uscc", pa.string(), nullable=False),
        pa.field("industry", pa.string()),
        pa.field("is_sme", pa.bool_()),
        pa.field("above_scale", pa.bool_()),
        pa.field("qualifications", CODES),
        pa.field("rewards_received", CODES),
    ]
)
PROJECTS_SCHEMA = pa.schema(
    [
        pa.field("project_id", pa.string(), nullable=False),
        pa.field("uscc", pa.string()),
        pa.field("as_of", pa.date32()),
        pa.field("kinds", CODES),
        pa.field("in_pilot_plan", pa.bool_()),
        pa.field("accepted", pa.bool_()),
        pa.field("declared_investment", MONEY),
        pa.field("verified_investment", MONEY),
    ]
)

_ENTERPRISE_COLUMNS = ("industry", "is_sme", "above_scale", "qualifications", "rewards_received")
_PROJECT_COLUMNS = ("kinds", "in_pilot_plan", "accepted", "declared_investment", "verified_investment")
_PROJECT_TYPES = {
    "kinds": "ARRAY<STRING>",
    "in_pilot_plan": "BOOLEAN",
    "accepted": "BOOLEAN",
    "declared_investment": "DECIMAL(14, 2)",
    "verified_investment": "DECIMAL(14, 2)",
}


@dataclass(frozen=True)
class Statement:
    name: str  # the temporary table or view it becomes
    sql: str  # one SELECT in the runner's dialect


def tables_from_cases(
    cases: Sequence[Case], *, project_ids: Sequence[str] | None = None
) -> tuple[pa.Table, pa.Table]:
    """(enterprises, projects) for explain-style cases that all carry a project.

    Cases sharing a USCC must carry the same enterprise facts; a case without a USCC gets
    ``E<n>``. Project ids default to ``P<n>`` (n: the case's position)."""
    enterprises: dict[str, dict[str, object]] = {}
    projects: list[dict[str, object]] = []
    for i, case in enumerate(cases):
        if case.project is None:
            raise ValueError(f"case {i}: a project row needs a project (use an enterprise run)")
        e, p = case.enterprise, case.project
        uscc = e.uscc or f"E{i}"
        row: dict[str, object] = {
            "uscc": uscc,
            "industry": e.industry,
            "is_sme": e.is_sme,
            "above_scale": e.above_scale,
            "qualifications": sorted(e.qualifications),
            "rewards_received": sorted(e.rewards_received),
        }
        if enterprises.setdefault(uscc, row) != row:
            raise ValueError(f"case {i}: enterprise {uscc} differs from an earlier case")
        projects.append(
            {
                "project_id": project_ids[i] if project_ids is not None else f"P{i}",
                "uscc": uscc,
                "as_of": case.as_of,
                "kinds": sorted(p.kinds),
                "in_pilot_plan": p.in_pilot_plan,
                "accepted": p.accepted,
                "declared_investment": p.declared_investment,
                "verified_investment": p.verified_investment,
            }
        )
    return (
        pa.Table.from_pylist(list(enterprises.values()), schema=ENTERPRISES_SCHEMA),
        pa.Table.from_pylist(projects, schema=PROJECTS_SCHEMA),
    )


def enterprises_table(cases: Iterable[Case]) -> pa.Table:
    """The enterprises of ``cases`` (with or without projects), one row per USCC, for an
    enterprise run."""
    rows: dict[str, dict[str, object]] = {}
    for i, case in enumerate(cases):
        e = case.enterprise
        uscc = e.uscc or f"E{i}"
        rows.setdefault(
            uscc,
            {
                "uscc": uscc,
                "industry": e.industry,
                "is_sme": e.is_sme,
                "above_scale": e.above_scale,
                "qualifications": sorted(e.qualifications),
                "rewards_received": sorted(e.rewards_received),
            },
        )
    return pa.Table.from_pylist(list(rows.values()), schema=ENTERPRISES_SCHEMA)


def _string(value: str, dialect: str) -> str:
    return exp.Literal.string(value).sql(dialect=dialect)


def _date(value: dt.date) -> str:
    return f"DATE '{value.isoformat()}'"


def _edition_of(editions: Sequence[Edition], dialect: str) -> str:
    whens = []
    for e in editions:
        test = f"as_of >= {_date(e.effective_from)}"
        if e.effective_to is not None:
            test += f" AND as_of <= {_date(e.effective_to)}"
        whens.append(f"WHEN {test} THEN {_string(e.id, dialect)}")
    return f"CASE {' '.join(whens)} END"


def _choose(rulebook: Rulebook, edition: Edition | str | None) -> tuple[Edition, ...]:
    if edition is None:
        return rulebook.editions
    return (rulebook.edition(edition) if isinstance(edition, str) else edition,)


def cases_sql(
    rulebook: Rulebook,
    dialect: str,
    *,
    edition: Edition | str | None = None,
    enterprise_run_on: dt.date | None = None,
) -> tuple[tuple[Edition, ...], Statement]:
    """The ``cases`` view: one row per case with every field, its as_of and its edition."""
    editions = _choose(rulebook, edition)
    edition_col = _edition_of(editions, dialect) if edition is None else _string(editions[0].id, dialect)
    ent = ", ".join(f"e.{c}" for c in _ENTERPRISE_COLUMNS)
    if enterprise_run_on is None:
        proj = ", ".join(f"p.{c}" for c in _PROJECT_COLUMNS)
        inner = (
            f"SELECT p.project_id AS case_id, p.uscc AS uscc, p.as_of AS as_of, {ent}, {proj} "
            "FROM projects p LEFT JOIN enterprises e ON e.uscc = p.uscc"
        )
    else:
        nulls = ", ".join(
            f"{exp.cast(exp.null(), _PROJECT_TYPES[c]).sql(dialect=dialect)} AS {c}" for c in _PROJECT_COLUMNS
        )
        inner = (
            f"SELECT e.uscc AS case_id, e.uscc AS uscc, {_date(enterprise_run_on)} AS as_of, {ent}, {nulls} "
            "FROM enterprises e"
        )
    return editions, Statement("cases", f"SELECT c.*, {edition_col} AS edition FROM ({inner}) c")


def edition_statements(editions: Sequence[Edition], dialect: str) -> list[Statement]:
    """``wide``: one row per case, one ceiling column ``p<j>`` per policy of every edition (NULL:
    not eligible, or not the case's edition) — one pass over ``cases``; then ``results`` (UNION
    ALL of one narrow SELECT per policy over ``wide``) and ``summary`` (one SELECT over ``wide``:
    only the case's own edition has non-NULL columns, and GREATEST skips NULLs)."""
    money = "DECIMAL(14, 2)"
    cols: list[str] = []
    results: list[str] = []
    project: list[tuple[int, str]] = []  # (column, policy id), in edition and listing order
    rewards: list[int] = []
    j = 0
    for edition in editions:
        mine = f"edition = {_string(edition.id, dialect)}"
        for p in edition.policies:
            cols.append(
                f"CAST(CASE WHEN {mine} THEN {policy_sql(p, edition, dialect)} END AS {money}) AS p{j}"
            )
            results.append(
                f"SELECT case_id, uscc, edition, {_string(p.id, dialect)} AS policy, "
                f"{_string(p.scope, dialect)} AS scope, p{j} IS NOT NULL AS eligible, p{j} AS ceiling "
                f"FROM wide WHERE {mine}"
            )
            if p.scope == "project":
                project.append((j, p.id))
            else:
                rewards.append(j)
            j += 1
    statements = [Statement("wide", f"SELECT case_id, uscc, edition, {', '.join(cols)} FROM cases")]
    if not project:
        best, best_policy = f"CAST(NULL AS {money})", "CAST(NULL AS STRING)"
    else:
        best = (
            f"p{project[0][0]}"
            if len(project) == 1
            else f"GREATEST({', '.join(f'p{i}' for i, _ in project)})"
        )
        # ties go to the first listed, as explain's strict “>” does
        whens = " ".join(f"WHEN p{i} = {best} THEN {_string(pid, dialect)}" for i, pid in project)
        best_policy = f"CASE {whens} END"
    total = " + ".join([f"COALESCE({best}, 0)", *(f"COALESCE(p{i}, 0)" for i in rewards)])
    statements.append(Statement("results", " UNION ALL ".join(results)))
    statements.append(
        Statement(
            "summary",
            f"SELECT case_id, uscc, edition, {best_policy} AS best_policy, CAST({best} AS {money}) AS best_ceiling, "
            f"CAST({total} AS {money}) AS total_ceiling FROM wide",
        )
    )
    return statements
