from django.apps import AppConfig


class CockpitConfig(AppConfig):
    name = "shuzhuan.cockpit"
    label = "cockpit"
    verbose_name = "统计驾驶舱"

    def ready(self) -> None:
        from shuzhuan.cockpit import tasks  # noqa: F401 - registers the report build task
