"""活动与人才: the programme's events (现场会、培训班、对接会、政策宣讲会) with their registrations and
attendance, training classes (数字化专员培训班) with their trainees and employment outcome, and
skill certifications (技能等级认定).

Every record carries a ``region`` (where it is held, or who organises it): an officer sees the
records whose ``region.path`` starts with their own region's path, like the registry's towns.
Registrations and trainees take their scope from their event or class.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from shuzhuan.core.models import TimeStampedModel
from shuzhuan.enterprises.models import Enterprise, Region


class Event(TimeStampedModel):
    class Kind(models.TextChoices):
        ONSITE = "onsite", "现场会"
        TRAINING = "training", "培训班"
        MATCHMAKING = "matchmaking", "对接会"
        BRIEFING = "briefing", "政策宣讲会"

    kind = models.CharField("活动类型", max_length=16, choices=Kind.choices)
    title = models.CharField("活动名称", max_length=200)
    held_on = models.DateField("举办日期")
    region = models.ForeignKey(Region, verbose_name="举办地区", on_delete=models.PROTECT, related_name="+")
    venue = models.CharField("地点", max_length=200, blank=True)
    organiser = models.CharField("主办单位", max_length=200, blank=True)
    notes = models.TextField("备注", blank=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = "活动"
        verbose_name_plural = "活动"
        indexes = [models.Index(fields=["held_on"], name="event_held_on")]

    def __str__(self) -> str:
        return f"{self.title}（{self.held_on:%Y-%m-%d}）"


class EventRegistration(models.Model):
    event = models.ForeignKey(
        Event, verbose_name="活动", on_delete=models.CASCADE, related_name="registrations"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name="企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    attendee_name = models.CharField("参会人", max_length=64)
    attendee_phone = models.CharField("联系电话", max_length=32, blank=True)
    registered_at = models.DateTimeField("报名时间", auto_now_add=True)
    attended = models.BooleanField("已签到", default=False)

    class Meta:
        ordering = ["registered_at", "id"]
        verbose_name = "活动报名"
        verbose_name_plural = "活动报名"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "enterprise", "attendee_name"], name="registration_unique_attendee"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attendee_name} @ {self.event_id}"


class TrainingClass(TimeStampedModel):
    name = models.CharField("班级名称", max_length=200)
    region = models.ForeignKey(Region, verbose_name="举办地区", on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField("开班日期")
    ends_on = models.DateField("结业日期")
    partner = models.CharField("合作单位", max_length=200, blank=True)  # 高校/协会/服务商
    notes = models.TextField("备注", blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = "培训班"
        verbose_name_plural = "培训班"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="training_class_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Trainee(models.Model):
    class Origin(models.TextChoices):
        STUDENT = "student", "高校学生"
        EMPLOYEE = "employee", "企业人员"

    training_class = models.ForeignKey(
        TrainingClass, verbose_name="培训班", on_delete=models.CASCADE, related_name="trainees"
    )
    name = models.CharField("姓名", max_length=64)
    origin = models.CharField("来源", max_length=16, choices=Origin.choices)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name="选派企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    completed = models.BooleanField("已结业", default=False)
    employed = models.BooleanField("签约就业/在岗", default=False)
    employer = models.CharField("就业单位", max_length=200, blank=True)
    employer_enterprise = models.ForeignKey(
        Enterprise,
        verbose_name="就业企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["training_class", "id"]
        verbose_name = "学员"
        verbose_name_plural = "学员"

    def __str__(self) -> str:
        return self.name


class SkillCertification(models.Model):
    class Level(models.IntegerChoices):
        ONE = 1, "一级/高级技师"
        TWO = 2, "二级/技师"
        THREE = 3, "三级/高级工"
        FOUR = 4, "四级/中级工"
        FIVE = 5, "五级/初级工"

    person_name = models.CharField("姓名", max_length=64)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name="所在企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    occupation = models.CharField("职业（工种）", max_length=64)
    level = models.PositiveSmallIntegerField("等级", choices=Level.choices)
    certified_on = models.DateField("认定日期")
    body = models.CharField("认定机构", max_length=200)
    region = models.ForeignKey(Region, verbose_name="所属地区", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-certified_on", "-id"]
        verbose_name = "技能等级认定"
        verbose_name_plural = "技能等级认定"
        indexes = [models.Index(fields=["certified_on"], name="certification_certified_on")]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=5), name="certification_level_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_name} {self.occupation}（{self.get_level_display()}）"
