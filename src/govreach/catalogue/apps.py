from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "govreach.catalogue"
    verbose_name = "Service catalogue"
