"""A matching run: snapshot → match → store → diff, each phase timed.

* **snapshot** — the registry (active enterprises with their qualifications and the one-time
  rewards they received) and the project library are written to Parquet under
  ``SHUZHUAN_MATCH_DIR/run-<version>/`` by ``applications.selectors.project_population_write``:
  primary-key ranges and a streaming cursor, one Arrow record batch per chunk, no model
  instances.
* **match** — the policy engine's batch path (``shuzhuan.rules.match``) on DuckDB in-process
  (default) or on Spark (local mode, or the cluster ``spark-submit`` configured); its rows are
  tied back to enterprises by the snapshot's ``enterprise_id`` and kept as ``matches.parquet``
  for the next run's diff.
* **store** — the matches are inserted in large batches: ``COPY … FROM STDIN`` on PostgreSQL,
  ``executemany`` elsewhere, one transaction per batch.
* **diff** — a FULL OUTER JOIN (DuckDB) of this run's matches with the previous succeeded run's,
  keyed by (enterprise, policy): new, changed (status, ceiling or project), gone; the rows are
  stored as ``MatchChange``. Then the run is marked succeeded — only now does it become current.

A failure in any phase marks the run failed with a message fit to show, deletes what it had
stored and its snapshot, and leaves the current run as it was. Succeeded runs older than the
last ``SHUZHUAN_MATCH_KEEP_RUNS`` lose their matches and snapshot (their counts and changes stay).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from shuzhuan.accounts.models import Role, User
from shuzhuan.applications.selectors import project_population_write
from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError
from shuzhuan.matching.models import Match, MatchChange, MatchRun
from shuzhuan.matching.store import (
    matches_diff,
    matches_from_engine,
    previous_matches,
    store_changes,
    store_matches,
)
from shuzhuan.policies.selectors import edition_rulebook
from shuzhuan.rules.model import NoEditionError, Rulebook

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

logger = logging.getLogger(__name__)

# (phase, done, total): rows of the snapshot and of the store phase; 0/1 → 1/1 for the others
ProgressFn = Callable[[str, int, int | None], None]
ENGINES = tuple(MatchRun.Engine.values)
PHASES = tuple(MatchRun.Phase.values)  # snapshot, match, store, diff
# A queued or running run older than this is taken for dead (its process ended without
# marking it) and no longer blocks a new run.
STALE_AFTER = dt.timedelta(hours=6)


def _require_officer(user: User | None, what: str) -> None:
    if user is not None and (not user.is_active or user.role != Role.BUREAU_OFFICER):
        raise ApplicationError(f"您无权{what}", field="user")


def match_dir() -> Path:
    return Path(settings.SHUZHUAN_MATCH_DIR)


def run_directory(run: MatchRun) -> Path:
    return match_dir() / f"run-{run.version}"


def _engine_clean(engine: str) -> str:
    value = (engine or "").strip().lower()
    if value not in ENGINES:
        raise ApplicationError(f"未知的计算引擎：{engine}（可选 {' | '.join(ENGINES)}）", field="engine")
    return value


def _edition_on(rulebook: Rulebook, on: dt.date) -> str:
    try:
        return rulebook.edition_for(on).id
    except NoEditionError:
        raise ApplicationError(f"{on.isoformat()} 没有生效的政策版本", field="on") from None


# --- creating and starting a run ----------------------------------------------------------------


def match_run_create(
    *,
    acting_user: User | None,
    engine: str = MatchRun.Engine.DUCKDB,
    on: dt.date | None = None,
    task_id: uuid.UUID | None = None,
) -> MatchRun:
    """A queued run with the next version. Refused while another run is queued or running."""
    _require_officer(acting_user, "发起政策匹配")
    engine = _engine_clean(engine)
    on = on or timezone.localdate()
    edition_id = _edition_on(edition_rulebook(), on)
    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                active = MatchRun.objects.select_for_update().filter(
                    status__in=[MatchRun.Status.QUEUED, MatchRun.Status.RUNNING]
                )
                for other in active:
                    if other.created_at >= now - STALE_AFTER:
                        raise ApplicationError(
                            f"第 {other.version} 次匹配尚未结束（{other.get_status_display()}），请稍后再试",
                            field="run",
                        )
                    _fail(other, "运行中断（超时未结束）")
                version = (MatchRun.objects.aggregate(v=Max("version"))["v"] or 0) + 1
                run = MatchRun.objects.create(
                    version=version,
                    engine=engine,
                    on=on,
                    edition_id=edition_id,
                    task_id=task_id,
                    created_by=acting_user,
                )
                audit_record(
                    actor=acting_user,
                    action="match.run_create",
                    object_type="match_run",
                    object_id=version,
                    payload={"engine": engine, "on": on.isoformat(), "edition": edition_id},
                )
                return run
        except IntegrityError:  # two creators took the same version; the next attempt sees it
            continue
    raise ApplicationError("无法创建匹配运行，请重试", field="run")


def match_run_start(
    *, acting_user: User | None, engine: str = MatchRun.Engine.DUCKDB, on: dt.date | None = None
) -> uuid.UUID:
    """Queue a run as the background task ``matching.run`` (it starts once this transaction
    commits) and return the task's id, whose progress the page can watch."""
    from shuzhuan.core.tasks import task_submit
    from shuzhuan.matching.tasks import MATCH_RUN_TASK

    with transaction.atomic():
        run = match_run_create(acting_user=acting_user, engine=engine, on=on)
        row = task_submit(
            kind=MATCH_RUN_TASK,
            owner_id=acting_user.pk if acting_user is not None else None,
            params={"run_id": run.pk},
        )
        MatchRun.objects.filter(pk=run.pk).update(task_id=row.id)
    return row.id


def match_run(
    *,
    acting_user: User | None,
    engine: str = MatchRun.Engine.DUCKDB,
    on: dt.date | None = None,
    progress: ProgressFn | None = None,
    spark: SparkSession | None = None,
) -> MatchRun:
    """Create a run and execute it here (the CLI). Raises ApplicationError when it fails; the
    run is then stored as failed with the message."""
    run = match_run_create(acting_user=acting_user, engine=engine, on=on)
    return match_run_execute(run_id=run.pk, progress=progress, spark=spark)


# --- executing a run ----------------------------------------------------------------------------


def _set(run: MatchRun, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    MatchRun.objects.filter(pk=run.pk).update(**fields)


def _fail(run: MatchRun, message: str) -> None:
    _set(run, status=MatchRun.Status.FAILED, error=message, finished_at=timezone.now(), phase="")


def match_run_execute(
    *, run_id: int, progress: ProgressFn | None = None, spark: SparkSession | None = None
) -> MatchRun:
    """Run the phases of a queued run (the CLI, or the background task)."""
    run = MatchRun.objects.get(pk=run_id)
    # taken by a conditional update: of two executors of one run, one starts it
    started = timezone.now()
    taken = MatchRun.objects.filter(pk=run_id, status=MatchRun.Status.QUEUED).update(
        status=MatchRun.Status.RUNNING, started_at=started
    )
    if not taken:
        run.refresh_from_db()
        raise ApplicationError(f"第 {run.version} 次匹配已{run.get_status_display()}", field="run")
    run.status, run.started_at = MatchRun.Status.RUNNING, started
    report = progress or (lambda phase, done, total: None)
    directory = run_directory(run)
    timings: dict[str, float] = {}
    try:
        rulebook = edition_rulebook()
        # the editions in force may have changed since the run was queued
        _set(run, edition_id=_edition_on(rulebook, run.on))

        with _phase(run, MatchRun.Phase.SNAPSHOT, timings):
            shutil.rmtree(directory, ignore_errors=True)
            files = project_population_write(
                rulebook=rulebook,
                directory=directory,
                today=run.on,
                include_awarded=False,  # a project whose award is approved or paid claims nothing more
                progress=lambda n: report(MatchRun.Phase.SNAPSHOT, n, None),
            )
            _set(run, enterprises=files.enterprise_count, projects=files.project_count)
            report(MatchRun.Phase.SNAPSHOT, files.enterprise_count + files.project_count, None)

        with _phase(run, MatchRun.Phase.MATCH, timings):
            report(MatchRun.Phase.MATCH, 0, 1)
            raw = _engine_run(
                run.engine,
                rulebook,
                enterprises=files.enterprises,
                projects=files.projects,
                on=run.on,
                spark=spark,
            )
            matches = matches_from_engine(raw, files.enterprises)
            pq.write_table(matches, directory / "matches.parquet")
            report(MatchRun.Phase.MATCH, 1, 1)

        with _phase(run, MatchRun.Phase.STORE, timings):
            store_matches(
                run.pk, matches, progress=lambda done: report(MatchRun.Phase.STORE, done, matches.num_rows)
            )

        with _phase(run, MatchRun.Phase.DIFF, timings):
            report(MatchRun.Phase.DIFF, 0, 1)
            previous = (
                MatchRun.objects.filter(status=MatchRun.Status.SUCCEEDED, version__lt=run.version)
                .order_by("-version")
                .first()
            )
            before = (
                previous_matches(previous.pk, run_directory(previous) / "matches.parquet")
                if previous is not None
                else None
            )
            changes = matches_diff(matches, before)
            store_changes(run.pk, changes)
            report(MatchRun.Phase.DIFF, 1, 1)

        counts = {status: 0 for status in ("eligible", "prospect", "near_miss")}
        for item in pc.value_counts(matches.column("status")).to_pylist():
            counts[item["values"]] = item["counts"]
        kinds = {"new": 0, "changed": 0, "gone": 0}
        for item in pc.value_counts(changes.column("kind")).to_pylist() if changes.num_rows else []:
            kinds[item["values"]] = item["counts"]
        with transaction.atomic():
            _set(
                run,
                status=MatchRun.Status.SUCCEEDED,
                phase="",
                finished_at=timezone.now(),
                timings={k: round(v, 3) for k, v in timings.items()},
                counts=counts,
                previous=previous,
                new_count=kinds["new"],
                changed_count=kinds["changed"],
                gone_count=kinds["gone"],
            )
            audit_record(
                actor=run.created_by,
                action="match.run",
                object_type="match_run",
                object_id=run.version,
                payload={
                    "engine": run.engine,
                    "on": run.on.isoformat(),
                    "edition": run.edition_id,
                    "enterprises": run.enterprises,
                    "projects": run.projects,
                    "counts": counts,
                    "changes": kinds,
                    "previous": previous.version if previous else None,
                    "timings": run.timings,
                },
            )
    except Exception as exc:
        message = exc.message if isinstance(exc, ApplicationError) else f"内部错误：{type(exc).__name__}"
        if not isinstance(exc, ApplicationError):
            # INFO: the CLI shows one line (SHUZHUAN_LOG_LEVEL=INFO for the traceback); the
            # background task logs it as an error (shuzhuan.matching.tasks)
            logger.info("matching run %s failed", run.version, exc_info=exc)
        _discard(run)
        shutil.rmtree(directory, ignore_errors=True)
        _fail(run, message)
        with transaction.atomic():
            audit_record(
                actor=run.created_by,
                action="match.run_failed",
                object_type="match_run",
                object_id=run.version,
                reason=message,
                payload={"engine": run.engine, "on": run.on.isoformat(), "timings": timings},
            )
        if isinstance(exc, ApplicationError):
            raise
        raise ApplicationError(f"第 {run.version} 次匹配失败：{message}", field="run") from exc
    except BaseException:  # interrupted (Ctrl+C, the process asked to exit): not left running
        _discard(run)
        shutil.rmtree(directory, ignore_errors=True)
        _fail(run, "运行被中断")
        raise
    _prune()
    return run


@contextmanager
def _phase(run: MatchRun, phase: str, timings: dict[str, float]) -> Iterator[None]:
    _set(run, phase=str(phase))
    started = time.perf_counter()
    yield
    timings[str(phase)] = time.perf_counter() - started
    _set(run, timings={k: round(v, 3) for k, v in timings.items()})


# --- the engine -----------------------------------------------------------------------------------


def _engine_run(
    engine: str,
    rulebook: Rulebook,
    *,
    enterprises: Path,
    projects: Path,
    on: dt.date,
    spark: SparkSession | None,
) -> pa.Table:
    from shuzhuan.rules import match as engine_match

    if engine == MatchRun.Engine.DUCKDB:
        return engine_match.run_duckdb(rulebook, enterprises=str(enterprises), projects=str(projects), on=on)
    session, owned = (spark, False) if spark is not None else _spark_session()
    try:
        # file:// URIs: on a cluster the default file system is often HDFS, and the snapshot is on
        # a path every node mounts (SHUZHUAN_MATCH_DIR)
        frame = engine_match.run_spark(
            session,
            rulebook,
            enterprises=enterprises.resolve().as_uri(),
            projects=projects.resolve().as_uri(),
            on=on,
        )
        return engine_match.spark_to_arrow(frame)
    finally:
        if owned:
            session.stop()


def _spark_session() -> tuple[SparkSession, bool]:
    """(session, whether this run owns it and must stop it). An active session (a test's, or the
    one ``spark-submit`` started) is used as it is; ``SHUZHUAN_SPARK_MASTER`` "submit" takes the
    configuration ``spark-submit`` gave; another value is a master URL; empty: local mode."""
    from pyspark.sql import SparkSession

    from shuzhuan.rules.batch_spark import local_session

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    master = getattr(settings, "SHUZHUAN_SPARK_MASTER", "") or ""
    if master == "submit":
        return SparkSession.builder.appName("shuzhuan-matching").getOrCreate(), False
    if master:
        return SparkSession.builder.master(master).appName("shuzhuan-matching").getOrCreate(), True
    cores = max(1, min(os.cpu_count() or 2, 8))
    return local_session(cores=cores, shuffle_partitions=cores * 2), True


def _discard(run: MatchRun) -> None:
    """Delete what a failed run stored (it was never current)."""
    try:
        with transaction.atomic():
            MatchChange.objects.filter(run=run).delete()
            Match.objects.filter(run=run).delete()  # one DELETE: nothing refers to a match
    except Exception:  # the run is marked failed regardless
        logger.exception("could not delete the partial results of matching run %s", run.version)


def _prune() -> None:
    """Keep the matches and snapshots of the last ``SHUZHUAN_MATCH_KEEP_RUNS`` succeeded runs."""
    keep = max(1, int(getattr(settings, "SHUZHUAN_MATCH_KEEP_RUNS", 2)))
    kept = list(
        MatchRun.objects.filter(status=MatchRun.Status.SUCCEEDED)
        .order_by("-version")
        .values_list("version", flat=True)[:keep]
    )
    if not kept:
        return
    oldest = min(kept)
    old = list(
        MatchRun.objects.filter(version__lt=oldest).exclude(
            status__in=[MatchRun.Status.QUEUED, MatchRun.Status.RUNNING]
        )
    )
    for run in old:
        if Match.objects.filter(run=run).exists():
            with transaction.atomic():
                Match.objects.filter(run=run).delete()
        shutil.rmtree(run_directory(run), ignore_errors=True)
