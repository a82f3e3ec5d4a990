from django.urls import path

from govreach.web import views

app_name = "web"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
]
