"""The DuckDB batch runner: every policy of an edition (or of the edition in force on each
project's ``as_of``) over Arrow tables or Parquet files, in-process.

Only DuckDB's core is used (Arrow scans and Parquet are built into the Python package); the
connection refuses to install or load extensions, so a run never touches the network. The input
and output schemas are described in ``shuzhuan.rules.batch``: a run is one query (the join, every
policy, best and total) streamed into one Arrow table, ``BatchResult.wide``; the long per-(case,
policy) ``results`` are derived from it only when asked for (``BatchResult.results``, or the
``results`` view the run leaves on its connection).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TypeAlias

import duckdb
import pyarrow as pa

from shuzhuan.rules.batch import (
    ENTERPRISES_SCHEMA,
    PROJECTS_SCHEMA,
    BatchResult,
    cases_sql,
    edition_statements,
    policy_columns,
)
from shuzhuan.rules.model import Edition, NoEditionError, Rulebook

__all__ = ["BatchResult", "Source", "connect", "run"]

Source: TypeAlias = pa.Table | str | Path  # an Arrow table, or a Parquet file (or glob)


def connect(*, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    if threads is not None:
        config["threads"] = threads
    return duckdb.connect(":memory:", config=config)


def _load(con: duckdb.DuckDBPyConnection, name: str, source: Source, schema: pa.Schema) -> None:
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


def run(
    rulebook: Rulebook,
    *,
    enterprises: Source,
    projects: Source | None = None,
    edition: Edition | str | None = None,
    enterprise_run_on: dt.date | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> BatchResult:
    """Run the rulebook over ``projects`` (each joined to its enterprise), or — with
    ``enterprise_run_on`` and no projects — over each enterprise alone on that date.

    ``edition`` fixes one edition for every case; by default each case gets the edition in
    force on its ``as_of``, and a case no edition covers raises ``NoEditionError``."""
    if (projects is None) == (enterprise_run_on is None):
        raise ValueError("give either projects or enterprise_run_on")
    con = con or connect()
    _load(con, "enterprises", enterprises, ENTERPRISES_SCHEMA)
    if projects is not None:
        _load(con, "projects", projects, PROJECTS_SCHEMA)
    editions, cases = cases_sql(rulebook, "duckdb", edition=edition, enterprise_run_on=enterprise_run_on)
    con.execute(f"CREATE OR REPLACE TEMP VIEW cases AS {cases.sql}")
    wide, *views = edition_statements(editions, "duckdb")
    # one pass: the join, every policy of every edition, best and total, straight into Arrow
    # (unordered: sorting 3M rows would cost more than the run; sort if an order matters)
    table = con.sql(wide.sql).to_arrow_table()
    if table.column("edition").null_count:
        ((count, example, earliest),) = con.sql(
            "SELECT count(*), min(case_id), min(as_of) FROM cases WHERE edition IS NULL"
        ).fetchall()
        raise NoEditionError(
            f"{count} case(s) have no policy edition in force, e.g. {example} (earliest as_of {earliest})"
        )
    # ``results`` and ``summary`` as views over the Arrow table, for SQL on this connection
    con.register(wide.name, table)
    for st in views:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {st.name} AS {st.sql}")
    return BatchResult(wide=table, policies=policy_columns(editions))
