from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "govreach.registry"
    verbose_name = "Registries"
