"""Policy batches (申报批次), applications and their workflow records.

An application is one enterprise's request under one policy of a batch, for one project. Its
status moves only through ``shuzhuan.applications.workflow.application_transition`` (the
``TRANSITIONS`` table), which writes a ``StatusChange`` row and an audit entry for every move.
The project's facts the policy engine reads (kinds, pilot plan, investments, acceptance) are
columns here, so a batch run over every project is one query.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from shuzhuan.core.models import TimeStampedModel


class PolicyBatch(TimeStampedModel):
    """A call for applications under one or more policies of one edition."""

    class Status(models.TextChoices):
        DRAFT = "draft", "未开放"
        OPEN = "open", "申报中"
        CLOSED = "closed", "已截止"

    code = models.SlugField("批次编号", max_length=64, unique=True)
    name = models.CharField("批次名称", max_length=200)
    edition = models.ForeignKey(
        "policies.PolicyEdition", verbose_name="政策版本", on_delete=models.PROTECT, related_name="batches"
    )
    policy_ids = models.JSONField("适用政策", default=list)
    year = models.PositiveSmallIntegerField("年度")
    opens_on = models.DateField("申报开始")
    closes_on = models.DateField("申报截止")
    # [{"code": "invoice", "label": "发票", "required": true}, …]
    required_materials = models.JSONField("申报材料", default=list, blank=True)
    # {"central": "0.50", "city": "0.25", "county": "0.25"}: the levels' shares of each award
    funding_split = models.JSONField("资金分担比例")
    notice_days = models.PositiveSmallIntegerField("公示天数", default=7)
    region = models.ForeignKey(
        "enterprises.Region", verbose_name="发布地区", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-opens_on", "code"]
        verbose_name = "申报批次"
        verbose_name_plural = "申报批次"
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="batch_window_in_order"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待镇街预审"
    RETURNED = "returned", "退回修改"
    FORMAL_REVIEW = "formal_review", "形式审查中"
    EXPERT_REVIEW = "expert_review", "专家评审中"
    INCLUDED = "included", "已入库"
    REJECTED = "rejected", "未通过"
    IMPLEMENTING = "implementing", "实施中"
    ACCEPTANCE_REQUESTED = "acceptance_requested", "待验收"
    ACCEPTED = "accepted", "验收通过"
    FAILED = "failed", "验收未通过"
    APPROVED = "approved", "金额已核定"
    PUBLIC_NOTICE = "public_notice", "公示中"
    DISBURSING = "disbursing", "兑现中"
    CLOSED = "closed", "已办结"
    WITHDRAWN = "withdrawn", "已撤回"


# An application in one of these states no longer blocks a new one for the same batch and policy.
ENDED = frozenset({Status.REJECTED, Status.FAILED, Status.CLOSED, Status.WITHDRAWN})
# States in which the project has passed acceptance (its verified investment is known).
PAST_ACCEPTANCE = frozenset(
    {Status.ACCEPTED, Status.APPROVED, Status.PUBLIC_NOTICE, Status.DISBURSING, Status.CLOSED}
)


class Application(TimeStampedModel):
    class Origin(models.TextChoices):
        APPLIED = "applied", "企业申报"
        AUTO_GRANT = "auto_grant", "免申即享"

    batch = models.ForeignKey(
        PolicyBatch, verbose_name="申报批次", on_delete=models.PROTECT, related_name="applications"
    )
    policy_id = models.CharField("申报政策", max_length=64)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="申报企业",
        on_delete=models.PROTECT,
        related_name="applications",
    )
    status = models.CharField("状态", max_length=24, choices=Status.choices, default=Status.DRAFT)
    # auto_grant: created by 免申即享 from the matching engine's data, with no action of the
    # enterprise (shuzhuan.matching.services.match_auto_grant), straight into ACCEPTED
    origin = models.CharField("来源", max_length=16, choices=Origin.choices, default=Origin.APPLIED)
    number = models.CharField("申报编号", max_length=32, unique=True)
    project_name = models.CharField("项目名称", max_length=200)
    project_summary = models.TextField("项目简介", blank=True)
    kinds = models.JSONField("项目类型", default=list)
    in_pilot_plan = models.BooleanField("列入试点计划", default=False)
    declared_investment = models.DecimalField("申报投入额（元）", max_digits=14, decimal_places=2)
    verified_investment = models.DecimalField(
        "核定投入额（元）", null=True, blank=True, max_digits=14, decimal_places=2
    )
    acceptance_notes = models.TextField("验收意见", blank=True)
    accepted_on = models.DateField("验收日期", null=True, blank=True)
    expert_score = models.DecimalField("专家评分", max_digits=6, decimal_places=2, null=True, blank=True)
    ceiling = models.DecimalField("补助上限（元）", null=True, blank=True, max_digits=14, decimal_places=2)
    ceiling_edition = models.CharField("上限计算版本", max_length=64, blank=True)
    approved_amount = models.DecimalField(
        "核定补助金额（元）", null=True, blank=True, max_digits=14, decimal_places=2
    )
    approved_reason = models.TextField("低于上限的理由", blank=True)
    declaration_accepted = models.BooleanField("已承诺申报信息真实", default=False)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    notice_starts_on = models.DateField("公示开始", null=True, blank=True)
    notice_ends_on = models.DateField("公示结束", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "number"]
        verbose_name = "申报"
        verbose_name_plural = "申报"
        indexes = [models.Index(fields=["batch", "status"], name="app_batch_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "batch", "policy_id"],
                condition=~Q(status__in=["rejected", "failed", "closed", "withdrawn"]),
                name="one_open_application_per_enterprise_batch_policy",
            ),
            models.CheckConstraint(condition=Q(declared_investment__gte=0), name="app_declared_gte_0"),
            models.CheckConstraint(
                condition=Q(verified_investment__gte=0) | Q(verified_investment__isnull=True),
                name="app_verified_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | (
                    Q(ceiling__isnull=False)
                    & Q(approved_amount__gte=0)
                    & Q(approved_amount__lte=models.F("ceiling"))
                ),
                name="app_approved_within_ceiling",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.project_name}"

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED


class StatusChange(models.Model):
    """One move of an application's status: who, when, why, with what attachments."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField("原状态", max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField("新状态", max_length=24, choices=Status.choices)
    action = models.CharField("操作", max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField("意见", blank=True)
    at = models.DateTimeField("时间")
    attachment_ids = models.JSONField("附件", default=list, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "状态变更"
        verbose_name_plural = "状态变更"
        indexes = [models.Index(fields=["application", "at"], name="statuschange_app_at")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} → {self.to_status}"


class Material(models.Model):
    """An uploaded file: stored outside the web root under MEDIA_ROOT/materials, served only
    through a view that checks the role and scope."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="materials")
    kind = models.CharField("材料类型", max_length=64)
    original_name = models.CharField("文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    storage_name = models.CharField("存储名", max_length=255, unique=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = "申报材料"
        verbose_name_plural = "申报材料"

    def __str__(self) -> str:
        return self.original_name


class Invoice(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="invoices")
    number = models.CharField("发票号码", max_length=32, db_index=True)
    issued_on = models.DateField("开票日期")
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2)
    seller = models.CharField("销售方", max_length=200, blank=True)

    class Meta:
        ordering = ["issued_on", "number"]
        verbose_name = "发票"
        verbose_name_plural = "发票"
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="invoice_once_per_application"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return self.number


class ExpertReview(models.Model):
    """One expert's review of one application: conflict-of-interest declaration, then scores."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="expert_reviews")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="专家", on_delete=models.PROTECT, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="指派人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField("指派时间", auto_now_add=True)
    no_conflict_declared = models.BooleanField("已声明无利益冲突", default=False)
    conflict_reason = models.TextField("回避理由", blank=True)
    scores = models.JSONField("评分", default=dict, blank=True)  # {criterion code: "points"}
    total = models.DecimalField("总分", max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.TextField("评审意见", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)

    class Meta:
        ordering = ["assigned_at", "pk"]
        verbose_name = "专家评审"
        verbose_name_plural = "专家评审"
        constraints = [
            models.UniqueConstraint(fields=["application", "expert"], name="one_review_per_expert"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} / {self.expert_id}"


class Objection(models.Model):
    """An objection raised during the public notice; it must be resolved before payment."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="objections")
    received_on = models.DateField("收到日期")
    content = models.TextField("异议内容")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.TextField("处理结果", blank=True)
    upheld = models.BooleanField("异议成立", null=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        ordering = ["received_on", "pk"]
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"

    def __str__(self) -> str:
        return f"{self.application_id}: {self.content[:20]}"


class Notice(models.Model):
    """A message in an enterprise's in-app inbox (also handed to the SMS/WeChat adapter)."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.CASCADE, related_name="notices"
    )
    application = models.ForeignKey(
        Application,
        verbose_name="申报",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    # a path inside the site the notice points to (e.g. where to start an application); blank: none
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "通知"
        verbose_name_plural = "通知"
        indexes = [models.Index(fields=["enterprise", "read_at"], name="notice_inbox")]

    def __str__(self) -> str:
        return self.title
