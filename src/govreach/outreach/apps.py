from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "govreach.outreach"
    verbose_name = "Outreach visits"
