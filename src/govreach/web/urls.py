from django.urls import path

from govreach.web import account, apply, staff, views

app_name = "web"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("services/<slug:pack_id>/", views.service, name="service"),
    # The language switch in every page's header (POST, then back to the page).
    path("language/", views.set_language, name="set_language"),
    # Applying, page by page; the same pages serve an intermediary acting for a citizen. A pack's page
    # ids never hold a hyphen, so the fixed steps (check-answers...) can never clash with them.
    path("services/<slug:pack_id>/apply/", apply.apply_start, name="apply_start"),
    path("services/<slug:pack_id>/apply/check-answers/", apply.apply_check, name="apply_check"),
    path("services/<slug:pack_id>/apply/pay-fees/", apply.apply_fees, name="apply_fees"),
    path("services/<slug:pack_id>/apply/confirm-payment/", apply.apply_pay_confirm, name="apply_pay_confirm"),
    path("services/<slug:pack_id>/apply/submit-application/", apply.apply_submit, name="apply_submit"),
    path(
        "services/<slug:pack_id>/apply/application-sent/<str:reference>/", apply.apply_done, name="apply_done"
    ),
    path("services/<slug:pack_id>/apply/<slug:page_id>/", apply.apply_page, name="apply_page"),
    # The citizen's applications.
    path("account/applications/", account.account_applications, name="account_applications"),
    path("account/applications/<str:reference>/", account.account_application, name="account_application"),
    path("account/applications/<str:reference>/pay/", account.account_pay, name="account_pay"),
    path(
        "account/applications/<str:reference>/pay/confirm/",
        account.account_pay_confirm,
        name="account_pay_confirm",
    ),
    path("account/applications/<str:reference>/record.pdf", account.account_record, name="account_record"),
    # Staff.
    path("staff/cases/", staff.staff_queue, name="staff_queue"),
    path("staff/cases/<str:reference>/", staff.staff_case, name="staff_case"),
    path(
        "staff/cases/<str:reference>/steps/<slug:transition_id>/", staff.staff_case_act, name="staff_case_act"
    ),
    path(
        "staff/cases/<str:reference>/documents/<int:document_id>/",
        staff.staff_document,
        name="staff_document",
    ),
    path("staff/outbox/", staff.staff_outbox, name="staff_outbox"),
]
