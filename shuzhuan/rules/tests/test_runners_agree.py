"""Three runners, one result: explain (one case at a time, Decimal), the DuckDB batch and the
Spark batch agree to the fen on every policy's eligibility and ceiling, on the best policy and
on the total — over generated populations with amounts at and around every threshold and cap,
every kind and flag, dates on both sides of the 2024/2025 boundary, one-time rewards received
or not, and unknown amounts."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhuan.rules import batch_duckdb
from shuzhuan.rules.batch import enterprises_table, tables_from_cases
from shuzhuan.rules.case import Case, EnterpriseFacts, ProjectFacts
from shuzhuan.rules.explain import explain
from shuzhuan.rules.fields import PROJECT_KINDS, QUALIFICATIONS
from shuzhuan.rules.loader import default_rulebook
from shuzhuan.rules.model import NoEditionError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

BOOK = default_rulebook()
FEN = Decimal("0.01")
# thresholds, caps, and the bases at which basis × rate reaches a cap (50%: 60万/100万, 20%: 150万)
PIVOTS = [Decimal(v) for v in ("0", "0.01", "0.05", "1", "300000", "600000", "1000000", "1500000", "2000000")]
DELTAS = [Decimal(v) for v in ("-0.01", "0", "0.01", "0.03", "0.05", "-0.05", "1")]
DATES = [
    dt.date(2024, 1, 1),
    dt.date(2024, 12, 31),
    dt.date(2025, 1, 1),
    dt.date(2025, 6, 30),
    dt.date(2026, 3, 1),
]
INDUSTRIES = ["auto_parts", "home_appliances", "bearings", None]


def _amount(rng: random.Random) -> Decimal | None:
    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.25:  # anywhere, to the fen
        return Decimal(rng.randrange(0, 300_000_000)) * FEN
    return max(Decimal(0), rng.choice(PIVOTS) + rng.choice(DELTAS))


def population(seed: int, size: int) -> list[Case]:
    """``size`` cases; some enterprises carry several projects."""
    rng = random.Random(seed)
    enterprises: list[EnterpriseFacts] = []
    cases = []
    for i in range(size):
        if enterprises and rng.random() < 0.3:
            enterprise = rng.choice(enterprises)
        else:
            quals = {q for q in QUALIFICATIONS if rng.random() < 0.1}
            if rng.random() < 0.4:
                quals.add("ningbo_sample_enterprise")
            enterprise = EnterpriseFacts(
                uscc=f"E{i:06d}",
                industry=rng.choice(INDUSTRIES),
                is_sme=rng.random() < 0.8,
                above_scale=rng.random() < 0.5,
                qualifications=frozenset(quals),
                rewards_received=frozenset({"ningbo_sample_enterprise"})
                if rng.random() < 0.3
                else frozenset(),
            )
            enterprises.append(enterprise)
        project = ProjectFacts(
            kinds=frozenset(k for k in PROJECT_KINDS if rng.random() < 0.5),
            in_pilot_plan=rng.random() < 0.6,
            accepted=rng.random() < 0.8,
            declared_investment=_amount(rng),
            verified_investment=_amount(rng),
        )
        day = (
            rng.choice(DATES)
            if rng.random() < 0.5
            else dt.date(2024, 1, 1) + dt.timedelta(rng.randrange(900))
        )
        cases.append(Case(as_of=day, enterprise=enterprise, project=project))
    return cases


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(FEN)


def _explained(cases: list[Case], ids: list[str]) -> tuple[dict[Any, Any], dict[str, Any]]:
    results: dict[Any, Any] = {}
    summary: dict[str, Any] = {}
    for case_id, case in zip(ids, cases, strict=True):
        x = explain(BOOK, case)
        for r in x.results:
            results[(case_id, r.policy.id)] = (x.edition.id, r.policy.scope, r.eligible, _money(r.ceiling))
        best = None if x.best is None else (x.best.policy.id, _money(x.best.ceiling))
        summary[case_id] = (x.edition.id, best, _money(x.total_ceiling))
    return results, summary


def _batched(result: batch_duckdb.BatchResult) -> tuple[dict[Any, Any], dict[str, Any]]:
    long = result.results
    results = {
        (r["case_id"], r["policy"]): (r["edition"], r["scope"], r["eligible"], _money(r["ceiling"]))
        for r in long.to_pylist()
    }
    assert len(results) == long.num_rows  # one row per (case, policy of its edition)
    # wide: the policy columns of other editions are NULL, best and total as in the summary
    for row in result.wide.to_pylist():
        for c in result.policies:
            if c.edition != row["edition"]:
                assert row[c.policy] is None, (row["case_id"], c.policy)
    summary = {}
    for r in result.summary.to_pylist():
        best = None if r["best_policy"] is None else (r["best_policy"], _money(r["best_ceiling"]))
        summary[r["case_id"]] = (r["edition"], best, _money(r["total_ceiling"]))
    return results, summary


def _assert_agree(
    expected: tuple[dict[Any, Any], dict[str, Any]], got: tuple[dict[Any, Any], dict[str, Any]]
) -> None:
    exp_results, exp_summary = expected
    got_results, got_summary = got
    assert got_results.keys() == exp_results.keys()
    for key, want in exp_results.items():
        assert got_results[key] == want, key
    assert got_summary == exp_summary


def _project_run(cases: list[Case]) -> tuple[pa.Table, pa.Table, list[str]]:
    ids = [f"P{i:06d}" for i in range(len(cases))]
    enterprises, projects = tables_from_cases(cases, project_ids=ids)
    return enterprises, projects, ids


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 300))
def test_duckdb_agrees_with_explain_on_projects(seed: int, size: int) -> None:
    cases = population(seed, size)
    enterprises, projects, ids = _project_run(cases)
    got = batch_duckdb.run(BOOK, enterprises=enterprises, projects=projects)
    _assert_agree(_explained(cases, ids), _batched(got))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), day=st.sampled_from(DATES))
def test_duckdb_agrees_with_explain_on_enterprises_alone(seed: int, day: dt.date) -> None:
    cases = population(seed, 40)
    table = enterprises_table(cases)
    alone = {str(c.enterprise.uscc): Case(as_of=day, enterprise=c.enterprise) for c in cases}
    ids = sorted(alone)
    got = batch_duckdb.run(BOOK, enterprises=table, enterprise_run_on=day)
    _assert_agree(_explained([alone[i] for i in ids], ids), _batched(got))


def test_duckdb_reads_parquet_and_a_fixed_edition(tmp_path: Path) -> None:
    cases = population(7, 50)
    enterprises, projects, ids = _project_run(cases)
    pq.write_table(enterprises, tmp_path / "enterprises.parquet")
    pq.write_table(projects, tmp_path / "projects.parquet")
    got = batch_duckdb.run(
        BOOK, enterprises=tmp_path / "enterprises.parquet", projects=tmp_path / "projects.parquet"
    )
    _assert_agree(_explained(cases, ids), _batched(got))
    fixed = batch_duckdb.run(BOOK, enterprises=enterprises, projects=projects, edition="cixi-2024")
    assert set(fixed.summary.column("edition").to_pylist()) == {"cixi-2024"}
    assert fixed.results.schema.field("ceiling").type == pa.decimal128(14, 2)
    assert fixed.wide.column_names == [
        "case_id",
        "uscc",
        "edition",
        *(p.id for p in BOOK.edition("cixi-2024").policies),  # a fixed edition: its policies only
        "best_policy",
        "best_ceiling",
        "total_ceiling",
    ]


def test_duckdb_leaves_results_and_summary_views_on_its_connection() -> None:
    cases = population(11, 120)
    enterprises, projects, _ = _project_run(cases)
    con = batch_duckdb.connect()
    got = batch_duckdb.run(BOOK, enterprises=enterprises, projects=projects, con=con)
    key = ["case_id", "policy"]
    assert (
        con.sql("SELECT * FROM results")
        .to_arrow_table()
        .sort_by([(k, "ascending") for k in key])
        .equals(got.results.sort_by([(k, "ascending") for k in key]))
    )
    assert con.sql("SELECT * FROM summary").to_arrow_table().equals(got.summary)


def test_duckdb_refuses_a_case_no_edition_covers() -> None:
    case = population(1, 1)[0]
    early = Case(as_of=dt.date(2023, 12, 31), enterprise=case.enterprise, project=case.project)
    enterprises, projects, _ = _project_run([early])
    with pytest.raises(NoEditionError, match="no policy edition in force"):
        batch_duckdb.run(BOOK, enterprises=enterprises, projects=projects)


@pytest.mark.spark
def test_spark_agrees_with_explain(spark: SparkSession) -> None:
    from shuzhuan.rules import batch_spark

    cases = population(20260101, 300)
    enterprises, projects, ids = _project_run(cases)
    expected = _explained(cases, ids)
    got = batch_spark.run(spark, BOOK, enterprises=enterprises, projects=projects)
    _assert_agree(expected, _batched(got))
    assert got.results.schema.field("ceiling").type == pa.decimal128(14, 2)
    # the lazy frames a cluster run writes out say the same
    frames = batch_spark.run_frames(spark, BOOK, enterprises=enterprises, projects=projects)
    results = {
        (r["case_id"], r["policy"]): (r["edition"], r["scope"], r["eligible"], _money(r["ceiling"]))
        for r in frames.results.collect()
    }
    assert results == expected[0]
    assert frames.summary.count() == len(cases)
