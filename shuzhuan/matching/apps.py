from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "shuzhuan.matching"
    label = "matching"
    verbose_name = "政策找人"

    def ready(self) -> None:
        from shuzhuan.matching import tasks  # noqa: F401 - registers the background tasks
