from django.urls import path

from govreach.cases import views

app_name = "cases"
urlpatterns = [
    path("track/", views.track, name="track"),
    path("verify/<str:token>/", views.verify, name="verify"),
]
