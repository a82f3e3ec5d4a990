"""Programme pages (``programmes:`` URL names). Every id in a path is a row id, never personal data."""

from django.urls import path

from govreach.programmes import views

app_name = "programmes"
urlpatterns = [
    path("programmes/", views.home, name="home"),
    path("programmes/<slug:pack_id>/register/", views.register, name="register"),
    path("programmes/<slug:pack_id>/register/list/", views.register_list, name="register_list"),
    path("programmes/registrations/<int:registration_id>/", views.registration_detail, name="registration"),
    path("programmes/cohorts/<int:cohort_id>/", views.cohort_detail, name="cohort"),
    path("programmes/cohorts/<int:cohort_id>/allocate/", views.cohort_allocate, name="allocate"),
    path(
        "programmes/cohorts/<int:cohort_id>/sessions/plan/", views.cohort_sessions_plan, name="sessions_plan"
    ),
    path("programmes/cohorts/<int:cohort_id>/allocation/", views.allocation_public, name="allocation_public"),
    path(
        "programmes/cohorts/<int:cohort_id>/allocation.csv",
        views.allocation_public_csv,
        name="allocation_public_csv",
    ),
    path("programmes/cohorts/<int:cohort_id>/outcomes/", views.cohort_outcomes, name="outcomes"),
    path("programmes/allocations/<int:allocation_id>/free/", views.allocation_free, name="allocation_free"),
    path("programmes/classes/<int:class_id>/", views.class_detail, name="class"),
    path("programmes/classes/<int:class_id>/teacher/", views.class_teacher, name="class_teacher"),
    path("programmes/classes/<int:class_id>/exams/<int:exam_id>/scores/", views.class_scores, name="scores"),
    path(
        "programmes/sessions/<int:session_id>/attendance/",
        views.session_attendance,
        name="session_attendance",
    ),
]
