"""URL configuration: the public catalogue, the REST API and the admin."""

from django.contrib import admin
from django.urls import include, path

from govreach.api.api import api

urlpatterns = [
    path("", include("govreach.web.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
