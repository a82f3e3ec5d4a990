from django.urls import path

from govreach.ussd import views

app_name = "ussd"
urlpatterns = [
    path("ussd/", views.ussd_callback, name="callback"),
    path("sms/inbound/", views.sms_inbound_callback, name="sms_inbound"),
]
