"""Matches as Arrow tables and in the database: the engine's rows tied to enterprises, bulk
insertion (``COPY`` on PostgreSQL, ``executemany`` elsewhere, one transaction per batch of
``STORE_BATCH`` rows) and the diff of two runs on DuckDB. Used by the run service; no model
instance is built for a match.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from django.db import connection, transaction

from shuzhuan.core.errors import ApplicationError
from shuzhuan.matching.models import Match, MatchChange

STORE_BATCH = 100_000

MATCHES_SCHEMA = pa.schema(
    [
        ("enterprise_id", pa.int64()),
        ("policy", pa.string()),
        ("status", pa.string()),
        ("ceiling", pa.decimal128(14, 2)),
        ("project_id", pa.string()),
        ("condition", pa.int32()),
        ("gap", pa.decimal128(14, 2)),
        ("gap_text", pa.string()),
    ]
)
_MATCH_COLUMNS = (
    "run_id",
    "enterprise_id",
    "policy_id",
    "status",
    "ceiling",
    "project_id",
    "condition",
    "gap",
    "gap_text",
)
_CHANGE_COLUMNS = (
    "run_id",
    "enterprise_id",
    "policy_id",
    "project_id",
    "kind",
    "status",
    "status_before",
    "ceiling",
    "ceiling_before",
)


def matches_from_engine(raw: pa.Table, enterprises: Path) -> pa.Table:
    """The engine's rows as ``MATCHES_SCHEMA``: the enterprise's primary key from the snapshot
    (by USCC) instead of the USCC; sorted, so equal inputs give equal files."""
    snapshot = pq.read_table(enterprises, columns=["uscc", "enterprise_id"])
    where = pc.index_in(raw.column("uscc"), value_set=snapshot.column("uscc"))
    if raw.num_rows and where.null_count:
        raise ApplicationError("匹配结果中有企业不在快照中", field="run")
    enterprise_id = pc.take(snapshot.column("enterprise_id"), where)
    table = pa.table(
        {
            "enterprise_id": enterprise_id,
            "policy": raw.column("policy").cast(pa.string()),
            "status": raw.column("status").cast(pa.string()),
            "ceiling": raw.column("ceiling").cast(pa.decimal128(14, 2)),
            "project_id": raw.column("project_id").cast(pa.string()),
            "condition": raw.column("condition").cast(pa.int32()),
            "gap": raw.column("gap").cast(pa.decimal128(14, 2)),
            "gap_text": raw.column("gap_text").cast(pa.string()),
        },
        schema=MATCHES_SCHEMA,
    )
    return table.sort_by(
        [("enterprise_id", "ascending"), ("policy", "ascending"), ("project_id", "ascending")]
    )


# --- storing ------------------------------------------------------------------------------------


_TEXT_COLUMNS = frozenset({"policy_id", "status", "project_id", "gap_text", "kind", "status_before"})


def _rows(table: pa.Table, columns: tuple[str, ...], run_id: int) -> Iterator[tuple[Any, ...]]:
    """Plain Python rows for ``executemany``: money as text (as Django binds Decimal), blank
    instead of NULL in the text columns the models declare blank."""
    values = []
    for name in columns:
        if name == "run_id":
            continue
        column = table.column(name)
        if pa.types.is_decimal(column.type):
            column = column.cast(pa.string())
        elif name in _TEXT_COLUMNS:
            column = pc.fill_null(column, "")
        values.append(column.to_pylist())
    for row in zip(*values, strict=True):
        yield (run_id, *row)


def _insert(
    table_name: str, columns: tuple[str, ...], data: pa.Table, run_id: int, progress: Callable[[int], None]
) -> None:
    done = 0
    if connection.vendor == "postgresql":
        _copy(table_name, columns, data, run_id, progress)
        return
    sql = f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 - names are ours
    for offset in range(0, data.num_rows, STORE_BATCH):
        chunk = data.slice(offset, STORE_BATCH)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, list(_rows(chunk, columns, run_id)))
        done += chunk.num_rows
        progress(done)


def _copy(
    table_name: str, columns: tuple[str, ...], data: pa.Table, run_id: int, progress: Callable[[int], None]
) -> None:
    """PostgreSQL: ``COPY … FROM STDIN`` in CSV written by Arrow's C++ writer (no Python per
    row), one batch per transaction. Arrow quotes every string — a blank one is ``""`` — and
    writes NULL as an unquoted empty field: exactly how COPY's CSV reads blank and NULL."""
    done = 0
    names = ", ".join(columns)
    options = pa_csv.WriteOptions(include_header=False)
    for offset in range(0, data.num_rows, STORE_BATCH):
        chunk = data.slice(offset, STORE_BATCH)
        arrays = [
            pa.repeat(run_id, chunk.num_rows) if name == "run_id" else chunk.column(name) for name in columns
        ]
        arrays = [
            pc.fill_null(a, "") if n in _TEXT_COLUMNS else a for a, n in zip(arrays, columns, strict=True)
        ]
        buffer = io.BytesIO()
        pa_csv.write_csv(pa.table(arrays, names=list(columns)), buffer, write_options=options)
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's cursor under Django's wrapper
            with raw.copy(f"COPY {table_name} ({names}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(buffer.getbuffer())
        done += chunk.num_rows
        progress(done)


def store_matches(run_id: int, matches: pa.Table, *, progress: Callable[[int], None]) -> None:
    progress(0)
    _insert(
        Match._meta.db_table, _MATCH_COLUMNS, matches.rename_columns(_store_names(matches)), run_id, progress
    )


def _store_names(table: pa.Table) -> list[str]:
    return ["policy_id" if n == "policy" else n for n in table.column_names]


def store_changes(run_id: int, changes: pa.Table) -> None:
    if changes.num_rows:
        _insert(MatchChange._meta.db_table, _CHANGE_COLUMNS, changes, run_id, lambda done: None)


# --- the diff --------------------------------------------------------------------------------------

CHANGES_SCHEMA = pa.schema(
    [
        ("enterprise_id", pa.int64()),
        ("policy_id", pa.string()),
        ("project_id", pa.string()),
        ("kind", pa.string()),
        ("status", pa.string()),
        ("status_before", pa.string()),
        ("ceiling", pa.decimal128(14, 2)),
        ("ceiling_before", pa.decimal128(14, 2)),
    ]
)


def previous_matches(run_id: int, path: Path) -> pa.Table:
    """The previous run's matches: its ``matches.parquet`` when still on disk, else read from the
    database in chunks."""
    if path.exists():
        return pq.read_table(path, columns=["enterprise_id", "policy", "status", "ceiling", "project_id"])
    batches = []
    qs = (
        Match.objects.filter(run_id=run_id)
        .order_by()
        .values_list("enterprise_id", "policy_id", "status", "ceiling", "project_id")
        .iterator(chunk_size=50_000)
    )
    names = ["enterprise_id", "policy", "status", "ceiling", "project_id"]
    types = [pa.int64(), pa.string(), pa.string(), pa.decimal128(14, 2), pa.string()]
    chunk: list[tuple[Any, ...]] = []
    for row in qs:
        chunk.append(row)
        if len(chunk) == 100_000:
            batches.append(_batch(chunk, names, types))
            chunk = []
    if chunk or not batches:
        batches.append(_batch(chunk, names, types))
    return pa.Table.from_batches(batches)


def _batch(rows: list[tuple[Any, ...]], names: list[str], types: list[pa.DataType]) -> pa.RecordBatch:
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    arrays = [pa.array(list(c), type=t) for c, t in zip(columns, types, strict=True)]
    batch = pa.RecordBatch.from_arrays(arrays, names=names)
    # blank project ids in the database are NULL in the engine's output
    project = pc.if_else(
        pc.equal(batch.column("project_id"), ""), pa.scalar(None, pa.string()), batch.column("project_id")
    )
    return batch.set_column(names.index("project_id"), "project_id", project)


def matches_diff(current: pa.Table, before: pa.Table | None) -> pa.Table:
    """``CHANGES_SCHEMA`` rows: each (enterprise, policy) — the engine emits one row per pair —
    that is new, gone, or changed in status, ceiling or project since ``before``."""
    import duckdb

    cur = current.select(["enterprise_id", "policy", "status", "ceiling", "project_id"])
    if before is None:
        before = cur.schema.empty_table()
    con = duckdb.connect()
    try:
        con.register("cur", cur)
        con.register("prev", before)
        result = con.sql(
            """
            SELECT COALESCE(c.enterprise_id, p.enterprise_id) AS enterprise_id,
                   COALESCE(c.policy, p.policy) AS policy_id,
                   COALESCE(c.project_id, p.project_id) AS project_id,
                   CASE WHEN p.enterprise_id IS NULL THEN 'new'
                        WHEN c.enterprise_id IS NULL THEN 'gone'
                        ELSE 'changed' END AS kind,
                   c.status AS status,
                   p.status AS status_before,
                   c.ceiling AS ceiling,
                   p.ceiling AS ceiling_before
            FROM cur c FULL OUTER JOIN prev p
              ON c.enterprise_id = p.enterprise_id AND c.policy = p.policy
            WHERE p.enterprise_id IS NULL OR c.enterprise_id IS NULL OR c.status <> p.status
               OR c.ceiling IS DISTINCT FROM p.ceiling OR c.project_id IS DISTINCT FROM p.project_id
            ORDER BY 1, 2
            """
        ).to_arrow_table()
    finally:
        con.close()
    return result.cast(CHANGES_SCHEMA)
