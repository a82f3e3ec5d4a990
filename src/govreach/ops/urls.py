from django.urls import URLPattern, URLResolver, path

from govreach.ops import views

app_name = "ops"
urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz/", views.healthz, name="healthz"),
    path("staff/messages/failed/", views.outbox_failed, name="outbox_failed"),
    path(
        "staff/messages/failed/<int:message_id>/resend/",
        views.outbox_failed_resend,
        name="outbox_failed_resend",
    ),
]
