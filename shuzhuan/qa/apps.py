from django.apps import AppConfig


class QaConfig(AppConfig):
    name = "shuzhuan.qa"
    label = "qa"
    verbose_name = "智能应答"
