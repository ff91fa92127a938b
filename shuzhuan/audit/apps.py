from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "shuzhuan.audit"
    label = "audit"
    verbose_name = "审计"
