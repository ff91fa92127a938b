from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "shuzhuan.activities"
    label = "activities"
    verbose_name = "活动与人才"
