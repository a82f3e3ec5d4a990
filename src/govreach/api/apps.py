from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "govreach.api"
    verbose_name = "REST API"
