from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "shuzhuan.applications"
    label = "applications"
    verbose_name = "申报"
