from django.urls import include, path

from shuzhuan.api import api

urlpatterns = [
    path("api/", api.urls),
    path("", include("shuzhuan.web.urls")),
]
