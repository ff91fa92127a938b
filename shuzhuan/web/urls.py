from django.urls import path

from shuzhuan.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/export.xlsx", views.enterprise_export, name="enterprise_export"),
    path("enterprises/import/", views.enterprise_import_view, name="enterprise_import"),
    path("enterprises/import/<uuid:task_id>/", views.enterprise_import_task, name="enterprise_import_task"),
    path("enterprises/mine/", views.my_enterprise, name="my_enterprise"),
    path("enterprises/<str:uscc>/", views.enterprise_detail, name="enterprise_detail"),
]
