from django.apps import AppConfig


class UssdConfig(AppConfig):
    name = "govreach.ussd"
    verbose_name = "USSD and inbound SMS"
