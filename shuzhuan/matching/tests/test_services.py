"""Matching runs: snapshot → match → store → diff, versions, the current run, failures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.utils import timezone

from shuzhuan.applications.models import PolicyBatch, Status
from shuzhuan.applications.selectors import project_population_write
from shuzhuan.applications.tests.factories import advance, open_batch
from shuzhuan.audit.models import AuditEntry
from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.models import BackgroundTask
from shuzhuan.enterprises.models import Industry
from shuzhuan.enterprises.tests.factories import EnterpriseFactory, add_qualification
from shuzhuan.matching import services as svc
from shuzhuan.matching import store
from shuzhuan.matching.models import Match, MatchChange, MatchRun
from shuzhuan.matching.selectors import match_run_current
from shuzhuan.matching.tests.factories import project
from shuzhuan.policies.selectors import edition_rulebook
from shuzhuan.rules.match import run_duckdb

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(county: Any) -> PolicyBatch:
    return open_batch(acting_user=county.users["bureau_officer"])


def _matches(run: MatchRun) -> dict[tuple[str, str], Match]:
    return {
        (m.enterprise.uscc, m.policy_id): m
        for m in Match.objects.filter(run=run).select_related("enterprise")
    }


def test_a_run_stores_eligible_prospect_and_near_miss_with_the_gap_in_words(
    county: Any, batch: PolicyBatch, roles: dict[str, Any]
) -> None:
    accepted = project(batch=batch, enterprise=county.own, roles=roles, to=Status.ACCEPTED, verified="700000")
    near = project(
        batch=batch, enterprise=county.neighbour, roles=roles, to=Status.ACCEPTED, verified="250000"
    )
    run = svc.match_run(acting_user=roles["bureau"])

    assert run.status == MatchRun.Status.SUCCEEDED and run.version == 1
    assert run.edition_id == "cixi-2025" and run.on == timezone.localdate() and run.engine == "duckdb"
    assert (run.enterprises, run.projects) == (3, 2)
    assert set(run.timings) == {"snapshot", "match", "store", "diff"}
    assert all(v >= 0 for v in run.timings.values())
    found = _matches(run)
    own = found[(county.own.uscc, "cixi-2025-new-it")]
    assert (own.status, own.ceiling, own.project_id) == ("eligible", Decimal("140000.00"), accepted.number)
    miss = found[(county.neighbour.uscc, "cixi-2025-new-it")]
    assert (miss.status, miss.project_id, miss.gap) == ("near_miss", near.number, Decimal("50000.00"))
    assert miss.gap_text == "核定投入额还差 5 万元即达 30 万元门槛"
    assert miss.condition == 2  # the third condition of new-it: the threshold
    # every auto-parts SME may apply under pilot (key industry, SME) once it has a pilot project
    for e in (county.own, county.neighbour, county.elsewhere):
        pilot = found[(e.uscc, "cixi-2025-pilot")]
        assert (pilot.status, pilot.ceiling, pilot.project_id) == ("prospect", Decimal("500000.00"), "")
    assert run.counts == {"eligible": 1, "prospect": 3, "near_miss": 1} and run.total == 5
    # the first run: everything is new
    assert (run.new_count, run.changed_count, run.gone_count) == (5, 0, 0)
    assert MatchChange.objects.filter(run=run, kind="new").count() == 5
    assert match_run_current() == run
    directory = Path(settings.SHUZHUAN_MATCH_DIR) / "run-1"
    assert {p.name for p in directory.iterdir()} == {
        "enterprises.parquet",
        "projects.parquet",
        "matches.parquet",
    }
    entry = AuditEntry.objects.filter(action="match.run").get()
    assert entry.actor_id == roles["bureau"].pk and entry.payload["counts"]["eligible"] == 1


def test_the_next_run_lists_what_is_new_changed_and_gone(
    county: Any, batch: PolicyBatch, roles: dict[str, Any]
) -> None:
    app = project(
        batch=batch,
        enterprise=county.own,
        roles=roles,
        to=Status.ACCEPTANCE_REQUESTED,
        policy_id="cixi-2025-ai",
        kinds=["ai_model"],
    )
    first = svc.match_run(acting_user=None)
    before = _matches(first)[(county.own.uscc, "cixi-2025-ai")]
    assert (before.status, before.gap, before.ceiling) == ("near_miss", None, None)
    assert before.gap_text == "项目尚未验收通过（核定投入额在验收时确定）"  # the condition's own words

    advance(app, Status.ACCEPTED, bureau=roles["bureau"], verified="700000")
    county.neighbour.industry = Industry.objects.get(code="textiles")  # no longer a key industry
    county.neighbour.save()
    newcomer = EnterpriseFactory.create()
    second = svc.match_run(acting_user=None)

    assert second.previous == first and second.version == 2
    changes = {(c.enterprise.uscc, c.policy_id): c for c in MatchChange.objects.filter(run=second)}
    changed = changes[(county.own.uscc, "cixi-2025-ai")]
    assert (changed.kind, changed.status_before, changed.status) == ("changed", "near_miss", "eligible")
    assert changed.ceiling_before is None and changed.ceiling == Decimal("300000.00")
    gone = changes[(county.neighbour.uscc, "cixi-2025-pilot")]
    assert (gone.kind, gone.status_before, gone.status, gone.ceiling) == ("gone", "prospect", "", None)
    assert changes[(newcomer.uscc, "cixi-2025-pilot")].kind == "new"
    assert (second.new_count, second.changed_count, second.gone_count) == (
        MatchChange.objects.filter(run=second, kind="new").count(),
        1,
        1,
    )
    # the first run's matches are kept (the previous run), unchanged
    assert _matches(first)[(county.own.uscc, "cixi-2025-ai")].status == "near_miss"


def test_the_diff_reads_the_previous_run_from_the_database_when_its_file_is_gone(county: Any) -> None:
    first = svc.match_run(acting_user=None)
    (Path(settings.SHUZHUAN_MATCH_DIR) / f"run-{first.version}" / "matches.parquet").unlink()
    county.elsewhere.is_sme = False
    county.elsewhere.save()
    second = svc.match_run(acting_user=None)
    assert (second.new_count, second.changed_count, second.gone_count) == (0, 0, 1)
    gone = MatchChange.objects.get(run=second)
    assert (gone.enterprise, gone.policy_id, gone.kind) == (county.elsewhere, "cixi-2025-pilot", "gone")


def test_a_run_that_fails_leaves_the_previous_current_run_intact(
    county: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = svc.match_run(acting_user=None)
    kept = sorted(Match.objects.filter(run=first).values_list("enterprise_id", "policy_id", "status"))

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    # fails after the matches are stored: the partial rows are deleted
    monkeypatch.setattr("shuzhuan.matching.services.run.store_changes", broken)
    with pytest.raises(ApplicationError) as info:
        svc.match_run(acting_user=None)
    failed = MatchRun.objects.get(version=2)
    assert failed.status == MatchRun.Status.FAILED and failed.error == "内部错误：RuntimeError"
    assert "第 2 次匹配失败" in info.value.message
    assert failed.finished_at is not None and failed.phase == ""
    assert not Match.objects.filter(run=failed).exists()
    assert not (Path(settings.SHUZHUAN_MATCH_DIR) / "run-2").exists()
    assert match_run_current() == first
    assert sorted(Match.objects.filter(run=first).values_list("enterprise_id", "policy_id", "status")) == kept
    assert AuditEntry.objects.filter(action="match.run_failed", object_id="2").exists()

    # an engine failure: the message of a refusal is kept as it is
    monkeypatch.undo()

    def no_edition(*args: Any, **kwargs: Any) -> None:
        raise ApplicationError("引擎拒绝", field="run")

    monkeypatch.setattr("shuzhuan.rules.match.run_duckdb", no_edition)
    with pytest.raises(ApplicationError, match="引擎拒绝"):
        svc.match_run(acting_user=None)
    assert MatchRun.objects.get(version=3).error == "引擎拒绝"
    assert match_run_current() == first

    monkeypatch.undo()  # and the next run diffs against the last succeeded one
    fourth = svc.match_run(acting_user=None)
    assert fourth.previous == first and (fourth.new_count, fourth.changed_count, fourth.gone_count) == (
        0,
        0,
        0,
    )


def test_refusals(county: Any, roles: dict[str, Any]) -> None:
    with pytest.raises(ApplicationError) as info:
        svc.match_run(acting_user=None, engine="numpy")
    assert info.value.field == "engine"
    with pytest.raises(ApplicationError) as info:
        svc.match_run(acting_user=None, on=dt.date(2023, 6, 1))
    assert info.value.field == "on" and "2023-06-01 没有生效的政策版本" in info.value.message
    for role in ("town", "firm", "expert"):
        with pytest.raises(ApplicationError) as info:
            svc.match_run(acting_user=roles[role])
        assert info.value.field == "user"
    assert not MatchRun.objects.exists()


def test_one_run_at_a_time_and_a_stale_run_does_not_block(county: Any) -> None:
    queued = svc.match_run_create(acting_user=None)
    with pytest.raises(ApplicationError, match="第 1 次匹配尚未结束"):
        svc.match_run_create(acting_user=None)
    MatchRun.objects.filter(pk=queued.pk).update(created_at=timezone.now() - dt.timedelta(hours=7))
    second = svc.match_run_create(acting_user=None)
    queued.refresh_from_db()
    assert queued.status == MatchRun.Status.FAILED and "超时" in queued.error
    assert second.version == 2
    run = svc.match_run_execute(run_id=second.pk)
    assert run.status == MatchRun.Status.SUCCEEDED
    with pytest.raises(ApplicationError, match="已完成"):
        svc.match_run_execute(run_id=second.pk)


def test_match_run_start_runs_the_background_task_with_progress(
    county: Any, roles: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        task_id = svc.match_run_start(acting_user=roles["bureau"], engine="duckdb")
    task = BackgroundTask.objects.get(pk=task_id)
    assert task.kind == "matching.run" and task.owner_id == roles["bureau"].pk
    assert task.status == BackgroundTask.Status.SUCCEEDED, task.error
    assert (task.done, task.total, task.percent) == (400, 400, 100)
    run = MatchRun.objects.get(task_id=task_id)
    assert run.status == MatchRun.Status.SUCCEEDED and run.created_by == roles["bureau"]
    assert task.result == {
        "run": run.version,
        "status": "succeeded",
        "counts": {"eligible": 0, "prospect": 3, "near_miss": 0},
        "new": 3,
        "changed": 0,
        "gone": 0,
        "timings": run.timings,
    }


def test_a_failed_task_stores_the_message(
    county: Any, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("shuzhuan.rules.match.run_duckdb", broken)
    with django_capture_on_commit_callbacks(execute=True):
        task_id = svc.match_run_start(acting_user=None)
    task = BackgroundTask.objects.get(pk=task_id)
    assert task.status == BackgroundTask.Status.FAILED
    assert task.error == "第 1 次匹配失败：内部错误：RuntimeError"
    assert MatchRun.objects.get(task_id=task_id).status == MatchRun.Status.FAILED


def test_old_runs_lose_their_matches_but_keep_counts_and_changes(county: Any, settings: Any) -> None:
    settings.SHUZHUAN_MATCH_KEEP_RUNS = 2
    runs = [svc.match_run(acting_user=None) for _ in range(3)]
    assert not Match.objects.filter(run=runs[0]).exists()
    assert not (Path(settings.SHUZHUAN_MATCH_DIR) / "run-1").exists()
    assert MatchChange.objects.filter(run=runs[0]).count() == 3
    assert MatchRun.objects.get(pk=runs[0].pk).counts == {"eligible": 0, "prospect": 3, "near_miss": 0}
    assert Match.objects.filter(run=runs[1]).count() == Match.objects.filter(run=runs[2]).count() == 3


def test_the_snapshot_streams_the_registry_and_the_projects_in_chunks(
    county: Any, batch: PolicyBatch, roles: dict[str, Any], tmp_path: Path
) -> None:
    project(batch=batch, enterprise=county.own, roles=roles, to=Status.ACCEPTED, verified="700000")
    add_qualification(county.own, "ningbo_sample_enterprise", 2024)
    extra = [EnterpriseFactory.create() for _ in range(4)]
    files = project_population_write(
        rulebook=edition_rulebook(), directory=tmp_path / "snap", chunk_size=2, today=dt.date(2025, 3, 1)
    )
    assert (files.enterprise_count, files.project_count) == (3 + len(extra), 1)
    enterprises = pq.read_table(files.enterprises)
    assert pq.ParquetFile(files.enterprises).metadata.num_row_groups == 4  # 7 rows in chunks of 2
    own = next(r for r in enterprises.to_pylist() if r["uscc"] == county.own.uscc)
    assert own == {
        "uscc": county.own.uscc,
        "industry": "auto_parts",
        "is_sme": True,
        "above_scale": False,
        "qualifications": ["national_tech_sme", "ningbo_sample_enterprise"],
        "rewards_received": [],
        "enterprise_id": county.own.pk,
    }
    (row,) = pq.read_table(files.projects).to_pylist()
    assert row["uscc"] == county.own.uscc and row["accepted"] is True
    assert row["verified_investment"] == Decimal("700000.00") and row["kinds"] == ["new_it"]


def test_matches_from_the_engine_keep_the_enterprise_ids(county: Any, tmp_path: Path) -> None:
    files = project_population_write(rulebook=edition_rulebook(), directory=tmp_path / "snap")
    raw = run_duckdb(
        edition_rulebook(),
        enterprises=str(files.enterprises),
        projects=str(files.projects),
        on=dt.date(2025, 6, 1),
    )
    table = store.matches_from_engine(raw, files.enterprises)
    assert sorted(table.column("enterprise_id").to_pylist()) == sorted(
        [county.own.pk, county.neighbour.pk, county.elsewhere.pk]
    )


def test_an_interrupted_run_is_not_left_running(county: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("shuzhuan.rules.match.run_duckdb", interrupted)
    with pytest.raises(KeyboardInterrupt):
        svc.match_run(acting_user=None)
    run = MatchRun.objects.get()
    assert (run.status, run.error) == (MatchRun.Status.FAILED, "运行被中断")
    monkeypatch.undo()
    assert svc.match_run(acting_user=None).version == 2  # the next run is not blocked
