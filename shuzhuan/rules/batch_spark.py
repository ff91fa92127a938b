"""The Spark batch runner: the same statements as the DuckDB runner, printed in Spark SQL and run
on a caller's SparkSession (local mode in tests, a cluster for a country). Input and output
schemas are described in ``shuzhuan.rules.batch``; inputs are Arrow tables or Parquet paths.
``run`` collects ``wide`` to the driver as Arrow (a ``BatchResult``, as the DuckDB runner
returns: meant for tests and county-sized runs); on a cluster use ``run_frames`` — lazy DataFrames
``wide``, ``results`` (long, over ``wide``) and ``summary`` — and write them out.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

import pyarrow as pa

from shuzhuan.rules.batch import (
    ENTERPRISES_SCHEMA,
    PROJECTS_SCHEMA,
    BatchResult,
    PolicyColumn,
    cases_sql,
    edition_statements,
    policy_columns,
)
from shuzhuan.rules.model import Edition, NoEditionError, Rulebook

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

Source: TypeAlias = pa.Table | str | Path  # an Arrow table, or a Parquet path


class Frames(NamedTuple):
    """A run's lazy DataFrames (each action computes from the inputs again)."""

    wide: DataFrame  # as ``BatchResult.wide``
    results: DataFrame  # as ``BatchResult.results``
    summary: DataFrame  # as ``BatchResult.summary``
    policies: tuple[PolicyColumn, ...]  # the ceiling columns of ``wide``


def local_session(*, cores: int = 2, shuffle_partitions: int = 2) -> SparkSession:
    """A local SparkSession that opens no UI and binds to the loopback only."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("shuzhuan-rules")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def _frame(spark: SparkSession, name: str, source: Source, schema: pa.Schema) -> DataFrame:
    if isinstance(source, pa.Table):
        missing = [f.name for f in schema if f.name not in source.column_names]
        if missing:
            raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")
        frame = spark.createDataFrame(source.select(schema.names))
    else:
        frame = spark.read.parquet(str(source)).select(*schema.names)
    return frame


def run_frames(
    spark: SparkSession,
    rulebook: Rulebook,
    *,
    enterprises: Source,
    projects: Source | None = None,
    edition: Edition | str | None = None,
    enterprise_run_on: dt.date | None = None,
) -> Frames:
    """``wide``, ``results`` and ``summary`` as Spark DataFrames; see ``batch_duckdb.run`` for the
    arguments."""
    if (projects is None) == (enterprise_run_on is None):
        raise ValueError("give either projects or enterprise_run_on")
    _frame(spark, "enterprises", enterprises, ENTERPRISES_SCHEMA).createOrReplaceTempView("enterprises")
    if projects is not None:
        _frame(spark, "projects", projects, PROJECTS_SCHEMA).createOrReplaceTempView("projects")
    editions, cases = cases_sql(rulebook, "spark", edition=edition, enterprise_run_on=enterprise_run_on)
    cases_frame = spark.sql(cases.sql)
    cases_frame.createOrReplaceTempView("cases")
    uncovered = (
        cases_frame.where("edition IS NULL").selectExpr("count(*)", "min(case_id)", "min(as_of)").first()
    )
    if uncovered is not None and uncovered[0]:
        raise NoEditionError(
            f"{uncovered[0]} case(s) have no policy edition in force, e.g. {uncovered[1]} "
            f"(earliest as_of {uncovered[2]})"
        )
    for st in edition_statements(editions, "spark"):
        spark.sql(st.sql).createOrReplaceTempView(st.name)
    return Frames(
        spark.table("wide"), spark.table("results"), spark.table("summary"), policy_columns(editions)
    )


def run(
    spark: SparkSession,
    rulebook: Rulebook,
    *,
    enterprises: Source,
    projects: Source | None = None,
    edition: Edition | str | None = None,
    enterprise_run_on: dt.date | None = None,
) -> BatchResult:
    frames = run_frames(
        spark,
        rulebook,
        enterprises=enterprises,
        projects=projects,
        edition=edition,
        enterprise_run_on=enterprise_run_on,
    )
    return BatchResult(wide=frames.wide.orderBy("case_id").toArrow(), policies=frames.policies)
