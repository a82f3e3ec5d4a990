"""Feedback and grievance pages (``feedback:`` URL names): references only, never personal data."""

from django.urls import URLPattern, URLResolver, path

from govreach.feedback import views

app_name = "feedback"
urlpatterns: list[URLPattern | URLResolver] = [
    path("feedback/rate/", views.rate_list, name="rate_list"),
    path("feedback/rate/<str:kind>/<int:key>/", views.rate, name="rate"),
    path("grievances/new/", views.grievance_new, name="grievance_new"),
    path("grievances/filed/", views.grievance_filed, name="grievance_filed"),
    path("grievances/status/", views.grievance_status, name="grievance_status"),
    path("staff/grievances/", views.staff_queue, name="staff_queue"),
    path("staff/grievances/<str:reference>/", views.staff_grievance, name="staff_grievance"),
]
