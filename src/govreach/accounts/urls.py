"""Sign-in, the citizen's account pages and the assisted channel (``accounts:`` URL names)."""

from django.urls import path

from govreach.accounts import views

app_name = "accounts"
urlpatterns = [
    path("staff/login/", views.staff_login, name="staff_login"),
    path("staff/login/verify/", views.staff_login_verify, name="staff_login_verify"),
    path("staff/totp/setup/", views.staff_totp_setup, name="staff_totp_setup"),
    path("staff/", views.staff_home, name="staff_home"),
    path("logout/", views.logout_view, name="logout"),
    path("login/", views.citizen_login, name="citizen_login"),
    path("login/code/", views.citizen_login_code, name="citizen_login_code"),
    path("account/", views.citizen_home, name="citizen_home"),
    path("account/consents/", views.citizen_consents, name="citizen_consents"),
    path(
        "account/consents/<int:consent_id>/revoke/",
        views.citizen_consent_revoke,
        name="citizen_consent_revoke",
    ),
    path("assist/", views.assist, name="assist"),
    path("assist/code/", views.assist_code, name="assist_code"),
    path("assist/signed/", views.assist_signed, name="assist_signed"),
    path("assist/stop/", views.assist_stop, name="assist_stop"),
]
