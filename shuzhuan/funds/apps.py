from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "shuzhuan.funds"
    label = "funds"
    verbose_name = "资金"
