"""Transparency pages (``transparency:`` URL names): public dashboards and open data, the finance page."""

from django.urls import URLPattern, URLResolver, path

from govreach.transparency import views

app_name = "transparency"
urlpatterns: list[URLPattern | URLResolver] = [
    path("transparency/", views.index, name="index"),
    path("transparency/open-data/", views.opendata, name="opendata"),
    path("transparency/open-data/files/<str:name>", views.opendata_file, name="opendata_file"),
    path("transparency/services/<slug:pack_id>/", views.dashboard, name="dashboard"),
    path(
        "transparency/services/<slug:pack_id>/areas/<str:area_code>/", views.dashboard, name="dashboard_area"
    ),
    path("transparency/services/<slug:pack_id>/budget/", views.budget, name="budget"),
]
