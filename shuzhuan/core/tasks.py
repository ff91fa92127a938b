"""Background tasks with progress, without an extra server.

``task_submit`` records a ``BackgroundTask`` and, once the surrounding transaction commits, runs
the registered function on a small thread pool in this process (or inline when
``SHUZHUAN_TASKS_EAGER`` is true, as in the test settings). The function receives the task id
and its params and reports progress through ``task_progress``. A failure is stored as a message
fit to show (an ApplicationError's text, otherwise the exception type) — never a traceback.

The pool lives in the server process, so a task dies with it (a restart, a crash). Each task
records its process ("host:pid"); ``task_reap_orphans`` — run when the server starts, and for a
single task whenever it is read — marks a queued or running task whose process on this host no
longer exists as failed, with a message saying to start it again, instead of leaving its page
polling "进行中" for ever. (A task of another host is left to that host; a reused pid keeps a
dead task "running" until the next start.)
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.models import BackgroundTask

logger = logging.getLogger(__name__)

TaskFn = Callable[[uuid.UUID, dict[str, Any]], dict[str, Any]]
_REGISTRY: dict[str, TaskFn] = {}
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def task(kind: str) -> Callable[[TaskFn], TaskFn]:
    """Register ``fn`` as the runner of tasks of ``kind``."""

    def decorator(fn: TaskFn) -> TaskFn:
        _REGISTRY[kind] = fn
        return fn

    return decorator


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=getattr(settings, "SHUZHUAN_TASK_WORKERS", 2), thread_name_prefix="shuzhuan-task"
            )
        return _executor


def task_submit(*, kind: str, owner_id: int | None, params: dict[str, Any]) -> BackgroundTask:
    if kind not in _REGISTRY:
        raise ApplicationError(f"未知的后台任务类型：{kind}")
    row = BackgroundTask.objects.create(
        id=uuid.uuid4(), kind=kind, owner_id=owner_id, params=params, worker=_worker()
    )
    if getattr(settings, "SHUZHUAN_TASKS_EAGER", False):
        transaction.on_commit(lambda: _run(row.id))
    else:
        transaction.on_commit(lambda: _pool().submit(_run_in_thread, row.id))
    return row


def task_progress(task_id: uuid.UUID, done: int, total: int | None = None) -> None:
    BackgroundTask.objects.filter(pk=task_id).update(done=done, total=total)


def _run_in_thread(task_id: uuid.UUID) -> None:
    close_old_connections()
    try:
        _run(task_id)
    finally:
        connections.close_all()


def _run(task_id: uuid.UUID) -> None:
    row = BackgroundTask.objects.get(pk=task_id)
    BackgroundTask.objects.filter(pk=task_id).update(
        status=BackgroundTask.Status.RUNNING, started_at=timezone.now(), worker=_worker()
    )
    try:
        result = _REGISTRY[row.kind](task_id, row.params)
    except ApplicationError as exc:
        _finish(task_id, BackgroundTask.Status.FAILED, error=exc.message)
    except Exception as exc:
        logger.exception("background task %s (%s) failed", task_id, row.kind)
        _finish(
            task_id, BackgroundTask.Status.FAILED, error=f"内部错误：{type(exc).__name__}，请联系管理员。"
        )
    else:
        _finish(task_id, BackgroundTask.Status.SUCCEEDED, result=result)


def _finish(
    task_id: uuid.UUID, status: str, *, result: dict[str, Any] | None = None, error: str = ""
) -> None:
    BackgroundTask.objects.filter(pk=task_id).update(
        status=status, result=result, error=error, finished_at=timezone.now()
    )


def task_get(task_id: uuid.UUID | str) -> BackgroundTask | None:
    try:
        key = uuid.UUID(str(task_id))
    except ValueError:
        return None
    row = BackgroundTask.objects.filter(pk=key).first()
    if row is not None and _orphaned(row) and _reap(row.pk):
        row.refresh_from_db()
    return row


ORPHANED = "处理该任务的服务进程已停止（例如服务重启），任务未完成，请重新发起。"
_UNFINISHED = (BackgroundTask.Status.QUEUED, BackgroundTask.Status.RUNNING)


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _orphaned(row: BackgroundTask) -> bool:
    """Unfinished, and queued or run by a process of this host that no longer exists."""
    if row.status not in _UNFINISHED or not row.worker:
        return False
    host, _, pid = row.worker.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not _alive(int(pid))


def _reap(task_id: uuid.UUID) -> bool:
    return bool(
        BackgroundTask.objects.filter(pk=task_id, status__in=_UNFINISHED).update(
            status=BackgroundTask.Status.FAILED, error=ORPHANED, finished_at=timezone.now()
        )
    )


def task_reap_orphans() -> int:
    """Mark every task whose process has gone as failed; returns how many (see the module doc)."""
    rows = BackgroundTask.objects.filter(status__in=_UNFINISHED).exclude(worker="")
    return sum(_reap(row.pk) for row in rows if _orphaned(row))
