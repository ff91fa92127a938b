from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "shuzhuan.enterprises"
    label = "enterprises"
    verbose_name = "企业库"

    def ready(self) -> None:
        from shuzhuan.enterprises import tasks  # noqa: F401 - registers the background tasks
