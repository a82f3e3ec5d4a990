from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "govreach.transparency"
    verbose_name = "Public dashboards, open data and budgets"
