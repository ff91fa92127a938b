"""Users, their role and their scope (a region subtree, or one enterprise)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from shuzhuan.enterprises.models import Enterprise, Region


class Role(models.TextChoices):
    BUREAU_OFFICER = "bureau_officer", "经信局（局端）"
    TOWN_OFFICER = "town_officer", "镇（街道）"
    ENTERPRISE = "enterprise", "企业"
    EXPERT = "expert", "专家"
    SERVICE_PROVIDER = "service_provider", "服务商"
    AUDITOR = "auditor", "财政/审计"


REGION_SCOPED_ROLES = frozenset({Role.BUREAU_OFFICER, Role.TOWN_OFFICER, Role.AUDITOR})
# Roles without a jurisdiction whose accounts belong to a home region (the registering bureau).
HOME_REGION_ROLES = frozenset({Role.EXPERT, Role.SERVICE_PROVIDER})


class User(AbstractUser):
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    display_name = models.CharField("姓名", max_length=64, blank=True)
    region = models.ForeignKey(
        Region, verbose_name="管辖区域", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name="所属企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    # Experts and service providers have no jurisdiction; this records which bureau registered
    # them, so the officers of that region (and above) manage the account. See access_users().
    home_region = models.ForeignKey(
        Region,
        verbose_name="归属区域",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="专家、服务商账户由该区域的经信局管理",
    )

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="enterprise") | Q(enterprise__isnull=False),
                name="user_enterprise_role_has_enterprise",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["bureau_officer", "town_officer", "auditor"])
                | Q(region__isnull=False),
                name="user_officer_role_has_region",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def role_label(self) -> str:
        try:
            return Role(self.role).label if self.role else ""
        except ValueError:  # a value no longer in Role: show it rather than fail the page
            return self.role


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("过期时间")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
