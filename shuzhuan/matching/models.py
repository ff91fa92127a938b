"""政策找人: matching runs, their matches and what changed since the run before, pushes and
enterprises' push preferences.

A ``MatchRun`` snapshots the registry and the project library, evaluates every policy with the
engine's batch path and stores one ``Match`` per (enterprise, policy, project) the engine emits —
eligible, prospect or near miss (not-eligible pairs are not stored). Runs are versioned; the
*current* run is the succeeded run with the highest version, so a run that fails or is still
running never replaces what people see. ``MatchChange`` rows list the matches a run added,
changed or dropped against the previous succeeded run. ``PushRecord`` remembers each
(enterprise, policy, status) pushed so the same match is never pushed twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MatchStatus(models.TextChoices):
    ELIGIBLE = "eligible", "符合条件"
    PROSPECT = "prospect", "可申报"
    NEAR_MISS = "near_miss", "差一点"


class MatchRun(models.Model):
    class Engine(models.TextChoices):
        DUCKDB = "duckdb", "DuckDB"
        SPARK = "spark", "Spark"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        SUCCEEDED = "succeeded", "已完成"
        FAILED = "failed", "失败"

    class Phase(models.TextChoices):
        SNAPSHOT = "snapshot", "读取企业库与项目库"
        MATCH = "match", "政策匹配"
        STORE = "store", "写入匹配结果"
        DIFF = "diff", "比对上次结果"

    version = models.PositiveIntegerField("版本", unique=True)
    engine = models.CharField("计算引擎", max_length=16, choices=Engine.choices, default=Engine.DUCKDB)
    on = models.DateField("匹配日期")
    edition_id = models.CharField("政策版本", max_length=64, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField("当前阶段", max_length=16, choices=Phase.choices, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    # seconds per phase: {"snapshot": 1.2, "match": 3.4, "store": 5.6, "diff": 0.7}
    timings = models.JSONField("各阶段耗时（秒）", default=dict, blank=True)
    # matches per status: {"eligible": 120, "prospect": 3400, "near_miss": 56}
    counts = models.JSONField("匹配数", default=dict, blank=True)
    enterprises = models.PositiveIntegerField("企业数", default=0)
    projects = models.PositiveIntegerField("项目数", default=0)
    previous = models.ForeignKey(
        "self",
        verbose_name="比对的上次运行",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    new_count = models.PositiveIntegerField("新增", default=0)
    changed_count = models.PositiveIntegerField("变化", default=0)
    gone_count = models.PositiveIntegerField("不再匹配", default=0)
    task_id = models.UUIDField("后台任务", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    error = models.TextField("错误", blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = "匹配运行"
        verbose_name_plural = "匹配运行"
        indexes = [models.Index(fields=["status", "version"], name="matchrun_status_version")]

    def __str__(self) -> str:
        return f"匹配 #{self.version}（{self.get_status_display()}）"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def total(self) -> int:
        return sum(int(v) for v in (self.counts or {}).values())


class Match(models.Model):
    """One (enterprise, policy) the engine found eligible, a prospect or a near miss; a project-scope
    match names the enterprise's best project (the highest ceiling, or the smallest gap).

    Derived rows, loaded in bulk (millions per run) from the run's own snapshot: the foreign keys
    carry no database constraint (``db_constraint=False``) — on PostgreSQL the per-row checks
    nearly doubled the time of ``COPY`` — while deletes still cascade through the ORM."""

    run = models.ForeignKey(
        MatchRun,
        verbose_name="匹配运行",
        on_delete=models.CASCADE,
        related_name="matches",
        db_constraint=False,
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    policy_id = models.CharField("政策", max_length=64)
    status = models.CharField("匹配结果", max_length=16, choices=MatchStatus.choices)
    ceiling = models.DecimalField(
        "预计补助上限（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    # the project (application number) a project-scope match is about; blank: the enterprise
    project_id = models.CharField("项目（申报编号）", max_length=32, blank=True)
    condition = models.PositiveSmallIntegerField("未满足的条件（序号）", null=True, blank=True)
    gap = models.DecimalField("差距（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    gap_text = models.CharField("差距说明", max_length=300, blank=True)

    class Meta:
        ordering = ["run", "enterprise", "policy_id", "project_id"]
        verbose_name = "匹配结果"
        verbose_name_plural = "匹配结果"
        indexes = [
            models.Index(fields=["run", "policy_id", "status"], name="match_run_policy_status"),
            models.Index(fields=["enterprise", "run"], name="match_enterprise_run"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.policy_id} {self.status}"


class MatchChange(models.Model):
    """A match a run added, changed (status or amount) or dropped against the previous succeeded
    run, keyed by (enterprise, policy): the engine emits one row per pair, a project-scope one
    about the enterprise's best project."""

    class Kind(models.TextChoices):
        NEW = "new", "新增"
        CHANGED = "changed", "变化"
        GONE = "gone", "不再匹配"

    run = models.ForeignKey(
        MatchRun, verbose_name="匹配运行", on_delete=models.CASCADE, related_name="changes"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.CASCADE, related_name="+"
    )
    policy_id = models.CharField("政策", max_length=64)
    project_id = models.CharField("项目（申报编号）", max_length=32, blank=True)
    kind = models.CharField("变化", max_length=16, choices=Kind.choices)
    status = models.CharField("本次结果", max_length=16, choices=MatchStatus.choices, blank=True)
    status_before = models.CharField("上次结果", max_length=16, choices=MatchStatus.choices, blank=True)
    ceiling = models.DecimalField("本次上限（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    ceiling_before = models.DecimalField(
        "上次上限（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["run", "kind", "enterprise", "policy_id", "project_id"]
        verbose_name = "匹配变化"
        verbose_name_plural = "匹配变化"
        indexes = [models.Index(fields=["run", "kind"], name="matchchange_run_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.enterprise_id} {self.policy_id}"


class PushRecord(models.Model):
    """A match pushed to an enterprise: never the same (enterprise, policy, status) twice."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.CASCADE, related_name="+"
    )
    policy_id = models.CharField("政策", max_length=64)
    status = models.CharField("匹配结果", max_length=16, choices=MatchStatus.choices)
    first_run = models.ForeignKey(
        MatchRun,
        verbose_name="首次匹配运行",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notice = models.ForeignKey(
        "applications.Notice",
        verbose_name="通知",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField("推送时间")

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = "政策推送"
        verbose_name_plural = "政策推送"
        indexes = [models.Index(fields=["enterprise", "sent_at"], name="push_enterprise_sent")]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "policy_id", "status"], name="push_once_per_enterprise_policy_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.policy_id} {self.status}"


class PushPreference(models.Model):
    enterprise = models.OneToOneField(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.CASCADE,
        related_name="push_preference",
    )
    opted_out = models.BooleanField("不接收政策推送", default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "推送设置"
        verbose_name_plural = "推送设置"

    def __str__(self) -> str:
        return f"{self.enterprise_id}: {'opted out' if self.opted_out else 'receives pushes'}"
