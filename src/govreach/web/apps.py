from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "govreach.web"
    verbose_name = "Citizen and staff web"
