"""Outreach pages (``outreach:`` URL names): ids of visits and referrals only, never personal data."""

from django.urls import path

from govreach.outreach import views

app_name = "outreach"
urlpatterns = [
    path("outreach/visits/", views.visit_list, name="visit_list"),
    path("outreach/visits/<int:visit_id>/", views.visit_detail, name="visit_detail"),
    path("outreach/referrals/", views.referral_list, name="referral_list"),
    path("outreach/referrals/new/", views.referral_new, name="referral_new"),
    path("outreach/figures/", views.figures, name="figures"),
]
