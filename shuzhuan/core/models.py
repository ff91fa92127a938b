from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class BackgroundTask(models.Model):
    """A unit of background work with progress a person can watch (imports, later matching and reports).

    The embedded default runs tasks on a thread pool inside the server process (no extra server);
    test settings run them eagerly. Tasks take ids and plain values, never model instances.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        SUCCEEDED = "succeeded", "已完成"
        FAILED = "failed", "失败"

    id = models.UUIDField(primary_key=True)
    kind = models.CharField("类型", max_length=64)
    owner_id = models.BigIntegerField("发起人", null=True, blank=True, db_index=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveBigIntegerField("已处理", default=0)
    total = models.PositiveBigIntegerField("总数", null=True, blank=True)
    params = models.JSONField("参数", default=dict)
    result = models.JSONField("结果", null=True, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    # "host:pid" of the process that queued and runs it: a task whose process is gone is reaped
    worker = models.CharField("执行进程", max_length=128, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, int(self.done * 100 / self.total))
