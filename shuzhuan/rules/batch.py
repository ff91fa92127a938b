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

Output (``BatchResult``), in no particular order (sort it if an order matters):

``wide`` — the one table a run produces: one row per case
    case_id (the project_id, or the uscc in an enterprise run) · uscc · edition (in force on the
    case's as_of) · one ceiling column per policy of every edition, named by the policy's id,
    decimal(14, 2), half-up to the fen: NULL when the case is not eligible *or* the policy is not
    of the case's edition · best_policy (就高不重复: the highest project policy, ties to the first
    listed) · best_ceiling · total_ceiling (best + every eligible enterprise reward)
``summary`` — ``wide`` without the policy columns (a zero-copy selection of its columns)
``results`` — derived from ``wide`` on first access (not by the run): one row per (case, policy of
    its edition): case_id · uscc · edition · policy · scope · eligible bool · ceiling (NULL when not
    eligible); for 3,000,000 projects that is 10.5 million rows, so a run does not build it.

An *enterprise run* evaluates each enterprise alone on one date, as explain does for a case
without a project. The SQL is built once and printed per dialect (DuckDB, Spark SQL): ``cases``
(the join; each set test ``has_kind``/``has_qualification``/reward received is made once on its
own side of the join, so no list column goes through it), then ``wide`` in one pass over
``cases`` (the policy columns, then best and total over them); ``results`` and ``summary`` are
SELECTs over ``wide`` for a runner that keeps it as a view (Spark).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from shuzhuan.rules.case import Case
from shuzhuan.rules.compile import membership_tests, policy_sql
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

# the scalar columns that go through the join; list columns are tested before it (membership_tests)
_ENTERPRISE_COLUMNS = ("industry", "is_sme", "above_scale")
_PROJECT_COLUMNS = ("in_pilot_plan", "accepted", "declared_investment", "verified_investment")
_PROJECT_TYPES = {
    "in_pilot_plan": "BOOLEAN",
    "accepted": "BOOLEAN",
    "declared_investment": "DECIMAL(14, 2)",
    "verified_investment": "DECIMAL(14, 2)",
}


SUMMARY_COLUMNS = ("case_id", "uscc", "edition", "best_policy", "best_ceiling", "total_ceiling")
RESULTS_SCHEMA = pa.schema(
    [
        ("case_id", pa.string()),
        ("uscc", pa.string()),
        ("edition", pa.string()),
        ("policy", pa.string()),
        ("scope", pa.string()),
        ("eligible", pa.bool_()),
        ("ceiling", MONEY),
    ]
)


@dataclass(frozen=True)
class Statement:
    name: str  # the temporary table or view it becomes
    sql: str  # one SELECT in the runner's dialect


@dataclass(frozen=True)
class PolicyColumn:
    """A ceiling column of ``wide``: named by ``policy``, non-NULL only on ``edition``'s cases."""

    edition: str
    policy: str
    scope: str  # project | enterprise


@dataclass(frozen=True)
class BatchResult:
    """What a batch run returns: ``wide`` (see the module docstring) and the policy columns in it."""

    wide: pa.Table  # case_id, uscc, edition, <a ceiling per policy>, best_policy, best_ceiling, total_ceiling
    policies: tuple[PolicyColumn, ...]  # the ceiling columns, in edition and listing order

    @property
    def summary(self) -> pa.Table:
        """One row per case: case_id, uscc, edition, best_policy, best_ceiling, total_ceiling."""
        return self.wide.select(list(SUMMARY_COLUMNS))

    @cached_property
    def results(self) -> pa.Table:
        """One row per (case, policy of its edition), derived from ``wide`` on first access (not by
        the run; cases grouped by policy): case_id, uscc, edition, policy, scope, eligible, ceiling."""
        return long_results(self.wide, self.policies)


def policy_columns(editions: Sequence[Edition]) -> tuple[PolicyColumn, ...]:
    columns = tuple(PolicyColumn(e.id, p.id, p.scope) for e in editions for p in e.policies)
    names = [c.policy.lower() for c in columns]  # SQL names are case-insensitive
    if len(set(names)) != len(names) or set(SUMMARY_COLUMNS) & set(names):
        raise ValueError(f"policy ids must be distinct column names for the batch runners: {names}")
    return columns


def long_results(wide: pa.Table, policies: Sequence[PolicyColumn]) -> pa.Table:
    """``results`` from ``wide``: for each policy, the cases of its edition with their ceiling."""
    parts = []
    edition = wide.column("edition")
    for ed in dict.fromkeys(c.edition for c in policies):
        mine = [c for c in policies if c.edition == ed]
        rows = wide.select(["case_id", "uscc", "edition", *(c.policy for c in mine)]).filter(
            pc.equal(edition, pa.scalar(ed, edition.type))
        )
        for c in mine:
            ceiling = rows.column(c.policy)
            columns = [
                rows.column("case_id"),
                rows.column("uscc"),
                rows.column("edition"),
                pa.repeat(c.policy, rows.num_rows),
                pa.repeat(c.scope, rows.num_rows),
                pc.is_valid(ceiling),
                ceiling,
            ]
            parts.append(pa.table(columns, names=RESULTS_SCHEMA.names))
    return pa.concat_tables(parts) if parts else RESULTS_SCHEMA.empty_table()


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
    """The ``cases`` view: one row per case with its as_of, its edition, every scalar field and
    one boolean column per set test of the policies (``membership_tests``: ``m<n>``, NULL when the
    list is), each computed on its own side of the join."""
    editions = _choose(rulebook, edition)
    edition_col = _edition_of(editions, dialect) if edition is None else _string(editions[0].id, dialect)
    tests = membership_tests(p for e in editions for p in e.policies)
    ent_tests = {k: m for k, m in tests.items() if k[0] not in PROJECTS_SCHEMA.names}
    prj_tests = {k: m for k, m in tests.items() if k[0] in PROJECTS_SCHEMA.names}

    def tested(found: dict[tuple[str, str], str]) -> list[str]:
        return [
            exp.alias_(exp.ArrayContains(this=exp.column(field), expression=exp.Literal.string(code)), m).sql(
                dialect=dialect
            )
            for (field, code), m in found.items()
        ]

    ent_cols = [*_ENTERPRISE_COLUMNS, *ent_tests.values()]
    enterprises = f"SELECT {', '.join(['uscc', *_ENTERPRISE_COLUMNS, *tested(ent_tests)])} FROM enterprises"
    ent = ", ".join(f"e.{c}" for c in ent_cols)
    if enterprise_run_on is None:
        prj_cols = [*_PROJECT_COLUMNS, *prj_tests.values()]
        projects = ", ".join(
            ["project_id AS case_id", "uscc", "as_of", *_PROJECT_COLUMNS, *tested(prj_tests)]
        )
        proj = ", ".join(f"p.{c}" for c in prj_cols)
        inner = (
            f"SELECT p.case_id AS case_id, p.uscc AS uscc, p.as_of AS as_of, {ent}, {proj} "
            f"FROM (SELECT {projects} FROM projects) p LEFT JOIN ({enterprises}) e ON e.uscc = p.uscc"
        )
    else:
        nulls = ", ".join(
            [
                *(
                    f"{exp.cast(exp.null(), _PROJECT_TYPES[c]).sql(dialect=dialect)} AS {c}"
                    for c in _PROJECT_COLUMNS
                ),
                *(f"CAST(NULL AS BOOLEAN) AS {m}" for m in prj_tests.values()),
            ]
        )
        inner = (
            f"SELECT e.uscc AS case_id, e.uscc AS uscc, {_date(enterprise_run_on)} AS as_of, {ent}, {nulls} "
            f"FROM ({enterprises}) e"
        )
    return editions, Statement("cases", f"SELECT c.*, {edition_col} AS edition FROM ({inner}) c")


def _column(name: str, dialect: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect=dialect)


def edition_statements(editions: Sequence[Edition], dialect: str) -> list[Statement]:
    """``wide`` (one pass over ``cases``: a ceiling column per policy of every edition — NULL when
    not eligible or not the case's edition — then best and total over them: only the case's own
    edition has non-NULL columns, and GREATEST skips NULLs); then ``results`` (UNION ALL of one
    narrow SELECT per policy over ``wide``) and ``summary`` (a SELECT of ``wide``'s columns)."""
    money = "DECIMAL(14, 2)"
    tests = membership_tests(p for e in editions for p in e.policies)
    columns = policy_columns(editions)
    cols: list[str] = []
    results: list[str] = []
    project: list[tuple[int, str]] = []  # (column, policy id), in edition and listing order
    rewards: list[int] = []
    j = 0
    for edition in editions:
        mine = f"edition = {_string(edition.id, dialect)}"
        guard = exp.EQ(this=exp.column("edition"), expression=exp.Literal.string(edition.id))
        for p in edition.policies:
            sql = policy_sql(p, edition, dialect, membership=tests, guard=guard)
            cols.append(f"CAST({sql} AS {money}) AS p{j}")
            name = _column(p.id, dialect)
            results.append(
                f"SELECT case_id, uscc, edition, {_string(p.id, dialect)} AS policy, "
                f"{_string(p.scope, dialect)} AS scope, {name} IS NOT NULL AS eligible, {name} AS ceiling "
                f"FROM wide WHERE {mine}"
            )
            if p.scope == "project":
                project.append((j, p.id))
            else:
                rewards.append(j)
            j += 1
    if not project:
        best, best_policy = "NULL", "CAST(NULL AS STRING)"
    else:
        best = (
            f"GREATEST({', '.join(f'p{i}' for i, _ in project)})" if len(project) > 1 else f"p{project[0][0]}"
        )
        # ties go to the first listed, as explain's strict “>” does
        whens = " ".join(f"WHEN p{i} = best THEN {_string(pid, dialect)}" for i, pid in project)
        best_policy = f"CASE {whens} END"
    total = " + ".join(["COALESCE(best, 0)", *(f"COALESCE(p{i}, 0)" for i in rewards)])
    named = ", ".join(f"p{i} AS {_column(c.policy, dialect)}" for i, c in enumerate(columns))
    policies = f"SELECT case_id, uscc, edition, {', '.join(cols)} FROM cases"
    wide = (
        f"SELECT case_id, uscc, edition, {named}, {best_policy} AS best_policy, best AS best_ceiling, "
        f"CAST({total} AS {money}) AS total_ceiling "
        f"FROM (SELECT w.*, CAST({best} AS {money}) AS best FROM ({policies}) w) g"
    )
    return [
        Statement("wide", wide),
        Statement("results", " UNION ALL ".join(results)),
        Statement("summary", f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM wide"),
    ]
