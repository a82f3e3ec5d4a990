"""Entitlement pages (``entitlements:`` URL names): ids and supply-point codes only, never personal data."""

from django.urls import path

from govreach.entitlements import views

app_name = "entitlements"
urlpatterns = [
    path("entitlements/mine/", views.my_entitlements, name="mine"),
    path("entitlements/<int:pk>/refuse/", views.refuse, name="refuse"),
    path("entitlements/contest/", views.contest, name="contest"),
    path("entitlements/preference/", views.preference, name="preference"),
    path("entitlements/reviews/<int:pk>/", views.review_detail, name="review"),
    path("entitlements/<slug:pack_id>/take-up/", views.take_up, name="take_up"),
    path("entitlements/<slug:pack_id>/counter/", views.counter, name="counter"),
    path("entitlements/<slug:pack_id>/reviews/", views.review_queue, name="reviews"),
    path("partners/", views.partner_home, name="partner"),
    path("partners/answers/<int:cycle_id>.csv", views.partner_answers_download, name="partner_answers"),
    path("partners/tokens/<int:pk>/revoke/", views.partner_token_revoke_view, name="partner_token_revoke"),
]
