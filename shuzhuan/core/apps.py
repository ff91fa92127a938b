from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shuzhuan.core"
    label = "core"
    verbose_name = "基础"
