from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shuzhuan.accounts"
    label = "accounts"
    verbose_name = "账户与权限"
