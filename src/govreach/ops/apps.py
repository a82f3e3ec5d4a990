from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "govreach.ops"
    verbose_name = "Operations: backup, restore and deployment checks"
