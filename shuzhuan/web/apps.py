from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "shuzhuan.web"
    label = "web"
    verbose_name = "网页"
