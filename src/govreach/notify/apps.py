from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "govreach.notify"
    verbose_name = "Notifications"
