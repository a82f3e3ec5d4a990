"""Policy pages (``policy:`` URL names): staff only, policy officers of the pack; no personal data."""

from django.urls import URLPattern, URLResolver, path

from govreach.policy import views

app_name = "policy"
urlpatterns: list[URLPattern | URLResolver] = [
    path("staff/policy/", views.index, name="index"),
    path("staff/policy/<slug:pack_id>/diff/", views.diff, name="diff"),
    path("staff/policy/<slug:pack_id>/versions/<str:version>/", views.version, name="version"),
    path("staff/policy/<slug:pack_id>/versions/<str:version>/pilot/", views.pilot_new, name="pilot_new"),
    path("staff/policy/pilots/<int:pk>/", views.pilot, name="pilot"),
]
