from __future__ import annotations

import uuid
from typing import Any

import pytest

from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.models import BackgroundTask
from shuzhuan.core.tasks import task, task_get, task_progress, task_submit

pytestmark = pytest.mark.django_db(transaction=True)


@task("test_sum")
def _sum(task_id: uuid.UUID, params: dict[str, Any]) -> dict[str, Any]:
    for i, _ in enumerate(params["numbers"], start=1):
        task_progress(task_id, i, len(params["numbers"]))
    return {"sum": sum(params["numbers"])}


@task("test_refuse")
def _refuse(task_id: uuid.UUID, params: dict[str, Any]) -> dict[str, Any]:
    raise ApplicationError("第3行：统一社会信用代码校验位错误")


@task("test_crash")
def _crash(task_id: uuid.UUID, params: dict[str, Any]) -> dict[str, Any]:
    raise ZeroDivisionError("boom")


def test_task_runs_and_records_progress_and_result() -> None:
    row = task_submit(kind="test_sum", owner_id=None, params={"numbers": [1, 2, 3]})
    done = task_get(row.id)
    assert done is not None
    assert done.status == BackgroundTask.Status.SUCCEEDED
    assert (done.done, done.total, done.percent) == (3, 3, 100)
    assert done.result == {"sum": 6}
    assert done.started_at is not None and done.finished_at is not None


def test_refusal_is_stored_as_its_message_and_crash_without_traceback() -> None:
    refused = task_get(task_submit(kind="test_refuse", owner_id=1, params={}).id)
    assert refused is not None and refused.status == BackgroundTask.Status.FAILED
    assert refused.error == "第3行：统一社会信用代码校验位错误"
    crashed = task_get(task_submit(kind="test_crash", owner_id=1, params={}).id)
    assert crashed is not None and crashed.status == BackgroundTask.Status.FAILED
    assert "ZeroDivisionError" in crashed.error and "Traceback" not in crashed.error


def test_unknown_kind_and_bad_ids() -> None:
    with pytest.raises(ApplicationError):
        task_submit(kind="nope", owner_id=None, params={})
    assert task_get("not-a-uuid") is None
    assert task_get(uuid.uuid4()) is None


def test_thread_pool_runs_after_commit(settings: Any) -> None:
    import time

    settings.SHUZHUAN_TASKS_EAGER = False
    row = task_submit(kind="test_sum", owner_id=None, params={"numbers": [4, 5]})
    deadline = time.monotonic() + 10
    current = task_get(row.id)
    while current is not None and not current.finished and time.monotonic() < deadline:
        time.sleep(0.05)
        current = task_get(row.id)
    assert current is not None and current.status == BackgroundTask.Status.SUCCEEDED
    assert current.result == {"sum": 9}


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_task_whose_process_is_gone_is_reaped_not_left_running() -> None:
    import os
    import socket

    from shuzhuan.core.tasks import ORPHANED, task_reap_orphans

    host = socket.gethostname()
    dead = f"{host}:{_dead_pid()}"

    def make(status: str, worker: str) -> uuid.UUID:
        return BackgroundTask.objects.create(
            id=uuid.uuid4(), kind="test_sum", status=status, worker=worker
        ).pk

    orphan_running = make(BackgroundTask.Status.RUNNING, dead)
    orphan_queued = make(BackgroundTask.Status.QUEUED, dead)
    alive = make(BackgroundTask.Status.RUNNING, f"{host}:{os.getpid()}")
    elsewhere = make(BackgroundTask.Status.RUNNING, "another-host:1")
    finished = make(BackgroundTask.Status.SUCCEEDED, dead)
    assert task_reap_orphans() == 2
    for pk in (orphan_running, orphan_queued):
        row = BackgroundTask.objects.get(pk=pk)
        assert row.status == BackgroundTask.Status.FAILED and row.error == ORPHANED and row.finished_at
    for pk, status in ((alive, "running"), (elsewhere, "running"), (finished, "succeeded")):
        assert BackgroundTask.objects.get(pk=pk).status == status
    assert task_reap_orphans() == 0
    # reading one task reaps it too (a page polling a task whose server has restarted)
    lone = make(BackgroundTask.Status.RUNNING, dead)
    seen = task_get(lone)
    assert seen is not None and seen.status == BackgroundTask.Status.FAILED and seen.error == ORPHANED


def test_a_submitted_task_records_its_process() -> None:
    import os

    row = task_submit(kind="test_sum", owner_id=None, params={"numbers": [1]})
    done = task_get(row.id)
    assert done is not None and done.worker.endswith(f":{os.getpid()}")
    assert done.status == BackgroundTask.Status.SUCCEEDED
