"""The auditor's pages (``audit:`` URL names); only members of the ``auditor`` group get in."""

from django.urls import URLPattern, URLResolver, path

from govreach.audit import views

app_name = "audit"
urlpatterns: list[URLPattern | URLResolver] = [
    path("audit/", views.entries, name="entries"),
    path("audit/export/", views.export, name="export"),
]
