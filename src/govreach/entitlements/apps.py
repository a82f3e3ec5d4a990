from django.apps import AppConfig


class EntitlementsConfig(AppConfig):
    name = "govreach.entitlements"
    verbose_name = "Proactive entitlements"
