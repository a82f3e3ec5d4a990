from django.urls import path

from govreach.web import views

app_name = "web"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("services/<slug:pack_id>/", views.service, name="service"),
]
