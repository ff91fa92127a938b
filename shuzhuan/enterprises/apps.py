from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "shuzhuan.enterprises"
    label = "enterprises"
    verbose_name = "企业库"
