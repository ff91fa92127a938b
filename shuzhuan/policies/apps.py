from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "shuzhuan.policies"
    label = "policies"
    verbose_name = "政策"
