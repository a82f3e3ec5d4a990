from django.apps import AppConfig


class GovstackConfig(AppConfig):
    name = "govreach.govstack"
    verbose_name = "GovStack Registration and Digital Registries APIs"
